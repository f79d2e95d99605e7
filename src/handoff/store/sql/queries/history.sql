-- name: history
-- A rotation's recorded handoffs in a window, newest first (keyset: before the cursor's key).
SELECT id, boundary_at, processed_at, cause, effective, from_user_id, from_user_name,
       to_user_id, to_user_name, override_id, change_id
FROM handoffs
WHERE rotation_id = %(rotation_id)s
  AND (%(since)s::timestamptz IS NULL OR boundary_at >= %(since)s::timestamptz)
  AND (%(until)s::timestamptz IS NULL OR boundary_at < %(until)s::timestamptz)
  AND (%(after_at)s::timestamptz IS NULL
       OR (boundary_at, id) < (%(after_at)s::timestamptz, %(after_id)s::bigint))
ORDER BY boundary_at DESC, id DESC
LIMIT %(limit)s;

-- name: rotation_exists
-- Whether a rotation exists (an empty history is not a missing rotation).
SELECT 1 FROM rotations WHERE id = %(rotation_id)s;
