-- name: CreateSession :one
INSERT INTO sessions (user_id, expires_at, user_agent, ip_address)
VALUES ($1, $2, $3, $4)
RETURNING *;

-- name: CreateRefreshToken :exec
INSERT INTO refresh_tokens (session_id, parent_id, token_hash, expires_at)
VALUES ($1, $2, $3, $4);

-- name: UseRefreshToken :one
-- Rotation in one statement: of concurrent callers with the same token, exactly one gets the row.
UPDATE refresh_tokens rt SET used_at = now()
FROM sessions s, users u
WHERE rt.token_hash = $1
  AND rt.used_at IS NULL
  AND rt.expires_at > now()
  AND s.id = rt.session_id
  AND s.revoked_at IS NULL
  AND u.id = s.user_id
  AND u.is_active
RETURNING rt.id, rt.session_id, s.user_id;

-- name: GetRefreshToken :one
SELECT * FROM refresh_tokens WHERE token_hash = $1;

-- name: ExtendSession :exec
UPDATE sessions SET last_used_at = now(), expires_at = $2 WHERE id = $1;

-- name: RevokeSession :exec
UPDATE sessions SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL;

-- name: RevokeSessionByRefreshToken :exec
UPDATE sessions SET revoked_at = now()
WHERE id = (SELECT session_id FROM refresh_tokens WHERE token_hash = $1) AND revoked_at IS NULL;

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
