-- name: InsertAuditEvent :exec
INSERT INTO audit_events (event, actor_id, subject_id, session_id, ip, user_agent, request_id, details)
VALUES (@event, sqlc.narg('actor_id'), sqlc.narg('subject_id'), sqlc.narg('session_id'), @ip, @user_agent, @request_id, @details);

-- name: ListAuditEvents :many
-- Keyset pages, newest first; before_id is the id of the last event of the previous page.
SELECT * FROM audit_events
WHERE (sqlc.narg('subject_id')::uuid IS NULL OR subject_id = sqlc.narg('subject_id')::uuid OR actor_id = sqlc.narg('subject_id')::uuid)
  AND (sqlc.narg('event')::text IS NULL OR event = sqlc.narg('event')::text)
  AND (sqlc.narg('before_id')::bigint IS NULL OR id < sqlc.narg('before_id')::bigint)
ORDER BY id DESC
LIMIT @max_rows;

-- name: DeleteOldAuditEvents :execrows
DELETE FROM audit_events WHERE id IN (
    SELECT id FROM audit_events WHERE occurred_at < now() - make_interval(days => @retention_days::int) LIMIT @batch::int);
