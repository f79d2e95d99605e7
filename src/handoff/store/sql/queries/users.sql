-- name: insert_user
-- Create a user.
INSERT INTO users (name, email, created_at) VALUES (%(name)s, %(email)s, %(now)s)
RETURNING id, name, email, created_at;

-- name: get_user
-- One user by id.
SELECT id, name, email, created_at FROM users WHERE id = %(id)s;

-- name: list_users
-- A page of users ordered by name, then id (keyset: after the cursor's name and id).
SELECT id, name, email, created_at FROM users
WHERE %(after_name)s::text IS NULL OR (name, id) > (%(after_name)s::text, %(after_id)s::uuid)
ORDER BY name, id
LIMIT %(limit)s;

-- name: users_by_name
-- Users with exactly this name (the CLI refers to users by name or id).
SELECT id, name, email, created_at FROM users WHERE name = %(name)s ORDER BY created_at, id LIMIT 2;

-- name: update_user
-- Change a user's name and email.
UPDATE users SET name = %(name)s, email = %(email)s WHERE id = %(id)s
RETURNING id, name, email, created_at;

-- name: user_names
-- The names of the given users (those that exist).
SELECT id, name FROM users WHERE id = ANY (%(ids)s);

-- name: delete_user
-- Delete a user (after they have left every rotation by the rules).
DELETE FROM users WHERE id = %(id)s;
