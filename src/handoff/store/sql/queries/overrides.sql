-- name: lock_rotation
-- Lock a rotation for a change to its overrides or scheduled changes (the lock order: the
-- rotation row first, as every writer of the rotation takes it).
SELECT id FROM rotations WHERE id = %(rotation_id)s FOR NO KEY UPDATE;

-- name: insert_override
-- Create an override.
INSERT INTO overrides (rotation_id, start_at, end_at, user_id, replaces_user_id, note,
                       created_at, updated_at)
VALUES (%(rotation_id)s, %(start)s, %(end)s, %(user_id)s, %(replaces_user_id)s, %(note)s,
        %(now)s, %(now)s)
RETURNING id, rotation_id, start_at AS start, end_at AS end, user_id, replaces_user_id, note,
          created_at, updated_at;

-- name: get_override
-- One override of a rotation.
SELECT id, rotation_id, start_at AS start, end_at AS end, user_id, replaces_user_id, note,
       created_at, updated_at
FROM overrides WHERE id = %(id)s AND rotation_id = %(rotation_id)s;

-- name: find_override
-- One override by id alone (the CLI names overrides by id).
SELECT id, rotation_id, start_at AS start, end_at AS end, user_id, replaces_user_id, note,
       created_at, updated_at
FROM overrides WHERE id = %(id)s;

-- name: overlapping
-- The first other override of the rotation that overlaps [start, end).
SELECT id, start_at AS start, end_at AS end FROM overrides
WHERE rotation_id = %(rotation_id)s AND start_at < %(end)s AND end_at > %(start)s
  AND id IS DISTINCT FROM %(exclude)s::uuid
ORDER BY start_at LIMIT 1;

-- name: count_not_ended
-- How many overrides of the rotation have not ended (the HANDOFF_MAX_OVERRIDES limit).
SELECT count(*) FROM overrides WHERE rotation_id = %(rotation_id)s AND end_at > %(now)s;

-- name: list_overrides
-- A page of overrides by start, then id: of one rotation or all, optionally naming a user (as
-- user_id or replaces_user_id), overlapping [since, until); without since and until, those
-- that have not ended.
SELECT id, rotation_id, start_at AS start, end_at AS end, user_id, replaces_user_id, note,
       created_at, updated_at
FROM overrides
WHERE (%(rotation_id)s::uuid IS NULL OR rotation_id = %(rotation_id)s::uuid)
  AND (%(user_id)s::uuid IS NULL OR user_id = %(user_id)s::uuid
       OR replaces_user_id = %(user_id)s::uuid)
  AND end_at > coalesce(%(since)s::timestamptz, handoff_now())
  AND (%(until)s::timestamptz IS NULL OR start_at < %(until)s::timestamptz)
  AND (%(after_start)s::timestamptz IS NULL
       OR (start_at, id) > (%(after_start)s::timestamptz, %(after_id)s::uuid))
ORDER BY start_at, id
LIMIT %(limit)s;

-- name: update_override
-- Write an override's fields.
UPDATE overrides
SET start_at = %(start)s, end_at = %(end)s, user_id = %(user_id)s,
    replaces_user_id = %(replaces_user_id)s, note = %(note)s, updated_at = %(now)s
WHERE id = %(id)s
RETURNING id, rotation_id, start_at AS start, end_at AS end, user_id, replaces_user_id, note,
          created_at, updated_at;

-- name: delete_override
-- Remove an override that has not started.
DELETE FROM overrides WHERE id = %(id)s;

-- name: rotation_overrides
-- The overrides of a rotation that end after `since`, by start (what a projection needs).
SELECT id, rotation_id, start_at AS start, end_at AS end, user_id, replaces_user_id, note,
       created_at, updated_at
FROM overrides WHERE rotation_id = %(rotation_id)s AND end_at > %(since)s
ORDER BY start_at;

-- name: lock_user_rotations
-- With a user about to be deleted: lock, in id order, every rotation they take part in or an
-- override or a pending change names (one order for every writer, so deletes do not deadlock).
SELECT r.id FROM rotations r
WHERE r.id IN (SELECT rotation_id FROM participants WHERE user_id = %(user_id)s
               UNION SELECT rotation_id FROM overrides
                     WHERE user_id = %(user_id)s OR replaces_user_id = %(user_id)s
               UNION SELECT rotation_id FROM scheduled_changes
                     WHERE applied_at IS NULL AND %(user_id)s = ANY (participants))
ORDER BY r.id
FOR NO KEY UPDATE;

-- name: record_user_deleted
-- The end of the overrides in force that name a deleted user, where the override decides who
-- is on call now (unconditional, or replacing the rotation's own person): one timeline row each,
-- from the override's person to the rotation's own (cause user_deleted).
INSERT INTO handoffs (rotation_id, boundary_at, processed_at, cause, engine, effective,
                      override_id, from_participant_id, from_user_id, from_user_name,
                      to_participant_id, to_user_id, to_user_name)
SELECT o.rotation_id, %(now)s, %(now)s, 'user_deleted', 'api', true, o.id,
       NULL, o.user_id, ou.name, st.participant_id, p.user_id, pu.name
FROM overrides o
LEFT JOIN users ou ON ou.id = o.user_id
LEFT JOIN rotation_state st ON st.rotation_id = o.rotation_id
LEFT JOIN participants p ON p.id = st.participant_id
LEFT JOIN users pu ON pu.id = p.user_id
WHERE (o.user_id = %(user_id)s OR o.replaces_user_id = %(user_id)s)
  AND o.start_at <= %(now)s AND o.end_at > %(now)s
  AND (o.replaces_user_id IS NULL OR o.replaces_user_id = p.user_id)
  AND o.user_id IS DISTINCT FROM p.user_id
ON CONFLICT DO NOTHING;

-- name: delete_user_overrides
-- Delete every override naming a deleted user (their ends in force are recorded first).
DELETE FROM overrides WHERE user_id = %(user_id)s OR replaces_user_id = %(user_id)s;

-- name: rotation_exists
-- Whether a rotation exists (a 404 names the rotation, not its override, when it is missing).
SELECT 1 FROM rotations WHERE id = %(rotation_id)s;

-- name: in_force
-- The overrides of the given rotations in force at an instant.
SELECT id, rotation_id, start_at AS start, end_at AS end, user_id, replaces_user_id, note,
       created_at, updated_at
FROM overrides
WHERE rotation_id = ANY (%(ids)s) AND start_at <= %(at)s AND end_at > %(at)s;
