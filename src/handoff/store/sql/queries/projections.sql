-- name: recorded
-- The timeline rows that shape the recorded shifts of a window, for each of the given
-- rotations: from the last one at or before `since` to the first one at or after `until`, all
-- before `before` (the request's instant: after it is the projection's). Each with who was
-- recorded on call after it, the override that decided then, and whether it is an override's
-- edge (one that changed nothing does not split a shift).
SELECT h.rotation_id, h.boundary_at,
       -- A row written by plain SQL (the GoAlert import's) names only its own persons: with
       -- no override deciding, its "to" is who is on call.
       coalesce(h.on_call_user_id,
                CASE WHEN h.on_call_override_id IS NULL THEN h.to_user_id END) AS on_call,
       h.on_call_override_id,
       h.cause IN ('override_started', 'override_ended') AS edge
FROM unnest(%(rotation_ids)s::uuid[]) AS wanted (id)
JOIN handoffs h ON h.rotation_id = wanted.id
WHERE h.boundary_at < %(before)s
  AND h.boundary_at >= coalesce((SELECT max(boundary_at) FROM handoffs
                                 WHERE rotation_id = wanted.id
                                   AND boundary_at <= %(since)s), '-infinity')
  AND h.boundary_at <= coalesce((SELECT min(boundary_at) FROM handoffs
                                 WHERE rotation_id = wanted.id
                                   AND boundary_at >= %(until)s), 'infinity')
ORDER BY h.rotation_id, h.boundary_at, h.id;
