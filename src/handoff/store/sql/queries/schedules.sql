-- name: insert_schedule
-- Create a schedule.
INSERT INTO schedules (name, description, time_zone, combine, created_at, updated_at)
VALUES (%(name)s, %(description)s, %(time_zone)s, %(combine)s, %(now)s, %(now)s)
RETURNING id;

-- name: update_schedule
-- Write a schedule's own fields.
UPDATE schedules
SET name = %(name)s, description = %(description)s, time_zone = %(time_zone)s,
    combine = %(combine)s, updated_at = %(now)s
WHERE id = %(id)s;

-- name: lock_schedule
-- Lock a schedule for a write (its history is recorded under this lock), with its state.
SELECT s.id, st.caught_up_at
FROM schedules s LEFT JOIN schedule_state st ON st.schedule_id = s.id
WHERE s.id = %(id)s
FOR UPDATE OF s;

-- name: lock_schedules
-- Lock the schedules of an engine run in id order (the one lock order), with their states and
-- the engine's clock (read in the same round trip as the locks, engine.md "One clock").
SELECT s.id, st.caught_up_at, handoff_now() AS now
FROM schedules s LEFT JOIN schedule_state st ON st.schedule_id = s.id
WHERE s.id = ANY(%(ids)s::uuid[])
ORDER BY s.id
FOR UPDATE OF s;

-- name: delete_schedule
-- Delete a schedule (its layers, overrides, state and history go with it).
DELETE FROM schedules WHERE id = %(id)s RETURNING id;

-- name: delete_layers
-- Remove every layer of a schedule (before writing the new list).
DELETE FROM schedule_layers WHERE schedule_id = %(id)s;

-- name: insert_layers
-- Write a schedule's layers, top first.
INSERT INTO schedule_layers (schedule_id, position, rotation_id)
SELECT %(id)s, ord - 1, rotation_id
FROM unnest(%(rotation_ids)s::uuid[]) WITH ORDINALITY AS l (rotation_id, ord);

-- name: existing_rotations
-- Which of the given rotation ids exist.
SELECT id FROM rotations WHERE id = ANY(%(ids)s::uuid[]);

-- name: schedules_by_id
-- Schedules with their layers (top first) and the overrides that have not ended by `since`.
SELECT s.id, s.name, s.description, s.time_zone, s.combine, s.created_at, s.updated_at,
       (SELECT coalesce(json_agg(json_build_array(l.id, l.position, l.rotation_id)
                                 ORDER BY l.position), '[]')
        FROM schedule_layers l WHERE l.schedule_id = s.id) AS layers,
       (SELECT coalesce(json_agg(json_build_array(o.id, o.start_at, o.end_at, o.user_id,
                                                  o.replaces_user_id) ORDER BY o.start_at), '[]')
        FROM schedule_overrides o
        WHERE o.schedule_id = s.id AND o.end_at > %(since)s) AS overrides
FROM schedules s
WHERE s.id = ANY(%(ids)s::uuid[]);

