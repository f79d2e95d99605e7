-- name: snapshot
-- A rotation's grid and state, read without locking (projections only read), and the last
-- recorded change of its own person (override edges change only the effective person).
SELECT r.id, r.type, r.shift_length, r.start_at, r.time_zone,
       s.position, s.participant_id, s.shift_start,
       (SELECT max(h.boundary_at) FROM handoffs h
        WHERE h.rotation_id = r.id
          AND h.cause NOT IN ('override_started', 'override_ended', 'user_deleted'))
           AS last_handoff_at
FROM rotations r LEFT JOIN rotation_state s ON s.rotation_id = r.id
WHERE r.id = %(rotation_id)s;

-- name: rotation_ids
-- Every rotation, or the one asked for (who is on call looks at each).
SELECT id FROM rotations
WHERE %(rotation_id)s::uuid IS NULL OR id = %(rotation_id)s::uuid
ORDER BY name;

-- name: recorded
-- The timeline rows that shape the recorded shifts of a window: from the last one at or before
-- `since` to the first one at or after `until`, all before `before` (when the current shift
-- began). Each with the effective person after it: a row of the rotation's own person while an
-- override decides (override_id set) has the override's person; an override edge's "to" is
-- the effective person already.
SELECT h.boundary_at,
       CASE WHEN h.override_id IS NULL
                 OR h.cause IN ('override_started', 'override_ended', 'user_deleted')
            THEN h.to_user_id ELSE o.user_id END AS user_id,
       CASE WHEN h.cause IN ('override_ended', 'user_deleted') THEN NULL
            ELSE h.override_id END AS override_id
FROM handoffs h LEFT JOIN overrides o ON o.id = h.override_id
WHERE h.rotation_id = %(rotation_id)s
  AND h.boundary_at < %(before)s
  AND h.boundary_at >= coalesce((SELECT max(boundary_at) FROM handoffs
                                 WHERE rotation_id = %(rotation_id)s
                                   AND boundary_at <= %(since)s), '-infinity')
  AND h.boundary_at <= coalesce((SELECT min(boundary_at) FROM handoffs
                                 WHERE rotation_id = %(rotation_id)s
                                   AND boundary_at >= %(until)s), 'infinity')
ORDER BY h.boundary_at, h.id;

-- name: participants
-- A rotation's participants in order.
SELECT p.id, p.user_id
FROM participants p
WHERE p.rotation_id = %(rotation_id)s
ORDER BY p.position;
