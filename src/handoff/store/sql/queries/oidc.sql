-- name: get_state
-- A pending single sign-on's data, while it has not expired.
SELECT value FROM web_oidc_states WHERE key = %(key)s AND expires_at > now();

-- name: set_state
-- Keep a pending single sign-on's data; expired ones go as new ones come in.
WITH gone AS (DELETE FROM web_oidc_states WHERE expires_at <= now())
INSERT INTO web_oidc_states (key, value, expires_at)
VALUES (%(key)s, %(value)s, now() + make_interval(secs => %(seconds)s))
ON CONFLICT (key) DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at;

-- name: delete_state
-- A single sign-on used (or abandoned): its data goes.
DELETE FROM web_oidc_states WHERE key = %(key)s;