-- name: list_schedules
-- A page of schedule ids by name, optionally those whose name contains a pattern.
SELECT id, name FROM schedules
WHERE (%(pattern)s::text IS NULL OR name ILIKE %(pattern)s::text ESCAPE '\')
  AND (%(after_name)s::text IS NULL OR name > %(after_name)s::text)
ORDER BY name
LIMIT %(limit)s;

-- name: schedules_of_rotation
-- The schedules a rotation is a layer of.
SELECT schedule_id FROM schedule_layers WHERE rotation_id = %(rotation_id)s
ORDER BY schedule_id;

-- name: schedules_of_rotations
-- The schedules each of these rotations is a layer of (a rotation object's schedule_ids).
SELECT rotation_id, array_agg(schedule_id ORDER BY schedule_id) FROM schedule_layers
WHERE rotation_id = ANY (%(ids)s::uuid[])
GROUP BY rotation_id;

-- name: record_change
-- One history row per instant: a second change at an instant already recorded (a writer's
-- edit at the very instant of another) keeps the row's `from`, takes the new `to`, and keeps
-- the first cause that applies (schedules.md); the same row again changes nothing.
INSERT INTO schedule_history AS h (schedule_id, at, processed_at, cause, from_user_ids,
                                   to_user_ids, rotation_id, override_id)
VALUES (%(schedule_id)s, %(at)s, %(processed_at)s, %(cause)s, %(from_user_ids)s,
        %(to_user_ids)s, %(rotation_id)s, %(override_id)s)
ON CONFLICT (schedule_id, at) DO UPDATE
SET to_user_ids = excluded.to_user_ids,
    cause = CASE WHEN array_position(ARRAY['started', 'layers_changed', 'override_started',
                                           'override_ended', 'layer'], excluded.cause)
                      < array_position(ARRAY['started', 'layers_changed', 'override_started',
                                             'override_ended', 'layer'], h.cause)
                 THEN excluded.cause ELSE h.cause END,
    rotation_id = coalesce(h.rotation_id, excluded.rotation_id),
    override_id = coalesce(h.override_id, excluded.override_id);

-- name: save_states
-- Up to when each schedule's history is recorded, and when it next needs the engine, in one
-- statement for all the schedules of a run: a job waiting for an older run time is dropped, so
-- the dispatcher makes one for the new time. A job row someone holds is left: a rotation's
-- writer bringing it forward or a worker taking it, it runs now (a run records nothing twice),
-- and waiting for it while holding others' could deadlock with a writer holding two of them.
WITH saved AS (
    SELECT * FROM unnest(%(ids)s::uuid[], %(caught_up_at)s::timestamptz[],
                         %(next_run_at)s::timestamptz[]) AS v (id, caught_up_at, next_run_at)
),
dropped AS (
    DELETE FROM procrastinate_jobs
    WHERE id IN (SELECT id FROM procrastinate_jobs
                 WHERE queueing_lock IN (SELECT 'schedule:' || id::text FROM saved)
                   AND status = 'todo'
                 FOR UPDATE SKIP LOCKED)
)
INSERT INTO schedule_state (schedule_id, caught_up_at, next_run_at)
SELECT id, caught_up_at, next_run_at FROM saved
ON CONFLICT (schedule_id) DO UPDATE
SET caught_up_at = excluded.caught_up_at, next_run_at = excluded.next_run_at, job_id = NULL;

-- name: history
-- A page of a schedule's history, newest first.
SELECT id, at, processed_at, cause, from_user_ids, to_user_ids, rotation_id, override_id
FROM schedule_history
WHERE schedule_id = %(id)s AND (%(before_id)s::bigint IS NULL OR id < %(before_id)s::bigint)
ORDER BY id DESC
LIMIT %(limit)s;

-- name: insert_override
-- Create a schedule override.
INSERT INTO schedule_overrides (schedule_id, start_at, end_at, user_id, replaces_user_id, note,
                                created_at, updated_at)
VALUES (%(schedule_id)s, %(start)s, %(end)s, %(user_id)s, %(replaces_user_id)s, %(note)s,
        %(now)s, %(now)s)
RETURNING id, schedule_id, start_at AS start, end_at AS end, user_id, replaces_user_id, note,
          created_at, updated_at;

-- name: get_override
-- One override of a schedule.
SELECT id, schedule_id, start_at AS start, end_at AS end, user_id, replaces_user_id, note,
       created_at, updated_at
FROM schedule_overrides WHERE id = %(id)s AND schedule_id = %(schedule_id)s;

-- name: list_overrides
-- A schedule's overrides that have not ended by `since` and start before `until`, by start.
SELECT id, schedule_id, start_at AS start, end_at AS end, user_id, replaces_user_id, note,
       created_at, updated_at
FROM schedule_overrides
WHERE schedule_id = %(schedule_id)s AND end_at > %(since)s
  AND (%(until)s::timestamptz IS NULL OR start_at < %(until)s::timestamptz)
ORDER BY start_at, id
LIMIT %(limit)s;

-- name: overlapping
-- The first other override of the schedule that overlaps [start, end).
SELECT id, start_at, end_at FROM schedule_overrides
WHERE schedule_id = %(schedule_id)s AND start_at < %(end)s AND end_at > %(start)s
  AND id IS DISTINCT FROM %(exclude)s::uuid
ORDER BY start_at LIMIT 1;

-- name: update_override
-- Write a schedule override's fields.
UPDATE schedule_overrides
SET start_at = %(start)s, end_at = %(end)s, user_id = %(user_id)s,
    replaces_user_id = %(replaces_user_id)s, note = %(note)s, updated_at = %(now)s
WHERE id = %(id)s
RETURNING id, schedule_id, start_at AS start, end_at AS end, user_id, replaces_user_id, note,
          created_at, updated_at;

-- name: delete_override
-- Remove a schedule override that has not started.
DELETE FROM schedule_overrides WHERE id = %(id)s;

-- name: remove_layer
-- Remove a rotation's layer from a schedule.
DELETE FROM schedule_layers WHERE rotation_id = %(rotation_id)s AND schedule_id = %(id)s;

-- name: schedule_by_name
-- A schedule's id by its name, ignoring case.
SELECT id FROM schedules WHERE lower(name) = lower(%(name)s);

-- name: schedule_exists
-- Whether a schedule exists.
SELECT 1 FROM schedules WHERE id = %(id)s;

-- name: dispatch_due
-- Schedules due by the horizon become `update_schedules` jobs on the rotations queue, those due
-- at one instant sharing jobs as rotations do (engine.sql dispatch_due: up to batch_size each,
-- spread over at least `spread` jobs), so that a job's reads serve all its schedules; a job of
-- one schedule carries its queueing lock. Jobs are scheduled for their exact instant on the
-- queue's time base, at a lower priority than rotation jobs (a rotation's job never waits
-- behind its schedules'); rows a writer or a run holds are skipped. Returns each schedule's
-- job and wake-up in seconds (NULL: due now).
WITH clock AS MATERIALIZED (
    SELECT handoff_now() AS now, clock_timestamp() AS real
),
picked AS (
    SELECT schedule_id, next_run_at
    FROM schedule_state
    WHERE job_id IS NULL AND next_run_at IS NOT NULL
      AND next_run_at <= (SELECT now FROM clock) + %(lookahead)s::interval
    ORDER BY next_run_at
    LIMIT %(limit)s
    FOR UPDATE SKIP LOCKED
),
numbered AS (
    SELECT schedule_id, next_run_at,
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
        SELECT next_run_at, chunk, array_agg(schedule_id ORDER BY schedule_id) AS ids
        FROM numbered
        GROUP BY next_run_at, chunk
    ) grouped
),
jobs AS (
    INSERT INTO procrastinate_jobs
        (id, queue_name, task_name, priority, queueing_lock, args, scheduled_at)
    SELECT c.job_id, 'rotations', 'update_schedules', -1,
           CASE WHEN cardinality(c.ids) = 1 THEN 'schedule:' || c.ids[1] END,
           jsonb_build_object('schedule_ids', to_jsonb(c.ids)),
           CASE WHEN c.next_run_at > k.now THEN k.real + (c.next_run_at - k.now) END
    FROM chunks c CROSS JOIN clock k
    ON CONFLICT (queueing_lock) WHERE status = 'todo' DO NOTHING
    RETURNING id, scheduled_at
)
UPDATE schedule_state s
SET job_id = j.id
FROM numbered n
JOIN chunks c ON c.next_run_at = n.next_run_at AND c.chunk = n.chunk
JOIN jobs j ON j.id = c.job_id
WHERE s.schedule_id = n.schedule_id
RETURNING s.schedule_id, j.id,
          extract(epoch FROM j.scheduled_at - (SELECT real FROM clock))::float8 AS wake_in;

-- name: due_schedules
-- Schedules whose run time has come (the batch engine records them every cycle).
SELECT schedule_id FROM schedule_state
WHERE next_run_at <= handoff_now()
ORDER BY next_run_at
LIMIT %(limit)s;

-- name: layer_history
-- Who the rotations' history says was on call (the effective person after each row) from
-- `since` on: the last row at or before it, then every later row, in the order written. A
-- schedule reads its layers here before their state's shift_start (the projection's origin).
SELECT rotation_id, boundary_at, on_call_user_id, id FROM (
    SELECT DISTINCT ON (rotation_id) rotation_id, boundary_at, on_call_user_id, id
    FROM handoffs
    WHERE rotation_id = ANY(%(ids)s::uuid[]) AND boundary_at <= %(since)s
    ORDER BY rotation_id, boundary_at DESC, id DESC
) before_since
UNION ALL
SELECT rotation_id, boundary_at, on_call_user_id, id
FROM handoffs
WHERE rotation_id = ANY(%(ids)s::uuid[]) AND boundary_at > %(since)s
ORDER BY rotation_id, boundary_at, id;

