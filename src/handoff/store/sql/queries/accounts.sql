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
