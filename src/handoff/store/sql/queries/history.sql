-- name: history
-- A rotation's recorded handoffs in a window, newest first (keyset: before the cursor's key).
-- `made_by`: who made the manual change (people.md): the writer recorded with the row, or
-- the author of the override or scheduled change the engine carried out.
SELECT h.id, h.boundary_at, h.processed_at, h.cause, h.effective, h.from_user_id,
       h.from_user_name, h.to_user_id, h.to_user_name, h.override_id, h.change_id,
       coalesce(h.made_by,
                (SELECT a.actor_name FROM audit_log a
                 WHERE a.object_type = 'override' AND a.object_id = h.override_id::text
                   AND a.action = 'override.create' ORDER BY a.id LIMIT 1),
                (SELECT a.actor_name FROM audit_log a
                 WHERE a.object_type = 'change' AND a.object_id = h.change_id::text
                   AND a.action = 'change.create' ORDER BY a.id LIMIT 1)) AS made_by
FROM handoffs h
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
