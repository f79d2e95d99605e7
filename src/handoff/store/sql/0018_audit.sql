-- The audit log (people.md): every write through the API, the UI, the CLI and the import, in
-- the writing transaction and at the database's clock.
--
-- Rows are made by triggers on the tables people write, not by the code that writes them: a
-- trigger sees every INSERT, UPDATE and DELETE however it came (a store function, a cascade, a
-- query added next year), so no write path can forget it. The writer is named by the one
-- transaction-local setting `handoff.audit` (JSON: actor, via, route), which
-- handoff.store.audit sets at the start of every transaction of a connection that acts for
-- someone. Without it the write is the engine's (its own processes never set it) and is not
-- audited: engine actions are the history, not the audit log.
CREATE TABLE audit_log (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at timestamptz NOT NULL,
    actor_user_id uuid,  -- no foreign key: the log outlives the people and tokens it names
    actor_token_id uuid,
    actor_name text NOT NULL,
    via text NOT NULL CHECK (via IN ('api', 'web', 'cli', 'import')),
    route text NOT NULL,  -- "POST /api/v1/rotations/{rotation_id}/overrides", "handoff user edit"
    action text NOT NULL,  -- "override.create", "rotation.update", ...
    object_type text NOT NULL,
    object_id text NOT NULL,
    rotation_id uuid,  -- the rotation the object belongs to, for its history
    before jsonb,
    after jsonb
);
CREATE INDEX audit_log_at_idx ON audit_log (at);
CREATE INDEX audit_log_object_idx ON audit_log (object_type, object_id, id);
CREATE INDEX audit_log_actor_idx ON audit_log (actor_user_id, id);
CREATE INDEX audit_log_rotation_idx ON audit_log (rotation_id, id) WHERE rotation_id IS NOT NULL;

-- The writer's name: a person's own as it is now, else the token's or the OS user's.
CREATE FUNCTION handoff_audit_writer_name(writer jsonb) RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT coalesce((SELECT name FROM users WHERE id = (writer ->> 'user_id')::uuid),
                    writer ->> 'name')
$$;

-- One entry, when this transaction writes for someone (else nothing: the engine's write).
-- The triggers below call it for every row; writes to tables with no trigger of ours (the
-- queue's jobs, whose schema is procrastinate's) call it themselves.
CREATE FUNCTION handoff_audit_record(action text, object_type text, object_id text,
                                     rotation_id uuid, before jsonb, after jsonb)
RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    writer jsonb := nullif(current_setting('handoff.audit', true), '')::jsonb;
BEGIN
    IF writer IS NULL THEN
        RETURN;
    END IF;
    INSERT INTO audit_log (at, actor_user_id, actor_token_id, actor_name, via, route, action,
                           object_type, object_id, rotation_id, before, after)
    VALUES (handoff_now(), (writer ->> 'user_id')::uuid, (writer ->> 'token_id')::uuid,
            handoff_audit_writer_name(writer), writer ->> 'via', writer ->> 'route',
            action, object_type, object_id, rotation_id, before, after);
END
$$;

-- Trigger arguments: the object type, its id column, the columns never copied into the log
-- (secrets), and the bookkeeping columns whose change alone is no write of anyone's (a token's
-- last use, a reminder's next look, a channel's last error).
CREATE FUNCTION handoff_audit_row() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    secret_columns text[] := coalesce(string_to_array(nullif(TG_ARGV[2], ''), ','), '{}');
    bookkeeping text[] := coalesce(string_to_array(nullif(TG_ARGV[3], ''), ','), '{}');
    old_row jsonb;
    new_row jsonb;
    this_row jsonb;
    secret_column text;
BEGIN
    IF nullif(current_setting('handoff.audit', true), '') IS NULL THEN
        RETURN NULL;
    END IF;
    IF TG_OP <> 'INSERT' THEN
        old_row := to_jsonb(OLD);
    END IF;
    IF TG_OP <> 'DELETE' THEN
        new_row := to_jsonb(NEW);
    END IF;
    IF TG_OP = 'UPDATE' AND old_row - bookkeeping = new_row - bookkeeping THEN
        RETURN NULL;
    END IF;
    -- A secret is never copied: the log says only whether there is one, and that it changed.
    FOREACH secret_column IN ARRAY secret_columns LOOP
        IF new_row IS NOT NULL AND new_row ->> secret_column IS NOT NULL THEN
            new_row := jsonb_set(new_row, ARRAY[secret_column], to_jsonb(
                CASE WHEN old_row IS NOT NULL
                          AND old_row -> secret_column IS DISTINCT FROM new_row -> secret_column
                     THEN '(hidden, changed)' ELSE '(hidden)' END));
        END IF;
        IF old_row IS NOT NULL AND old_row ->> secret_column IS NOT NULL THEN
            old_row := jsonb_set(old_row, ARRAY[secret_column], '"(hidden)"');
        END IF;
    END LOOP;
    this_row := coalesce(new_row, old_row);
    PERFORM handoff_audit_record(
        TG_ARGV[0] || '.' || CASE TG_OP WHEN 'INSERT' THEN 'create'
                                        WHEN 'UPDATE' THEN 'update'
                                        ELSE 'delete' END,
        TG_ARGV[0],
        this_row ->> TG_ARGV[1],
        CASE WHEN TG_TABLE_NAME = 'rotations' THEN (this_row ->> 'id')::uuid
             ELSE (this_row ->> 'rotation_id')::uuid END,
        old_row,
        new_row);
    RETURN NULL;
