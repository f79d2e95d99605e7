-- name: snapshot
-- A rotation's grid and state, read without locking (projections only read).
SELECT r.id, r.type, r.shift_length, r.start_at, r.time_zone,
       s.position, s.participant_id, s.shift_start,
       (SELECT max(h.boundary_at) FROM handoffs h WHERE h.rotation_id = r.id) AS last_handoff_at
FROM rotations r LEFT JOIN rotation_state s ON s.rotation_id = r.id
WHERE r.id = %(rotation_id)s;

-- name: rotation_ids
-- Every rotation, or the one asked for (who is on call looks at each).
SELECT id FROM rotations
WHERE %(rotation_id)s::uuid IS NULL OR id = %(rotation_id)s::uuid
ORDER BY name;

-- name: recorded
-- The handoffs that shape the recorded shifts of a window: from the last one at or before
-- `since` to the first one at or after `until`, all before `before` (when the current shift began).
SELECT boundary_at, to_user_id FROM handoffs
WHERE rotation_id = %(rotation_id)s
  AND boundary_at < %(before)s
  AND boundary_at >= coalesce((SELECT max(boundary_at) FROM handoffs
                               WHERE rotation_id = %(rotation_id)s AND boundary_at <= %(since)s),
                              '-infinity')
  AND boundary_at <= coalesce((SELECT min(boundary_at) FROM handoffs
                               WHERE rotation_id = %(rotation_id)s AND boundary_at >= %(until)s),
                              'infinity')
ORDER BY boundary_at, id;

-- name: participants
-- A rotation's participants in order.
SELECT p.id, p.user_id
FROM participants p
WHERE p.rotation_id = %(rotation_id)s
ORDER BY p.position;
