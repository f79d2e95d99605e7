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

-- name: overrides_by_id
-- The given overrides of a rotation (those still stored).
SELECT id, rotation_id, start_at AS start, end_at AS end, user_id, replaces_user_id, note,
       created_at, updated_at
FROM overrides WHERE id = ANY (%(ids)s::uuid[]) AND rotation_id = %(rotation_id)s;

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

-- name: lock_user_rotations
-- With a user about to be deleted: lock, in id order, every rotation they take part in or an
-- override, a pending change or a swap they took names (one order for every writer, so
-- deletes do not deadlock).
SELECT r.id FROM rotations r
WHERE r.id IN (SELECT rotation_id FROM participants WHERE user_id = %(user_id)s
               UNION SELECT rotation_id FROM overrides
                     WHERE user_id = %(user_id)s OR replaces_user_id = %(user_id)s
               UNION SELECT rotation_id FROM scheduled_changes
                     WHERE applied_at IS NULL AND %(user_id)s = ANY (participants)
               UNION SELECT rotation_id FROM swaps
                     WHERE taker_id = %(user_id)s AND status = 'taken')
ORDER BY r.id
FOR NO KEY UPDATE;

-- name: rotation_exists
-- Whether a rotation exists (a 404 names the rotation, not its override, when it is missing).
SELECT 1 FROM rotations WHERE id = %(rotation_id)s;

-- name: user_overrides_not_ended
-- The overrides of a rotation that name a user about to be deleted (as user_id or
-- replaces_user_id) and have not ended: the future ones go, those in force end now.
SELECT id, rotation_id, start_at AS start, end_at AS end, user_id, replaces_user_id, note,
       created_at, updated_at
FROM overrides
WHERE rotation_id = %(rotation_id)s
  AND (user_id = %(user_id)s OR replaces_user_id = %(user_id)s)
  AND end_at > %(now)s;
