-- +goose Up
-- Runtime settings. The environment only seeds the first values; after that PostgreSQL is the truth, and
-- every authd instance reloads on NOTIFY authd_settings (and by polling, in case a notification is missed).
CREATE TABLE settings (
    key        text PRIMARY KEY,
    value      bigint NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE settings_history (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    key              text NOT NULL,
    old_value        bigint NOT NULL,
    new_value        bigint NOT NULL,
    changed_by       uuid REFERENCES users (id) ON DELETE SET NULL,
    -- kept so that the history still says who, after that user is deleted
    changed_by_email text NOT NULL,
    changed_at       timestamptz NOT NULL DEFAULT now()
);

-- Admin user listing pages newest first by (created_at, id).
CREATE INDEX users_created_at_id_idx ON users (created_at DESC, id DESC);

-- +goose Down
DROP INDEX users_created_at_id_idx;
DROP TABLE settings_history;
DROP TABLE settings;
