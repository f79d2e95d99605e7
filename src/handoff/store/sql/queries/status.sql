-- name: workers
-- The queue workers Procrastinate knows about, most recently seen first, with when each
-- registered (recorded once by a trigger: handoff_worker_starts) and the jobs it runs now.
SELECT w.id, w.last_heartbeat AS last_seen, coalesce(s.started_at, w.last_heartbeat) AS started_at,
       (SELECT count(*) FROM procrastinate_jobs j
        WHERE j.worker_id = w.id AND j.status = 'doing') AS running
FROM procrastinate_workers w
LEFT JOIN handoff_worker_starts s ON s.worker_id = w.id
ORDER BY w.last_heartbeat DESC, w.id;

-- name: job_counts
-- Jobs by queue and status (rotation updates and notification deliveries apart).
SELECT queue_name, status::text AS status, count(*) AS n
FROM procrastinate_jobs GROUP BY queue_name, status;

-- name: oldest_due_age
-- Seconds since the oldest waiting job of the queue became due (0 when none is due).
SELECT coalesce(extract(epoch FROM %(now)s - min(coalesce(scheduled_at, e.created))), 0) AS age
FROM procrastinate_jobs j
LEFT JOIN LATERAL (SELECT min(at) AS created FROM procrastinate_events
                   WHERE job_id = j.id AND type = 'deferred') e ON true
WHERE j.status = 'todo' AND j.queue_name = %(queue)s
  AND (j.scheduled_at IS NULL OR j.scheduled_at <= %(now)s);

-- name: engine_facts
-- What the engines published: the queue engine's sweep and the batch engine's cycle.
SELECT key, updated_at, value FROM engine_status WHERE key IN ('sweep', 'batch');

-- name: lag
-- Grid handoffs recorded in the last hour: how many, and their boundary-to-recorded lag (p50
-- and p99, seconds).
SELECT count(*) AS handoffs,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM processed_at - boundary_at))
           AS p50,
       percentile_cont(0.99) WITHIN GROUP (ORDER BY extract(epoch FROM processed_at - boundary_at))
           AS p99
FROM handoffs
WHERE cause = 'boundary' AND processed_at >= %(since)s;

-- name: fresh_worker
-- Whether any queue worker has checked in since the given instant.
SELECT EXISTS (SELECT 1 FROM procrastinate_workers WHERE last_heartbeat >= %(since)s) AS fresh;

-- name: schema_revision
-- The schema's applied migration revision.
SELECT version_num FROM alembic_version;

-- name: cooling_down
-- Rotations whose job failed for good and that wait out the cool-down, with the last error
-- and when the sweep takes them up again (the engine page and /api/v1/engine).
SELECT s.rotation_id, r.name, s.failed_at, s.last_error,
       s.failed_at + %(cooldown)s::interval AS retry_at
FROM rotation_schedule s
JOIN procrastinate_jobs j ON j.id = s.job_id AND j.status = 'failed'
JOIN rotations r ON r.id = s.rotation_id
WHERE s.job_id IS NOT NULL AND s.next_run_at IS NOT NULL
ORDER BY s.failed_at NULLS LAST
LIMIT %(limit)s;
