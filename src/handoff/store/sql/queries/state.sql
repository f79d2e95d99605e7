-- name: lock_rotation
-- Lock one rotation for a write (the lock order: the rotation row, then its state row, then its
-- schedule row, then queue rows), and name it as the rotation this transaction writes through
-- the write path, so the triggers do not enqueue it (handoff_written_rotation()).
SELECT id, name, description, type, shift_length, start_at, time_zone, grid_changed_at,
       active_hours, turns, set_config('handoff.writing', id::text, true) AS writing
FROM rotations WHERE id = %(rotation_id)s
FOR NO KEY UPDATE;

-- name: read_locked
-- With the rotation locked: its participants in order (with their users' names, which history
-- keeps), its state row and its schedule row, both locked too, the engine's clock
-- (handoff_now(), read after the locks are held), the overrides not yet ended when it was
-- last brought up to date, its pending scheduled changes, and the names of the users those
-- name. A separate statement from lock_rotation on purpose: it takes its snapshot after the
-- rotation lock is held, so it sees every change committed by the writer it may have waited
-- for (overrides and changes are written under the same rotation lock).
SELECT p.ids, p.user_ids, p.positions, p.user_names,
       st.position, st.participant_id, st.shift_start, st.first_shift,
       sc.job_id AS schedule_job_id,  -- selected so that the schedule row's lock is kept
       sc.caught_up_at, i.overrides, i.changes, i.names,
       handoff_now() AS now
FROM (
    SELECT coalesce(array_agg(pp.id ORDER BY pp.position), '{}') AS ids,
           coalesce(array_agg(pp.user_id ORDER BY pp.position), '{}') AS user_ids,
           coalesce(array_agg(pp.position ORDER BY pp.position), '{}') AS positions,
           coalesce(array_agg(u.name ORDER BY pp.position), '{}') AS user_names
    FROM participants pp JOIN users u ON u.id = pp.user_id
    WHERE pp.rotation_id = %(rotation_id)s
) p
LEFT JOIN (
    SELECT position, participant_id, shift_start, first_shift
    FROM rotation_state WHERE rotation_id = %(rotation_id)s
    FOR UPDATE
) st ON true
LEFT JOIN (
    SELECT job_id, caught_up_at FROM rotation_schedule WHERE rotation_id = %(rotation_id)s
    FOR UPDATE
) sc ON true
CROSS JOIN LATERAL handoff_oncall_inputs_v1(%(rotation_id)s, sc.caught_up_at) i;

-- name: read_unlocked
-- The engine's batched read (handoff.store.state.read_unlocked): what read_locked reads, for
-- many rotations in one statement and without locks, with the versions (xmin) of each one's
-- state and schedule rows, which the guarded `save` checks. Every change to what decides who
-- is on call writes the schedule row in the same transaction (the write path's save, and the
-- triggers' handoff_enqueue_rotations), so an unchanged schedule row means unchanged inputs.
-- Only rotations with both rows are returned; the others take the locked path.
SELECT r.id, r.name, r.description, r.type, r.shift_length, r.start_at, r.time_zone,
       r.grid_changed_at, r.active_hours, r.turns, p.ids, p.user_ids, p.positions, p.user_names,
       st.position, st.participant_id, st.shift_start, st.first_shift, st.xmin::text AS state_version,
       sc.caught_up_at, sc.xmin::text AS schedule_version,
       i.overrides, i.changes, i.names, handoff_now() AS now
FROM unnest(%(rotation_ids)s::uuid[]) WITH ORDINALITY AS wanted (id, ord)
JOIN rotations r ON r.id = wanted.id
JOIN rotation_state st ON st.rotation_id = r.id
JOIN rotation_schedule sc ON sc.rotation_id = r.id
CROSS JOIN LATERAL (
    SELECT coalesce(array_agg(pp.id ORDER BY pp.position), '{}') AS ids,
           coalesce(array_agg(pp.user_id ORDER BY pp.position), '{}') AS user_ids,
           coalesce(array_agg(pp.position ORDER BY pp.position), '{}') AS positions,
           coalesce(array_agg(u.name ORDER BY pp.position), '{}') AS user_names
    FROM participants pp JOIN users u ON u.id = pp.user_id
    WHERE pp.rotation_id = r.id
) p
CROSS JOIN LATERAL handoff_oncall_inputs_v1(r.id, sc.caught_up_at) i
ORDER BY wanted.ord;

-- name: save
-- Everything a state change writes, in one statement (handoff_save_v1, 0011_engine_save.sql:
-- the state, its handoffs and the next run time; with the versions read, only if the
-- rotation is still as read). Returns whether it wrote.
SELECT handoff_save_v1(%(save)s::jsonb) AS written;

-- name: save_each
-- The batched path's writes: handoff_save_v1 for each rotation of a job, each in its own
-- transaction, in one call (outside any transaction block); returns the ids written.
CALL handoff_save_each_v1(%(saves)s::jsonb, NULL);

-- name: record_failure
-- A rotation's update failed (its transaction rolled back): remember when and why, on the
-- engine's clock, for the cool-down and the engine page. Only the schedule row is written.
UPDATE rotation_schedule
SET failed_at = handoff_now(), last_error = left(%(error)s, 2000)
WHERE rotation_id = %(rotation_id)s;

-- name: write_grid
-- A scheduled change edited the grid: the rotation's new grid fields and active hours, and
-- grid_changed_at at the change's instant (not the processing time, or a later reconcile would
-- restart the shift).
UPDATE rotations
SET type = %(type)s, shift_length = %(shift_length)s, start_at = %(start)s,
    time_zone = %(time_zone)s, active_hours = %(active_hours)s, turns = %(turns)s,
    grid_changed_at = %(grid_changed_at)s
WHERE id = %(rotation_id)s;

-- name: mark_applied
-- The scheduled changes a catch-up applied, each at its instant, with what it had to skip.
UPDATE scheduled_changes c
SET applied_at = a.at, skipped = a.skipped
FROM unnest(%(ids)s::uuid[], %(ats)s::timestamptz[], %(skipped)s::text[]) AS a (id, at, skipped)
WHERE c.id = a.id AND c.applied_at IS NULL;
