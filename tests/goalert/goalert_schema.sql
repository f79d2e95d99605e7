-- GoAlert's tables that the importer reads (users, rotations, rotation_participants,
-- rotation_state), its migration table, and the triggers that decide participant positions
-- and start, move and end a rotation's state, as GoAlert's migrations leave them at
-- target/goalert 2458b9d74 (the ids in goalert_migrations.txt; the four tables are the same
-- from v0.33.0, the oldest release supported, to that commit). Written from those migrations
-- (each statement names its migration) and checked against GoAlert's migrate/schema.sql (the
-- pg_dump of a database migrated by GoAlert): columns, types, defaults, constraints, trigger
-- timing and trigger bodies as GoAlert has them. Left out: the tables the importer never reads,
-- the update-tracking triggers (20250311113136-track-rotation-updates,
-- 20251003123243-rotation-direct-event: they only queue River jobs for GoAlert's own engine
-- and need its river_job table), and the participant limit
-- (20171221150317-rotation-participant-limit: it reads config_limits). gorp_migrations is
-- filled by conftest.py as GoAlert's migrate/migrate.go fills it: one row per migration file
-- name, .sql included, applied_at = now() of the migration's own transaction.

-- 20170428154209-users-table
CREATE TYPE enum_user_role AS ENUM ('unknown', 'user', 'admin');
-- 20170530135027-schedule-rotation; 'monthly' from 20230911153243-add-monthly-rotation
CREATE TYPE enum_rotation_type AS ENUM ('weekly', 'daily', 'hourly', 'monthly');

-- migrate/migrate.go creates it before the first migration, exactly so.
CREATE TABLE gorp_migrations (
    id text PRIMARY KEY,
    applied_at timestamp with time zone
);

-- 20170428154209-users-table; email may be empty (20170808110638-user-email-nullable-allowed),
-- avatar_url from 20170818135106-add-gravatar-col-to-user
CREATE TABLE users (
    id uuid NOT NULL,
    bio text NOT NULL DEFAULT '',
    email text NOT NULL DEFAULT '',
    role enum_user_role NOT NULL DEFAULT 'unknown',
    name text NOT NULL,
    avatar_url text NOT NULL DEFAULT '',
    alert_status_log_contact_method_id uuid,
    CONSTRAINT goalert_user_pkey PRIMARY KEY (id)
);

-- 20170530135027-schedule-rotation (time_zone and the unique name added, schedule_id dropped by
-- 20171030130804-ev3-assign-schedule-rotations); participant_count from
-- 20180315113303-strict-rotation-state; case-insensitive names from
-- 20171221162356-case-insenstive-name-constraints
CREATE TABLE rotations (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    name text NOT NULL,
    description text NOT NULL DEFAULT '',
    type enum_rotation_type NOT NULL,
    start_time timestamptz NOT NULL DEFAULT now(),
    shift_length bigint NOT NULL DEFAULT 1,
    time_zone text NOT NULL,
    last_processed timestamptz,
    participant_count integer NOT NULL DEFAULT 0,
    CONSTRAINT rotations_name_unique UNIQUE (name),
    CONSTRAINT rotations_shift_length_check CHECK (shift_length > 0)
);
CREATE UNIQUE INDEX rotations_name ON rotations (lower(name));

-- 20170530135027-schedule-rotation
CREATE TABLE rotation_participants (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    rotation_id uuid NOT NULL REFERENCES rotations (id) ON DELETE CASCADE,
    position integer NOT NULL,
    user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    CONSTRAINT rotation_participants_rotation_id_position_key
        UNIQUE (rotation_id, position) DEFERRABLE INITIALLY DEFERRED
);
CREATE INDEX idx_participant_rotation ON rotation_participants (rotation_id);

-- 20171030130802-ev3-rotations; NOT NULL participant from 20180315113303-strict-rotation-state,
-- deferrable from 20180822153707-defer-rotation-state, version from
-- 20210309144821-rotation-module-update (1 for rows that existed then, 2 since)
CREATE SEQUENCE rotation_state_id_seq;
CREATE TABLE rotation_state (
    rotation_id uuid PRIMARY KEY REFERENCES rotations (id) ON DELETE CASCADE,
    position integer NOT NULL DEFAULT 0,
    rotation_participant_id uuid NOT NULL,
    shift_start timestamptz NOT NULL,
    id bigint NOT NULL DEFAULT nextval('rotation_state_id_seq'),
    version integer NOT NULL DEFAULT 2,
    CONSTRAINT rotation_state_uniq_id UNIQUE (id),
    CONSTRAINT rotation_state_rotation_participant_id_fkey FOREIGN KEY (rotation_participant_id)
        REFERENCES rotation_participants (id) DEFERRABLE
);

-- 20180207124220-rotation-participant-position-consistency: a new participant goes last.
CREATE FUNCTION fn_inc_rot_part_position_on_insert() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    LOCK rotation_participants IN EXCLUSIVE MODE;
    SELECT count(*) INTO NEW.position
    FROM rotation_participants WHERE rotation_id = NEW.rotation_id;
    RETURN NEW;
END
$$;
CREATE TRIGGER trg_inc_rot_part_position_on_insert BEFORE INSERT ON rotation_participants
    FOR EACH ROW EXECUTE FUNCTION fn_inc_rot_part_position_on_insert();

