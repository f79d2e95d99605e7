-- ---------------------------------------------------------------------------------------
-- Notifications (notify.md).
--
-- Channels are where messages go; subscriptions tie a rotation to a channel, reminders a user
-- to a channel. Every message is first a row of the outbox (notify_messages), written in the
-- same transaction as what causes it: a trigger on handoffs writes one row per subscribed
-- channel for each rotation whose effective on-call person changed in that statement, so no
-- writer (the engines, the API, plain SQL) can forget it and a rolled-back change sends
-- nothing. Delivery jobs run on the queue "notifications", never on "rotations"; the worker's
-- sweep enqueues them for what is due.
-- ---------------------------------------------------------------------------------------
CREATE TABLE notify_channels (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    name text NOT NULL UNIQUE CHECK (length(name) BETWEEN 1 AND 200),
    kind text NOT NULL CHECK (kind IN ('webhook', 'slack', 'email')),
    target text NOT NULL CHECK (length(target) BETWEEN 1 AND 2000),
    -- The webhook's signing key (the bytes a `whsec_` secret encodes): only what signing needs.
    secret bytea,
    created_at timestamptz NOT NULL DEFAULT now(),
    disabled_at timestamptz,
    last_error text,
    -- Since when every attempt to this channel failed (NULL after any success): the channel is
    -- disabled when this streak reaches the failure limit.
    failing_since timestamptz,
    CONSTRAINT notify_channels_secret_for_webhooks CHECK ((kind = 'webhook') = (secret IS NOT NULL))
);

CREATE TABLE notify_subscriptions (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    rotation_id uuid NOT NULL REFERENCES rotations (id) ON DELETE CASCADE,
    channel_id uuid NOT NULL REFERENCES notify_channels (id) ON DELETE CASCADE,
    created_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT notify_subscriptions_once UNIQUE (rotation_id, channel_id)
);
CREATE INDEX notify_subscriptions_channel_idx ON notify_subscriptions (channel_id);

CREATE TABLE notify_reminders (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    channel_id uuid NOT NULL REFERENCES notify_channels (id) ON DELETE CASCADE,
    before_minutes integer NOT NULL CHECK (before_minutes BETWEEN 0 AND 10080),
    created_at timestamptz NOT NULL DEFAULT now(),
    -- When the worker next looks at this user's coming shifts for this reminder: the earliest
    -- reminder time it found, at most a day ahead; '-infinity' (now) when something that may
    -- move the user's shifts changed (the triggers below), or when it is new.
    next_check_at timestamptz NOT NULL DEFAULT '-infinity',
    CONSTRAINT notify_reminders_once UNIQUE (user_id, channel_id, before_minutes)
);
CREATE INDEX notify_reminders_channel_idx ON notify_reminders (channel_id);
CREATE INDEX notify_reminders_user_idx ON notify_reminders (user_id);
-- The worker reads only what is due: an idle engine's cost does not grow with reminders.
CREATE INDEX notify_reminders_due_idx ON notify_reminders (next_check_at);

-- The outbox. `id` is the message id (`webhook-id` is 'msg_' || id), the same for every
-- attempt; `payload` is the event exactly as sent, fixed when the row is written; `seq`
-- orders the messages of one (channel, rotation). rotation_id is not a reference: a message
-- about a rotation deleted since is still sent.
CREATE TABLE notify_messages (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    seq bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
    channel_id uuid NOT NULL REFERENCES notify_channels (id) ON DELETE CASCADE,
    rotation_id uuid,
    event_type text NOT NULL
        CHECK (event_type IN ('rotation.oncall_changed', 'shift.reminder', 'channel.test')),
    event_at timestamptz NOT NULL,
    payload jsonb NOT NULL,
    -- A reminder is sent once per (reminder, rotation, shift start, override).
    dedup_key text UNIQUE,
    status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'failed')),
    attempts integer NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT handoff_now(),
    created_at timestamptz NOT NULL DEFAULT handoff_now(),
    delivered_at timestamptz,
    last_error text
);
-- The head of each (channel, rotation) line, and what is due: both only over pending rows,
-- so an idle outbox costs nothing however many messages it once sent.
CREATE INDEX notify_messages_line_idx ON notify_messages (channel_id, rotation_id, seq)
    WHERE status = 'pending';
CREATE INDEX notify_messages_due_idx ON notify_messages (next_attempt_at)
    WHERE status = 'pending';
CREATE INDEX notify_messages_listing_idx ON notify_messages (seq DESC);

