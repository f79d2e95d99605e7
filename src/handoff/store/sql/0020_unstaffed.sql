-- Which rotations have nobody on call (handoff_rotation_unstaffed, reports.md): only the
-- history rows that name nobody on call are indexed, so a scrape probes the rotations that
-- ever had nobody on call rather than every rotation. The predicate is the recorded query's
-- "nobody": coalesce(on_call_user_id, CASE WHEN on_call_override_id IS NULL THEN to_user_id
-- END) IS NULL.
CREATE INDEX handoffs_nobody_idx ON handoffs (rotation_id)
    WHERE on_call_user_id IS NULL AND (on_call_override_id IS NOT NULL OR to_user_id IS NULL);