-- name: enqueue_for_rotation
-- A writer changed a rotation: each schedule it is a layer of runs now (its waiting job is
-- brought forward, or a job is added), in the writer's transaction. Only queue rows are
-- written, never the schedule's own: the rotation's writer never waits for a schedule.
WITH layered AS (
    SELECT 'schedule:' || schedule_id::text AS lock, schedule_id
    FROM schedule_layers WHERE rotation_id = %(rotation_id)s
),
moved AS (
    UPDATE procrastinate_jobs SET scheduled_at = NULL
    WHERE status = 'todo' AND queueing_lock IN (SELECT lock FROM layered)
    RETURNING queueing_lock
)
INSERT INTO procrastinate_jobs (queue_name, task_name, priority, queueing_lock, args)
SELECT 'rotations', 'update_schedules', -1, l.lock,
       jsonb_build_object('schedule_ids', jsonb_build_array(l.schedule_id))
FROM layered l
WHERE l.lock NOT IN (SELECT queueing_lock FROM moved)
ON CONFLICT (queueing_lock) WHERE status = 'todo' DO NOTHING;

-- name: publish_change
-- The outbox message of a schedule's final change, one per subscribed channel, in the
-- transaction that records it: the schedule, the instant, from and to (people with their
-- names and emails as they are now; one deleted since is listed by id with no name), the
-- cause and `missed` (the changes a catch-up summary covers, 0 for one).
INSERT INTO notify_messages (channel_id, rotation_id, event_type, event_at, payload)
SELECT sub.channel_id, sc.id, 'schedule.oncall_changed', %(at)s,
       jsonb_build_object(
           'type', 'schedule.oncall_changed',
           'timestamp', %(processed_at)s::timestamptz,
           'data', jsonb_build_object(
               'schedule', jsonb_build_object('id', sc.id, 'name', sc.name,
                                              'time_zone', sc.time_zone),
               'at', %(at)s::timestamptz,
               'cause', %(cause)s::text,
               'from_users', (SELECT coalesce(jsonb_agg(jsonb_build_object(
                                  'id', f.id, 'name', u.name, 'email', u.email) ORDER BY f.k),
                                  '[]')
                              FROM unnest(%(from_user_ids)s::uuid[]) WITH ORDINALITY f (id, k)
                              LEFT JOIN users u ON u.id = f.id),
               'to_users', (SELECT coalesce(jsonb_agg(jsonb_build_object(
                                'id', t.id, 'name', u.name, 'email', u.email) ORDER BY t.k),
                                '[]')
                            FROM unnest(%(to_user_ids)s::uuid[]) WITH ORDINALITY t (id, k)
                            LEFT JOIN users u ON u.id = t.id),
               'rotation_id', %(rotation_id)s::uuid,
               'override_id', %(override_id)s::uuid,
               'missed', %(missed)s::int))
