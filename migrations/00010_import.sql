-- +goose Up
-- external_id is the user's id in the system it was imported from (a Django pk, say): the key that makes
-- `authd import` idempotent. import_digest is the SHA-256 of the password hash as last imported, so that a
-- re-import replaces the password only when the source's changed, not after authd upgraded it at a login.
ALTER TABLE users ADD COLUMN external_id text CHECK (length(external_id) BETWEEN 1 AND 255);
ALTER TABLE users ADD COLUMN import_digest bytea;
CREATE UNIQUE INDEX users_external_id_key ON users (external_id);

-- +goose Down
DROP INDEX users_external_id_key;
ALTER TABLE users DROP COLUMN import_digest;
ALTER TABLE users DROP COLUMN external_id;
