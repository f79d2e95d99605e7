-- name: claim_lines
-- Up to `limit` lines whose head (oldest pending message) is due to an enabled channel, oldest
-- due first, that no job holds: each head is locked for this job (FOR UPDATE ... SKIP LOCKED),
-- by the round's transaction, which sends and records before it commits. A row lock dies with
-- its transaction, so a job stopped or killed mid-round frees its lines at once, and it needs
-- no session state: it works through a pooler in transaction mode. A line's later messages are
-- not candidates while its head is pending, so no other job sends them out of turn.
-- `only_line` restricts it to the one line (channel_id, rotation_id).
WITH now AS MATERIALIZED (SELECT handoff_now() AS t)
SELECT m.channel_id, m.rotation_id
FROM notify_messages m
JOIN notify_channels c ON c.id = m.channel_id AND c.disabled_at IS NULL
WHERE m.status = 'pending' AND m.next_attempt_at <= (SELECT t FROM now)
  AND (NOT %(only_line)s OR (m.channel_id = %(channel_id)s::uuid
                              AND m.rotation_id IS NOT DISTINCT FROM %(rotation_id)s::uuid))
  AND NOT EXISTS (SELECT 1 FROM notify_messages p
                  WHERE p.channel_id = m.channel_id AND p.rotation_id = m.rotation_id
                    AND p.status = 'pending' AND p.seq < m.seq)
  AND NOT (m.rotation_id IS NULL
           AND EXISTS (SELECT 1 FROM notify_messages p
                       WHERE p.channel_id = m.channel_id AND p.rotation_id IS NULL
                         AND p.status = 'pending' AND p.seq < m.seq))
ORDER BY m.next_attempt_at, m.seq
LIMIT %(limit)s
FOR UPDATE OF m SKIP LOCKED;

-- name: round_without_idle_limit
-- A round's transaction waits on its HTTP sends (up to the webhook timeout each), so it is
-- exempt from idle_in_transaction_session_timeout, which operators set for the engine's role
-- so that a worker cut off mid-transaction frees its rotations within seconds (README,
-- "Running in production"). A cut-off round holds only its lines' heads, until TCP gives up.
SET LOCAL idle_in_transaction_session_timeout = 0;

-- name: heads
-- For lines this job holds: the channel, the line's oldest pending message now (read under
-- the lock, in the round's transaction: the head claim_lines locked), when it was first
-- attempted (its own 24-hour clock) and the engine's clock. A line whose head is not due, or whose channel was disabled meanwhile, is skipped.
SELECT l.channel_id, l.rotation_id, c.kind, c.target, c.secret, c.disabled_at,
       c.failing_since, m.id AS message_id, m.payload, m.attempts, m.next_attempt_at,
       m.event_at, handoff_now() AS now,
       (SELECT min(a.at) FROM notify_attempts a WHERE a.message_id = m.id) AS first_attempt_at
FROM unnest(%(channel_ids)s::uuid[], %(rotation_ids)s::uuid[]) AS l(channel_id, rotation_id)
JOIN notify_channels c ON c.id = l.channel_id
JOIN LATERAL (
    SELECT h.* FROM (
        SELECT * FROM notify_messages m
        WHERE m.channel_id = l.channel_id AND m.rotation_id = l.rotation_id
          AND m.status = 'pending'
        UNION ALL
        SELECT * FROM notify_messages m
        WHERE l.rotation_id IS NULL AND m.channel_id = l.channel_id AND m.rotation_id IS NULL
          AND m.status = 'pending'
    ) h
    ORDER BY h.seq
    LIMIT 1
) m ON true;