CREATE TABLE notify_attempts (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    message_id uuid NOT NULL REFERENCES notify_messages (id) ON DELETE CASCADE,
    at timestamptz NOT NULL,
    outcome text NOT NULL CHECK (outcome IN ('delivered', 'retry', 'failed')),
    status_code integer,
    error text
);
CREATE INDEX notify_attempts_message_idx ON notify_attempts (message_id, id);

-- A delivery job for a channel with messages due, starting with the given line (a job sends
-- its line, then any other due line no job holds: see handoff.notify.deliver). The worker's
-- sweep enqueues them every second; the write path enqueues nothing, so a storm of on-call
-- changes costs an outbox row per change and no queue job. The queueing lock keeps one
-- waiting job per channel.
CREATE FUNCTION handoff_notify_enqueue(pairs jsonb) RETURNS void
LANGUAGE sql AS $$
    INSERT INTO procrastinate_jobs (queue_name, task_name, priority, queueing_lock, args)
    SELECT DISTINCT ON (p ->> 'channel_id') 'notifications', 'deliver_notifications', 0,
           'notify:' || (p ->> 'channel_id'),
           jsonb_build_object('channel_id', p -> 'channel_id', 'rotation_id', p -> 'rotation_id')
    FROM jsonb_array_elements(pairs) AS p
    ORDER BY p ->> 'channel_id'
    ON CONFLICT (queueing_lock) WHERE status = 'todo' DO NOTHING
$$;

-- One message per subscribed channel for each rotation whose effective person changed in
-- this statement. Rows with effective = false (a boundary inside an override, a one-person
-- rotation's boundary) send nothing. A statement that records several changes of one rotation
-- (the catch-up after a downtime) sends one summary about who is on call now: from the
-- first change's "from" to the last change's "to", with `missed` = the number of changes it
-- covers (0 for a single change). `next_change_at` is when the rotation is next due to be
-- looked at (its next handoff, override edge or scheduled change).
CREATE FUNCTION handoff_notify_handoffs_inserted() RETURNS trigger
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
          AND EXISTS (SELECT 1 FROM notify_subscriptions s WHERE s.rotation_id = n.rotation_id)
    ),
    events AS (
        SELECT l.rotation_id, l.boundary_at, jsonb_build_object(
            'type', 'rotation.oncall_changed',
            'timestamp', l.processed_at,
            'data', jsonb_build_object(
                'rotation', jsonb_build_object('id', r.id, 'name', r.name,
                                               'time_zone', r.time_zone),
                'at', l.boundary_at,
                'cause', l.cause,
                'from_user', CASE WHEN f.from_user_id IS NULL THEN NULL ELSE jsonb_build_object(
                    'id', f.from_user_id, 'name', f.from_user_name,
                    'email', (SELECT u.email FROM users u WHERE u.id = f.from_user_id)) END,
                'to_user', CASE WHEN l.to_user_id IS NULL THEN NULL ELSE jsonb_build_object(
                    'id', l.to_user_id, 'name', l.to_user_name,
                    'email', (SELECT u.email FROM users u WHERE u.id = l.to_user_id)) END,
                'override_id', l.override_id,
                'change_id', l.change_id,
                'next_change_at', (SELECT sc.next_run_at FROM rotation_schedule sc
                                   WHERE sc.rotation_id = l.rotation_id
                                     AND sc.next_run_at > l.boundary_at),
                'missed', CASE WHEN l.total > 1 THEN l.total ELSE 0 END)) AS payload
        FROM changes l
        JOIN changes f ON f.rotation_id = l.rotation_id AND f.k = 1
        JOIN rotations r ON r.id = l.rotation_id
        WHERE l.k = l.total
    )
    INSERT INTO notify_messages (channel_id, rotation_id, event_type, event_at, payload)
    SELECT s.channel_id, e.rotation_id, 'rotation.oncall_changed', e.boundary_at, e.payload
    FROM events e JOIN notify_subscriptions s ON s.rotation_id = e.rotation_id
    ORDER BY e.boundary_at, e.rotation_id, s.channel_id;
    RETURN NULL;
END
$$;
CREATE TRIGGER handoffs_notify AFTER INSERT ON handoffs
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION handoff_notify_handoffs_inserted();

