-- +goose Up
-- gin_trgm_ops also answers "=", and on stale statistics (during and after a large import) the planner
-- chose the trigram index over the unique btree for "email = $1": each lookup then read the posting lists
-- of trigrams every address shares ("com", "@ex"), milliseconds that grew with the table, on every login.
-- Indexed on lower(email) (the same text: emails are stored lower-cased), the trigram index serves only the
-- search, which reads lower(email) too; equality keeps to users_email_key.
DROP INDEX users_email_trgm_idx;
CREATE INDEX users_email_trgm_idx ON users USING gin (lower(email) gin_trgm_ops);

-- +goose Down
DROP INDEX users_email_trgm_idx;
CREATE INDEX users_email_trgm_idx ON users USING gin (email gin_trgm_ops);
