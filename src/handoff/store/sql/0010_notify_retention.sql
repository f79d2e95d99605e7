-- ---------------------------------------------------------------------------------------
-- Notification retention (README, "Notifications"): delivered and failed messages are deleted,
-- with their attempts, a while after they were finished, so the outbox does not grow forever.
-- `finished_at` is when a message was delivered or failed for good (NULL while pending: a
-- retry from the deliveries list makes it pending again); the purge reads only the partial
-- index of finished messages, oldest first.
-- ---------------------------------------------------------------------------------------
ALTER TABLE notify_messages ADD COLUMN finished_at timestamptz;

UPDATE notify_messages m
SET finished_at = coalesce(m.delivered_at,
                           (SELECT max(a.at) FROM notify_attempts a WHERE a.message_id = m.id),
                           m.created_at)
WHERE m.status <> 'pending';

ALTER TABLE notify_messages ADD CONSTRAINT notify_messages_finished_when_not_pending
    CHECK ((status = 'pending') = (finished_at IS NULL));

CREATE INDEX notify_messages_finished_idx ON notify_messages (finished_at)
    WHERE status <> 'pending';
