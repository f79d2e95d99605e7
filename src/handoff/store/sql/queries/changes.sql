-- name: rotation_config
-- A rotation's grid fields and its participants' user ids in order (what a change builds on).
SELECT r.type, r.shift_length, r.start_at, r.time_zone,
       coalesce((SELECT array_agg(p.user_id ORDER BY p.position) FROM participants p
                 WHERE p.rotation_id = r.id), '{}') AS participants
FROM rotations r WHERE r.id = %(rotation_id)s;

-- name: pending_before
-- The rotation's pending changes before an instant, in time order (a new change builds on them).
SELECT id, rotation_id, effective_at, type, shift_length, start_at AS start, time_zone,
       participants, active_index,
       -- JSON null sets the rotation to always: read as "always" (SQL NULL: unchanged)
       CASE jsonb_typeof(active_hours) WHEN 'null' THEN '"always"'::jsonb
            ELSE active_hours END AS active_hours,
       turns, note, applied_at, skipped, created_at, updated_at
FROM scheduled_changes
WHERE rotation_id = %(rotation_id)s AND applied_at IS NULL AND effective_at < %(before)s
  AND id IS DISTINCT FROM %(exclude)s::uuid
ORDER BY effective_at;

-- name: at_instant
-- The other change of the rotation at this instant, if any (two at one instant: 409).
SELECT id FROM scheduled_changes
WHERE rotation_id = %(rotation_id)s AND effective_at = %(effective_at)s
  AND id IS DISTINCT FROM %(exclude)s::uuid;

-- name: insert_change
-- Create a scheduled change.
INSERT INTO scheduled_changes (rotation_id, effective_at, type, shift_length, start_at,
                               time_zone, participants, active_index, active_hours, turns,
                               note, created_at, updated_at)
VALUES (%(rotation_id)s, %(effective_at)s, %(type)s, %(shift_length)s, %(start)s,
        %(time_zone)s, %(participants)s, %(active_index)s, %(active_hours)s, %(turns)s,
        %(note)s, %(now)s, %(now)s)
RETURNING id, rotation_id, effective_at, type, shift_length, start_at AS start, time_zone,
          participants, active_index,
          -- JSON null sets the rotation to always: read as "always" (SQL NULL: unchanged)
          CASE jsonb_typeof(active_hours) WHEN 'null' THEN '"always"'::jsonb
               ELSE active_hours END AS active_hours,
          turns, note, applied_at, skipped, created_at, updated_at;

-- name: get_change
-- One scheduled change of a rotation.
SELECT id, rotation_id, effective_at, type, shift_length, start_at AS start, time_zone,
       participants, active_index,
       -- JSON null sets the rotation to always: read as "always" (SQL NULL: unchanged)
       CASE jsonb_typeof(active_hours) WHEN 'null' THEN '"always"'::jsonb
            ELSE active_hours END AS active_hours,
       turns, note, applied_at, skipped, created_at, updated_at
FROM scheduled_changes WHERE id = %(id)s AND rotation_id = %(rotation_id)s;

-- name: find_change
-- One scheduled change by id alone (the CLI names changes by id).
SELECT id, rotation_id, effective_at, type, shift_length, start_at AS start, time_zone,
       participants, active_index,
       -- JSON null sets the rotation to always: read as "always" (SQL NULL: unchanged)
       CASE jsonb_typeof(active_hours) WHEN 'null' THEN '"always"'::jsonb
            ELSE active_hours END AS active_hours,
       turns, note, applied_at, skipped, created_at, updated_at
FROM scheduled_changes WHERE id = %(id)s;

-- name: list_changes
-- A page of a rotation's changes by instant, then id; optionally only pending or only applied.
SELECT id, rotation_id, effective_at, type, shift_length, start_at AS start, time_zone,
       participants, active_index,
       -- JSON null sets the rotation to always: read as "always" (SQL NULL: unchanged)
       CASE jsonb_typeof(active_hours) WHEN 'null' THEN '"always"'::jsonb
            ELSE active_hours END AS active_hours,
       turns, note, applied_at, skipped, created_at, updated_at
FROM scheduled_changes
WHERE rotation_id = %(rotation_id)s
  AND (%(pending)s::boolean IS NULL OR (applied_at IS NULL) = %(pending)s::boolean)
  AND (%(after_at)s::timestamptz IS NULL
       OR (effective_at, id) > (%(after_at)s::timestamptz, %(after_id)s::uuid))
ORDER BY effective_at, id
LIMIT %(limit)s;

-- name: update_change
-- Write a pending change's instant, fields and note.
UPDATE scheduled_changes
SET effective_at = %(effective_at)s, type = %(type)s, shift_length = %(shift_length)s,
    start_at = %(start)s, time_zone = %(time_zone)s, participants = %(participants)s,
    active_index = %(active_index)s, active_hours = %(active_hours)s, turns = %(turns)s,
    note = %(note)s, updated_at = %(now)s
WHERE id = %(id)s
RETURNING id, rotation_id, effective_at, type, shift_length, start_at AS start, time_zone,
          participants, active_index,
          -- JSON null sets the rotation to always: read as "always" (SQL NULL: unchanged)
          CASE jsonb_typeof(active_hours) WHEN 'null' THEN '"always"'::jsonb
               ELSE active_hours END AS active_hours,
          turns, note, applied_at, skipped, created_at, updated_at;

-- name: delete_change
-- Remove a pending change.
DELETE FROM scheduled_changes WHERE id = %(id)s;

-- name: drop_user
-- A deleted user leaves every pending change's participant list.
UPDATE scheduled_changes
SET participants = array_remove(participants, %(user_id)s::uuid), updated_at = %(now)s
WHERE applied_at IS NULL AND %(user_id)s::uuid = ANY (participants);
