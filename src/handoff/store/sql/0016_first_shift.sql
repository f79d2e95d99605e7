-- The first-shift marker (engine.md, round three): a state whose shift was begun by its first
-- participant becoming active says so, and, begun before the grid's start, runs through the
-- first whole shift after `start`, however long before `start` it began; a shift restarted by a
-- grid edit or a boundary does not (its next handoff is end_time(shift_start)). Written by the
-- one write path with the state (handoff.rotation.State.first_shift). A row written without it
-- (plain SQL, a restore of an older dump) is no first shift. The migration marks the states the
-- previous release treated as first shifts (0016_first_shift.py), so none changes.
ALTER TABLE rotation_state ADD COLUMN first_shift boolean NOT NULL DEFAULT false;

-- The save writes the marker with the state (absent from the JSON: false, as before).
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
                                    first_shift, updated_at)
        SELECT v_rotation, (p ->> 'position')::int, (p ->> 'participant_id')::uuid,
               (p ->> 'shift_start')::timestamptz, coalesce((p ->> 'first_shift')::boolean, false),
               now()
        WHERE (p ->> 'write_state')::boolean AND (SELECT ok FROM go)
        ON CONFLICT (rotation_id) DO UPDATE
        SET position = excluded.position, participant_id = excluded.participant_id,
            shift_start = excluded.shift_start, first_shift = excluded.first_shift,
            updated_at = now()
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
