-- name: email_owner
-- The person (other than the one being edited) who has this email, ignoring case.
SELECT id, name FROM users
WHERE lower(email) = lower(%(email)s) AND id IS DISTINCT FROM %(except_id)s::uuid;
