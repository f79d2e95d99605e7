-- name: insert_swap
-- A new open request for cover, at the engine's clock.
INSERT INTO swaps (rotation_id, requester_id, start_at, end_at, note, created_at, updated_at)
VALUES (%(rotation_id)s, %(requester_id)s, %(start)s, %(end)s, %(note)s, %(now)s, %(now)s)
RETURNING id;

-- name: get_swap
-- One swap with the names it shows and the engine's clock (its shown status is decided by
-- handoff.swaps.shown_status); `lock` takes its row for the rest of the transaction.
SELECT s.id, s.rotation_id, r.name AS rotation_name, s.requester_id, q.name AS requester_name,
       s.start_at AS start, s.end_at AS end, s.note, s.status, s.taker_id,
       t.name AS taker_name, s.override_id, o.start_at AS override_start, s.created_at,
       s.updated_at, handoff_now() AS now
FROM swaps s
JOIN rotations r ON r.id = s.rotation_id
JOIN users q ON q.id = s.requester_id
LEFT JOIN users t ON t.id = s.taker_id
LEFT JOIN overrides o ON o.id = s.override_id
WHERE s.id = %(id)s;

-- name: swap_rotation
-- The rotation a swap belongs to (to lock it first: the one lock order starts at the rotation).
SELECT rotation_id FROM swaps WHERE id = %(id)s;

-- name: lock_swap
-- The swap's row, locked under its rotation's lock.
SELECT id FROM swaps WHERE id = %(id)s FOR UPDATE;

-- name: mark_taken
-- The swap taken by `taker_id`, covered by `override_id`.
UPDATE swaps SET status = 'taken', taker_id = %(taker_id)s, override_id = %(override_id)s,
                 updated_at = %(now)s
WHERE id = %(id)s;

-- name: mark_cancelled
-- The swap cancelled (its override, if removed, is gone by then).
UPDATE swaps SET status = 'cancelled', override_id = NULL, updated_at = %(now)s
WHERE id = %(id)s;

-- name: taken_by
-- A rotation's swaps taken by a person about to be deleted, with their covers' starts, locked.
SELECT s.id, s.requester_id, s.start_at AS start, s.end_at AS end,
       o.start_at AS override_start
FROM swaps s
LEFT JOIN overrides o ON o.id = s.override_id
WHERE s.rotation_id = %(rotation_id)s AND s.taker_id = %(user_id)s AND s.status = 'taken'
ORDER BY s.id
FOR UPDATE OF s;

-- name: mark_reopened
-- A taken swap open again: its taker was deleted before the cover began (its override is gone).
UPDATE swaps SET status = 'open', taker_id = NULL, override_id = NULL, updated_at = %(now)s
WHERE id = %(id)s;

-- name: list_swaps
-- A page of swaps by start, then id, filtered by status (as shown: an open one past its start
-- is expired), rotation, person (as requester or taker) and, for the pages, those not ended.
WITH now AS MATERIALIZED (SELECT handoff_now() AS t)
SELECT s.id, s.rotation_id, r.name AS rotation_name, s.requester_id, q.name AS requester_name,
       s.start_at AS start, s.end_at AS end, s.note, s.status, s.taker_id,
       t.name AS taker_name, s.override_id, o.start_at AS override_start, s.created_at,
       s.updated_at, (SELECT t FROM now) AS now
FROM swaps s
JOIN rotations r ON r.id = s.rotation_id
JOIN users q ON q.id = s.requester_id
LEFT JOIN users t ON t.id = s.taker_id
LEFT JOIN overrides o ON o.id = s.override_id
WHERE (%(rotation_id)s::uuid IS NULL OR s.rotation_id = %(rotation_id)s::uuid)
  AND (%(user_id)s::uuid IS NULL OR s.requester_id = %(user_id)s::uuid
       OR s.taker_id = %(user_id)s::uuid)
  AND (%(status)s::text IS NULL
       OR (%(status)s::text = 'expired'
           AND (s.status = 'expired' OR (s.status = 'open' AND s.start_at <= (SELECT t FROM now))))
       OR (%(status)s::text = 'open' AND s.status = 'open'
           AND s.start_at > (SELECT t FROM now))
       OR (%(status)s::text NOT IN ('open', 'expired') AND s.status = %(status)s::text))
  AND (NOT %(not_ended)s OR s.end_at > (SELECT t FROM now))
  AND (%(after_start)s::timestamptz IS NULL
       OR (s.start_at, s.id) > (%(after_start)s::timestamptz, %(after_id)s::uuid))
ORDER BY s.start_at, s.id
LIMIT %(limit)s;

-- name: expire_due
-- The sweep records open requests whose start has passed as expired (the engine's clock);
-- they were shown as expired from that instant already.
UPDATE swaps SET status = 'expired', updated_at = handoff_now()
WHERE status = 'open' AND start_at <= handoff_now()
RETURNING id;

-- name: notify_swap
-- One message (`swap.requested` or `swap.taken`) to every channel subscribed to the swap's
-- rotation and, when `to_requester`, to the requester's reminder channels: written to the
-- outbox in the caller's transaction, delivered, signed and retried like every message.
WITH s AS (
    SELECT s.*, r.name AS rotation_name, r.time_zone
    FROM swaps s JOIN rotations r ON r.id = s.rotation_id
    WHERE s.id = %(id)s
),
channels AS (
    SELECT n.channel_id FROM notify_subscriptions n JOIN s ON n.rotation_id = s.rotation_id
    UNION
    SELECT m.channel_id FROM notify_reminders m JOIN s ON m.user_id = s.requester_id
    WHERE %(to_requester)s
)
INSERT INTO notify_messages (channel_id, rotation_id, event_type, event_at, payload)
SELECT c.channel_id, s.rotation_id, %(type)s, handoff_now(), jsonb_build_object(
    'type', %(type)s::text,
    'timestamp', handoff_now(),
    'data', jsonb_build_object(
        'rotation', jsonb_build_object('id', s.rotation_id, 'name', s.rotation_name,
                                       'time_zone', s.time_zone),
        'swap', jsonb_build_object('id', s.id, 'start', s.start_at, 'end', s.end_at,
                                   'note', s.note, 'status', s.status,
                                   'override_id', s.override_id),
        'requester', (SELECT jsonb_build_object('id', u.id, 'name', u.name, 'email', u.email)
                      FROM users u WHERE u.id = s.requester_id),
        'taker', (SELECT jsonb_build_object('id', u.id, 'name', u.name, 'email', u.email)
                  FROM users u WHERE u.id = s.taker_id)))
FROM s CROSS JOIN channels c
ORDER BY c.channel_id;
