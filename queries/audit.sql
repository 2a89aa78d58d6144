-- name: InsertAuditEvent :exec
INSERT INTO audit_events (event, actor_id, subject_id, session_id, ip, user_agent, request_id, details)
VALUES (@event, sqlc.narg('actor_id'), sqlc.narg('subject_id'), sqlc.narg('session_id'), @ip, @user_agent, @request_id, @details);

-- name: ListAuditEvents :many
-- Keyset pages, newest first; before_id is the id of the last event of the previous page. The actor's and
-- subject's current emails come along (NULL once the account is gone) for people reading the log.
SELECT sqlc.embed(e), actor.email AS actor_email, subject.email AS subject_email
FROM audit_events e
LEFT JOIN users actor ON actor.id = e.actor_id
LEFT JOIN users subject ON subject.id = e.subject_id
WHERE (sqlc.narg('subject_id')::uuid IS NULL OR e.subject_id = sqlc.narg('subject_id')::uuid OR e.actor_id = sqlc.narg('subject_id')::uuid)
  AND (sqlc.narg('event')::text IS NULL OR e.event = sqlc.narg('event')::text)
  AND (sqlc.narg('before_id')::bigint IS NULL OR e.id < sqlc.narg('before_id')::bigint)
ORDER BY e.id DESC
LIMIT @max_rows;

-- name: DeleteOldAuditEvents :execrows
DELETE FROM audit_events WHERE id IN (
    SELECT id FROM audit_events WHERE occurred_at < now() - make_interval(days => @retention_days::int) LIMIT @batch::int);
