-- Active hours (hours.md): a rotation is on call only inside its weekly windows (JSON as the
-- API writes it, checked by handoff.hours; NULL: always, which every existing rotation keeps)
-- and counts its turns over active units or calendar units.
ALTER TABLE rotations
    ADD COLUMN active_hours jsonb CHECK (jsonb_typeof(active_hours) = 'array'),
    ADD COLUMN turns text NOT NULL DEFAULT 'active' CHECK (turns IN ('active', 'calendar'));

-- A scheduled change may set both: SQL NULL leaves active_hours as it is, JSON null sets it
-- to always.
ALTER TABLE scheduled_changes
    ADD COLUMN active_hours jsonb CHECK (jsonb_typeof(active_hours) IN ('array', 'null')),
    ADD COLUMN turns text CHECK (turns IN ('active', 'calendar')),
    DROP CONSTRAINT scheduled_changes_some_field,
    ADD CONSTRAINT scheduled_changes_some_field CHECK (
        num_nonnulls(type, shift_length, start_at, time_zone, participants, active_index,
                     active_hours, turns) > 0);

-- The edges of the active period are history rows, each recorded once whatever the number of
-- engines and retries, as boundaries are.
ALTER TABLE handoffs
    DROP CONSTRAINT handoffs_cause_check,
    ADD CONSTRAINT handoffs_cause_check CHECK (cause IN
        ('boundary', 'started', 'manual', 'participant_removed', 'participants_replaced',
         'imported', 'scheduled_change', 'override_started', 'override_ended', 'user_deleted',
         'active_start', 'active_end'));
CREATE UNIQUE INDEX handoffs_active_once_idx ON handoffs (rotation_id, boundary_at)
    WHERE cause IN ('active_start', 'active_end');

-- The pending changes the write path and the readers parse carry the two fields.
CREATE OR REPLACE FUNCTION handoff_oncall_inputs_v1(rotation uuid, caught_up_at timestamptz)
RETURNS TABLE (overrides json, changes json, names json)
LANGUAGE sql STABLE AS $$
    SELECT
        (SELECT json_agg(json_build_object(
                    'id', ov.id, 'start', ov.start_at, 'end', ov.end_at,
                    'user_id', ov.user_id, 'replaces_user_id', ov.replaces_user_id,
                    'created_at', ov.created_at)
                ORDER BY ov.start_at)
         FROM overrides ov
         WHERE ov.rotation_id = rotation
           AND ov.end_at > coalesce(caught_up_at, '-infinity')),
        (SELECT json_agg(json_build_object(
                    'id', ch.id, 'effective_at', ch.effective_at, 'type', ch.type,
                    'shift_length', ch.shift_length, 'start', ch.start_at,
                    'time_zone', ch.time_zone, 'participants', ch.participants,
                    'active_index', ch.active_index, 'sets_active_hours',
                    ch.active_hours IS NOT NULL, 'active_hours', ch.active_hours,
                    'turns', ch.turns)
                ORDER BY ch.effective_at)
         FROM scheduled_changes ch
         WHERE ch.rotation_id = rotation AND ch.applied_at IS NULL),
        (SELECT json_object_agg(u.id, u.name)
         FROM users u
         WHERE u.id IN (
             SELECT unnest(ch.participants) FROM scheduled_changes ch
             WHERE ch.rotation_id = rotation AND ch.applied_at IS NULL
             UNION ALL
             SELECT unnest(ARRAY[ov.user_id, ov.replaces_user_id]) FROM overrides ov
             WHERE ov.rotation_id = rotation
               AND ov.end_at > coalesce(caught_up_at, '-infinity')))
$$;

-- A plain-SQL edit of a pending change's hours enqueues its rotation as its other fields do.
CREATE OR REPLACE FUNCTION handoff_oncall_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    changed uuid[];
BEGIN
    IF TG_OP = 'INSERT' THEN
        changed := ARRAY(SELECT DISTINCT rotation_id FROM new_rows);
    ELSIF TG_OP = 'DELETE' THEN
        changed := ARRAY(SELECT DISTINCT rotation_id FROM old_rows);
    ELSIF TG_TABLE_NAME = 'overrides' THEN
        changed := ARRAY(
            SELECT n.rotation_id FROM new_rows n JOIN old_rows o USING (id)
            WHERE (n.rotation_id, n.start_at, n.end_at, n.user_id, n.replaces_user_id)
                  IS DISTINCT FROM (o.rotation_id, o.start_at, o.end_at, o.user_id, o.replaces_user_id)
            UNION SELECT o.rotation_id FROM new_rows n JOIN old_rows o USING (id)
            WHERE n.rotation_id <> o.rotation_id);
    ELSE
        changed := ARRAY(
            SELECT n.rotation_id FROM new_rows n JOIN old_rows o USING (id)
            WHERE (n.rotation_id, n.effective_at, n.type, n.shift_length, n.start_at,
                   n.time_zone, n.participants, n.active_index, n.active_hours, n.turns)
                  IS DISTINCT FROM (o.rotation_id, o.effective_at, o.type, o.shift_length,
                                    o.start_at, o.time_zone, o.participants, o.active_index,
                                    o.active_hours, o.turns)
            UNION SELECT o.rotation_id FROM new_rows n JOIN old_rows o USING (id)
            WHERE n.rotation_id <> o.rotation_id);
    END IF;
    changed := array_remove(changed, handoff_written_rotation());
    IF cardinality(changed) > 0 THEN
        PERFORM handoff_enqueue_rotations(changed);
    END IF;
    RETURN NULL;
END
$$;

-- Active hours and turns are grid fields (hours.md: a change of either is a grid edit): a
-- plain-SQL edit restarts the shift and enqueues the rotation as a grid edit does.
CREATE OR REPLACE FUNCTION handoff_rotation_stamp() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF (NEW.type, NEW.shift_length, NEW.start_at, NEW.time_zone, NEW.active_hours, NEW.turns)
       IS DISTINCT FROM (OLD.type, OLD.shift_length, OLD.start_at, OLD.time_zone,
                         OLD.active_hours, OLD.turns)
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
        WHERE (n.type, n.shift_length, n.start_at, n.time_zone, n.grid_changed_at,
               n.active_hours, n.turns)
              IS DISTINCT FROM (o.type, o.shift_length, o.start_at, o.time_zone,
                                o.grid_changed_at, o.active_hours, o.turns)),
        handoff_written_rotation());
    IF cardinality(changed) > 0 THEN
        PERFORM handoff_enqueue_rotations(changed);
    END IF;
    RETURN NULL;
END
$$;

-- The edges of the active period are the engine's own rows: they follow the projection, so
-- they recheck no reminders (as boundaries do not).
CREATE OR REPLACE FUNCTION handoff_notify_shifts_changed() RETURNS trigger
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
        -- (boundaries, override edges, scheduled changes, active edges) follow the projection.
        rotation_ids := ARRAY(SELECT DISTINCT rotation_id FROM new_rows
                              WHERE cause NOT IN ('boundary', 'override_started',
                                                  'override_ended', 'scheduled_change',
                                                  'active_start', 'active_end'));
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
