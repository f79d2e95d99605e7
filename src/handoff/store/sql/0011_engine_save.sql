-- The engine's write of a rotation as one function, so that a job's writes can go to the
-- server in one call: handoff_save_v1 is the one statement that writes a state change (the
-- write path calls it inside its transaction), and handoff_save_each_v1 runs it for each of a
-- job's rotations, each in a transaction of its own (COMMIT after each), where the client
-- would otherwise send BEGIN, the statement and COMMIT for every rotation.

-- Everything a state change writes, in one statement: the state (upserted or deleted), its
-- handoffs (a boundary already recorded by another engine or a retry is skipped), and the next
-- run time, releasing the rotation from the job that ran it (only that job: a newer job that
-- claimed the rotation meanwhile keeps its claim and its due time, so it still runs). A
-- successful write clears the rotation's last failure. Returns whether it wrote.
--
-- The write path holds the rotation's locks and passes no versions. The engine's batched
-- path (read_unlocked) passes the versions it read: the statement then locks the state row,
-- then the schedule row (the one lock order, without the rotation row, which it never
-- writes) and writes nothing unless both are still the versions read. A row updated
-- meanwhile fails the check, also when it was updated while this statement waited for it
-- (READ COMMITTED re-checks the newest version), so nothing decided on stale inputs lands.
--
-- `p` holds the parameters as JSON (handoff.store.state.save_params), the handoffs as an
-- array of rows.
CREATE FUNCTION handoff_save_v1(p jsonb) RETURNS boolean
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
                              override_id, change_id)
        SELECT v_rotation, h.at, v_processed_at, h.cause, p ->> 'engine',
               h.from_participant_id, h.to_participant_id, h.from_user_id, h.from_user_name,
               h.to_user_id, h.to_user_name, h.effective, h.override_id, h.change_id
        FROM jsonb_to_recordset(p -> 'handoffs')
             AS h(at timestamptz, cause text, from_participant_id uuid,
                  to_participant_id uuid, from_user_id uuid, from_user_name text,
                  to_user_id uuid, to_user_name text, effective boolean, override_id uuid,
                  change_id uuid)
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

-- A job's writes: handoff_save_v1 for each element of `saves`, each committed on its own, in
-- order; `written` returns the ids of the rotations written (those still as read). CALLed
-- outside any transaction block. A failure raises: the rotations before it are committed,
-- the rest are not, and the engine takes them all up again through the locked path.
CREATE PROCEDURE handoff_save_each_v1(saves jsonb, INOUT written jsonb DEFAULT NULL)
LANGUAGE plpgsql AS $$
DECLARE
    s jsonb;
    done jsonb := '[]';
BEGIN
    FOR s IN SELECT value FROM jsonb_array_elements(saves) LOOP
        IF handoff_save_v1(s) THEN
            done := done || jsonb_build_array(s -> 'rotation_id');
        END IF;
        COMMIT;
    END LOOP;
    written := done;
END
$$;
