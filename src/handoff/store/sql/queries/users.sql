-- name: insert_user
-- Create a user.
INSERT INTO users (name, email, time_zone, created_at)
VALUES (%(name)s, %(email)s, %(time_zone)s, %(now)s)
RETURNING id, name, email, time_zone, role, created_at;

-- name: get_user
-- One user by id.
SELECT id, name, email, time_zone, role, created_at FROM users WHERE id = %(id)s;

-- name: list_users
-- A page of users ordered by name, then id (keyset: after the cursor's name and id), those
-- whose name or email matches `pattern` (an ILIKE pattern) when one is given.
SELECT id, name, email, time_zone, role, created_at FROM users
WHERE (%(after_name)s::text IS NULL OR (name, id) > (%(after_name)s::text, %(after_id)s::uuid))
  AND (%(pattern)s::text IS NULL
       OR name ILIKE %(pattern)s::text ESCAPE '\' OR email ILIKE %(pattern)s::text ESCAPE '\')
ORDER BY name, id
LIMIT %(limit)s;

-- name: users_by_id
-- The given users (those that exist), by name.
SELECT id, name, email, time_zone, role, created_at FROM users
WHERE id = ANY (%(ids)s::uuid[])
ORDER BY name, id;

-- name: update_user
-- Change a user's name, email and time zone.
UPDATE users SET name = %(name)s, email = %(email)s, time_zone = %(time_zone)s WHERE id = %(id)s
RETURNING id, name, email, time_zone, role, created_at;

-- name: user_names
-- The names of the given users (those that exist).
SELECT id, name FROM users WHERE id = ANY (%(ids)s);

-- name: user_contacts
-- The names and emails of the given users (those that exist).
SELECT id, name, email FROM users WHERE id = ANY (%(ids)s);

-- name: delete_user
-- Delete a user (after they have left every rotation by the rules).
DELETE FROM users WHERE id = %(id)s;
