-- +goose Up
-- An account may have no password: it signs in by another method (an emailed code, and later passkeys or
-- another identity provider) and may set one later. NULL says so; the "!" sentinel of Django's
-- set_unusable_password (and of invitations) goes, and nothing can store one again.
ALTER TABLE users ALTER COLUMN password_hash DROP NOT NULL;
UPDATE users SET password_hash = NULL WHERE password_hash LIKE '!%' OR password_hash = '';
ALTER TABLE users ADD CONSTRAINT users_password_hash_check CHECK (password_hash <> '' AND password_hash NOT LIKE '!%');

-- +goose Down
-- Before this migration every account had a hash: one without a password gets Django's unusable form
-- ("!" and 40 random characters), which no password matches whatever the characters are.
ALTER TABLE users DROP CONSTRAINT users_password_hash_check;
UPDATE users SET password_hash = '!' || substr(md5(random()::text) || md5(random()::text), 1, 40)
WHERE password_hash IS NULL;
ALTER TABLE users ALTER COLUMN password_hash SET NOT NULL;
