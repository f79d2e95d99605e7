-- The web UI's sessions and its sign-in rate limit (issue 13, "Sessions and headers"), and
-- when each queue worker started (the engine page's "started", which Procrastinate does not
-- record).

-- A signed-in browser: the cookie holds a random secret, only its SHA-256 is stored (a copy
-- of this table signs nobody in). A session lives while it is used within the idle timeout
-- and for at most the absolute lifetime (both settings, checked on every request against
-- created_at and last_seen_at); signing out deletes the row, and revoking or deleting the
-- token it was opened with ends it (the lookup joins the live token).
CREATE TABLE web_sessions (
    secret_hash bytea PRIMARY KEY,
    token_id uuid NOT NULL REFERENCES api_tokens (id) ON DELETE CASCADE,
    created_at timestamptz NOT NULL,
    last_seen_at timestamptz NOT NULL
);
CREATE INDEX web_sessions_token_idx ON web_sessions (token_id);
CREATE INDEX web_sessions_last_seen_idx ON web_sessions (last_seen_at);

-- Failed sign-ins by client address, counted over a sliding window to slow down guessing.
-- In the database rather than in a process, so every process serving the UI counts the same
-- attempts and a restart forgets nothing; rows older than the window are deleted as new ones
-- come in.
CREATE TABLE web_sign_in_failures (
    client text NOT NULL,
    failed_at timestamptz NOT NULL
);
CREATE INDEX web_sign_in_failures_client_idx ON web_sign_in_failures (client, failed_at);
CREATE INDEX web_sign_in_failures_at_idx ON web_sign_in_failures (failed_at);

-- When each queue worker registered. Procrastinate's worker row has only its id and last
-- heartbeat, and the jobs a worker ran are deleted once done, so a start time derived from
-- them moves; the row below is written once, when the worker's row is inserted, and goes
-- with it when Procrastinate prunes the worker.
CREATE TABLE handoff_worker_starts (
    worker_id bigint PRIMARY KEY REFERENCES procrastinate_workers (id) ON DELETE CASCADE,
    started_at timestamptz NOT NULL DEFAULT now()
);

CREATE FUNCTION handoff_record_worker_start() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO handoff_worker_starts (worker_id) VALUES (NEW.id);
    RETURN NULL;
END
$$;

CREATE TRIGGER handoff_worker_started AFTER INSERT ON procrastinate_workers
FOR EACH ROW EXECUTE FUNCTION handoff_record_worker_start();

-- Workers already registered: first seen now (their real start was not recorded anywhere).
INSERT INTO handoff_worker_starts (worker_id) SELECT id FROM procrastinate_workers;
