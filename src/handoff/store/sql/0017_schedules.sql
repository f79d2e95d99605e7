-- Schedules (schedules.md): rotations stacked as ordered layers into one final on-call answer,
-- the schedule's own overrides, and its history of final changes.
CREATE TABLE schedules (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    name text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 200),
    description text NOT NULL DEFAULT '' CHECK (char_length(description) <= 2000),
    time_zone text NOT NULL,
    combine text NOT NULL CHECK (combine IN ('priority', 'union')),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX schedules_name_idx ON schedules (lower(name));

-- Position 0 is the top. Deleting a rotation removes its layers (the store records the
-- schedule's `layers_changed` first, in the same transaction).
CREATE TABLE schedule_layers (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    schedule_id uuid NOT NULL REFERENCES schedules (id) ON DELETE CASCADE,
    position integer NOT NULL CHECK (position BETWEEN 0 AND 19),
    rotation_id uuid NOT NULL REFERENCES rotations (id) ON DELETE CASCADE,
    UNIQUE (schedule_id, position),
    UNIQUE (schedule_id, rotation_id)
);
CREATE INDEX schedule_layers_rotation_idx ON schedule_layers (rotation_id);

CREATE TABLE schedule_overrides (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    schedule_id uuid NOT NULL REFERENCES schedules (id) ON DELETE CASCADE,
    start_at timestamptz NOT NULL,
    end_at timestamptz NOT NULL,
    user_id uuid REFERENCES users (id) ON DELETE CASCADE,
    replaces_user_id uuid REFERENCES users (id) ON DELETE CASCADE,
    note text NOT NULL DEFAULT '' CHECK (char_length(note) <= 500),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CHECK (start_at < end_at)
);
CREATE INDEX schedule_overrides_schedule_idx ON schedule_overrides (schedule_id, end_at);

-- One row per instant at which the final result changed, recorded once whatever the number
-- of writers and engines (the unique index). The people, rotation and override it names are
-- kept as values: the history survives their deletion.
CREATE TABLE schedule_history (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    schedule_id uuid NOT NULL REFERENCES schedules (id) ON DELETE CASCADE,
    at timestamptz NOT NULL,
    processed_at timestamptz NOT NULL,
    cause text NOT NULL CHECK (cause IN
        ('started', 'layers_changed', 'override_started', 'override_ended', 'layer')),
    from_user_ids uuid[] NOT NULL,
    to_user_ids uuid[] NOT NULL,
    rotation_id uuid,
    override_id uuid,
    UNIQUE (schedule_id, at)
);

-- Up to when the schedule's history is recorded, when it next needs recording, and the
-- queue job that will (set by the dispatcher, cleared by the run that records it).
CREATE TABLE schedule_state (
    schedule_id uuid PRIMARY KEY REFERENCES schedules (id) ON DELETE CASCADE,
    caught_up_at timestamptz NOT NULL,
    next_run_at timestamptz,
    job_id bigint
);
CREATE INDEX schedule_state_due_idx ON schedule_state (next_run_at)
    WHERE next_run_at IS NOT NULL AND job_id IS NULL;

-- Channels subscribe to schedules as to rotations (schedules.md, notify.md): a schedule's
-- final change is written to the outbox in the transaction that records it, on the line
-- (channel, schedule) that notify_messages.rotation_id keys.
CREATE TABLE notify_schedule_subscriptions (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    schedule_id uuid NOT NULL REFERENCES schedules (id) ON DELETE CASCADE,
    channel_id uuid NOT NULL REFERENCES notify_channels (id) ON DELETE CASCADE,
    created_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT notify_schedule_subscriptions_once UNIQUE (schedule_id, channel_id)
);
CREATE INDEX notify_schedule_subscriptions_channel_idx
    ON notify_schedule_subscriptions (channel_id);
ALTER TABLE notify_messages
    DROP CONSTRAINT notify_messages_event_type_check,
    ADD CONSTRAINT notify_messages_event_type_check CHECK (event_type IN
        ('rotation.oncall_changed', 'shift.reminder', 'channel.test',
         'schedule.oncall_changed'));
