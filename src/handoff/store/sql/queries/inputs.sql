-- name: oncall_inputs
-- What decides who is on call (handoff.oncall.Inputs) in each of the given rotations (all
-- rotations when `rotation_ids` is null), by name, read without locks in one statement
-- whatever their number: the grid fields, the state, the participants in order, the
-- overrides that end after the state's shift start and the pending scheduled changes
-- (handoff_oncall_inputs_v1, which the write path reads too), and the engine's clock, read
-- once for all of them (handoff_now() may move between rows while the test clock runs).
WITH clock AS MATERIALIZED (SELECT handoff_now() AS now)
SELECT r.id, r.type, r.shift_length, r.start_at, r.time_zone, r.active_hours, r.turns,
       st.position, st.participant_id, st.shift_start, st.first_shift,
       p.ids, p.user_ids, i.overrides, i.changes, clock.now
FROM clock, rotations r
LEFT JOIN rotation_state st ON st.rotation_id = r.id
CROSS JOIN LATERAL (
    SELECT coalesce(array_agg(pp.id ORDER BY pp.position), '{}') AS ids,
           coalesce(array_agg(pp.user_id ORDER BY pp.position), '{}') AS user_ids
    FROM participants pp WHERE pp.rotation_id = r.id
) p
CROSS JOIN LATERAL handoff_oncall_inputs_v1(r.id, st.shift_start) i
WHERE %(rotation_ids)s::uuid[] IS NULL OR r.id = ANY (%(rotation_ids)s::uuid[])
ORDER BY r.name;
