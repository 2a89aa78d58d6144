-- name: CreateSession :one
-- A session and its first refresh token, and for a login the user's last_login_at, in one statement.
WITH login AS (
    UPDATE users u SET last_login_at = now() WHERE u.id = @user_id AND @is_login::boolean
), session AS (
    INSERT INTO sessions (user_id, expires_at, user_agent, ip_address)
    VALUES (@user_id, @expires_at, @user_agent, @ip_address)
    RETURNING id
), token AS (
    INSERT INTO refresh_tokens (session_id, token_hash, expires_at)
    SELECT id, @token_hash, @expires_at FROM session
)
SELECT id FROM session;

-- name: RotateRefreshToken :one
-- Rotation in one statement, decided on the database's clock. The old token's row is locked, so of
-- concurrent callers with the same token exactly one finds it unused and rotates it: the token is marked
-- used, its successor inserted and the session extended. A caller that finds it used more than
-- grace_seconds ago is replaying it: the session is revoked in the same statement.
WITH old AS (
    SELECT rt.token_hash, rt.session_id, rt.used_at, s.user_id,
           -- the session's absolute end: refreshing never extends it past created_at + max_lifetime_seconds
           LEAST(@expires_at::timestamptz, s.created_at + make_interval(secs => @max_lifetime_seconds::float8)) AS new_expires_at,
           rt.used_at IS NULL AND rt.expires_at > now() AND s.revoked_at IS NULL AND u.is_active
               AND s.created_at > now() - make_interval(secs => @max_lifetime_seconds::float8)
               AND NOT (@require_verified::boolean AND u.email_verified_at IS NULL) AS rotatable,
           @require_verified::boolean AND u.email_verified_at IS NULL AS unverified,
           rt.used_at IS NOT NULL AND rt.used_at <= now() - make_interval(secs => @grace_seconds::float8) AS reused
    FROM refresh_tokens rt
    JOIN sessions s ON s.id = rt.session_id
    JOIN users u ON u.id = s.user_id
    WHERE rt.token_hash = @old_hash
    FOR UPDATE OF rt
),
used AS (
    UPDATE refresh_tokens rt SET used_at = now()
    FROM old
    WHERE rt.token_hash = old.token_hash AND old.rotatable
    RETURNING old.session_id, old.new_expires_at
),
issued AS (
    INSERT INTO refresh_tokens (session_id, token_hash, expires_at)
    SELECT used.session_id, @new_hash, used.new_expires_at FROM used
    RETURNING session_id
),
extended AS (
    UPDATE sessions s SET last_used_at = now(), expires_at = used.new_expires_at
    FROM used
    WHERE s.id = used.session_id
    RETURNING s.id
),
revoked AS (
    UPDATE sessions s SET revoked_at = now()
    FROM old
    WHERE s.id = old.session_id AND old.reused AND s.revoked_at IS NULL
    RETURNING s.id
)
SELECT old.user_id, old.session_id,
       (EXISTS (SELECT 1 FROM issued) AND EXISTS (SELECT 1 FROM extended))::boolean AS rotated,
       COALESCE(old.reused, false) AS reused,
       old.unverified
FROM old;

-- name: RevokeSessionByRefreshToken :one
UPDATE sessions SET revoked_at = now()
WHERE id = (SELECT session_id FROM refresh_tokens WHERE token_hash = $1) AND revoked_at IS NULL
RETURNING id, user_id;

-- name: GetSessionUser :one
-- The per-request check behind every access token: one primary-key lookup joined to its user.
SELECT sqlc.embed(u)
FROM sessions s
JOIN users u ON u.id = s.user_id
WHERE s.id = @session_id
  AND s.user_id = @user_id
  AND s.revoked_at IS NULL
  AND s.expires_at > now()
  AND u.is_active;

-- name: RevokeUserSessions :exec
UPDATE sessions SET revoked_at = now() WHERE user_id = $1 AND revoked_at IS NULL;

-- name: ListActiveSessions :many
SELECT * FROM sessions
WHERE user_id = $1 AND revoked_at IS NULL AND expires_at > now()
ORDER BY last_used_at DESC, id;

-- name: RevokeOwnSession :execrows
-- The user_id condition is what keeps one user from ending another's session.
UPDATE sessions SET revoked_at = now()
WHERE id = @id AND user_id = @user_id AND revoked_at IS NULL AND expires_at > now();

-- name: RevokeOtherSessions :exec
UPDATE sessions SET revoked_at = now()
WHERE user_id = @user_id AND id <> @keep_id AND revoked_at IS NULL;

-- name: DeleteUsedRefreshTokens :execrows
-- Used tokens past the reuse-detection window: a replay of one is then an ordinary 401.
-- (created_at <= used_at, and created_at is indexed.)
DELETE FROM refresh_tokens WHERE token_hash IN (
    SELECT token_hash FROM refresh_tokens
    WHERE created_at < now() - make_interval(secs => @retention_seconds::float8)
      AND used_at < now() - make_interval(secs => @retention_seconds::float8)
    LIMIT @batch::int);

-- name: DeleteEndedSessions :execrows
-- Sessions expired or revoked longer ago than the retention, with their tokens (by cascade).
DELETE FROM sessions WHERE id IN (
    SELECT id FROM sessions
    WHERE created_at < now() - make_interval(secs => @retention_seconds::float8)
      AND LEAST(expires_at, COALESCE(revoked_at, expires_at)) < now() - make_interval(secs => @retention_seconds::float8)
    LIMIT @batch::int);

-- name: TryJanitorLock :one
-- One janitor at a time across instances; the lock is the caller's connection's until it unlocks.
SELECT pg_try_advisory_lock(hashtext('authd_janitor'));

-- name: JanitorUnlock :exec
SELECT pg_advisory_unlock(hashtext('authd_janitor'));
