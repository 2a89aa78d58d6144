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
UPDATE users SET password_hash = @password_hash::text, email_verified_at = COALESCE(email_verified_at, now()), updated_at = now()
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

-- name: PutLoginCode :one
-- The address's new code for purpose, replacing any earlier one. The failures of the earlier code carry
-- over while its window (window_seconds from the first code of the window) lasts.
INSERT INTO login_codes AS c (email, purpose, code_salt, code_hash, link_hash, expires_at)
VALUES (@email, @purpose, @code_salt, @code_hash, sqlc.narg('link_hash'), now() + make_interval(secs => @ttl_seconds::float8))
ON CONFLICT (email, purpose) DO UPDATE SET
    code_salt = excluded.code_salt,
    code_hash = excluded.code_hash,
    link_hash = excluded.link_hash,
    created_at = now(),
    expires_at = excluded.expires_at,
    used_at = NULL,
    failures = CASE WHEN c.window_started_at > now() - make_interval(secs => @window_seconds::float8) THEN c.failures ELSE 0 END,
    window_started_at = CASE WHEN c.window_started_at > now() - make_interval(secs => @window_seconds::float8)
        THEN c.window_started_at ELSE now() END
RETURNING id;

-- name: LastLoginCodeAt :one
SELECT COALESCE((SELECT created_at FROM login_codes WHERE email = @email AND purpose = @purpose), 'epoch')::timestamptz;

-- name: ConsumeLoginCode :one
-- One try of a code, decided and recorded in one statement: a match uses the code, a mismatch counts
-- against it. No row comes back when the address has no live code (none, expired, used or dead).
WITH live AS (
    SELECT l.id, l.code_hash = sha256(l.code_salt || convert_to(@code::text, 'UTF8')) AS matches
    FROM login_codes l
    WHERE l.email = @email AND l.purpose = @purpose AND l.used_at IS NULL AND l.expires_at > now()
      AND l.failures < @max_failures::int
    FOR UPDATE
)
UPDATE login_codes c SET
    used_at = CASE WHEN live.matches THEN now() END,
    failures = c.failures + CASE WHEN live.matches THEN 0 ELSE 1 END
FROM live
WHERE c.id = live.id
RETURNING live.matches::boolean;

-- name: ConsumeLoginLink :one
-- A sign-in link's token, used once; it dies with its code.
UPDATE login_codes SET used_at = now()
WHERE link_hash = @link_hash AND purpose = 'login' AND used_at IS NULL AND expires_at > now()
  AND failures < @max_failures::int
RETURNING email;

-- name: DeleteOldLoginCodes :execrows
DELETE FROM login_codes WHERE id IN (
    SELECT id FROM login_codes WHERE expires_at < now() - interval '1 day' LIMIT @batch::int);
