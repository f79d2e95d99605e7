-- What the write path and the batch engine read of a rotation besides its state, in one
-- place (oncall.md): the overrides not yet ended when it was last brought up to date
-- (`caught_up_at`; their later edges are still to be recorded, and those in force decide who
-- is on call), its pending scheduled changes in time order, and the names of the users
-- either names (the history keeps names). JSON, one row per rotation; the engine parses it
-- in handoff.store.state. An override's created_at is there because one created already in
-- force began, as far as anyone was told, when it was created (the history cannot be
-- rewritten backwards).
CREATE FUNCTION handoff_oncall_inputs_v1(rotation uuid, caught_up_at timestamptz)
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
                    'active_index', ch.active_index)
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
