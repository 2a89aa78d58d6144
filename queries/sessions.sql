-- name: CreateSession :one
-- A session with its assurance and first refresh token, and for a login the user's last_login_at, in one
-- statement on the database's clock. Whether the user may have a session is decided here
-- (authd_session_refusal, as at refresh and on every request): a refused user gets no rows written and
-- the refusal back.
WITH who AS (
    SELECT u.id, authd_session_refusal(u.is_active, u.email_verified_at, @require_verified::boolean) AS refusal
    FROM users u WHERE u.id = @user_id
), login AS (
    UPDATE users u SET last_login_at = now() FROM who
    WHERE u.id = who.id AND who.refusal IS NULL AND @is_login::boolean
), session AS (
    INSERT INTO sessions (user_id, expires_at, user_agent, ip_address, aal, methods, amr)
    SELECT who.id, now() + make_interval(secs => @lifetime_seconds::float8), @user_agent, @ip_address,
           @aal, @methods::text[], @amr::text[]
    FROM who WHERE who.refusal IS NULL
    RETURNING id, auth_time
), token AS (
    INSERT INTO refresh_tokens (session_id, token_hash, expires_at)
    SELECT id, @token_hash, now() + make_interval(secs => @lifetime_seconds::float8) FROM session
)
SELECT COALESCE(who.refusal, '')::text AS refusal,
       COALESCE((SELECT id FROM session), '00000000-0000-0000-0000-000000000000')::uuid AS session_id,
       -- now() is the transaction's: a login's last_login_at is this auth_time
       COALESCE((SELECT auth_time FROM session), now())::timestamptz AS auth_time
FROM who;

-- name: RotateRefreshToken :one
-- Rotation in one statement, decided on the database's clock. The old token's row is locked, so of
-- concurrent callers with the same token exactly one finds it unused and rotates it: the token is marked
-- used, its successor inserted and the session extended. A caller that finds it used more than
-- grace_seconds ago is replaying it: the session is revoked in the same statement.
WITH old AS (
    SELECT rt.token_hash, rt.session_id, rt.used_at, s.user_id,
           -- the session's absolute end: refreshing never extends it past created_at + max_lifetime_seconds
           LEAST(now() + make_interval(secs => @ttl_seconds::float8),
                 s.created_at + make_interval(secs => @max_lifetime_seconds::float8)) AS new_expires_at,
           rt.used_at IS NULL AND rt.expires_at > now() AND s.revoked_at IS NULL
               AND authd_session_refusal(u.is_active, u.email_verified_at, @require_verified::boolean) IS NULL
               AND s.created_at > now() - make_interval(secs => @max_lifetime_seconds::float8) AS rotatable,
           COALESCE(authd_session_refusal(u.is_active, u.email_verified_at, @require_verified::boolean) = 'email_not_verified', false)::boolean AS unverified,
           s.aal, s.auth_time, s.amr,
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
    RETURNING s.id, s.user_id
),
-- The revocation's audit event, in the statement of the revocation.
reuse_audited AS (
    INSERT INTO audit_events (event, subject_id, session_id, ip, user_agent, request_id, details)
    SELECT 'refresh_token_reused', revoked.user_id, revoked.id, @ip, @user_agent, @request_id, '{}'::jsonb FROM revoked
)
SELECT old.user_id, old.session_id, old.aal, old.auth_time, old.amr,
       (EXISTS (SELECT 1 FROM issued) AND EXISTS (SELECT 1 FROM extended))::boolean AS rotated,
       COALESCE(old.reused, false) AS reused,
       old.unverified
FROM old;

-- name: RevokeSessionByRefreshToken :one
UPDATE sessions SET revoked_at = now()
WHERE id = (SELECT session_id FROM refresh_tokens WHERE token_hash = $1) AND revoked_at IS NULL
RETURNING id, user_id;

-- name: GetSessionUser :one
-- The per-request check behind every access token: one primary-key lookup joined to its user, with the
-- session's assurance level and how long ago, by the database's clock, the user last proved a credential
-- in it (the methods are not read here: no request needs them, and decoding arrays costs every request).
-- Access tokens of an unverified user stay valid until they expire (refresh refuses them).
SELECT sqlc.embed(u), s.aal, s.auth_time,
       EXTRACT(epoch FROM now() - s.auth_time)::float8 AS auth_age_seconds
FROM sessions s
JOIN users u ON u.id = s.user_id
WHERE s.id = @session_id
  AND s.user_id = @user_id
  AND s.revoked_at IS NULL
  AND s.expires_at > now()
  AND authd_session_refusal(u.is_active, u.email_verified_at, false) IS NULL;

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

-- name: ReauthenticateSession :one
-- The session's user proved a credential again: auth_time moves to now, the method joins the session's
-- methods and amr (the latest 16 kept), the assurance level never falls, and a new refresh token is
-- issued in the session, in one statement. The session's other tokens stay valid: it is the same session.
WITH updated AS (
    UPDATE sessions s SET
        auth_time = now(),
        last_used_at = now(),
        methods = (array_append(s.methods, @method::text))[GREATEST(1, cardinality(s.methods) - 14):],
        amr = (array_append(s.amr, @amr::text))[GREATEST(1, cardinality(s.amr) - 14):],
        aal = GREATEST(s.aal, @aal::smallint)
    FROM users u
    WHERE s.id = @session_id AND s.user_id = @user_id AND u.id = s.user_id
      AND s.revoked_at IS NULL AND s.expires_at > now()
      AND authd_session_refusal(u.is_active, u.email_verified_at, false) IS NULL
    RETURNING s.id, s.aal, s.auth_time, s.methods, s.amr, s.expires_at
), token AS (
    INSERT INTO refresh_tokens (session_id, token_hash, expires_at)
    SELECT id, @token_hash, expires_at FROM updated
)
SELECT aal, auth_time, methods, amr FROM updated;
