-- Personal calendar feed tokens (notify.md): calendar clients cannot send headers, so a person's
-- feed URL carries a token of its own. It reads that one person's feed and nothing else, and is
-- revocable; like API tokens, only its SHA-256 is stored. A person has at most one live token:
-- making a new one revokes the old (a leaked link is replaced, not added to).
CREATE TABLE feed_tokens (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    token_hash bytea NOT NULL UNIQUE,
    created_at timestamptz NOT NULL DEFAULT now(),
    last_used_at timestamptz,
    revoked_at timestamptz
);
CREATE UNIQUE INDEX feed_tokens_live_idx ON feed_tokens (user_id) WHERE revoked_at IS NULL;
