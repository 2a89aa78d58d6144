-- name: CreateUser :one
INSERT INTO users (email, username, password_hash, first_name, last_name, phone_number, language_code, is_admin)
VALUES (@email, sqlc.narg('username'), @password_hash, @first_name, @last_name, sqlc.narg('phone_number'),
        @language_code, @is_admin)
RETURNING *;

-- name: GetUserByID :one
SELECT * FROM users WHERE id = $1;

-- name: GetUserByEmail :one
SELECT * FROM users WHERE email = $1;

-- name: RecordLogin :exec
UPDATE users SET last_login_at = now() WHERE id = $1;

-- name: SetPasswordHash :exec
UPDATE users SET password_hash = @password_hash, updated_at = now() WHERE id = @id;

-- name: UpdateProfile :one
-- Each set_* flag says whether the matching column is in the update, so absent and null stay distinct.
UPDATE users SET
    username      = CASE WHEN @set_username::boolean THEN sqlc.narg('username') ELSE username END,
    first_name    = COALESCE(sqlc.narg('first_name'), first_name),
    last_name     = COALESCE(sqlc.narg('last_name'), last_name),
    phone_number  = CASE WHEN @set_phone_number::boolean THEN sqlc.narg('phone_number') ELSE phone_number END,
    language_code = COALESCE(sqlc.narg('language_code'), language_code),
    updated_at    = now()
WHERE id = @id
RETURNING *;
