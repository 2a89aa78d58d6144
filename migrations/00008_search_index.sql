-- +goose Up
-- The admin search matches any part of the email or username (LIKE '%q%'); trigram GIN indexes answer
-- that without reading every user. pg_trgm is a trusted extension: the database owner may create it.
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE INDEX users_email_trgm_idx ON users USING gin (email gin_trgm_ops);
CREATE INDEX users_username_trgm_idx ON users USING gin (lower(username) gin_trgm_ops);

-- +goose Down
DROP INDEX users_username_trgm_idx;
DROP INDEX users_email_trgm_idx;
