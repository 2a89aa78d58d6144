-- name: InsertEmailToken :exec
INSERT INTO email_tokens (token_hash, user_id, purpose, email, expires_at)
VALUES (@token_hash, @user_id, @purpose, @email, @expires_at);

-- name: InsertOutboxMessage :exec
INSERT INTO mail_outbox (kind, recipient, subject, text_body, html_body)
VALUES (@kind, @recipient, @subject, @text_body, @html_body);

-- name: NotifyOutbox :exec
SELECT pg_notify('authd_mail', '');

-- name: GetEmailToken :one
-- A token that may still be used, with its user.
SELECT sqlc.embed(t), sqlc.embed(u)
FROM email_tokens t JOIN users u ON u.id = t.user_id
WHERE t.token_hash = @token_hash AND t.used_at IS NULL AND t.expires_at > now();

-- name: UseEmailToken :execrows
-- Conditional, so that of concurrent uses of one link exactly one wins.
UPDATE email_tokens SET used_at = now()
WHERE token_hash = @token_hash AND purpose = ANY (@purposes::text[]) AND used_at IS NULL AND expires_at > now();

-- name: LastEmailTokenAt :one
-- When the last token of a purpose was issued to a user, to space repeated mails.
SELECT COALESCE(max(created_at), 'epoch')::timestamptz FROM email_tokens WHERE user_id = @user_id AND purpose = @purpose;

-- name: MarkEmailVerified :execrows
-- Only while the account still has the address the link was sent to.
UPDATE users SET email_verified_at = now(), updated_at = now()
WHERE id = @id AND email = @email AND email_verified_at IS NULL;

-- name: ConfirmEmailChange :one
UPDATE users SET email = @email, email_verified_at = now(), updated_at = now() WHERE id = @id RETURNING *;

-- name: ResetPasswordHash :one
-- A reset or an invitation link proves control of the mailbox, so the address counts as verified.
UPDATE users SET password_hash = @password_hash, email_verified_at = COALESCE(email_verified_at, now()), updated_at = now()
WHERE id = @id AND email = @email
RETURNING *;

-- name: ClaimOutbox :many
-- Claims due messages for lease_seconds: other senders skip them (SKIP LOCKED now, the lease after the
-- commit), and a sender that dies leaves them due again when the lease ends.
UPDATE mail_outbox m SET attempts = m.attempts + 1,
    next_attempt_at = now() + make_interval(secs => @lease_seconds::float8)
WHERE m.id IN (
    SELECT id FROM mail_outbox
    WHERE sent_at IS NULL AND failed_at IS NULL AND next_attempt_at <= now()
    ORDER BY next_attempt_at
    LIMIT @batch
    FOR UPDATE SKIP LOCKED
)
RETURNING m.*;

-- name: MarkOutboxSent :exec
-- The bodies hold live links (a reset link works for an hour); once the message is out of authd's hands,
-- they are dropped, so that a database dump or backup holds no usable link. What went where stays.
UPDATE mail_outbox SET sent_at = now(), last_error = NULL, text_body = '', html_body = '' WHERE id = @id;

-- name: MarkOutboxRetry :exec
UPDATE mail_outbox SET next_attempt_at = now() + make_interval(secs => @delay_seconds::float8), last_error = @last_error
WHERE id = @id;

-- name: MarkOutboxFailed :exec
UPDATE mail_outbox SET failed_at = now(), last_error = @last_error, text_body = '', html_body = '' WHERE id = @id;

-- name: DeleteOldOutbox :execrows
DELETE FROM mail_outbox WHERE id IN (
    SELECT o.id FROM mail_outbox o
    WHERE (o.sent_at IS NOT NULL OR o.failed_at IS NOT NULL) AND o.created_at < @before::timestamptz
    LIMIT @batch
);

-- name: DeleteOldEmailTokens :execrows
DELETE FROM email_tokens WHERE token_hash IN (
    SELECT t.token_hash FROM email_tokens t WHERE t.expires_at < @before::timestamptz LIMIT @batch
);
