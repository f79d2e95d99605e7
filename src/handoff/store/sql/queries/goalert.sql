-- Reading GoAlert's database (handoff.goalert.source). Each runs inside one READ ONLY,
-- REPEATABLE READ transaction on GoAlert's server: one consistent snapshot, no writes.

-- name: goalert_tables
-- Which of the named tables exist in the connection's search path.
SELECT t AS name FROM unnest(%(tables)s::text[]) AS t WHERE to_regclass(t) IS NOT NULL;

-- name: goalert_columns
-- The columns of the named tables (pg_attribute, which lists columns whatever the grants).
SELECT t AS table_name, a.attname AS column_name
FROM unnest(%(tables)s::text[]) AS t
JOIN pg_attribute a ON a.attrelid = to_regclass(t) AND a.attnum > 0 AND NOT a.attisdropped;

-- name: goalert_migrations
-- Which of the named GoAlert migrations have run.
SELECT id FROM gorp_migrations WHERE id = ANY (%(ids)s::text[]);

-- name: goalert_now
-- GoAlert's server time at the start of the snapshot.
SELECT now() AS now;

-- name: goalert_rotations
-- Every rotation.
SELECT id, name, description, type::text AS type, shift_length, start_time, time_zone
FROM rotations ORDER BY name, id;

-- name: goalert_participants
-- Every participant, in position order.
SELECT id, rotation_id, user_id FROM rotation_participants ORDER BY rotation_id, position, id;

-- name: goalert_states
-- Every rotation's state.
SELECT rotation_id, position, rotation_participant_id, shift_start, version FROM rotation_state;

-- name: goalert_users
-- The users who take part in a rotation.
SELECT id, name, email FROM users
WHERE id IN (SELECT user_id FROM rotation_participants);

-- Writing handoff's database (handoff.store.goalert).

-- name: imported_rotations
-- The GoAlert rotations imported before, with GoAlert's rows as they were then.
SELECT rotation_id, source FROM goalert_imported_rotations
WHERE rotation_id = ANY (%(ids)s::uuid[]);

-- name: imported_rotations_gone
-- The rotations imported from GoAlert whose GoAlert id is none of the given ones (GoAlert has
-- deleted them since); a rotation deleted in handoff is gone from this table too (cascade).
SELECT r.id, r.name FROM goalert_imported_rotations g JOIN rotations r ON r.id = g.rotation_id
WHERE g.rotation_id <> ALL (%(ids)s::uuid[])
ORDER BY r.name, r.id;

-- name: rotations_by_id_or_name
-- handoff rotations that carry a GoAlert rotation's id or name.
SELECT id, name FROM rotations
WHERE id = ANY (%(ids)s::uuid[]) OR name = ANY (%(names)s::text[]);

-- name: imported_users
-- The GoAlert users imported before, with GoAlert's row as it was then.
SELECT user_id, source FROM goalert_imported_users WHERE user_id = ANY (%(ids)s::uuid[]);

-- name: users_by_id
-- handoff users that carry a GoAlert user's id.
SELECT id FROM users WHERE id = ANY (%(ids)s::uuid[]);

-- name: users_by_email
-- handoff users whose email is one of the given ones (lowercase), compared ignoring case.
SELECT id, name, lower(email) AS email FROM users WHERE lower(email) = ANY (%(emails)s::text[]);

-- name: create_user
-- A GoAlert user, under GoAlert's id (already there from another rotation of this run: kept).
INSERT INTO users (id, name, email) VALUES (%(id)s, %(name)s, %(email)s)
ON CONFLICT (id) DO NOTHING;

-- name: update_user
-- A GoAlert user whose name or email changed in GoAlert since the last import.
UPDATE users SET name = %(name)s, email = %(email)s WHERE id = %(id)s;

-- name: remember_user
-- GoAlert's row of a user as imported now.
INSERT INTO goalert_imported_users (user_id, source) VALUES (%(id)s, %(source)s)
ON CONFLICT (user_id) DO UPDATE SET source = excluded.source, updated_at = now();

-- name: insert_rotation
-- A GoAlert rotation, under GoAlert's id. grid_changed_at is GoAlert's shift_start (not
-- later): the engine restarts a shift at a grid change made after the shift began, and this
-- shift began in GoAlert, on this grid.
INSERT INTO rotations (id, name, description, type, shift_length, start_at, time_zone,
                       grid_changed_at)
VALUES (%(id)s, %(name)s, %(description)s, %(type)s, %(shift_length)s, %(start)s,
        %(time_zone)s, coalesce(%(anchor)s::timestamptz, handoff_now()));

-- name: update_rotation
-- A rotation brought to GoAlert's configuration. grid_changed_at must not be later than
-- GoAlert's shift_start (see insert_rotation); it is moved a microsecond earlier when it
-- already equals it, because the stamp trigger restamps a grid change whose writer left
-- grid_changed_at as it was. Without a state, the trigger's stamp is right.
UPDATE rotations
SET name = %(name)s, description = %(description)s, type = %(type)s,
    shift_length = %(shift_length)s, start_at = %(start)s, time_zone = %(time_zone)s,
    grid_changed_at = CASE
        WHEN %(anchor)s::timestamptz IS NULL THEN grid_changed_at
        WHEN grid_changed_at = %(anchor)s::timestamptz
        THEN %(anchor)s::timestamptz - interval '1 microsecond'
        ELSE %(anchor)s::timestamptz END
WHERE id = %(id)s;

-- name: record_imported
-- The history row of an import: who is on call in GoAlert, since GoAlert's shift_start.
INSERT INTO handoffs (rotation_id, boundary_at, processed_at, cause, engine,
                      from_participant_id, to_participant_id, from_user_id, from_user_name,
                      to_user_id, to_user_name)
VALUES (%(rotation_id)s, %(at)s, %(processed_at)s, 'imported', 'api',
        %(from_participant_id)s, %(to_participant_id)s, %(from_user_id)s, %(from_user_name)s,
        %(to_user_id)s, %(to_user_name)s);

-- name: remember_rotation
-- GoAlert's rows of a rotation as imported now.
INSERT INTO goalert_imported_rotations (rotation_id, source) VALUES (%(id)s, %(source)s)
ON CONFLICT (rotation_id) DO UPDATE SET source = excluded.source, updated_at = now();
