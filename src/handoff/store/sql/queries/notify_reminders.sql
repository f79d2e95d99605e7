-- name: claim_due
-- Reminder settings due for a look, leased to this worker for a while (another worker skips
-- them; if this one dies, the lease runs out and they are due again). Reads only the index of
-- what is due.
WITH now AS MATERIALIZED (SELECT handoff_now() AS t),
due AS (
    SELECT r.id FROM notify_reminders r
    WHERE r.next_check_at <= (SELECT t FROM now)
    ORDER BY r.next_check_at
    LIMIT %(limit)s
    FOR UPDATE SKIP LOCKED
)
UPDATE notify_reminders r
SET next_check_at = (SELECT t FROM now) + %(lease)s::interval
WHERE r.id = ANY (ARRAY(SELECT id FROM due))
RETURNING r.id, r.user_id, r.channel_id, r.before_minutes, r.next_check_at AS leased_until,
          (SELECT t FROM now) AS now;

-- name: people
-- The reminded people as messages name them (one deleted meanwhile is absent).
SELECT id, name, email FROM users WHERE id = ANY (%(user_ids)s::uuid[]);

-- name: send
-- The reminders decided now, once each (per setting, rotation and shift start): their
-- messages, in the same transaction as the decision.
INSERT INTO notify_messages (channel_id, rotation_id, event_type, event_at, payload, dedup_key)
SELECT m.channel_id, m.rotation_id, 'shift.reminder', m.event_at, m.payload, m.dedup_key
FROM unnest(%(channel_id)s::uuid[], %(rotation_id)s::uuid[], %(event_at)s::timestamptz[],
            %(payload)s::jsonb[], %(dedup_key)s::text[])
     AS m(channel_id, rotation_id, event_at, payload, dedup_key)
ORDER BY m.event_at
ON CONFLICT (dedup_key) DO NOTHING;

-- name: reschedule
-- The next look at each setting, unless something made it due again meanwhile (a trigger
-- set it to '-infinity' after the lease was taken: it stays due).
UPDATE notify_reminders r
SET next_check_at = n.at
FROM unnest(%(ids)s::uuid[], %(ats)s::timestamptz[], %(leases)s::timestamptz[])
     AS n(id, at, lease)
WHERE r.id = n.id AND r.next_check_at = n.lease;
