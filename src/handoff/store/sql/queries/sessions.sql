-- name: insert_session
-- Open a session for a token or a person: the SHA-256 of its secret (never the secret), its
-- start.
INSERT INTO web_sessions (secret_hash, token_id, user_id, created_at, last_seen_at)
VALUES (%(secret_hash)s, %(token_id)s, %(user_id)s, %(now)s, %(now)s);

-- name: purge_sessions
-- Delete sessions past their idle timeout or lifetime, whose token was revoked, or whose
-- person has lost their role.
DELETE FROM web_sessions s
WHERE s.last_seen_at <= %(idle_since)s OR s.created_at <= %(born_since)s
   OR EXISTS (SELECT 1 FROM api_tokens t WHERE t.id = s.token_id AND t.revoked_at IS NOT NULL)
   OR EXISTS (SELECT 1 FROM users u WHERE u.id = s.user_id AND u.role IS NULL);

-- name: authenticate_session
-- Who the live session stands for (a live token, or a person with a role, acting with it as it
-- is now), marking the session used (at most once a minute, to spare writes).
WITH found AS (
    SELECT s.secret_hash, s.last_seen_at, t.id AS token_id, coalesce(u.id, tu.id) AS user_id,
           coalesce(t.name, u.name) AS name, coalesce(t.role, tu.role, u.role) AS role
    FROM web_sessions s
    LEFT JOIN api_tokens t ON t.id = s.token_id AND t.revoked_at IS NULL
    LEFT JOIN users tu ON tu.id = t.user_id
    LEFT JOIN users u ON u.id = s.user_id
    WHERE s.secret_hash = %(secret_hash)s
      AND s.last_seen_at > %(idle_since)s AND s.created_at > %(born_since)s
      AND coalesce(t.role, tu.role, u.role) IS NOT NULL
), touched AS (
    UPDATE web_sessions s SET last_seen_at = %(now)s
    FROM found f
    WHERE s.secret_hash = f.secret_hash AND f.last_seen_at < %(now)s - interval '1 minute'
)
SELECT token_id, user_id, name, role FROM found;

-- name: delete_session
-- End a session (sign-out): whom it stood for and when it began, for the audit log.
DELETE FROM web_sessions WHERE secret_hash = %(secret_hash)s
RETURNING token_id, user_id, created_at;

-- name: recent_failures
-- A client's failed sign-ins since an instant, oldest first.
SELECT failed_at FROM web_sign_in_failures
WHERE client = %(client)s AND failed_at > %(since)s
ORDER BY failed_at;

-- name: insert_failure
-- Record a failed sign-in.
INSERT INTO web_sign_in_failures (client, failed_at) VALUES (%(client)s, %(now)s);

-- name: purge_failures
-- Forget failed sign-ins older than the window.
DELETE FROM web_sign_in_failures WHERE failed_at <= %(since)s;
