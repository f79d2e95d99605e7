-- name: fresh_workers
-- How many of the given queue workers checked in within `within`. Procrastinate stamps its
-- heartbeats with the server's now(), so they are compared with it (not handoff_now()).
SELECT count(*) AS fresh FROM procrastinate_workers
WHERE id = ANY(%(ids)s::bigint[]) AND last_heartbeat >= now() - %(within)s::interval;
