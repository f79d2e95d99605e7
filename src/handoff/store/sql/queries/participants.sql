-- name: delete_participants
-- Drop participants that left the list.
DELETE FROM participants WHERE rotation_id = %(rotation_id)s AND id = ANY (%(ids)s);

-- name: move_participants
-- Give kept participants their new positions (the position key is checked at commit).
UPDATE participants p SET position = v.position
FROM unnest(%(ids)s::uuid[], %(positions)s::int[]) AS v (id, position)
WHERE p.id = v.id AND p.rotation_id = %(rotation_id)s AND p.position <> v.position;

-- name: insert_participants
-- Add new participants at their positions.
INSERT INTO participants (id, rotation_id, user_id, position)
SELECT v.id, %(rotation_id)s, v.user_id, v.position
FROM unnest(%(ids)s::uuid[], %(user_ids)s::uuid[], %(positions)s::int[]) AS v (id, user_id, position);
