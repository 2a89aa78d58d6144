-- +goose Up
-- A refresh token is identified by its hash, which is unique anyway: the surrogate id, and the parent_id
-- lineage nothing reads, cost every rotation a uuid, an index entry and, on deletion, foreign-key updates.
ALTER TABLE refresh_tokens DROP COLUMN parent_id;
ALTER TABLE refresh_tokens DROP CONSTRAINT refresh_tokens_pkey;
ALTER TABLE refresh_tokens DROP COLUMN id;
ALTER TABLE refresh_tokens DROP CONSTRAINT refresh_tokens_token_hash_key;
ALTER TABLE refresh_tokens ADD PRIMARY KEY (token_hash);

-- +goose Down
ALTER TABLE refresh_tokens DROP CONSTRAINT refresh_tokens_pkey;
ALTER TABLE refresh_tokens ADD CONSTRAINT refresh_tokens_token_hash_key UNIQUE (token_hash);
ALTER TABLE refresh_tokens ADD COLUMN id uuid PRIMARY KEY DEFAULT gen_random_uuid();
ALTER TABLE refresh_tokens ADD COLUMN parent_id uuid REFERENCES refresh_tokens (id) ON DELETE SET NULL;
