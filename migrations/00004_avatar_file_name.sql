-- +goose Up
-- The row keeps the avatar's file name; where avatars are served is the HTTP layer's business, so the URL is
-- built there. Existing rows held "/media/avatars/<name>"; only the name is kept.
ALTER TABLE users RENAME COLUMN avatar_url TO avatar;
UPDATE users SET avatar = regexp_replace(avatar, '^.*/', '') WHERE avatar LIKE '%/%';

-- +goose Down
UPDATE users SET avatar = '/media/avatars/' || avatar WHERE avatar IS NOT NULL;
ALTER TABLE users RENAME COLUMN avatar TO avatar_url;
