-- Overrides, scheduled changes, and the on-call timeline (oncall.md).
--
-- The rules (no overlap, end in the future, what may be edited when) are the application's,
-- checked under the rotation's row lock; the database keeps what must hold whoever writes:
-- minute-truncated times, start < end, one change per rotation and instant, each timeline
-- entry recorded once, and no reference to a user or rotation that is gone.

-- An override decides who is on call during [start_at, end_at). user_id NULL: nobody;
-- replaces_user_id set: only while the rotation's own on-call person is that user.
-- Deleting a user: the application first records the end of an override in force
-- (cause user_deleted) and deletes the ones naming them; the foreign keys' cascade removes
-- whatever a plain-SQL delete leaves (ended overrides are history: their timeline rows keep
-- the ids and names).
CREATE TABLE overrides (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    rotation_id uuid NOT NULL REFERENCES rotations (id) ON DELETE CASCADE,
    start_at timestamptz NOT NULL CHECK (start_at = date_trunc('minute', start_at)),
    end_at timestamptz NOT NULL CHECK (end_at = date_trunc('minute', end_at)),
    user_id uuid REFERENCES users (id) ON DELETE CASCADE,
    replaces_user_id uuid REFERENCES users (id) ON DELETE CASCADE,
    note text NOT NULL DEFAULT '' CHECK (length(note) <= 500),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT overrides_start_before_end CHECK (start_at < end_at)
);
CREATE INDEX overrides_rotation_time_idx ON overrides (rotation_id, end_at, start_at);
CREATE INDEX overrides_user_idx ON overrides (user_id) WHERE user_id IS NOT NULL;
CREATE INDEX overrides_replaces_idx ON overrides (replaces_user_id)
    WHERE replaces_user_id IS NOT NULL;

-- A scheduled change: the fields of a PATCH, applied by the engine at effective_at. A NULL
-- field is not part of the change; participants is an ordered list of user ids (an empty list
-- removes everyone). A user deleted before effective_at is dropped from pending lists by the
-- application; the engine validates again when it applies the change, so a list written
-- around the application still cannot block the rotation (what it skips goes to `skipped`).
CREATE TABLE scheduled_changes (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    rotation_id uuid NOT NULL REFERENCES rotations (id) ON DELETE CASCADE,
    effective_at timestamptz NOT NULL
        CHECK (effective_at = date_trunc('minute', effective_at)),
    type text CHECK (type IN ('hourly', 'daily', 'weekly', 'monthly')),
    shift_length integer CHECK (shift_length BETWEEN 1 AND 9000),
    start_at timestamptz CHECK (start_at = date_trunc('minute', start_at)),
    time_zone text CHECK (length(time_zone) BETWEEN 1 AND 64),
    participants uuid[] CHECK (array_position(participants, NULL) IS NULL),
    active_index integer CHECK (active_index >= 0),
    note text NOT NULL DEFAULT '' CHECK (length(note) <= 500),
    applied_at timestamptz,
    skipped text,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT scheduled_changes_some_field CHECK (
        num_nonnulls(type, shift_length, start_at, time_zone, participants, active_index) > 0),
    CONSTRAINT scheduled_changes_instant_key UNIQUE (rotation_id, effective_at)
);
CREATE INDEX scheduled_changes_pending_idx ON scheduled_changes (rotation_id, effective_at)
    WHERE applied_at IS NULL;

-- The timeline: every on-call change, with what caused it. Nobody on call is a NULL "to".
ALTER TABLE handoffs
    ADD COLUMN effective boolean NOT NULL DEFAULT true,
    ADD COLUMN override_id uuid,
    ADD COLUMN change_id uuid,
    ALTER COLUMN to_participant_id DROP NOT NULL,
    ALTER COLUMN to_user_id DROP NOT NULL,
    ALTER COLUMN to_user_name DROP NOT NULL,
    DROP CONSTRAINT handoffs_cause_check,
    ADD CONSTRAINT handoffs_cause_check CHECK (cause IN
        ('boundary', 'started', 'manual', 'participant_removed', 'participants_replaced',
         'imported', 'scheduled_change', 'override_started', 'override_ended', 'user_deleted')),
    ADD CONSTRAINT handoffs_cause_names_its_source CHECK (
        (cause <> 'scheduled_change' OR change_id IS NOT NULL)
        AND (cause NOT IN ('override_started', 'override_ended') OR override_id IS NOT NULL));
-- Each (rotation, instant, cause, override or change) is recorded once, whatever the number
-- of engines and retries (boundaries keep handoffs_boundary_once_idx).
CREATE UNIQUE INDEX handoffs_change_once_idx
    ON handoffs (rotation_id, boundary_at, cause, override_id, change_id) NULLS NOT DISTINCT
    WHERE override_id IS NOT NULL OR change_id IS NOT NULL;

-- A change to an override or a scheduled change enqueues its rotation in the same
-- transaction, as participants do. Updates that touch only bookkeeping (note, applied_at,
-- skipped, updated_at) do not: the engine's own write of applied_at must not re-enqueue.
CREATE FUNCTION handoff_oncall_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM handoff_enqueue_rotations(ARRAY(SELECT DISTINCT rotation_id FROM new_rows));
    ELSIF TG_OP = 'DELETE' THEN
        PERFORM handoff_enqueue_rotations(ARRAY(SELECT DISTINCT rotation_id FROM old_rows));
    ELSIF TG_TABLE_NAME = 'overrides' THEN
        PERFORM handoff_enqueue_rotations(ARRAY(
            SELECT n.rotation_id FROM new_rows n JOIN old_rows o USING (id)
            WHERE (n.rotation_id, n.start_at, n.end_at, n.user_id, n.replaces_user_id)
                  IS DISTINCT FROM (o.rotation_id, o.start_at, o.end_at, o.user_id, o.replaces_user_id)
            UNION SELECT o.rotation_id FROM new_rows n JOIN old_rows o USING (id)
            WHERE n.rotation_id <> o.rotation_id));
    ELSE
        PERFORM handoff_enqueue_rotations(ARRAY(
            SELECT n.rotation_id FROM new_rows n JOIN old_rows o USING (id)
            WHERE (n.rotation_id, n.effective_at, n.type, n.shift_length, n.start_at,
                   n.time_zone, n.participants, n.active_index)
                  IS DISTINCT FROM (o.rotation_id, o.effective_at, o.type, o.shift_length,
                                    o.start_at, o.time_zone, o.participants, o.active_index)
            UNION SELECT o.rotation_id FROM new_rows n JOIN old_rows o USING (id)
            WHERE n.rotation_id <> o.rotation_id));
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER overrides_inserted AFTER INSERT ON overrides
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION handoff_oncall_changed();
CREATE TRIGGER overrides_updated AFTER UPDATE ON overrides
    REFERENCING NEW TABLE AS new_rows OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION handoff_oncall_changed();
CREATE TRIGGER overrides_deleted AFTER DELETE ON overrides
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION handoff_oncall_changed();
CREATE TRIGGER scheduled_changes_inserted AFTER INSERT ON scheduled_changes
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION handoff_oncall_changed();
CREATE TRIGGER scheduled_changes_updated AFTER UPDATE ON scheduled_changes
    REFERENCING NEW TABLE AS new_rows OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION handoff_oncall_changed();
CREATE TRIGGER scheduled_changes_deleted AFTER DELETE ON scheduled_changes
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION handoff_oncall_changed();
