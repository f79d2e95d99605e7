-- name: enqueue_rotations
-- Give each rotation its own waiting job (deduplicated per rotation), marked due now.
SELECT handoff_enqueue_rotations(%(rotation_ids)s::uuid[]);

-- name: try_lock
-- Take a cluster-wide lock for the rest of this transaction, or learn that someone has it.
SELECT pg_try_advisory_xact_lock(%(key)s) AS locked;

-- name: dispatch_due
-- Move rotations due by the horizon into jobs, in one statement through the due index.
-- Rotations due at the same instant share jobs (up to batch_size each, spread over at least
-- `spread` jobs so a storm keeps every worker busy); a job due in the future is scheduled for
-- its exact instant. A single-rotation job carries the rotation's queueing lock, so a change
-- made meanwhile reuses it (handoff_enqueue_rotations) instead of adding a second job.
-- Job ids are drawn before the insert, so each rotation is matched to its job without
-- unpacking the job's arguments, and the final update reaches the schedule through the due
-- index again: the statement reads only the rows of due rotations, whatever the table's size.
WITH picked AS (
    SELECT rotation_id, next_run_at
    FROM rotation_schedule
    WHERE job_id IS NULL AND next_run_at IS NOT NULL AND next_run_at <= %(horizon)s
    ORDER BY next_run_at
    LIMIT %(limit)s
    FOR UPDATE SKIP LOCKED
),
numbered AS (
    SELECT rotation_id, next_run_at,
           (row_number() OVER w - 1)
             / greatest(1, least(%(batch_size)s,
                                 ceil((count(*) OVER w)::numeric / %(spread)s)::int)) AS chunk
    FROM picked
    WINDOW w AS (PARTITION BY next_run_at)
),
chunks AS (
    SELECT nextval(pg_get_serial_sequence('procrastinate_jobs', 'id')) AS job_id,
           next_run_at, chunk, ids
    FROM (
        SELECT next_run_at, chunk, array_agg(rotation_id ORDER BY rotation_id) AS ids
        FROM numbered
        GROUP BY next_run_at, chunk
    ) grouped
),
jobs AS (
    INSERT INTO procrastinate_jobs
        (id, queue_name, task_name, priority, queueing_lock, args, scheduled_at)
    SELECT c.job_id, 'rotations', 'update_rotations', 0,
           CASE WHEN cardinality(c.ids) = 1 THEN 'rotation:' || c.ids[1] END,
           jsonb_build_object('rotation_ids', to_jsonb(c.ids)),
           CASE WHEN c.next_run_at > %(now)s THEN c.next_run_at END
    FROM chunks c
    ON CONFLICT (queueing_lock) WHERE status = 'todo' DO NOTHING
    RETURNING id, scheduled_at
)
UPDATE rotation_schedule s
SET job_id = j.id, dispatched_at = %(now)s
FROM numbered n
JOIN chunks c ON c.next_run_at = n.next_run_at AND c.chunk = n.chunk
JOIN jobs j ON j.id = c.job_id
WHERE s.rotation_id = n.rotation_id
  AND s.job_id IS NULL AND s.next_run_at IS NOT NULL AND s.next_run_at <= %(horizon)s
RETURNING s.rotation_id, j.id AS job_id, j.scheduled_at;

-- name: next_due
-- When the dispatcher next has work: the earliest unowned run time (due index, one row).
SELECT min(next_run_at) AS next_run_at
FROM rotation_schedule
WHERE job_id IS NULL AND next_run_at IS NOT NULL;

-- name: wake_workers
-- Wake every listening worker: jobs scheduled for this instant are now due.
SELECT pg_notify('procrastinate_queue_v1#rotations', '{"type": "job_inserted", "job_id": 0}');

-- name: lost_rotations
-- Overdue rotations whose owning job can no longer run them: gone, finished without releasing
-- them, or failed long enough ago (owned index: only overdue owned rows are read).
SELECT s.rotation_id, s.job_id, j.status::text AS job_status, s.next_run_at
FROM rotation_schedule s
LEFT JOIN procrastinate_jobs j ON j.id = s.job_id
WHERE s.job_id IS NOT NULL AND s.next_run_at IS NOT NULL
  AND s.next_run_at < %(overdue_before)s
  AND (j.id IS NULL
       OR j.status IN ('succeeded', 'cancelled', 'aborted')
       OR (j.status = 'failed' AND s.next_run_at < %(failed_before)s))
ORDER BY s.next_run_at
LIMIT %(limit)s;

-- name: unscheduled_rotations
-- Rotations with participants that the engine does not know about (no schedule row, no run
-- time or no state: a restore, a schedule row deleted by hand). Reads every rotation with
-- participants once, so it runs rarely.
SELECT r.id AS rotation_id
FROM rotations r
LEFT JOIN rotation_schedule s ON s.rotation_id = r.id
WHERE (s.rotation_id IS NULL OR s.next_run_at IS NULL
       OR NOT EXISTS (SELECT 1 FROM rotation_state st WHERE st.rotation_id = r.id))
  AND s.job_id IS NULL
  AND EXISTS (SELECT 1 FROM participants p WHERE p.rotation_id = r.id)
LIMIT %(limit)s;

-- name: overdue_count
-- How many rotations are overdue by more than the threshold (both partial indexes).
SELECT (SELECT count(*) FROM rotation_schedule
        WHERE job_id IS NULL AND next_run_at IS NOT NULL AND next_run_at < %(overdue_before)s)
     + (SELECT count(*) FROM rotation_schedule
        WHERE job_id IS NOT NULL AND next_run_at IS NOT NULL
          AND next_run_at < %(overdue_before)s) AS n;

-- name: record_status
-- Publish an engine fact for the status page.
INSERT INTO engine_status (key, value, updated_at)
VALUES (%(key)s, %(value)s, now())
ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = now();

-- name: batch_rotations
-- The batch engine's read: every rotation with state, both rows locked, skipping any a queue
-- job holds (same order as state.lock: the rotation row, then its state).
SELECT r.id, r.name, r.type, r.shift_length, r.start_at, r.time_zone, r.grid_changed_at,
       st.position, st.participant_id, st.shift_start
FROM rotations r
JOIN rotation_state st ON st.rotation_id = r.id
ORDER BY r.id
FOR NO KEY UPDATE OF r SKIP LOCKED
FOR UPDATE OF st SKIP LOCKED;

-- name: batch_participants
-- Participants of the locked rotations, in order, with their users' names.
SELECT p.rotation_id, p.id, p.user_id, p.position, u.name AS user_name
FROM participants p JOIN users u ON u.id = p.user_id
WHERE p.rotation_id = ANY (%(rotation_ids)s::uuid[])
ORDER BY p.rotation_id, p.position;

-- name: batch_unstarted
-- Rotations that have participants but no state yet, locked: the batch engine starts them.
SELECT r.id, r.name, r.type, r.shift_length, r.start_at, r.time_zone, r.grid_changed_at,
       NULL::integer AS position, NULL::uuid AS participant_id,
       NULL::timestamptz AS shift_start
FROM rotations r
WHERE NOT EXISTS (SELECT 1 FROM rotation_state st WHERE st.rotation_id = r.id)
  AND EXISTS (SELECT 1 FROM participants p WHERE p.rotation_id = r.id)
ORDER BY r.id
FOR NO KEY UPDATE SKIP LOCKED;
