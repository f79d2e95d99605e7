-- name: revoke_live
-- Revoke a person's live feed token, if any (returns it when there was one).
UPDATE feed_tokens SET revoked_at = %(now)s
WHERE user_id = %(user_id)s AND revoked_at IS NULL
RETURNING id;

-- name: insert_token
-- Store a person's new feed token: the SHA-256 of its secret, never the secret.
INSERT INTO feed_tokens (user_id, token_hash, created_at)
VALUES (%(user_id)s, %(token_hash)s, %(now)s)
RETURNING id, user_id, created_at, last_used_at;

-- name: live_token
-- A person's live feed token, without its hash.
SELECT id, user_id, created_at, last_used_at FROM feed_tokens
WHERE user_id = %(user_id)s AND revoked_at IS NULL;

-- name: authenticate
-- The live token with this hash for this person, marking it used (at most once a minute).
UPDATE feed_tokens
SET last_used_at = CASE
        WHEN last_used_at IS NULL OR last_used_at < %(now)s - interval '1 minute' THEN %(now)s
        ELSE last_used_at END
WHERE token_hash = %(token_hash)s AND user_id = %(user_id)s AND revoked_at IS NULL
RETURNING id, user_id, created_at, last_used_at;
