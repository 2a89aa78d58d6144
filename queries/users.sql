-- name: CreateUser :one
INSERT INTO users (id, email, username, password_hash, first_name, last_name, phone_number, language_code, is_admin,
                   email_verified_at)
-- An empty password_hash is an account without a password (NULL).
VALUES (@id, @email, sqlc.narg('username'), NULLIF(@password_hash::text, ''), @first_name, @last_name, sqlc.narg('phone_number'),
        @language_code, @is_admin, CASE WHEN @email_verified::boolean THEN now() END)
RETURNING *;

-- name: GetUserByID :one
SELECT * FROM users WHERE id = $1;

-- name: GetUserByEmail :one
SELECT * FROM users WHERE email = $1;

-- name: NotifyUsersImported :exec
-- Delivered when the import's transaction commits: every instance then measures the imported hashes.
SELECT pg_notify('authd_users_imported', '');

-- name: LegacyHashSamples :many
-- One stored imported hash of each scheme and cost. A hash with its salt and digest taken out (runs of 9 or
-- more base64 or hex characters; costs within authd's bounds have at most 8 digits) is what tells them apart.
SELECT DISTINCT ON (regexp_replace(password_hash, '[A-Za-z0-9+/.]{9,}', '', 'g')) password_hash::text
FROM users
WHERE password_hash NOT LIKE '$argon2id$%'
LIMIT @max_samples;

-- name: ReplacePasswordHash :execrows
-- Conditional on the hash that was verified, so that of concurrent changes exactly one wins and a rehash
-- at login never overwrites a password changed meanwhile. An empty verified_hash is an account that had no
-- password: setting its first one is conditional on its still having none.
UPDATE users SET password_hash = @new_hash::text, updated_at = now()
WHERE id = @id AND password_hash IS NOT DISTINCT FROM NULLIF(@verified_hash::text, '');

-- name: ListUsers :many
-- Keyset pagination, newest first; the cursor is the (created_at, id) of the last row of the previous page.
SELECT sqlc.embed(u),
       (SELECT count(*) FROM sessions s WHERE s.user_id = u.id AND s.revoked_at IS NULL AND s.expires_at > now())::int AS active_sessions
FROM users u
WHERE (sqlc.narg('search')::text IS NULL
       OR lower(u.email) LIKE '%' || sqlc.narg('search')::text || '%' ESCAPE '\'
       OR lower(u.username) LIKE '%' || sqlc.narg('search')::text || '%' ESCAPE '\')
  AND (sqlc.narg('after_created_at')::timestamptz IS NULL
       OR (u.created_at, u.id) < (sqlc.narg('after_created_at')::timestamptz, sqlc.narg('after_id')::uuid))
ORDER BY u.created_at DESC, u.id DESC
LIMIT $1;

-- name: CountActiveSessions :one
SELECT count(*)::int FROM sessions WHERE user_id = $1 AND revoked_at IS NULL AND expires_at > now();

-- name: LockActiveAdmins :many
-- Locks every active admin row, so that two concurrent demotions cannot both see another admin left.
SELECT id FROM users WHERE is_admin AND is_active ORDER BY id FOR UPDATE;

-- name: LockUser :one
SELECT * FROM users WHERE id = $1 FOR UPDATE;

-- name: UpdateUser :one
-- Each set_* flag says whether the matching nullable column is in the update, so absent and null stay
-- distinct; the other columns change only when their argument is not null.
UPDATE users SET
    is_active     = COALESCE(sqlc.narg('is_active'), is_active),
    is_admin      = COALESCE(sqlc.narg('is_admin'), is_admin),
    username      = CASE WHEN @set_username::boolean THEN sqlc.narg('username') ELSE username END,
    first_name    = COALESCE(sqlc.narg('first_name'), first_name),
    last_name     = COALESCE(sqlc.narg('last_name'), last_name),
    phone_number  = CASE WHEN @set_phone_number::boolean THEN sqlc.narg('phone_number') ELSE phone_number END,
    language_code = COALESCE(sqlc.narg('language_code'), language_code),
    updated_at    = now()
WHERE id = @id
RETURNING *;

-- name: DeleteUser :execrows
-- An empty verified_hash deletes unconditionally (admins); otherwise only if the password is still the one
-- that was verified.
DELETE FROM users WHERE id = @id AND (@verified_hash::text = '' OR password_hash = @verified_hash::text);

-- name: PromoteUser :one
UPDATE users SET is_admin = true, updated_at = now() WHERE email = $1 RETURNING *;

-- name: SetAvatar :one
UPDATE users SET avatar = $2, updated_at = now() WHERE id = $1 RETURNING *;

-- name: UpdateImportedUser :one
-- Changes only what differs from the source; no row back means the account already matched it. The
-- password is replaced only when the source's hash changed since the last import.
UPDATE users SET
    email         = @email,
    -- a verification was of the old address
    email_verified_at = CASE WHEN email = @email THEN email_verified_at END,
    username      = sqlc.narg('username'),
    first_name    = @first_name,
    last_name     = @last_name,
    phone_number  = sqlc.narg('phone_number'),
    language_code = @language_code,
    is_admin      = @is_admin,
    is_active     = @is_active,
    created_at    = COALESCE(sqlc.narg('created_at'), created_at),
    last_login_at = GREATEST(last_login_at, sqlc.narg('last_login_at')),
    external_id   = sqlc.narg('external_id'),
    password_hash = CASE WHEN import_digest IS DISTINCT FROM @import_digest THEN NULLIF(@password_hash::text, '') ELSE password_hash END,
    import_digest = @import_digest,
    updated_at    = now()
WHERE id = @id
  AND (email, username, first_name, last_name, phone_number, language_code, is_admin, is_active, created_at,
       external_id, import_digest)
      IS DISTINCT FROM
      (@email, sqlc.narg('username'), @first_name, @last_name, sqlc.narg('phone_number'), @language_code,
       @is_admin, @is_active, COALESCE(sqlc.narg('created_at'), created_at), sqlc.narg('external_id'),
       @import_digest::bytea)
RETURNING *;

-- name: ImportTargets :many
-- The accounts a batch of imported rows may be, locked until the batch commits. Joins, not "= ANY": while
-- an import fills the table its statistics are stale, and a plan that compares every row with every
-- array element grows with the table.
SELECT * FROM users
WHERE id IN (SELECT u.id FROM users u JOIN unnest(@emails::text[]) AS e(email) ON u.email = e.email
             UNION
             SELECT u.id FROM users u JOIN unnest(@external_ids::text[]) AS x(id) ON u.external_id = x.id)
ORDER BY id
FOR UPDATE;

-- name: InsertImportedUsers :many
-- A batch of new accounts in one statement, from a JSON array of rows (nulls and all). A row that conflicts
-- with an account (a username in use, or an account created meanwhile) is left out; the caller reports it
-- from the rows that did not come back.
INSERT INTO users (email, username, password_hash, first_name, last_name, phone_number, language_code, is_admin,
                   is_active, created_at, updated_at, last_login_at, external_id, import_digest)
SELECT u.email, u.username, NULLIF(u.password_hash, ''), u.first_name, u.last_name, u.phone_number, u.language_code, u.is_admin,
       u.is_active, COALESCE(u.created_at, now()), now(), u.last_login_at, u.external_id, decode(u.import_digest, 'hex')
FROM jsonb_to_recordset(@users::jsonb) AS u(email text, username text, password_hash text, first_name text,
     last_name text, phone_number text, language_code text, is_admin boolean, is_active boolean, created_at timestamptz,
     last_login_at timestamptz, external_id text, import_digest text)
ON CONFLICT DO NOTHING
RETURNING id, email;
