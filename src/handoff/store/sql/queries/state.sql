-- name: lock_rotation
-- Lock one rotation for a state change (every writer locks the rotation row first, then its state).
SELECT id, name, type, shift_length, start_at, time_zone, grid_changed_at
FROM rotations WHERE id = %(rotation_id)s
FOR NO KEY UPDATE;

-- name: participants
-- The rotation's participants in order, with their users' names (history keeps the names).
SELECT p.id, p.user_id, p.position, u.name AS user_name
FROM participants p JOIN users u ON u.id = p.user_id
WHERE p.rotation_id = %(rotation_id)s
ORDER BY p.position;

-- name: lock_state
-- The rotation's state row, locked: one writer at a time changes who is on call.
SELECT position, participant_id, shift_start
FROM rotation_state WHERE rotation_id = %(rotation_id)s
FOR UPDATE;

-- name: upsert_state
-- Write the new state.
INSERT INTO rotation_state (rotation_id, position, participant_id, shift_start, updated_at)
VALUES (%(rotation_id)s, %(position)s, %(participant_id)s, %(shift_start)s, now())
ON CONFLICT (rotation_id) DO UPDATE
SET position = excluded.position, participant_id = excluded.participant_id,
    shift_start = excluded.shift_start, updated_at = now();

-- name: delete_state
-- The rotation has no participants left: nobody is on call.
DELETE FROM rotation_state WHERE rotation_id = %(rotation_id)s;

-- name: insert_handoff
-- Record one handoff; a boundary already recorded (by another engine or a retry) is skipped.
INSERT INTO handoffs (rotation_id, boundary_at, processed_at, cause, engine,
                      from_participant_id, to_participant_id, from_user_id, from_user_name,
                      to_user_id, to_user_name)
VALUES (%(rotation_id)s, %(at)s, %(processed_at)s, %(cause)s, %(engine)s,
        %(from_participant_id)s, %(to_participant_id)s, %(from_user_id)s, %(from_user_name)s,
        %(to_user_id)s, %(to_user_name)s)
ON CONFLICT (rotation_id, boundary_at) WHERE cause = 'boundary' DO NOTHING;

-- name: reschedule
-- Set when the rotation next needs the engine, releasing it from the job that processed it
-- (only that job: a newer waiting job keeps its claim).
INSERT INTO rotation_schedule (rotation_id, next_run_at, job_id, dispatched_at)
VALUES (%(rotation_id)s, %(next_run_at)s, NULL, NULL)
ON CONFLICT (rotation_id) DO UPDATE
SET next_run_at = CASE
        WHEN rotation_schedule.job_id IS NOT NULL
             AND rotation_schedule.job_id IS DISTINCT FROM %(job_id)s
        THEN rotation_schedule.next_run_at
        ELSE excluded.next_run_at END,
    job_id = CASE
        WHEN rotation_schedule.job_id IS DISTINCT FROM %(job_id)s
        THEN rotation_schedule.job_id
        ELSE NULL END,
    dispatched_at = CASE
        WHEN rotation_schedule.job_id IS DISTINCT FROM %(job_id)s
        THEN rotation_schedule.dispatched_at
        ELSE NULL END;