-- 20180207124220-rotation-participant-position-consistency (AFTER since
-- 20180326154252-move-rotation-triggers): positions close up on delete.
CREATE FUNCTION fn_decr_rot_part_position_on_delete() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    LOCK rotation_participants IN EXCLUSIVE MODE;
    UPDATE rotation_participants SET position = position - 1
    WHERE rotation_id = OLD.rotation_id AND position > OLD.position;
    RETURN OLD;
END
$$;
CREATE TRIGGER trg_20_decr_rot_part_position_on_delete AFTER DELETE ON rotation_participants
    FOR EACH ROW EXECUTE FUNCTION fn_decr_rot_part_position_on_delete();

-- 20180207124220-rotation-participant-position-consistency
CREATE FUNCTION fn_enforce_rot_part_position_no_gaps() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    max_pos int := -1;
    part_count int := 0;
BEGIN
    IF NEW.rotation_id != OLD.rotation_id THEN
        RAISE 'must not change rotation_id of existing participant';
    END IF;
    SELECT max(position), count(*) INTO max_pos, part_count
    FROM rotation_participants WHERE rotation_id = NEW.rotation_id;
    IF max_pos >= part_count THEN
        RAISE 'must not have gap in participant positions';
    END IF;
    RETURN NEW;
END
$$;
CREATE CONSTRAINT TRIGGER trg_enforce_rot_part_position_no_gaps AFTER UPDATE
    ON rotation_participants DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION fn_enforce_rot_part_position_no_gaps();

-- 20180315113303-strict-rotation-state: participant_count, the state's position following
-- its participant, and the first participant going on call at once with shift_start = now().
CREATE FUNCTION fn_incr_part_count_on_add() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    UPDATE rotations SET participant_count = participant_count + 1 WHERE id = NEW.rotation_id;
    RETURN NEW;
END
$$;
CREATE TRIGGER trg_incr_part_count_on_add BEFORE INSERT ON rotation_participants
    FOR EACH ROW EXECUTE FUNCTION fn_incr_part_count_on_add();

CREATE FUNCTION fn_decr_part_count_on_del() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    UPDATE rotations SET participant_count = participant_count - 1 WHERE id = OLD.rotation_id;
    RETURN OLD;
END
$$;
CREATE TRIGGER trg_10_decr_part_count_on_del BEFORE DELETE ON rotation_participants
    FOR EACH ROW EXECUTE FUNCTION fn_decr_part_count_on_del();

CREATE FUNCTION fn_set_rot_state_pos_on_active_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    SELECT position INTO NEW.position
    FROM rotation_participants WHERE id = NEW.rotation_participant_id;
    RETURN NEW;
END
$$;
CREATE TRIGGER trg_set_rot_state_pos_on_active_change BEFORE UPDATE ON rotation_state
    FOR EACH ROW WHEN (NEW.rotation_participant_id != OLD.rotation_participant_id)
    EXECUTE FUNCTION fn_set_rot_state_pos_on_active_change();

CREATE FUNCTION fn_set_rot_state_pos_on_part_reorder() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    UPDATE rotation_state SET position = NEW.position WHERE rotation_participant_id = NEW.id;
    RETURN NEW;
END
$$;
CREATE TRIGGER trg_set_rot_state_pos_on_part_reorder BEFORE UPDATE ON rotation_participants
    FOR EACH ROW WHEN (NEW.position != OLD.position)
    EXECUTE FUNCTION fn_set_rot_state_pos_on_part_reorder();

CREATE FUNCTION fn_start_rotation_on_first_part_add() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    first_part uuid;
BEGIN
    SELECT id INTO first_part
    FROM rotation_participants WHERE rotation_id = NEW.rotation_id AND position = 0;
    INSERT INTO rotation_state (rotation_id, rotation_participant_id, shift_start)
    VALUES (NEW.rotation_id, first_part, now())
    ON CONFLICT DO NOTHING;
    RETURN NEW;
END
$$;
CREATE TRIGGER trg_start_rotation_on_first_part_add AFTER INSERT ON rotation_participants
    FOR EACH ROW EXECUTE FUNCTION fn_start_rotation_on_first_part_add();

-- 20181004145558-fix-deleting-participants: removing the active participant hands on to the
-- next one (wrapping), or ends the state. A BEFORE trigger, as in GoAlert's schema.sql: it runs
-- while the positions are still those before the delete (trg_20 closes them up AFTER).
CREATE FUNCTION fn_advance_or_end_rot_on_part_del() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    new_part uuid;
    active_part uuid;
BEGIN
    SELECT rotation_participant_id INTO active_part
    FROM rotation_state WHERE rotation_id = OLD.rotation_id;
    IF active_part != OLD.id THEN
        RETURN OLD;
    END IF;
    IF OLD.rotation_id NOT IN (SELECT id FROM rotations) THEN
        DELETE FROM rotation_state WHERE rotation_id = OLD.rotation_id;
    END IF;
    SELECT id INTO new_part
    FROM rotation_participants
    WHERE rotation_id = OLD.rotation_id AND id != OLD.id AND position IN (0, OLD.position + 1)
    ORDER BY position DESC
    LIMIT 1;
    IF new_part ISNULL THEN
        DELETE FROM rotation_state WHERE rotation_id = OLD.rotation_id;
    ELSE
        UPDATE rotation_state SET rotation_participant_id = new_part
        WHERE rotation_id = OLD.rotation_id;
    END IF;
    RETURN OLD;
END
$$;
CREATE TRIGGER trg_30_advance_or_end_rot_on_part_del BEFORE DELETE ON rotation_participants
    FOR EACH ROW EXECUTE FUNCTION fn_advance_or_end_rot_on_part_del();
