-- name: insert_token
-- Store a new token: its name, role and the SHA-256 of its secret (never the secret).
INSERT INTO api_tokens (name, role, token_hash, created_at)
VALUES (%(name)s, %(role)s, %(token_hash)s, %(now)s)
RETURNING id, name, role, created_at, last_used_at, revoked_at;

-- name: authenticate
-- The live token with this hash, marking it used (at most once a minute, to spare writes).
UPDATE api_tokens
SET last_used_at = CASE
        WHEN last_used_at IS NULL OR last_used_at < %(now)s - interval '1 minute' THEN %(now)s
        ELSE last_used_at END
WHERE token_hash = %(token_hash)s AND revoked_at IS NULL
RETURNING id, name, role, created_at, last_used_at, revoked_at;

-- name: list_tokens
-- Every token, revoked ones too (their names stay taken), by name.
SELECT id, name, role, created_at, last_used_at, revoked_at FROM api_tokens ORDER BY name;

-- name: revoke_token
-- Revoke a live token by name.
UPDATE api_tokens SET revoked_at = %(now)s
WHERE name = %(name)s AND revoked_at IS NULL
RETURNING id;
