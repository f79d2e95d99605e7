-- name: name_writer
-- Name the writer of this transaction's writes for the audit triggers (0018_audit.sql).
SELECT set_config('handoff.audit', %(writer)s, true);

-- name: entries
-- The audit log, newest first, filtered (keyset: before the cursor's id).
SELECT id, at, actor_user_id, actor_token_id, actor_name, via, route, action, object_type,
       object_id, rotation_id, before, after
FROM audit_log
WHERE (%(object_type)s::text IS NULL OR object_type = %(object_type)s::text)
  AND (%(object_id)s::text IS NULL OR object_id = %(object_id)s::text)
  AND (%(actor_id)s::uuid IS NULL OR actor_user_id = %(actor_id)s::uuid
       OR actor_token_id = %(actor_id)s::uuid)
  AND (%(since)s::timestamptz IS NULL OR at >= %(since)s::timestamptz)
  AND (%(until)s::timestamptz IS NULL OR at < %(until)s::timestamptz)
  AND (%(after_id)s::bigint IS NULL OR id < %(after_id)s::bigint)
ORDER BY id DESC
LIMIT %(limit)s;

-- name: delete_old_entries
-- Audit retention (HANDOFF_AUDIT_DAYS): up to `limit` entries older than the age.
DELETE FROM audit_log
WHERE id IN (SELECT id FROM audit_log WHERE at < handoff_now() - %(age)s::interval
             ORDER BY id LIMIT %(limit)s)
RETURNING id;

-- name: record
-- An entry for a write to a table with no audit trigger (the queue's jobs).
SELECT handoff_audit_record(%(action)s, %(object_type)s, %(object_id)s, NULL,
                            %(before)s::jsonb, %(after)s::jsonb);
