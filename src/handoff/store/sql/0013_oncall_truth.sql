-- One on-call truth (issue 20): a history row carries who is on call after it, as recorded
-- (id and name, and the override that decides then), so the past is read from the record alone, forever: no join to overrides (a
-- deleted user's ended overrides may go) nor to users (names change). The write path and the
-- engine write it with every row (handoff_save_v1, redefined here with the two fields).
ALTER TABLE handoffs
    ADD COLUMN on_call_user_id uuid,
    ADD COLUMN on_call_user_name text,
    ADD COLUMN on_call_override_id uuid;  -- the override deciding after it, if one does

-- "Now" is the request's instant, not a minute (oncall.md): an override ended now ends there,
-- one that comes into force at a request starts there. Typed times stay whole minutes (the
-- store truncates them).
-- Deleting a user deletes their future overrides and ends those in force (the write path
-- does both); their ended overrides are history and stay, naming the deleted user as the
-- history does, so the users they name are no longer foreign keys that cascade.
ALTER TABLE overrides
    DROP CONSTRAINT overrides_start_at_check,
    DROP CONSTRAINT overrides_end_at_check,
    DROP CONSTRAINT overrides_user_id_fkey,
    DROP CONSTRAINT overrides_replaces_user_id_fkey;

-- Overrides and scheduled changes are written through the write path now, which schedules the
-- rotation itself: like the participants' trigger, this one leaves that rotation alone (a
-- plain-SQL write of another rotation is still enqueued).
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
                   n.time_zone, n.participants, n.active_index)
                  IS DISTINCT FROM (o.rotation_id, o.effective_at, o.type, o.shift_length,
                                    o.start_at, o.time_zone, o.participants, o.active_index)
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

-- Rows recorded before this migration: who was on call after them, as the readers computed it
-- then (an override's person while the row says an override decides).
UPDATE handoffs h
SET on_call_user_id = CASE WHEN h.override_id IS NULL
                                OR h.cause IN ('override_started', 'override_ended', 'user_deleted')
                           THEN h.to_user_id ELSE o.user_id END,
    on_call_user_name = CASE WHEN h.override_id IS NULL
                                  OR h.cause IN ('override_started', 'override_ended',
                                                 'user_deleted')
                             THEN h.to_user_name ELSE u.name END,
    on_call_override_id = CASE WHEN h.cause IN ('override_ended', 'user_deleted') THEN NULL
                               ELSE h.override_id END
FROM handoffs h2
LEFT JOIN overrides o ON o.id = h2.override_id
LEFT JOIN users u ON u.id = o.user_id
WHERE h2.id = h.id;

CREATE OR REPLACE FUNCTION handoff_save_v1(p jsonb) RETURNS boolean
LANGUAGE plpgsql AS $$
DECLARE
    v_rotation uuid := (p ->> 'rotation_id')::uuid;
    v_processed_at timestamptz := (p ->> 'processed_at')::timestamptz;
    v_job bigint := (p ->> 'job_id')::bigint;
    v_state_version text := p ->> 'state_version';
    v_schedule_version text := p ->> 'schedule_version';
    v_written boolean;
BEGIN
    WITH unchanged AS MATERIALIZED (
        SELECT 1 FROM rotation_state st JOIN rotation_schedule sc USING (rotation_id)
        WHERE st.rotation_id = v_rotation
          AND st.xmin::text = v_state_version
          AND sc.xmin::text = v_schedule_version
        FOR UPDATE
    ),
    go AS MATERIALIZED (
        SELECT v_schedule_version IS NULL OR EXISTS (SELECT 1 FROM unchanged) AS ok
    ),
    upserted AS (
        INSERT INTO rotation_state (rotation_id, position, participant_id, shift_start,
                                    updated_at)
        SELECT v_rotation, (p ->> 'position')::int, (p ->> 'participant_id')::uuid,
               (p ->> 'shift_start')::timestamptz, now()
        WHERE (p ->> 'write_state')::boolean AND (SELECT ok FROM go)
        ON CONFLICT (rotation_id) DO UPDATE
        SET position = excluded.position, participant_id = excluded.participant_id,
            shift_start = excluded.shift_start, updated_at = now()
    ),
    deleted AS (
        DELETE FROM rotation_state
        WHERE rotation_id = v_rotation AND (p ->> 'delete_state')::boolean
          AND (SELECT ok FROM go)
    ),
    recorded AS (
        -- Each boundary, and each (instant, cause, override or change), is recorded once: a
        -- row another engine or a retry recorded already is skipped (both unique indexes).
        INSERT INTO handoffs (rotation_id, boundary_at, processed_at, cause, engine,
                              from_participant_id, to_participant_id, from_user_id,
                              from_user_name, to_user_id, to_user_name, effective,
                              override_id, change_id, on_call_user_id, on_call_user_name,
                              on_call_override_id)
        SELECT v_rotation, h.at, v_processed_at, h.cause, p ->> 'engine',
               h.from_participant_id, h.to_participant_id, h.from_user_id, h.from_user_name,
               h.to_user_id, h.to_user_name, h.effective, h.override_id, h.change_id,
               h.on_call_user_id, h.on_call_user_name, h.on_call_override_id
        FROM jsonb_to_recordset(p -> 'handoffs')
             AS h(at timestamptz, cause text, from_participant_id uuid,
                  to_participant_id uuid, from_user_id uuid, from_user_name text,
                  to_user_id uuid, to_user_name text, effective boolean, override_id uuid,
                  change_id uuid, on_call_user_id uuid, on_call_user_name text,
                  on_call_override_id uuid)
        WHERE (SELECT ok FROM go)
        ON CONFLICT DO NOTHING
    )
    INSERT INTO rotation_schedule (rotation_id, next_run_at, job_id, dispatched_at,
                                   caught_up_at)
    SELECT v_rotation, (p ->> 'next_run_at')::timestamptz, NULL, NULL, v_processed_at
    WHERE (SELECT ok FROM go)
    ON CONFLICT (rotation_id) DO UPDATE
    SET failed_at = NULL,
        last_error = NULL,
        caught_up_at = excluded.caught_up_at,
        next_run_at = CASE
            WHEN rotation_schedule.job_id IS NOT NULL
                 AND rotation_schedule.job_id IS DISTINCT FROM v_job
            THEN rotation_schedule.next_run_at
            ELSE excluded.next_run_at END,
        job_id = CASE
            WHEN rotation_schedule.job_id IS DISTINCT FROM v_job
            THEN rotation_schedule.job_id
            ELSE NULL END,
        dispatched_at = CASE
            WHEN rotation_schedule.job_id IS DISTINCT FROM v_job
            THEN rotation_schedule.dispatched_at
            ELSE NULL END
    RETURNING true INTO v_written;
    RETURN coalesce(v_written, false);
END
$$;
