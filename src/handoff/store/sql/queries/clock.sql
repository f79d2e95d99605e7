-- name: now
-- The engine's clock: the database's time, unless the seam below moved it.
SELECT handoff_now() AS now;

-- name: freeze
-- The test seam: time stands still at `at` for every reader of handoff_now().
INSERT INTO handoff_clock (frozen_at, offset_by) VALUES (%(at)s, '0')
ON CONFLICT (singleton) DO UPDATE SET frozen_at = excluded.frozen_at, offset_by = '0';

-- name: shift
-- The seam for real time moved by an offset.
INSERT INTO handoff_clock (frozen_at, offset_by) VALUES (NULL, %(offset)s)
ON CONFLICT (singleton) DO UPDATE SET frozen_at = NULL, offset_by = excluded.offset_by;
