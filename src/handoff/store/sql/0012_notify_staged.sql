-- The on-call changes' outbox, staged: what the write transaction must write is only what
-- happened and to which channel, in a table with no index, no reference and no default to
-- maintain; the worker's notification sweep turns the staged rows into messages (with their
-- payload, order and delivery state in notify_messages) within about a second, off the write
-- path. Writing each message's notify_messages row inside the write (its six indexes, its
-- foreign key, two clock defaults and the payload) cost as much as the write itself in a storm
-- of subscribed rotations; the staged row costs a few percent. The guarantees stay those of
-- the outbox: the row is written in the same transaction as the change (a rolled-back change
-- stages nothing), by a trigger every writer goes through.

-- The engine's clock in PL/pgSQL, which keeps its plan for the session: as a SQL function
-- with a sub-select it could not be inlined and was planned again in every statement that
-- called it (about 20 microseconds a statement, on the write path's defaults and reads).
CREATE OR REPLACE FUNCTION handoff_now() RETURNS timestamptz
LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    RETURN coalesce(
        (SELECT coalesce(c.frozen_at, clock_timestamp() + c.offset_by) FROM handoff_clock c),
        clock_timestamp());
END
$$;

-- One row per subscribed channel and statement-summary of a rotation's on-call changes: the
-- fields of the message's event as they were at the change. Read and emptied as a whole by
-- the sweep (publish_staged), so it needs no index; rotation_id is not a reference, so a
-- message about a rotation deleted meanwhile is still sent, with the name it had.
CREATE TABLE notify_staged (
    channel_id uuid NOT NULL,
    rotation_id uuid NOT NULL,
    rotation_name text NOT NULL,
    rotation_time_zone text NOT NULL,
    boundary_at timestamptz NOT NULL,
    processed_at timestamptz NOT NULL,
    cause text NOT NULL,
    from_user_id uuid,
    from_user_name text,
    to_user_id uuid,
    to_user_name text,
    override_id uuid,
    change_id uuid,
    next_change_at timestamptz,
    missed integer NOT NULL
);

-- The trigger of 0009 (same rules: effective changes only, one summary per rotation and
-- statement from the first change's "from" to the last change's "to", `missed` the number of
-- changes it covers when more than one), staging instead of writing messages.
CREATE OR REPLACE FUNCTION handoff_notify_handoffs_inserted() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM notify_subscriptions) THEN
        RETURN NULL;
    END IF;
    WITH changes AS (
        SELECT n.*,
               row_number() OVER (PARTITION BY n.rotation_id ORDER BY n.boundary_at, n.id) AS k,
               count(*) OVER (PARTITION BY n.rotation_id) AS total
        FROM new_rows n
        WHERE n.effective
    )
    INSERT INTO notify_staged (channel_id, rotation_id, rotation_name, rotation_time_zone,
                               boundary_at, processed_at, cause, from_user_id, from_user_name,
                               to_user_id, to_user_name, override_id, change_id,
                               next_change_at, missed)
    SELECT s.channel_id, l.rotation_id, r.name, r.time_zone, l.boundary_at, l.processed_at,
           l.cause, f.from_user_id, f.from_user_name, l.to_user_id, l.to_user_name,
           l.override_id, l.change_id,
           (SELECT sc.next_run_at FROM rotation_schedule sc
            WHERE sc.rotation_id = l.rotation_id AND sc.next_run_at > l.boundary_at),
           CASE WHEN l.total > 1 THEN l.total ELSE 0 END
    FROM changes l
    JOIN changes f ON f.rotation_id = l.rotation_id AND f.k = 1
    JOIN rotations r ON r.id = l.rotation_id
    JOIN notify_subscriptions s ON s.rotation_id = l.rotation_id
    WHERE l.k = l.total;
    RETURN NULL;
END
$$;
