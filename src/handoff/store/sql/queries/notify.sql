-- name: insert_channel
-- A new channel; its secret (webhooks only) is never read back by the readers below.
INSERT INTO notify_channels (name, kind, target, secret)
VALUES (%(name)s, %(kind)s, %(target)s, %(secret)s)
RETURNING id, name, kind, target, created_at, disabled_at, last_error;

-- name: list_channels
-- Every channel by name, without secrets.
SELECT id, name, kind, target, created_at, disabled_at, last_error
FROM notify_channels ORDER BY name, id;

-- name: get_channel
-- One channel, without its secret.
SELECT id, name, kind, target, created_at, disabled_at, last_error
FROM notify_channels WHERE id = %(id)s;

-- name: channel_for_send
-- What a test send needs, secret included (used only to sign, never returned).
SELECT id, kind, target, secret FROM notify_channels WHERE id = %(id)s;

-- name: update_channel
-- Rename, retarget, disable or enable. Enabling clears the failing streak and makes what is
-- still pending due now, so it is sent again at once (in order, per line).
WITH before AS (
    SELECT id, disabled_at FROM notify_channels WHERE id = %(id)s FOR UPDATE
),
resumed AS (
    UPDATE notify_messages m SET next_attempt_at = handoff_now()
    FROM before b
    WHERE m.channel_id = b.id AND m.status = 'pending'
      AND %(enabled)s IS TRUE AND b.disabled_at IS NOT NULL
)
UPDATE notify_channels c
SET name = coalesce(%(name)s, c.name),
    target = coalesce(%(target)s, c.target),
    disabled_at = CASE WHEN %(enabled)s IS NULL THEN c.disabled_at
                       WHEN %(enabled)s THEN NULL
                       ELSE coalesce(c.disabled_at, handoff_now()) END,
    failing_since = CASE WHEN %(enabled)s IS TRUE THEN NULL ELSE c.failing_since END,
    last_error = CASE WHEN %(enabled)s IS TRUE THEN NULL ELSE c.last_error END
FROM before b
WHERE c.id = b.id
RETURNING c.id, c.name, c.kind, c.target, c.created_at, c.disabled_at, c.last_error;

-- name: rotate_secret
-- A new signing key for a webhook channel.
UPDATE notify_channels SET secret = %(secret)s
WHERE id = %(id)s AND kind = 'webhook'
RETURNING id;

-- name: delete_channel
-- A channel, its subscriptions, reminders and messages.
DELETE FROM notify_channels WHERE id = %(id)s RETURNING id;

-- name: list_subscriptions
-- A rotation's subscriptions.
SELECT id, rotation_id, channel_id, created_at
FROM notify_subscriptions WHERE rotation_id = %(rotation_id)s ORDER BY created_at, id;

-- name: insert_subscription
-- A rotation subscribed to a channel (once).
INSERT INTO notify_subscriptions (rotation_id, channel_id)
VALUES (%(rotation_id)s, %(channel_id)s)
RETURNING id, rotation_id, channel_id, created_at;

-- name: delete_subscription
-- One subscription of a rotation.
DELETE FROM notify_subscriptions WHERE id = %(id)s AND rotation_id = %(rotation_id)s
RETURNING id;

-- name: list_reminders
-- A user's reminder settings.
SELECT id, user_id, channel_id, before_minutes, created_at
FROM notify_reminders WHERE user_id = %(user_id)s ORDER BY before_minutes, created_at, id;

-- name: insert_reminder
-- A reminder setting (once per user, channel and lead time).
INSERT INTO notify_reminders (user_id, channel_id, before_minutes)
VALUES (%(user_id)s, %(channel_id)s, %(before_minutes)s)
RETURNING id, user_id, channel_id, before_minutes, created_at;

-- name: delete_reminder
-- One reminder setting of a user.
DELETE FROM notify_reminders WHERE id = %(id)s AND user_id = %(user_id)s RETURNING id;

-- name: list_messages
-- Messages newest first, filtered, a page at a time (keyset on seq), with their attempts.
SELECT m.id, m.seq, m.channel_id, m.rotation_id, m.event_type, m.event_at, m.payload,
       m.status, m.attempts, m.next_attempt_at, m.created_at, m.delivered_at, m.last_error,
       coalesce((SELECT json_agg(json_build_object(
                     'at', a.at, 'outcome', a.outcome, 'status_code', a.status_code,
                     'error', a.error) ORDER BY a.id)
                 FROM notify_attempts a WHERE a.message_id = m.id), '[]') AS attempt_list
FROM notify_messages m
WHERE (%(channel_id)s::uuid IS NULL OR m.channel_id = %(channel_id)s)
  AND (%(rotation_id)s::uuid IS NULL OR m.rotation_id = %(rotation_id)s)
  AND (%(status)s::text IS NULL OR m.status = %(status)s)
  AND (%(before_seq)s::bigint IS NULL OR m.seq < %(before_seq)s)
ORDER BY m.seq DESC
LIMIT %(limit)s;

-- name: retry_message
-- Send a failed (or waiting) message again now; a delivered one is left alone.
UPDATE notify_messages
SET status = 'pending', next_attempt_at = handoff_now(), finished_at = NULL
WHERE id = %(id)s AND status <> 'delivered'
RETURNING id, channel_id, rotation_id;

-- name: message_status
-- A message's status, to tell "no such message" from "already delivered".
SELECT status FROM notify_messages WHERE id = %(id)s;

-- name: rotation_exists
-- Whether a rotation exists (a list of its subscriptions is a 404 otherwise).
SELECT 1 FROM rotations WHERE id = %(id)s;

-- name: user_exists
-- Whether a user exists (a list of their reminders is a 404 otherwise).
SELECT 1 FROM users WHERE id = %(id)s;
