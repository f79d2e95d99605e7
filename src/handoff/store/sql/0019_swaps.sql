-- Shift swaps (people.md, "Swaps"): a person asks for cover of part of their own shift; another
-- participant takes it, which makes an override (taker replaces requester) in the same
-- transaction. A request is kept after it is taken, cancelled or expired: it is what the
-- rotation and person pages list. The override is referenced while it exists; an override
-- deleted by hand leaves the swap taken, with no override to remove on cancel.
CREATE TABLE swaps (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    rotation_id uuid NOT NULL REFERENCES rotations (id) ON DELETE CASCADE,
    requester_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    start_at timestamptz NOT NULL CHECK (start_at = date_trunc('minute', start_at)),
    end_at timestamptz NOT NULL CHECK (end_at = date_trunc('minute', end_at)),
    note text NOT NULL DEFAULT '' CHECK (length(note) <= 500),
    status text NOT NULL DEFAULT 'open'
        CHECK (status IN ('open', 'taken', 'cancelled', 'expired')),
    taker_id uuid REFERENCES users (id) ON DELETE SET NULL,
    override_id uuid REFERENCES overrides (id) ON DELETE SET NULL,
    created_at timestamptz NOT NULL DEFAULT handoff_now(),
    updated_at timestamptz NOT NULL DEFAULT handoff_now(),
    CHECK (start_at < end_at)
);
CREATE INDEX swaps_rotation_idx ON swaps (rotation_id, start_at);
CREATE INDEX swaps_requester_idx ON swaps (requester_id, start_at);
CREATE INDEX swaps_taker_idx ON swaps (taker_id) WHERE taker_id IS NOT NULL;
-- The sweep's look for open requests whose start has passed reads only open ones.
CREATE INDEX swaps_open_idx ON swaps (start_at) WHERE status = 'open';

-- Swap notifications go through the same outbox as the on-call changes.
ALTER TABLE notify_messages
    DROP CONSTRAINT notify_messages_event_type_check,
    ADD CONSTRAINT notify_messages_event_type_check CHECK (event_type IN
        ('rotation.oncall_changed', 'shift.reminder', 'channel.test',
         'schedule.oncall_changed', 'swap.requested', 'swap.taken'));

-- Swaps are written by people: the audit log records them as it records overrides (0018).
CREATE TRIGGER audit AFTER INSERT OR UPDATE OR DELETE ON swaps
    FOR EACH ROW EXECUTE FUNCTION handoff_audit_row('swap', 'id', '', 'updated_at');