-- ---------------------------------------------------------------------------------------
-- Reminders are decided from the projection when due; anything that may move a user's
-- coming shifts makes their reminders due now, so a shift that appears at short notice is
-- reminded at once and one that moved is looked at again (a shift that disappeared is simply
-- not found when its reminder time comes).
-- ---------------------------------------------------------------------------------------
CREATE FUNCTION handoff_notify_recheck(rotation_ids uuid[], user_ids uuid[]) RETURNS void
LANGUAGE sql AS $$
    UPDATE notify_reminders r SET next_check_at = '-infinity'
    WHERE r.next_check_at > '-infinity'
      AND (r.user_id = ANY (user_ids)
           OR r.user_id IN (
               SELECT p.user_id FROM participants p WHERE p.rotation_id = ANY (rotation_ids)
               UNION
               SELECT o.user_id FROM overrides o
               WHERE o.rotation_id = ANY (rotation_ids) AND o.user_id IS NOT NULL
               UNION
               SELECT unnest(c.participants) FROM scheduled_changes c
               WHERE c.rotation_id = ANY (rotation_ids) AND c.applied_at IS NULL))
$$;

CREATE FUNCTION handoff_notify_shifts_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    rotation_ids uuid[];
    user_ids uuid[] := '{}';
BEGIN
    IF NOT EXISTS (SELECT 1 FROM notify_reminders) THEN
        RETURN NULL;
    END IF;
    IF TG_TABLE_NAME = 'rotations' THEN
        rotation_ids := ARRAY(SELECT id FROM new_rows);
    ELSIF TG_TABLE_NAME = 'handoffs' THEN
        -- A hand edit of who is on call moves the coming shifts; the engine's own rows
        -- (boundaries, override edges, scheduled changes) follow the projection.
        rotation_ids := ARRAY(SELECT DISTINCT rotation_id FROM new_rows
                              WHERE cause NOT IN ('boundary', 'override_started',
                                                  'override_ended', 'scheduled_change'));
    ELSIF TG_OP = 'INSERT' THEN
        rotation_ids := ARRAY(SELECT DISTINCT rotation_id FROM new_rows);
    ELSE
        rotation_ids := ARRAY(SELECT DISTINCT rotation_id FROM old_rows);
        IF TG_OP = 'UPDATE' THEN
            rotation_ids := rotation_ids || ARRAY(SELECT DISTINCT rotation_id FROM new_rows);
        END IF;
    END IF;
    IF TG_TABLE_NAME = 'overrides' AND TG_OP <> 'INSERT' THEN
        user_ids := ARRAY(SELECT user_id FROM old_rows WHERE user_id IS NOT NULL
                          UNION SELECT replaces_user_id FROM old_rows
                          WHERE replaces_user_id IS NOT NULL);
    END IF;
    IF TG_TABLE_NAME = 'participants' AND TG_OP <> 'INSERT' THEN
        user_ids := ARRAY(SELECT user_id FROM old_rows);
    END IF;
    IF cardinality(rotation_ids) > 0 OR cardinality(user_ids) > 0 THEN
        PERFORM handoff_notify_recheck(rotation_ids, user_ids);
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER handoffs_notify_recheck AFTER INSERT ON handoffs
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION handoff_notify_shifts_changed();
CREATE TRIGGER rotations_notify_recheck AFTER UPDATE ON rotations
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION handoff_notify_shifts_changed();
CREATE TRIGGER participants_notify_recheck_insert AFTER INSERT ON participants
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION handoff_notify_shifts_changed();
CREATE TRIGGER participants_notify_recheck_update AFTER UPDATE ON participants
    REFERENCING NEW TABLE AS new_rows OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION handoff_notify_shifts_changed();
CREATE TRIGGER participants_notify_recheck_delete AFTER DELETE ON participants
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION handoff_notify_shifts_changed();
CREATE TRIGGER overrides_notify_recheck_insert AFTER INSERT ON overrides
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION handoff_notify_shifts_changed();
CREATE TRIGGER overrides_notify_recheck_update AFTER UPDATE ON overrides
    REFERENCING NEW TABLE AS new_rows OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION handoff_notify_shifts_changed();
CREATE TRIGGER overrides_notify_recheck_delete AFTER DELETE ON overrides
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION handoff_notify_shifts_changed();
CREATE TRIGGER scheduled_changes_notify_recheck_insert AFTER INSERT ON scheduled_changes
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION handoff_notify_shifts_changed();
CREATE TRIGGER scheduled_changes_notify_recheck_update AFTER UPDATE ON scheduled_changes
    REFERENCING NEW TABLE AS new_rows OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION handoff_notify_shifts_changed();
CREATE TRIGGER scheduled_changes_notify_recheck_delete AFTER DELETE ON scheduled_changes
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION handoff_notify_shifts_changed();
