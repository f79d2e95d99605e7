-- name: insert_token
-- Store a new token: its name, role and the SHA-256 of its secret (never the secret).
INSERT INTO api_tokens (name, role, token_hash, created_at)
VALUES (%(name)s, %(role)s, %(token_hash)s, %(now)s)
RETURNING id, name, role, created_at, last_used_at, revoked_at;

-- name: authenticate
-- The live token with this hash, marking it used at most once a minute: the row is only
-- written when its last use is older than that, so the requests of a busy client read it and
-- leave it alone (an UPDATE that sets the same value still writes a new row version).
WITH found AS (
    SELECT id, name, role, created_at, last_used_at, revoked_at FROM api_tokens
    WHERE token_hash = %(token_hash)s AND revoked_at IS NULL
),
touched AS (
    UPDATE api_tokens t SET last_used_at = %(now)s
    FROM found f
    WHERE t.id = f.id
      AND (f.last_used_at IS NULL OR f.last_used_at < %(now)s - interval '1 minute')
    RETURNING t.id, t.last_used_at
)
SELECT f.id, f.name, f.role, f.created_at,
       coalesce((SELECT u.last_used_at FROM touched u), f.last_used_at) AS last_used_at,
       f.revoked_at
FROM found f;

-- name: list_tokens
-- Every token, revoked ones too (their names stay taken), by name.
SELECT id, name, role, created_at, last_used_at, revoked_at FROM api_tokens ORDER BY name;

-- name: revoke_token
-- Revoke a live token by name.
UPDATE api_tokens SET revoked_at = %(now)s
WHERE name = %(name)s AND revoked_at IS NULL
RETURNING id;
