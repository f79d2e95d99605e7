-- name: enqueue_rotations
-- Give each rotation its own waiting job (deduplicated per rotation), marked due now.
SELECT handoff_enqueue_rotations(%(rotation_ids)s::uuid[]);

-- name: try_lock
-- Take a cluster-wide lock for the rest of this transaction, or learn that someone has it; and
-- the engine's clock.
SELECT pg_try_advisory_xact_lock(%(key)s) AS locked, handoff_now() AS now;

-- name: dispatch_due
-- Move rotations due by the horizon (the engine's clock plus the look-ahead) into jobs, in one
-- statement through the due index. Rotations due at the same instant share jobs (up to
-- batch_size each, spread over at least `spread` jobs so a storm keeps every worker busy); a job
-- due in the future is scheduled for its exact instant on the queue's own time base (the
-- server's real time, which Procrastinate's fetch compares with: `real` + the instant's
-- distance on the engine's clock), and `wake_in` says in how many seconds that is. A single-rotation job
-- carries the rotation's queueing lock, so a change made meanwhile reuses it
-- (handoff_enqueue_rotations) instead of adding a second job. The schedule rows are locked
-- before the jobs are inserted (the one lock order); rows a writer holds are skipped.
-- Job ids are drawn before the insert, so each rotation is matched to its job without
-- unpacking the job's arguments, and the final update reaches the schedule through the due
-- index again: the statement reads only the rows of due rotations, whatever the table's size.
WITH clock AS MATERIALIZED (
    SELECT handoff_now() AS now, clock_timestamp() AS real
),
picked AS (
    SELECT rotation_id, next_run_at
    FROM rotation_schedule
    WHERE job_id IS NULL AND next_run_at IS NOT NULL
      AND next_run_at <= (SELECT now FROM clock) + %(lookahead)s::interval
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
           CASE WHEN c.next_run_at > k.now THEN k.real + (c.next_run_at - k.now) END
    FROM chunks c CROSS JOIN clock k
    ON CONFLICT (queueing_lock) WHERE status = 'todo' DO NOTHING
    RETURNING id, scheduled_at
)
UPDATE rotation_schedule s
SET job_id = j.id, dispatched_at = (SELECT now FROM clock)
FROM numbered n
JOIN chunks c ON c.next_run_at = n.next_run_at AND c.chunk = n.chunk
JOIN jobs j ON j.id = c.job_id
WHERE s.rotation_id = n.rotation_id
  AND s.job_id IS NULL AND s.next_run_at IS NOT NULL
  AND s.next_run_at <= (SELECT now FROM clock) + %(lookahead)s::interval
RETURNING s.rotation_id, j.id AS job_id,
          extract(epoch FROM j.scheduled_at - (SELECT real FROM clock))::float8 AS wake_in;

-- name: next_due
-- In how many seconds (on the engine's clock) the dispatcher next has work: the earliest
-- unowned run time of a rotation or a schedule (one probe of each due index); negative when
-- it is overdue, NULL when none.
SELECT extract(epoch FROM least((SELECT min(next_run_at) FROM rotation_schedule
                                 WHERE job_id IS NULL AND next_run_at IS NOT NULL),
                                (SELECT min(next_run_at) FROM schedule_state
                                 WHERE job_id IS NULL AND next_run_at IS NOT NULL))
                     - handoff_now())::float8 AS due_in;

-- name: wake_workers
-- Wake every listening worker: jobs scheduled for this instant are now due.
SELECT pg_notify('procrastinate_queue_v1#rotations', '{"type": "job_inserted", "job_id": 0}');

-- name: lost_rotations
-- Overdue rotations (by the engine's clock) whose owning job can no longer run them: gone,
-- finished without releasing them, or failed (after the cool-down, counted from the failure).
-- The owned index: only overdue owned rows are read.
SELECT s.rotation_id, s.job_id, j.status::text AS job_status,
       extract(epoch FROM c.now - s.next_run_at)::float8 AS overdue_seconds
FROM (SELECT handoff_now() AS now) c
JOIN rotation_schedule s
  ON s.job_id IS NOT NULL AND s.next_run_at IS NOT NULL
 AND s.next_run_at < c.now - %(grace)s::interval
LEFT JOIN procrastinate_jobs j ON j.id = s.job_id
WHERE j.id IS NULL
   OR j.status IN ('succeeded', 'cancelled', 'aborted')
   OR (j.status = 'failed'
       AND coalesce(s.failed_at, s.dispatched_at, s.next_run_at) <= c.now - %(cooldown)s::interval)
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
-- How many rotations are overdue by more than the grace, by the engine's clock (both partial
-- indexes).
WITH c AS MATERIALIZED (SELECT handoff_now() - %(grace)s::interval AS before)
SELECT (SELECT count(*) FROM rotation_schedule, c
        WHERE job_id IS NULL AND next_run_at IS NOT NULL AND next_run_at < c.before)
     + (SELECT count(*) FROM rotation_schedule, c
        WHERE job_id IS NOT NULL AND next_run_at IS NOT NULL
          AND next_run_at < c.before) AS n;

-- name: delete_finished_jobs
-- Retention: delete up to `limit` finished queue rows whose last event is older than their
-- age (succeeded and cancelled or aborted: `succeeded_age`; failed: `failed_age`), except a
-- failed job a rotation still names (the cool-down needs it). Small batches keep each
-- statement short while the engine runs.
WITH old AS (
    SELECT e.job_id
    FROM procrastinate_events e
    JOIN procrastinate_jobs j ON j.id = e.job_id
    WHERE e.type IN ('succeeded', 'failed', 'cancelled', 'aborted')
      AND e.at < now() - least(%(succeeded_age)s::interval, %(failed_age)s::interval)
      AND j.status IN ('succeeded', 'failed', 'cancelled', 'aborted')
      AND e.at < now() - CASE WHEN j.status = 'failed' THEN %(failed_age)s::interval
                              ELSE %(succeeded_age)s::interval END
      AND NOT EXISTS (SELECT 1 FROM rotation_schedule s WHERE s.job_id = j.id)
    ORDER BY e.at
    LIMIT %(limit)s
)
DELETE FROM procrastinate_jobs j USING old WHERE j.id = old.job_id
RETURNING j.id;

-- name: delete_old_history
-- History retention (only when HANDOFF_HISTORY_RETENTION_DAYS is set): up to `limit` rows.
DELETE FROM handoffs
WHERE id IN (SELECT id FROM handoffs
             WHERE processed_at < handoff_now() - %(age)s::interval
             ORDER BY processed_at LIMIT %(limit)s)
RETURNING id;

-- name: record_status
-- Publish an engine fact for the status page.
INSERT INTO engine_status (key, value, updated_at)
VALUES (%(key)s, %(value)s, now())
ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = now();

-- name: batch_rotations
-- The batch engine's read: every rotation with state, both rows locked, skipping any a queue
-- job holds (same order as state.lock: the rotation row, then its state).
SELECT r.id, r.name, r.type, r.shift_length, r.start_at, r.time_zone, r.grid_changed_at,
       r.active_hours, r.turns,
       st.position, st.participant_id, st.shift_start, st.first_shift
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

-- name: batch_oncall
-- The overrides, pending changes and names of the locked rotations, as the write path reads
-- them (handoff_oncall_inputs_v1), with when each was last brought up to date.
SELECT r.id AS rotation_id, sc.caught_up_at, i.overrides, i.changes, i.names
FROM unnest(%(rotation_ids)s::uuid[]) AS r (id)
LEFT JOIN rotation_schedule sc ON sc.rotation_id = r.id
CROSS JOIN LATERAL handoff_oncall_inputs_v1(r.id, sc.caught_up_at) i;

-- name: batch_unstarted
-- Rotations that have participants but no state yet, locked: the batch engine starts them.
SELECT r.id, r.name, r.type, r.shift_length, r.start_at, r.time_zone, r.grid_changed_at,
       r.active_hours, r.turns,
       NULL::integer AS position, NULL::uuid AS participant_id,
       NULL::timestamptz AS shift_start, NULL::boolean AS first_shift
FROM rotations r
WHERE NOT EXISTS (SELECT 1 FROM rotation_state st WHERE st.rotation_id = r.id)
  AND EXISTS (SELECT 1 FROM participants p WHERE p.rotation_id = r.id)
ORDER BY r.id
FOR NO KEY UPDATE SKIP LOCKED;

-- name: wake_due_jobs
-- Wake the workers of each queue that has a job due and waiting: a retry come due or the job
-- of a dead worker put back (Procrastinate sends no NOTIFY for either), or a wake-up a worker
-- missed. Due is on the queue's own time base (the server's real time, which Procrastinate's
-- fetch compares with). Answers how many queues were woken and in how many seconds the next
-- waiting job comes due (NULL when none waits for a later instant), and how many running jobs
-- of `queue` (the rotations') belong to a worker that is gone or whose heartbeat is older than `stalled` (Procrastinate's
-- own stalled-job condition, which the sweep then applies through Procrastinate). Reads only
-- waiting and running jobs: idle, index probes that find nothing.
WITH waiting AS MATERIALIZED (
    SELECT queue_name, min(coalesce(scheduled_at, now())) - now() AS due_in
    FROM procrastinate_jobs
    WHERE status = 'todo'
    GROUP BY queue_name
), woken AS MATERIALIZED (
    SELECT pg_notify('procrastinate_queue_v1#' || queue_name,
                     '{"type": "job_inserted", "job_id": 0}')
    FROM waiting
    WHERE due_in <= interval '0'
)
SELECT (SELECT count(*) FROM woken) AS woken,
       (SELECT extract(epoch FROM min(due_in))::float8 FROM waiting
        WHERE due_in > interval '0') AS next_due_in,
       (SELECT count(*) FROM procrastinate_jobs j
        LEFT JOIN procrastinate_workers w ON w.id = j.worker_id
        WHERE j.status = 'doing' AND j.queue_name = %(queue)s
          AND (w.id IS NULL OR w.last_heartbeat < now() - %(stalled)s::interval)) AS stalled;

-- name: heartbeat
-- A process's heartbeat for all its queue workers (one per queue) in one statement: Procrastinate
-- beats per worker, each through its own function call; this is one plain indexed UPDATE.
UPDATE procrastinate_workers SET last_heartbeat = now() WHERE id = ANY(%(worker_ids)s::bigint[]);
