-- name: insert_rotation
-- Create a rotation; its grid is as new as the rotation (both on the engine's clock).
INSERT INTO rotations (name, description, type, shift_length, start_at, time_zone,
                       active_hours, turns, grid_changed_at, created_at, updated_at)
SELECT %(name)s, %(description)s, %(type)s, %(shift_length)s, %(start)s, %(time_zone)s,
       %(active_hours)s, %(turns)s, c.now, c.now, c.now
FROM (SELECT handoff_now() AS now) c
RETURNING id, grid_changed_at AS now;

-- name: rotations_by_id
-- Rotations with their current state (NULL state columns when nobody is on call) and their
-- participants in order, in one statement so the three are read from one snapshot.
SELECT r.id, r.name, r.description, r.type, r.shift_length, r.start_at, r.time_zone,
       r.active_hours, r.turns, r.created_at, r.updated_at, s.position, s.participant_id, s.shift_start,
       s.first_shift,
       (SELECT coalesce(json_agg(json_build_array(p.id, p.position, p.user_id)
                                 ORDER BY p.position), '[]')
        FROM participants p WHERE p.rotation_id = r.id) AS members
FROM rotations r LEFT JOIN rotation_state s ON s.rotation_id = r.id
WHERE r.id = ANY (%(ids)s);

-- name: list_rotations
-- A page of rotations ordered by name (names are unique), optionally filtered by a name
-- substring and by a participant (`member`), each with its state and participants as in
-- rotations_by_id (one snapshot).
SELECT r.id, r.name, r.description, r.type, r.shift_length, r.start_at, r.time_zone,
       r.active_hours, r.turns, r.created_at, r.updated_at, s.position, s.participant_id, s.shift_start,
       s.first_shift,
       (SELECT coalesce(json_agg(json_build_array(p.id, p.position, p.user_id)
                                 ORDER BY p.position), '[]')
        FROM participants p WHERE p.rotation_id = r.id) AS members
FROM rotations r LEFT JOIN rotation_state s ON s.rotation_id = r.id
WHERE (%(pattern)s::text IS NULL OR r.name ILIKE %(pattern)s::text ESCAPE '\')
  AND (%(member)s::uuid IS NULL
       OR EXISTS (SELECT 1 FROM participants m
                  WHERE m.rotation_id = r.id AND m.user_id = %(member)s::uuid))
  AND (%(after_name)s::text IS NULL OR r.name > %(after_name)s::text)
ORDER BY r.name
LIMIT %(limit)s;

-- name: rotations_of_members
-- The first `shown` rotations of each of the given people, as in rotations_by_id, with the
-- person (`member`) and how many rotations they are in (`total`, each rotation once however
-- often they take part): those the history records them on call in at `now` first (the
-- rotation's last row at or before it, read as projections.sql `recorded` reads it), then by
-- name. The page of people's memberships in one statement, bounded whatever the number each
-- is in (issue 25); the projection of the rows read has the last word on who is on call. Each
-- person's ranking is a LATERAL subquery with a LIMIT, so that the planner fetches the shown
-- rotations by key rather than hashing every rotation's row (60 ms to 33 ms for 20 people in
-- 300 rotations each at 100,000).
SELECT u.member, top.total,
       r.id, r.name, r.description, r.type, r.shift_length, r.start_at, r.time_zone,
       r.active_hours, r.turns, r.created_at, r.updated_at, s.position, s.participant_id, s.shift_start,
       s.first_shift,
       (SELECT coalesce(json_agg(json_build_array(p.id, p.position, p.user_id)
                                 ORDER BY p.position), '[]')
        FROM participants p WHERE p.rotation_id = r.id) AS members
FROM unnest(%(user_ids)s::uuid[]) AS u (member)
CROSS JOIN LATERAL (
    SELECT t.rotation_id,
           row_number() OVER (ORDER BY coalesce((
               SELECT coalesce(h.on_call_user_id,
                               CASE WHEN h.on_call_override_id IS NULL THEN h.to_user_id END)
               FROM handoffs h
               WHERE h.rotation_id = t.rotation_id AND h.boundary_at <= %(now)s
               ORDER BY h.boundary_at DESC, h.id DESC
               LIMIT 1) = u.member, false) DESC, t.name) AS rank,
           count(*) OVER () AS total
    FROM (SELECT DISTINCT m.rotation_id, rr.name
          FROM participants m JOIN rotations rr ON rr.id = m.rotation_id
          WHERE m.user_id = u.member) t
    ORDER BY rank
    LIMIT %(shown)s
) top
JOIN rotations r ON r.id = top.rotation_id
LEFT JOIN rotation_state s ON s.rotation_id = r.id
ORDER BY u.member, top.rank;

-- name: update_rotation
-- Write a rotation's config; grid_changed_at is the engine's clock when the grid changed.
UPDATE rotations
SET name = %(name)s, description = %(description)s, type = %(type)s,
    shift_length = %(shift_length)s, start_at = %(start)s, time_zone = %(time_zone)s,
    active_hours = %(active_hours)s, turns = %(turns)s,
    grid_changed_at = CASE WHEN %(grid_changed)s THEN %(now)s ELSE grid_changed_at END,
    updated_at = %(now)s
WHERE id = %(id)s;

-- name: delete_rotation
-- Delete a rotation (its participants, state, schedule and history go with it).
DELETE FROM rotations WHERE id = %(id)s RETURNING id;
