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

-- name: oncall_page
-- A page of rotation ids and names by name, after `after_name`: the one asked for, or those
-- `user_id` may be on call in (a participant, named by an override, added by a pending
-- scheduled change, or recorded on call), or all.
SELECT r.id, r.name FROM rotations r
WHERE (%(rotation_id)s::uuid IS NULL OR r.id = %(rotation_id)s::uuid)
  AND (%(user_id)s::uuid IS NULL
       OR EXISTS (SELECT 1 FROM participants p
                  WHERE p.rotation_id = r.id AND p.user_id = %(user_id)s::uuid)
       OR EXISTS (SELECT 1 FROM overrides o
                  WHERE o.rotation_id = r.id AND o.user_id = %(user_id)s::uuid)
       OR EXISTS (SELECT 1 FROM scheduled_changes c
                  WHERE c.rotation_id = r.id AND c.applied_at IS NULL
                    AND %(user_id)s::uuid = ANY (c.participants))
       OR EXISTS (SELECT 1 FROM handoffs h  -- as migration 0021's two indexes read it
                  WHERE h.rotation_id = r.id
                    AND (h.to_user_id = %(user_id)s::uuid
                         OR (h.on_call_user_id = %(user_id)s::uuid
                             AND h.on_call_user_id IS DISTINCT FROM h.to_user_id))))
  AND (%(after_name)s::text IS NULL OR r.name > %(after_name)s::text)
ORDER BY r.name
LIMIT %(limit)s;
