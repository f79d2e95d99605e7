-- name: list_jobs
-- A page of queue jobs, newest first, optionally by status and by a rotation they carry.
SELECT id, queue_name, task_name, status::text AS status, scheduled_at, attempts,
       ARRAY(SELECT jsonb_array_elements_text(coalesce(args -> 'rotation_ids', '[]'::jsonb)))
           AS rotation_ids
FROM procrastinate_jobs
WHERE (%(status)s::text IS NULL OR status::text = %(status)s::text)
  AND (%(rotation_id)s::text IS NULL OR args -> 'rotation_ids' ? %(rotation_id)s::text)
  AND (%(after_id)s::bigint IS NULL OR id < %(after_id)s::bigint)
ORDER BY id DESC
LIMIT %(limit)s;

-- name: get_job
-- One job.
SELECT id, queue_name, task_name, status::text AS status, scheduled_at, attempts,
       ARRAY(SELECT jsonb_array_elements_text(coalesce(args -> 'rotation_ids', '[]'::jsonb)))
           AS rotation_ids
FROM procrastinate_jobs WHERE id = %(id)s;

-- name: retry_job
-- Put a failed (or running) job back in the queue, due now (Procrastinate's own function).
SELECT procrastinate_retry_job_v2(%(id)s, %(now)s, NULL, NULL, NULL);

-- name: cancel_job
-- Cancel a waiting job, or ask a running one to abort (Procrastinate's own function).
SELECT procrastinate_cancel_job_v1(%(id)s, true, false) AS id;

-- name: retry_basis
-- For a job that failed: the queue's clock (the database's real time, which the test seam does
-- not move: Procrastinate compares scheduled_at with now()), and whether another job waits
-- under the same queueing lock (a change queued the rotation while this job ran), beside which
-- the failed job cannot be put back to wait.
SELECT now() AS now,
       EXISTS (SELECT 1 FROM procrastinate_jobs
               WHERE queueing_lock = %(lock)s AND status = 'todo' AND id <> %(job_id)s)
           AS superseded;
