-- name: email_owner
-- The person (other than the one being edited) who has this email, ignoring case.
SELECT id, name FROM users
WHERE lower(email) = lower(%(email)s) AND id IS DISTINCT FROM %(except_id)s::uuid;

-- name: lock_admins
-- The people who are admins, locked (in id order) so two role changes cannot both remove
-- the last one.
SELECT id FROM users WHERE role = 'admin' ORDER BY id FOR UPDATE;

-- name: set_role
-- A person's role (null: they cannot sign in).
UPDATE users SET role = %(role)s WHERE id = %(id)s RETURNING id;

-- name: revoke_person_tokens
-- A person without a role loses their tokens (people.md).
UPDATE api_tokens SET revoked_at = handoff_now() WHERE user_id = %(id)s AND revoked_at IS NULL;

-- name: set_password
-- A person's password hash (replacing the one they had).
INSERT INTO user_passwords (user_id, hash, set_at) VALUES (%(id)s, %(hash)s, %(now)s)
ON CONFLICT (user_id) DO UPDATE SET hash = excluded.hash, set_at = excluded.set_at;

-- name: password_of
-- The person who signs in with this email (ignoring case) and may (has a role), with their
-- password hash.
SELECT u.id, p.hash FROM users u JOIN user_passwords p ON p.user_id = u.id
WHERE lower(u.email) = lower(%(email)s) AND u.role IS NOT NULL;
