-- handoff's own schema. Rules live in the pure core (handoff.rotation); the database enforces
-- the invariants every writer must keep, and its triggers enqueue a rotation's update in the
-- same transaction as any change to it, whoever the writer is.

CREATE TABLE users (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    email text CHECK (email IS NULL OR length(email) BETWEEN 3 AND 320),
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE rotations (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    description text NOT NULL DEFAULT '' CHECK (length(description) <= 10000),
    type text NOT NULL CHECK (type IN ('hourly', 'daily', 'weekly', 'monthly')),
    shift_length integer NOT NULL DEFAULT 1 CHECK (shift_length BETWEEN 1 AND 9000),
    start_at timestamptz NOT NULL CHECK (start_at = date_trunc('minute', start_at)),
    -- validated by the application (zoneinfo); a bad zone written by hand makes this
    -- rotation's job fail and retry alone, which is what the engine must survive.
    time_zone text NOT NULL CHECK (length(time_zone) BETWEEN 1 AND 64),
    -- when type, shift_length, start_at or time_zone last changed: the engine restarts the
    -- current shift at this instant (engine.md, "editing ... sets shift_start = now").
    grid_changed_at timestamptz NOT NULL DEFAULT now(),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT rotations_name_key UNIQUE (name)
);

CREATE TABLE participants (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    rotation_id uuid NOT NULL REFERENCES rotations (id) ON DELETE CASCADE,
    user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    position integer NOT NULL CHECK (position >= 0),
    CONSTRAINT participants_position_key UNIQUE (rotation_id, position) DEFERRABLE INITIALLY DEFERRED
);
CREATE INDEX participants_user_idx ON participants (user_id);

-- Who is on call: exists exactly when the rotation has participants (engine.md). The active
-- participant is kept by id and by position without a foreign key, so that a participant
-- deleted by plain SQL leaves enough behind for the engine to apply the removal rule.
CREATE TABLE rotation_state (
    rotation_id uuid PRIMARY KEY REFERENCES rotations (id) ON DELETE CASCADE,
    position integer NOT NULL CHECK (position >= 0),
    participant_id uuid NOT NULL,
    shift_start timestamptz NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now()
);

-- The engine's schedule: one row per rotation that has ever needed the engine.
--   next_run_at: when the rotation next needs an update (its next handoff, or the moment of a
--                change); NULL while there is nothing to do.
--   job_id:      the queue job that currently owns the update; NULL when none does. The
--                dispatcher only looks at rows without a job, the missed-update sweep only at
--                overdue rows with one, each through its own partial index, so neither ever
--                reads the rows of rotations that are not due.
CREATE TABLE rotation_schedule (
    rotation_id uuid PRIMARY KEY REFERENCES rotations (id) ON DELETE CASCADE,
    next_run_at timestamptz,
    job_id bigint,
    dispatched_at timestamptz
);
CREATE INDEX rotation_schedule_due_idx ON rotation_schedule (next_run_at)
    WHERE job_id IS NULL AND next_run_at IS NOT NULL;
CREATE INDEX rotation_schedule_owned_idx ON rotation_schedule (next_run_at)
    WHERE job_id IS NOT NULL AND next_run_at IS NOT NULL;

-- History: every handoff. Survives participant and user deletion (names are copied).
CREATE TABLE handoffs (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    rotation_id uuid NOT NULL REFERENCES rotations (id) ON DELETE CASCADE,
    boundary_at timestamptz NOT NULL,
    processed_at timestamptz NOT NULL,
    cause text NOT NULL CHECK (cause IN
        ('boundary', 'started', 'manual', 'participant_removed', 'participants_replaced')),
    engine text NOT NULL CHECK (engine IN ('queue', 'batch', 'api')),
    from_participant_id uuid,
    to_participant_id uuid NOT NULL,
    from_user_id uuid,
    from_user_name text,
    to_user_id uuid NOT NULL,
    to_user_name text NOT NULL
);
-- Each boundary of a rotation is recorded once, whatever the number of engines and retries.
CREATE UNIQUE INDEX handoffs_boundary_once_idx ON handoffs (rotation_id, boundary_at)
    WHERE cause = 'boundary';
CREATE INDEX handoffs_rotation_time_idx ON handoffs (rotation_id, boundary_at DESC);
CREATE INDEX handoffs_processed_idx ON handoffs (processed_at);

CREATE TABLE api_tokens (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    name text NOT NULL UNIQUE CHECK (length(name) BETWEEN 1 AND 200),
    role text NOT NULL CHECK (role IN ('admin', 'reader')),
    token_hash bytea NOT NULL UNIQUE,
    created_at timestamptz NOT NULL DEFAULT now(),
    last_used_at timestamptz,
    revoked_at timestamptz
);

-- Singleton facts the engines publish for the status page and /readyz (last sweep, batch
-- engine holder, ...), keyed by name.
CREATE TABLE engine_status (
    key text PRIMARY KEY,
    value jsonb NOT NULL DEFAULT '{}',
    updated_at timestamptz NOT NULL DEFAULT now()
);

-- ---------------------------------------------------------------------------------------
-- Transactional enqueue.
--
-- handoff_enqueue_rotations(ids) makes sure each rotation has exactly one waiting job that
-- will see this transaction's change, and marks the rotation due now in the schedule:
--
-- - It first locks the rotations (in id order), as every state writer does. A job that is
--   processing one of them finishes first, and then this change gets a new job; a job that
--   has not locked it yet waits for this transaction and reads the change. Without the lock,
--   a job could read the rotation just before a plain-SQL change commits and then mark the
--   rotation up to date, losing the change until the next boundary.
-- - A rotation whose owning job is still waiting (its own job, or a dispatcher's batch) keeps
--   that job: it has not started, so it will read the change. A waiting retry (scheduled
--   later, after a failure) is brought forward so the change is applied now.
-- - Any other rotation gets a new single-rotation job. The dedup is Procrastinate's unique
--   partial index on queueing_lock WHERE status = 'todo', so it holds across transactions,
--   connections and writers (GoAlert's per-transaction dedup misfires on reused connections).
--
-- Rotations that no longer exist (deleted in this transaction) are skipped.
-- ---------------------------------------------------------------------------------------
CREATE FUNCTION handoff_enqueue_rotations(ids uuid[]) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    kept uuid[];
BEGIN
    PERFORM 1 FROM rotations WHERE id = ANY (ids) ORDER BY id FOR NO KEY UPDATE;

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
        UPDATE rotation_schedule s SET next_run_at = now()
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
    SELECT o.rotation_id, now(), o.job_id, now() FROM owners o
    ON CONFLICT (rotation_id) DO UPDATE
        SET next_run_at = now(), job_id = excluded.job_id, dispatched_at = now();
END
$$;

CREATE FUNCTION handoff_participants_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM handoff_enqueue_rotations(ARRAY(SELECT DISTINCT rotation_id FROM new_rows));
    ELSIF TG_OP = 'DELETE' THEN
        PERFORM handoff_enqueue_rotations(ARRAY(SELECT DISTINCT rotation_id FROM old_rows));
    ELSE
        PERFORM handoff_enqueue_rotations(ARRAY(
            SELECT rotation_id FROM new_rows UNION SELECT rotation_id FROM old_rows));
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER participants_inserted AFTER INSERT ON participants
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION handoff_participants_changed();
CREATE TRIGGER participants_updated AFTER UPDATE ON participants
    REFERENCING NEW TABLE AS new_rows OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION handoff_participants_changed();
CREATE TRIGGER participants_deleted AFTER DELETE ON participants
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION handoff_participants_changed();

-- A grid change stamps grid_changed_at (unless the writer set it, as the API does with its
-- own clock) and keeps updated_at current.
CREATE FUNCTION handoff_rotation_stamp() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF (NEW.type, NEW.shift_length, NEW.start_at, NEW.time_zone)
       IS DISTINCT FROM (OLD.type, OLD.shift_length, OLD.start_at, OLD.time_zone)
       AND NEW.grid_changed_at IS NOT DISTINCT FROM OLD.grid_changed_at THEN
        NEW.grid_changed_at := now();
    END IF;
    IF NEW.updated_at IS NOT DISTINCT FROM OLD.updated_at THEN
        NEW.updated_at := now();
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER rotations_stamp BEFORE UPDATE ON rotations
    FOR EACH ROW EXECUTE FUNCTION handoff_rotation_stamp();

CREATE FUNCTION handoff_rotations_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM handoff_enqueue_rotations(ARRAY(
        SELECT n.id FROM new_rows n JOIN old_rows o ON o.id = n.id
        WHERE (n.type, n.shift_length, n.start_at, n.time_zone, n.grid_changed_at)
              IS DISTINCT FROM (o.type, o.shift_length, o.start_at, o.time_zone, o.grid_changed_at)));
    RETURN NULL;
END
$$;
CREATE TRIGGER rotations_updated AFTER UPDATE ON rotations
    REFERENCING NEW TABLE AS new_rows OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION handoff_rotations_changed();

-- A deleted rotation's waiting job has nothing left to do.
CREATE FUNCTION handoff_rotations_deleted() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM procrastinate_jobs j
    USING old_rows o
    WHERE j.queueing_lock = 'rotation:' || o.id AND j.status = 'todo';
    RETURN NULL;
END
$$;
CREATE TRIGGER rotations_deleted AFTER DELETE ON rotations
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION handoff_rotations_deleted();