FROM schedules sc
JOIN notify_schedule_subscriptions sub ON sub.schedule_id = sc.id
WHERE sc.id = %(schedule_id)s;

-- name: insert_subscription
-- Subscribe a channel to a schedule.
INSERT INTO notify_schedule_subscriptions (schedule_id, channel_id)
VALUES (%(schedule_id)s, %(channel_id)s)
RETURNING id, schedule_id, channel_id, created_at;

-- name: list_subscriptions
-- The channels subscribed to a schedule.
SELECT id, schedule_id, channel_id, created_at FROM notify_schedule_subscriptions
WHERE schedule_id = %(schedule_id)s ORDER BY created_at, id;

-- name: delete_subscription
-- Unsubscribe (messages already written are still sent).
DELETE FROM notify_schedule_subscriptions WHERE id = %(id)s AND schedule_id = %(schedule_id)s
RETURNING id;

-- name: calendar_schedules
-- The schedules a calendar shows, by name: those with `rotation_id` as a layer, those in which
-- `user_id` may be on call (a participant of a layer's rotation, or put on call by one of the
-- schedule's overrides), those whose name has `pattern`; the first `limit` and how many matched.
SELECT s.id, count(*) OVER () AS matched FROM schedules s
WHERE (%(pattern)s::text IS NULL OR s.name ILIKE %(pattern)s::text ESCAPE '\')
  AND (%(rotation_id)s::uuid IS NULL
       OR EXISTS (SELECT 1 FROM schedule_layers l
                  WHERE l.schedule_id = s.id AND l.rotation_id = %(rotation_id)s::uuid))
  AND (%(user_id)s::uuid IS NULL
       OR EXISTS (SELECT 1 FROM schedule_layers l JOIN participants p USING (rotation_id)
                  WHERE l.schedule_id = s.id AND p.user_id = %(user_id)s::uuid)
       OR EXISTS (SELECT 1 FROM schedule_overrides o
                  WHERE o.schedule_id = s.id
                    AND o.user_id = %(user_id)s::uuid))
ORDER BY s.name
LIMIT %(limit)s;
