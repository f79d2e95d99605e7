-- name: rotations
-- The rotations a calendar shows, by name: all, the ones asked for, or the ones any of the given
-- people may be on call in (a participant, named by an override, or added by a pending scheduled
-- change),
-- those whose name has `pattern`; the first `limit` (NULL: all) and how many matched.
SELECT r.id, r.name, r.time_zone, count(*) OVER () AS matched FROM rotations r
WHERE (%(rotation_ids)s::uuid[] IS NULL OR r.id = ANY (%(rotation_ids)s::uuid[]))
  AND (%(pattern)s::text IS NULL OR r.name ILIKE %(pattern)s::text ESCAPE '\')
  AND (%(after)s::text IS NULL OR r.name > %(after)s::text)
  AND (%(user_ids)s::uuid[] IS NULL
       OR EXISTS (SELECT 1 FROM participants p
                  WHERE p.rotation_id = r.id AND p.user_id = ANY (%(user_ids)s::uuid[]))
       OR EXISTS (SELECT 1 FROM overrides o
                  WHERE o.rotation_id = r.id AND o.user_id = ANY (%(user_ids)s::uuid[]))
       OR EXISTS (SELECT 1 FROM scheduled_changes c
                  WHERE c.rotation_id = r.id AND c.applied_at IS NULL
                    AND c.participants && %(user_ids)s::uuid[]))
ORDER BY r.name
LIMIT %(limit)s;

-- name: pending_changes
-- The scheduled changes of these rotations not applied yet whose instant falls in [since, until).
SELECT id, rotation_id, effective_at, type, shift_length, start_at AS start, time_zone, participants,
       active_index, note
FROM scheduled_changes
WHERE rotation_id = ANY (%(rotation_ids)s::uuid[]) AND applied_at IS NULL
  AND effective_at >= %(since)s AND effective_at < %(until)s
ORDER BY effective_at, rotation_id;
