-- name: insert_token
-- Store a new token: its name, role (a service token's) or person, and the SHA-256 of its
-- secret (never the secret).
WITH made AS (
    INSERT INTO api_tokens (name, role, user_id, token_hash, created_at)
    VALUES (%(name)s, %(role)s, %(user_id)s, %(token_hash)s, %(now)s)
    RETURNING id, name, role, user_id, created_at, last_used_at, revoked_at
)
SELECT m.id, m.name, coalesce(m.role, u.role) AS role, m.user_id, m.created_at,
       m.last_used_at, m.revoked_at
FROM made m LEFT JOIN users u ON u.id = m.user_id;

-- name: authenticate
-- The live token with this hash, marking it used at most once a minute: the row is only
-- written when its last use is older than that, so the requests of a busy client read it and
-- leave it alone (an UPDATE that sets the same value still writes a new row version).
-- A person's token acts with the person's role as it is now, and not at all without one.
WITH found AS (
    SELECT t.id, t.name, coalesce(t.role, u.role) AS role, t.user_id, t.created_at,
           t.last_used_at, t.revoked_at
    FROM api_tokens t LEFT JOIN users u ON u.id = t.user_id
    WHERE t.token_hash = %(token_hash)s AND t.revoked_at IS NULL
      AND coalesce(t.role, u.role) IS NOT NULL
),
touched AS (
    UPDATE api_tokens t SET last_used_at = %(now)s
    FROM found f
    WHERE t.id = f.id
      AND (f.last_used_at IS NULL OR f.last_used_at < %(now)s - interval '1 minute')
    RETURNING t.id, t.last_used_at
)
SELECT f.id, f.name, f.role, f.user_id, f.created_at,
       coalesce((SELECT u.last_used_at FROM touched u), f.last_used_at) AS last_used_at,
       f.revoked_at
FROM found f;

-- name: list_tokens
-- Every token, revoked ones too (their names stay taken), by name.
SELECT t.id, t.name, coalesce(t.role, u.role) AS role, t.user_id, t.created_at,
       t.last_used_at, t.revoked_at
FROM api_tokens t LEFT JOIN users u ON u.id = t.user_id
ORDER BY t.name;

-- name: revoke_token
-- Revoke a live token by name.
UPDATE api_tokens SET revoked_at = %(now)s
WHERE name = %(name)s AND revoked_at IS NULL
RETURNING id;