-- name: record_attempts
-- A batch of attempts and what each decided, in one statement at the engine's clock: the
-- attempt rows, the messages (delivered, failed, or due again `wait_seconds` from now), and
-- for each channel its failing streak (cleared by any success in the batch, else started if
-- not yet), its last error (the batch's last failure, if any) and, for the channels in
-- `disable`, disabled_at. Returns the clock it recorded at.
WITH now AS MATERIALIZED (SELECT handoff_now() AS t),
r AS MATERIALIZED (
    SELECT r.*, o.n
    FROM jsonb_array_elements(%(results)s::jsonb) WITH ORDINALITY AS o(item, n),
         jsonb_to_record(o.item) AS r(message_id uuid, channel_id uuid, outcome text,
                                      status_code integer, error text,
                                      wait_seconds double precision)
),
attempt AS (
    INSERT INTO notify_attempts (message_id, at, outcome, status_code, error)
    SELECT r.message_id, (SELECT t FROM now), r.outcome, r.status_code, r.error
    FROM r ORDER BY r.n
),
message AS (
    UPDATE notify_messages m
    SET attempts = m.attempts + 1,
        status = CASE r.outcome WHEN 'retry' THEN 'pending' ELSE r.outcome END,
        next_attempt_at = coalesce((SELECT t FROM now) + r.wait_seconds * interval '1 second',
                                   m.next_attempt_at),
        delivered_at = CASE WHEN r.outcome = 'delivered' THEN (SELECT t FROM now) END,
        finished_at = CASE WHEN r.outcome = 'retry' THEN NULL ELSE (SELECT t FROM now) END,
        last_error = r.error
    FROM r
    WHERE m.id = r.message_id
),
channel AS (
    SELECT r.channel_id, bool_or(r.outcome = 'delivered') AS reached,
           (array_agg(r.error ORDER BY r.n DESC)
                FILTER (WHERE r.outcome <> 'delivered'))[1] AS error
    FROM r GROUP BY r.channel_id
),
streak AS (
    UPDATE notify_channels c
    SET failing_since = CASE WHEN ch.reached THEN NULL
                             ELSE coalesce(c.failing_since, (SELECT t FROM now)) END,
        last_error = coalesce(ch.error, c.last_error),
        disabled_at = CASE WHEN c.id = ANY (%(disable)s::uuid[]) THEN (SELECT t FROM now)
                           ELSE c.disabled_at END
    FROM channel ch
    WHERE c.id = ch.channel_id
)
SELECT t AS now FROM now;

-- name: enqueue_due
-- The worker's sweep: a delivery job for every enabled channel that has no waiting job and a
-- line due (a retry come due, a job that ran out of time or died) that no live job is working
-- on (its head row-locked by a round: SKIP LOCKED passes it by; the sweep's own key-share lock
-- lasts its statement only). For each such channel it looks for one free due line only, oldest
-- due first, so a backlog of thousands (a storm) costs a few rows per pass, not all of them.
-- Reads only the partial index of pending messages, so an idle outbox costs the same however
-- much it has sent.
WITH now AS MATERIALIZED (SELECT handoff_now() AS t),
unqueued AS MATERIALIZED (
    SELECT c.id FROM notify_channels c
    WHERE c.disabled_at IS NULL
      AND NOT EXISTS (SELECT 1 FROM procrastinate_jobs j
                      WHERE j.queueing_lock = 'notify:' || c.id AND j.status = 'todo')
),
free AS (
    SELECT u.id AS channel_id, l.rotation_id
    FROM unqueued u
    CROSS JOIN LATERAL (
        SELECT m.rotation_id FROM notify_messages m
        WHERE m.status = 'pending' AND m.next_attempt_at <= (SELECT t FROM now)
          AND m.channel_id = u.id
          AND NOT EXISTS (SELECT 1 FROM notify_messages p
                          WHERE p.channel_id = m.channel_id AND p.rotation_id = m.rotation_id
                            AND p.status = 'pending' AND p.seq < m.seq)
          AND NOT (m.rotation_id IS NULL
                   AND EXISTS (SELECT 1 FROM notify_messages p
                               WHERE p.channel_id = m.channel_id AND p.rotation_id IS NULL
                                 AND p.status = 'pending' AND p.seq < m.seq))
        ORDER BY m.next_attempt_at
        LIMIT 1
        FOR KEY SHARE OF m SKIP LOCKED
    ) l
)
SELECT handoff_notify_enqueue(coalesce(jsonb_agg(jsonb_build_object(
           'channel_id', f.channel_id, 'rotation_id', f.rotation_id)), '[]')),
       count(*) AS channels
FROM free f;

-- name: outlook
-- The sweep's first look each pass, in one statement: the messages not yet delivered nor
-- failed (the handoff_deliveries_pending gauge; the lines are looked at only when there are
-- some), whether on-call changes are staged for publishing, and whether any reminder setting
-- is due for a look. They read only partial or due indexes and the staged rows (an emptied
-- table), so an idle outbox costs this one statement a second.
SELECT (SELECT count(*) FROM notify_messages WHERE status = 'pending') AS pending,
       coalesce((SELECT min(next_check_at) FROM notify_reminders) <= handoff_now(), false)
           AS reminders_due,
       EXISTS (SELECT 1 FROM notify_staged) AS staged;

-- name: publish_staged
-- The on-call changes staged by the write path (0012_notify_staged.sql) become messages: one
-- per staged row whose channel still exists, in the order of the changes (so each line's
-- `seq` follows its rotation's changes), with the event as it was at the change and the
-- users' emails as they are now. One sweep at a time publishes (a transaction-level advisory
-- lock; another finds it taken and leaves the rows to it). The messages are due from now (the
-- engine's clock, the table's defaults). Returns how many messages it wrote.
WITH turn AS MATERIALIZED (
    SELECT pg_try_advisory_xact_lock(hashtextextended('notify:staged', 0)) AS mine
),
taken AS MATERIALIZED (
    DELETE FROM notify_staged WHERE (SELECT mine FROM turn) RETURNING *
),
published AS (
    INSERT INTO notify_messages (channel_id, rotation_id, event_type, event_at, payload)
    SELECT t.channel_id, t.rotation_id, 'rotation.oncall_changed', t.boundary_at,
           jsonb_build_object(
               'type', 'rotation.oncall_changed',
               'timestamp', t.processed_at,
               'data', jsonb_build_object(
                   'rotation', jsonb_build_object('id', t.rotation_id, 'name', t.rotation_name,
                                                  'time_zone', t.rotation_time_zone),
                   'at', t.boundary_at,
                   'cause', t.cause,
                   'from_user', CASE WHEN t.from_user_id IS NULL THEN NULL
                       ELSE jsonb_build_object('id', t.from_user_id, 'name', t.from_user_name,
                                               'email', fu.email) END,
                   'to_user', CASE WHEN t.to_user_id IS NULL THEN NULL
                       ELSE jsonb_build_object('id', t.to_user_id, 'name', t.to_user_name,
                                               'email', tu.email) END,
                   'override_id', t.override_id,
                   'change_id', t.change_id,
                   'next_change_at', t.next_change_at,
                   'missed', t.missed))
    FROM taken t
    JOIN notify_channels c ON c.id = t.channel_id
    LEFT JOIN users fu ON fu.id = t.from_user_id
    LEFT JOIN users tu ON tu.id = t.to_user_id
    ORDER BY t.boundary_at, t.processed_at, t.rotation_id, t.channel_id
    RETURNING 1
)
SELECT count(*) AS published FROM published;

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
