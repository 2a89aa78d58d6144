-- name: SeedSetting :exec
INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING;

-- name: ListSettings :many
SELECT key, value FROM settings;

-- name: LockSetting :one
SELECT value FROM settings WHERE key = $1 FOR UPDATE;

-- name: SetSetting :exec
UPDATE settings SET value = $2, updated_at = now() WHERE key = $1;

-- name: RecordSettingChange :exec
INSERT INTO settings_history (key, old_value, new_value, changed_by, changed_by_email)
VALUES ($1, $2, $3, $4, $5);

-- name: NotifySettingsChanged :exec
SELECT pg_notify('authd_settings', '');

-- name: ListSettingsHistory :many
SELECT * FROM settings_history
WHERE sqlc.narg('before_id')::bigint IS NULL OR id < sqlc.narg('before_id')::bigint
ORDER BY id DESC
LIMIT $1;
