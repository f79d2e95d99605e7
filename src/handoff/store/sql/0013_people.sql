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
