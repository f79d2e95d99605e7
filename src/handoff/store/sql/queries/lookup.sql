-- name: user_named
-- The users with this name ignoring case, oldest first (the CLI names people by name or id).
SELECT id, name FROM users WHERE lower(name) = lower(%(name)s) ORDER BY created_at, id;

-- name: user_all_names
-- Every user's name, to suggest the closest when a name matches nobody.
SELECT DISTINCT name FROM users;

-- name: rotation_named
-- The rotations with this name ignoring case (names are unique only with case).
SELECT id, name FROM rotations WHERE lower(name) = lower(%(name)s) ORDER BY name, id;

-- name: rotation_all_names
-- Every rotation's name, to suggest the closest when a name matches none.
SELECT name FROM rotations;

-- name: channel_named
-- The notification channels with this name ignoring case (names are unique only with case).
SELECT id, name FROM notify_channels WHERE lower(name) = lower(%(name)s) ORDER BY name, id;

-- name: channel_all_names
-- Every channel's name, to suggest the closest when a name matches none.
SELECT name FROM notify_channels;
