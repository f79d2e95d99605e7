-- name: recorded
-- The timeline rows that shape the recorded shifts of a window, for each of the given
-- rotations: from the last one at or before `since` to the first one at or after `until`, all
-- before `before` (the request's instant: after it is the projection's). Each with who was
-- recorded on call after it, and the override that decided then.
SELECT h.rotation_id, h.boundary_at, h.on_call_user_id,
       CASE WHEN h.cause IN ('override_ended', 'user_deleted') THEN NULL
            ELSE h.override_id END AS override_id
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
