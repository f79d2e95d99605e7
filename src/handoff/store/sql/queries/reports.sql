-- name: rotation_names
-- The names of the given rotations.
SELECT id, name FROM rotations WHERE id = ANY (%(rotation_ids)s::uuid[]);

-- name: recorded
-- The history rows that shape each given rotation's recorded timeline over a range, in one
-- statement whatever their number: from the last row at or before `since` that sets the
-- rotation's own person (not an override's edge) to the last row before `before` (the
-- request's instant, or the range's end if sooner), at most `limit` of them (the report's
-- budget: more is refused). Each with the own person after it, who
-- was recorded on call after it and the override deciding then, and their names as recorded.
SELECT h.rotation_id, h.boundary_at, h.cause, h.to_user_id, h.to_user_name,
       -- A row written by plain SQL (the GoAlert import's) names only its own persons: with
       -- no override deciding, its "to" is who is on call.
       coalesce(h.on_call_user_id,
                CASE WHEN h.on_call_override_id IS NULL THEN h.to_user_id END) AS on_call_user_id,
       coalesce(h.on_call_user_name,
                CASE WHEN h.on_call_override_id IS NULL THEN h.to_user_name END)
           AS on_call_user_name,
       h.on_call_override_id
FROM unnest(%(rotation_ids)s::uuid[]) AS wanted (id)
JOIN handoffs h ON h.rotation_id = wanted.id
WHERE h.boundary_at < %(before)s
  AND h.boundary_at >= coalesce((SELECT max(boundary_at) FROM handoffs
                                 WHERE rotation_id = wanted.id
                                   AND boundary_at <= %(since)s
                                   AND cause NOT IN ('override_started', 'override_ended',
                                                     'user_deleted')), '-infinity')
ORDER BY h.rotation_id, h.boundary_at, h.id
LIMIT %(limit)s;

-- name: people
-- The names and time zones of the given users (a deleted one is not found: the report names
-- them as recorded).
SELECT id, name, time_zone FROM users WHERE id = ANY (%(user_ids)s::uuid[]);

-- name: unstaffed
-- The rotations with nobody on call now by the record: the latest history row at or before
-- the engine's clock names no one, or there is no row and no state (nobody ever took part).
-- Only candidates are probed: rotations with a row naming nobody (handoffs_nobody_idx) and
-- rotations without state; each by its latest row (handoffs_rotation_time_idx).
WITH clock AS MATERIALIZED (SELECT handoff_now() AS now),
candidates AS (
    SELECT h.rotation_id AS id FROM handoffs h
    WHERE h.on_call_user_id IS NULL
      AND (h.on_call_override_id IS NOT NULL OR h.to_user_id IS NULL)
    UNION
    SELECT r.id FROM rotations r
    WHERE NOT EXISTS (SELECT FROM rotation_state st WHERE st.rotation_id = r.id)
)
SELECT c.id
FROM clock CROSS JOIN candidates c
JOIN rotations r ON r.id = c.id
LEFT JOIN rotation_state st ON st.rotation_id = c.id
LEFT JOIN LATERAL (
    SELECT coalesce(h.on_call_user_id,
                    CASE WHEN h.on_call_override_id IS NULL THEN h.to_user_id END) AS on_call,
           true AS recorded
    FROM handoffs h
    WHERE h.rotation_id = c.id AND h.boundary_at <= clock.now
    ORDER BY h.boundary_at DESC, h.id DESC
    LIMIT 1
) latest ON true
WHERE CASE WHEN latest.recorded THEN latest.on_call IS NULL ELSE st.rotation_id IS NULL END
ORDER BY c.id;

-- name: schedule_ids
-- Every schedule (handoff_schedule_next_gap_seconds has a series for each with a gap ahead).
SELECT id FROM schedules ORDER BY id;
