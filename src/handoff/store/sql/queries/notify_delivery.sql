-- name: try_lock_line
-- One delivery job per (channel, rotation) line at a time, so its messages go in order. A
-- session lock: it outlives each short transaction of the job and dies with its connection
-- (a killed worker's line is free again at once).
SELECT pg_try_advisory_lock(hashtextextended(%(line)s, 0)) AS locked;

-- name: unlock_line
-- The line's lock, released when its job ends.
SELECT pg_advisory_unlock(hashtextextended(%(line)s, 0)) AS unlocked;

-- name: head
-- The channel, the oldest pending message of the line (if any), the engine's clock.
SELECT c.kind, c.target, c.secret, c.disabled_at, c.failing_since,
       m.id AS message_id, m.payload, m.attempts, m.next_attempt_at, m.event_at,
       m.event_type, handoff_now() AS now
FROM notify_channels c
LEFT JOIN LATERAL (
    SELECT * FROM notify_messages m
    WHERE m.channel_id = c.id AND m.rotation_id IS NOT DISTINCT FROM %(rotation_id)s::uuid
      AND m.status = 'pending'
    ORDER BY m.seq
    LIMIT 1
) m ON true
WHERE c.id = %(channel_id)s;

-- name: record_attempt
-- One attempt and what it decided, in one statement: the attempt row, the message (delivered,
-- failed, or due again at next_attempt_at), and the channel's failing streak (cleared by a
-- success), last error and, when the streak reached its limit, disabled_at.
WITH attempt AS (
    INSERT INTO notify_attempts (message_id, at, outcome, status_code, error)
    VALUES (%(message_id)s, %(at)s, %(outcome)s, %(status_code)s, %(error)s)
),
message AS (
    UPDATE notify_messages
    SET attempts = attempts + 1,
        status = CASE %(outcome)s WHEN 'retry' THEN 'pending' ELSE %(outcome)s END,
        next_attempt_at = coalesce(%(next_attempt_at)s, next_attempt_at),
        delivered_at = CASE WHEN %(outcome)s = 'delivered' THEN %(at)s END,
        finished_at = CASE WHEN %(outcome)s = 'retry' THEN NULL ELSE %(at)s END,
        last_error = %(error)s
    WHERE id = %(message_id)s
)
UPDATE notify_channels
SET failing_since = CASE WHEN %(outcome)s = 'delivered' THEN NULL
                         ELSE coalesce(failing_since, %(at)s) END,
    last_error = CASE WHEN %(outcome)s = 'delivered' THEN last_error ELSE %(error)s END,
    disabled_at = CASE WHEN %(disable)s THEN %(at)s ELSE disabled_at END
WHERE id = %(channel_id)s;

-- name: enqueue_due
-- The worker's sweep: a delivery job for every channel with a line due (a retry come due,
-- a job that ran out of time or died) that no live job is working on (its advisory lock, read
-- once from pg_locks) and that has no waiting job. Reads only the partial index of pending
-- messages, so an idle outbox costs the same however much it has sent.
WITH now AS MATERIALIZED (SELECT handoff_now() AS t),
due AS (
    SELECT DISTINCT m.channel_id, m.rotation_id,
           'notify:' || m.channel_id || ':' || coalesce(m.rotation_id::text, '-') AS line
    FROM notify_messages m
    JOIN notify_channels c ON c.id = m.channel_id AND c.disabled_at IS NULL
    WHERE m.status = 'pending' AND m.next_attempt_at <= (SELECT t FROM now)
),
held AS MATERIALIZED (
    SELECT (l.classid::bigint << 32) | l.objid::bigint AS key
    FROM pg_locks l
    WHERE l.locktype = 'advisory' AND l.objsubid = 1 AND l.granted
      AND EXISTS (SELECT 1 FROM due)
),
free AS (
    SELECT d.* FROM due d
    WHERE NOT EXISTS (SELECT 1 FROM procrastinate_jobs j
                      WHERE j.queueing_lock = 'notify:' || d.channel_id AND j.status = 'todo')
      AND hashtextextended(d.line, 0) NOT IN (SELECT key FROM held)
)
SELECT handoff_notify_enqueue(coalesce(jsonb_agg(jsonb_build_object(
           'channel_id', f.channel_id, 'rotation_id', f.rotation_id)), '[]')),
       count(DISTINCT f.channel_id) AS channels
FROM free f;

-- name: pending_count
-- Messages not yet delivered nor failed, for the handoff_deliveries_pending gauge.
SELECT count(*) AS pending FROM notify_messages WHERE status = 'pending';

-- name: handoffs_waiting
-- Whether rotation jobs are running or due (a storm: the dispatcher batches a boundary's
-- rotations into a few jobs, so running ones count too): deliveries then step aside for a
-- moment, so that sending never slows a handoff down. Reads the queue's partial index of
-- waiting and running jobs only.
SELECT EXISTS (
    SELECT 1 FROM procrastinate_jobs
    WHERE status IN ('todo', 'doing') AND queue_name = 'rotations'
      AND (scheduled_at IS NULL OR scheduled_at <= now())
) AS busy;

-- name: due_lines
-- Lines with a message due to an enabled channel, oldest message first (a job with time
-- left takes them on; it skips those another job holds).
WITH now AS MATERIALIZED (SELECT handoff_now() AS t)
SELECT m.channel_id, m.rotation_id
FROM notify_messages m
JOIN notify_channels c ON c.id = m.channel_id AND c.disabled_at IS NULL
WHERE m.status = 'pending' AND m.next_attempt_at <= (SELECT t FROM now)
GROUP BY m.channel_id, m.rotation_id
ORDER BY min(m.seq)
LIMIT %(limit)s;

-- name: purge_finished
-- Retention: up to `limit` messages delivered before `delivered_age` ago or failed before
-- `failed_age` ago, oldest first, with their attempts (ON DELETE CASCADE). Rows another pass
-- is deleting are skipped, so sweeps in several processes never wait on each other.
WITH now AS MATERIALIZED (SELECT handoff_now() AS t),
old AS (
    SELECT m.id FROM notify_messages m
    WHERE m.status <> 'pending'
      AND m.finished_at < (SELECT t FROM now) - least(%(delivered_age)s::interval,
                                                      %(failed_age)s::interval)
      AND m.finished_at < (SELECT t FROM now) - CASE m.status
              WHEN 'delivered' THEN %(delivered_age)s::interval
              ELSE %(failed_age)s::interval END
    ORDER BY m.finished_at
    LIMIT %(limit)s
    FOR UPDATE SKIP LOCKED
)
DELETE FROM notify_messages m USING old WHERE m.id = old.id
RETURNING m.id;
