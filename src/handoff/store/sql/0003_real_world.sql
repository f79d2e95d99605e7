-- engine.md, "Real-world conditions": one clock, one lock order, the cool-down counted from
-- the failure, and the queue library's schema version kept with ours.

-- ---------------------------------------------------------------------------------------
-- One clock. The database server's clock is the engine's only clock: every decision (is a
-- boundary crossed, is a rotation due or overdue, processed_at, lag) reads handoff_now(),
-- in the same round trip as the lock it decides under, never an app host's clock.
--
-- The row below is the one seam through which tests (frozen_at: time stands still there)
-- and `handoff chaos` (offset_by: the database's time moved, as after a long downtime) move
-- time; production never writes it, and without it handoff_now() is clock_timestamp(). The
-- queue library compares its own scheduled_at with the server's real now(), so a job for a
-- handoff instant is scheduled at real time + (instant - handoff_now()) (the dispatcher).
-- ---------------------------------------------------------------------------------------
CREATE TABLE handoff_clock (
    singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    frozen_at timestamptz,
    offset_by interval NOT NULL DEFAULT '0'
);

CREATE FUNCTION handoff_now() RETURNS timestamptz
LANGUAGE sql VOLATILE AS $$
    SELECT coalesce(
        (SELECT coalesce(c.frozen_at, clock_timestamp() + c.offset_by) FROM handoff_clock c),
        clock_timestamp())
$$;

-- ---------------------------------------------------------------------------------------
-- The last failure of a rotation's update: the cool-down after a job exhausts its retries
-- is counted from failed_at (the engine's clock), and the engine page shows last_error.
-- A successful write clears both.
-- ---------------------------------------------------------------------------------------
ALTER TABLE rotation_schedule
    ADD COLUMN failed_at timestamptz,
    ADD COLUMN last_error text;

-- When the write path last brought the rotation up to date (the engine's clock): override
-- edges up to it are recorded, later ones are not yet (oncall.md).
ALTER TABLE rotation_schedule ADD COLUMN caught_up_at timestamptz;

-- Finished queue rows are deleted by the sweep after an age (retention); their age is the
-- time of their last event, found through this index without reading live jobs' events.
CREATE INDEX handoff_events_finished_idx ON procrastinate_events (at)
    WHERE type IN ('succeeded', 'failed', 'cancelled', 'aborted');

-- Which Procrastinate schema this database holds (engine.md: the queue library's version is
-- part of the schema). A fresh database's 0001 recorded it already; one made before the
-- record existed was made at 3.10.0. Later pins apply Procrastinate's own migration files
-- through handoff.store.queue_schema.
CREATE TABLE IF NOT EXISTS handoff_queue_schema (
    singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    version text NOT NULL
);
INSERT INTO handoff_queue_schema (version) VALUES ('3.10.0') ON CONFLICT DO NOTHING;

-- ---------------------------------------------------------------------------------------
-- One lock order (README, "How the engine treats clocks, locks and retries"): every writer
-- locks a rotation's row, then its state row, then its schedule row, then queue rows. The
-- dispatcher takes schedule rows (skipping locked ones) and then queue rows; nobody takes a
-- queue row and then a schedule row, so no two writers can wait on each other in a cycle.
--
-- handoff_enqueue_rotations(ids): the path of plain SQL writers (the triggers) and of the
-- sweep's repairs. It makes sure each rotation has exactly one waiting job that will see
-- this transaction's change, and marks the rotation due now:
-- - A rotation whose owning job is still waiting keeps that job (it has not started, so it
--   will read the change); a waiting retry is brought forward.
-- - Any other rotation gets a new single-rotation job. The dedup is Procrastinate's unique
--   partial index on queueing_lock WHERE status = 'todo', so it holds across transactions,
--   connections and writers (GoAlert's per-transaction dedup misfires on reused connections).
-- Because the schedule row is locked before any queue row is touched, the dispatcher (which
-- holds a schedule row while it inserts that rotation's job) and this function serialise on
-- the schedule row: no deadlock, and the schedule always names the job that waits.
-- Rotations that no longer exist (deleted in this transaction) are skipped.
-- ---------------------------------------------------------------------------------------
CREATE OR REPLACE FUNCTION handoff_enqueue_rotations(ids uuid[]) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    kept uuid[];
    at timestamptz;
BEGIN
    PERFORM 1 FROM rotations WHERE id = ANY (ids) ORDER BY id FOR NO KEY UPDATE;
    PERFORM 1 FROM rotation_schedule WHERE rotation_id = ANY (ids)
        ORDER BY rotation_id FOR UPDATE;
    at := handoff_now();

    WITH waiting AS (
        SELECT s.rotation_id, j.id AS job_id
        FROM rotation_schedule s
        JOIN procrastinate_jobs j ON j.id = s.job_id AND j.status = 'todo'
        WHERE s.rotation_id = ANY (ids)
    ),
    due_now AS (
        UPDATE procrastinate_jobs j SET scheduled_at = NULL
        FROM waiting w
        WHERE j.id = w.job_id AND j.status = 'todo' AND j.attempts > 0
          AND j.scheduled_at > now()
    ),
    marked AS (
        UPDATE rotation_schedule s SET next_run_at = at
        FROM waiting w
        WHERE s.rotation_id = w.rotation_id
        RETURNING s.rotation_id
    )
    SELECT coalesce(array_agg(rotation_id), '{}') INTO kept FROM marked;

    WITH wanted AS (
        SELECT r.id FROM rotations r WHERE r.id = ANY (ids) AND r.id <> ALL (kept)
    ),
    inserted AS (
        INSERT INTO procrastinate_jobs (queue_name, task_name, priority, queueing_lock, args)
        SELECT 'rotations', 'update_rotations', 0, 'rotation:' || w.id,
               jsonb_build_object('rotation_ids', jsonb_build_array(w.id))
        FROM wanted w
        ORDER BY w.id
        ON CONFLICT (queueing_lock) WHERE status = 'todo' DO NOTHING
        RETURNING id AS job_id, queueing_lock
    ),
    owners AS (
        SELECT w.id AS rotation_id,
               coalesce(i.job_id, (SELECT j.id FROM procrastinate_jobs j
                                   WHERE j.queueing_lock = 'rotation:' || w.id
                                     AND j.status = 'todo')) AS job_id
        FROM wanted w
        LEFT JOIN inserted i ON i.queueing_lock = 'rotation:' || w.id
    )
    INSERT INTO rotation_schedule (rotation_id, next_run_at, job_id, dispatched_at)
    SELECT o.rotation_id, at, o.job_id, at FROM owners o
    ON CONFLICT (rotation_id) DO UPDATE
        SET next_run_at = at, job_id = excluded.job_id, dispatched_at = at;
END
$$;

-- The rotation a transaction is writing through the write path (handoff.store.state.write),
-- which locks, catches up, applies the edit and schedules the rotation itself: the triggers
-- leave that rotation alone, so the engine's own writes never re-enqueue it. Any other
-- rotation changed by plain SQL in the same transaction is still enqueued.
CREATE FUNCTION handoff_written_rotation() RETURNS uuid
LANGUAGE sql STABLE AS $$
    SELECT nullif(current_setting('handoff.writing', true), '')::uuid
$$;

CREATE OR REPLACE FUNCTION handoff_participants_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    changed uuid[];
BEGIN
    IF TG_OP = 'INSERT' THEN
        changed := ARRAY(SELECT DISTINCT rotation_id FROM new_rows);
    ELSIF TG_OP = 'DELETE' THEN
        changed := ARRAY(SELECT DISTINCT rotation_id FROM old_rows);
    ELSE
        changed := ARRAY(SELECT rotation_id FROM new_rows UNION SELECT rotation_id FROM old_rows);
    END IF;
    changed := array_remove(changed, handoff_written_rotation());
    IF cardinality(changed) > 0 THEN
        PERFORM handoff_enqueue_rotations(changed);
    END IF;
    RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION handoff_rotation_stamp() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF (NEW.type, NEW.shift_length, NEW.start_at, NEW.time_zone)
       IS DISTINCT FROM (OLD.type, OLD.shift_length, OLD.start_at, OLD.time_zone)
       AND NEW.grid_changed_at IS NOT DISTINCT FROM OLD.grid_changed_at THEN
        NEW.grid_changed_at := handoff_now();
    END IF;
    IF NEW.updated_at IS NOT DISTINCT FROM OLD.updated_at THEN
        NEW.updated_at := now();
    END IF;
    RETURN NEW;
END
$$;

CREATE OR REPLACE FUNCTION handoff_rotations_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    changed uuid[];
BEGIN
    changed := array_remove(ARRAY(
        SELECT n.id FROM new_rows n JOIN old_rows o ON o.id = n.id
        WHERE (n.type, n.shift_length, n.start_at, n.time_zone, n.grid_changed_at)
              IS DISTINCT FROM (o.type, o.shift_length, o.start_at, o.time_zone, o.grid_changed_at)),
        handoff_written_rotation());
    IF cardinality(changed) > 0 THEN
        PERFORM handoff_enqueue_rotations(changed);
    END IF;
    RETURN NULL;
END
$$;

-- A plain-SQL rotation stamps its creation and grid time on the engine's clock too.
ALTER TABLE rotations ALTER COLUMN grid_changed_at SET DEFAULT handoff_now();