END
$$;

CREATE TRIGGER audit AFTER INSERT OR UPDATE OR DELETE ON users
    FOR EACH ROW EXECUTE FUNCTION handoff_audit_row('user', 'id', '', '');
CREATE TRIGGER audit AFTER INSERT OR UPDATE OR DELETE ON user_passwords
    FOR EACH ROW EXECUTE FUNCTION handoff_audit_row('password', 'user_id', 'hash', '');
CREATE TRIGGER audit AFTER INSERT OR UPDATE OR DELETE ON api_tokens
    FOR EACH ROW EXECUTE FUNCTION handoff_audit_row('token', 'id', 'token_hash', 'last_used_at');
CREATE TRIGGER audit AFTER INSERT OR UPDATE OR DELETE ON feed_tokens
    FOR EACH ROW EXECUTE FUNCTION handoff_audit_row('feed_token', 'id', 'token_hash',
                                                    'last_used_at');
CREATE TRIGGER audit AFTER INSERT OR UPDATE OR DELETE ON rotations
    FOR EACH ROW EXECUTE FUNCTION handoff_audit_row('rotation', 'id', '', 'updated_at');
CREATE TRIGGER audit AFTER INSERT OR UPDATE OR DELETE ON participants
    FOR EACH ROW EXECUTE FUNCTION handoff_audit_row('participant', 'id', '', '');
CREATE TRIGGER audit AFTER INSERT OR UPDATE OR DELETE ON overrides
    FOR EACH ROW EXECUTE FUNCTION handoff_audit_row('override', 'id', '', 'updated_at');
CREATE TRIGGER audit AFTER INSERT OR UPDATE OR DELETE ON scheduled_changes
    FOR EACH ROW EXECUTE FUNCTION handoff_audit_row('change', 'id', '', '');
CREATE TRIGGER audit AFTER INSERT OR UPDATE OR DELETE ON rotation_state
    FOR EACH ROW EXECUTE FUNCTION handoff_audit_row('rotation_state', 'rotation_id', '',
                                                    'updated_at');
CREATE TRIGGER audit AFTER INSERT OR UPDATE OR DELETE ON notify_channels
    FOR EACH ROW EXECUTE FUNCTION handoff_audit_row('channel', 'id', 'secret',
                                                    'last_error,failing_since');
CREATE TRIGGER audit AFTER INSERT OR UPDATE OR DELETE ON notify_subscriptions
    FOR EACH ROW EXECUTE FUNCTION handoff_audit_row('subscription', 'id', '', '');
CREATE TRIGGER audit AFTER INSERT OR UPDATE OR DELETE ON notify_messages
    FOR EACH ROW EXECUTE FUNCTION handoff_audit_row('delivery', 'id', '', '');
CREATE TRIGGER audit AFTER INSERT OR UPDATE OR DELETE ON notify_reminders
    FOR EACH ROW EXECUTE FUNCTION handoff_audit_row('reminder', 'id', '', 'next_check_at');

-- The rotation's history names who made each manual change: a history row written by a
-- write someone made (an edit, set-active, a removal) carries their name; the engine's rows
-- carry none (an override's start names the override's author through the log instead).
ALTER TABLE handoffs ADD COLUMN made_by text;

CREATE FUNCTION handoff_history_made_by() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    writer jsonb := nullif(current_setting('handoff.audit', true), '')::jsonb;
BEGIN
    IF writer IS NOT NULL THEN
        NEW.made_by := handoff_audit_writer_name(writer);
    END IF;
    RETURN NEW;
END
$$;

CREATE TRIGGER made_by BEFORE INSERT ON handoffs
    FOR EACH ROW EXECUTE FUNCTION handoff_history_made_by();

-- Single sign-on (people.md): what a browser's OpenID Connect sign-in carries between leaving
-- for the provider and coming back (state, nonce, PKCE verifier), kept here rather than in the
-- browser; the browser holds only the state, in an HttpOnly cookie, which proves it started
-- the sign-in it finishes. A row lives until it is used, at most an hour.
CREATE TABLE web_oidc_states (
    key text PRIMARY KEY CHECK (length(key) <= 200),
    value text NOT NULL,
    expires_at timestamptz NOT NULL
);

-- Schedules (0017) are written by people too.
CREATE TRIGGER audit AFTER INSERT OR UPDATE OR DELETE ON schedules
    FOR EACH ROW EXECUTE FUNCTION handoff_audit_row('schedule', 'id', '', 'updated_at');
CREATE TRIGGER audit AFTER INSERT OR UPDATE OR DELETE ON schedule_layers
    FOR EACH ROW EXECUTE FUNCTION handoff_audit_row('schedule_layer', 'id', '', '');
CREATE TRIGGER audit AFTER INSERT OR UPDATE OR DELETE ON schedule_overrides
    FOR EACH ROW EXECUTE FUNCTION handoff_audit_row('schedule_override', 'id', '', 'updated_at');
CREATE TRIGGER audit AFTER INSERT OR UPDATE OR DELETE ON notify_schedule_subscriptions
    FOR EACH ROW EXECUTE FUNCTION handoff_audit_row('schedule_subscription', 'id', '', '');
