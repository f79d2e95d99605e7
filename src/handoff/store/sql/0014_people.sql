-- People without duplicates (people.md): an email belongs to one person, compared without
-- regard to case; a person gains an optional IANA time zone (reports.md) and a role (null: the
-- person cannot sign in; the default for people created by others or imported).
--
-- Emails that already clash stop the upgrade with the list, rather than being changed behind
-- the team's back: fix them (`handoff user` on the previous version) and upgrade again.
DO $$
DECLARE
    clashes text;
BEGIN
    SELECT string_agg(lower(email), ', ' ORDER BY lower(email)) INTO clashes
    FROM (SELECT min(email) AS email FROM users WHERE email IS NOT NULL
          GROUP BY lower(email) HAVING count(*) > 1) AS d;
    IF clashes IS NOT NULL THEN
        RAISE EXCEPTION 'people share these emails (ignoring case): %; give each person their own email first', clashes;
    END IF;
END
$$;

CREATE UNIQUE INDEX users_email_key ON users (lower(email)) WHERE email IS NOT NULL;

ALTER TABLE users
    ADD COLUMN time_zone text CHECK (time_zone IS NULL OR length(time_zone) BETWEEN 1 AND 64),
    ADD COLUMN role text CHECK (role IN ('admin', 'responder', 'reader'));

-- Local passwords (people.md): an Argon2 hash (argon2-cffi's encoded form, with its
-- parameters and salt), never the password; apart from `users` so no read of people carries it.
CREATE TABLE user_passwords (
    user_id uuid PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    hash text NOT NULL CHECK (hash LIKE '$argon2%'),
    set_at timestamptz NOT NULL
);

-- A session is opened by a token (a service token, as before) or by a person signing in as
-- themselves; a person's session acts with their role as it is now, and ends when they lose
-- it or are deleted.
ALTER TABLE web_sessions
    ALTER COLUMN token_id DROP NOT NULL,
    ADD COLUMN user_id uuid REFERENCES users (id) ON DELETE CASCADE,
    ADD CONSTRAINT web_sessions_one_signer CHECK (num_nonnulls(token_id, user_id) = 1);
CREATE INDEX web_sessions_user_idx ON web_sessions (user_id) WHERE user_id IS NOT NULL;

-- Tokens that belong to a person act with the person's role as it is now (their own role is
-- null); tokens without a person are service tokens with the role they were made with.
ALTER TABLE api_tokens
    ALTER COLUMN role DROP NOT NULL,
    ADD COLUMN user_id uuid REFERENCES users (id) ON DELETE CASCADE,
    ADD CONSTRAINT api_tokens_person_or_role CHECK ((user_id IS NULL) = (role IS NOT NULL));
CREATE INDEX api_tokens_user_idx ON api_tokens (user_id) WHERE user_id IS NOT NULL;
