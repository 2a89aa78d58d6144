-- +goose Up
CREATE TABLE users (
    id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    email         text NOT NULL CHECK (email = lower(email) AND length(email) <= 254),
    username      text CHECK (length(username) BETWEEN 1 AND 50),
    password_hash text NOT NULL,
    first_name    text NOT NULL DEFAULT '' CHECK (length(first_name) <= 50),
    last_name     text NOT NULL DEFAULT '' CHECK (length(last_name) <= 50),
    phone_number  text,
    avatar_url    text,
    language_code text NOT NULL DEFAULT 'en',
    is_admin      boolean NOT NULL DEFAULT false,
    is_active     boolean NOT NULL DEFAULT true,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    last_login_at timestamptz
);

CREATE UNIQUE INDEX users_email_key ON users (email);
CREATE UNIQUE INDEX users_username_key ON users (lower(username));

-- A session is one login; every refresh token it ever issued belongs to it, so revoking the session
-- revokes them all, and access tokens carry its id (sid) to be checked on every request.
CREATE TABLE sessions (
    id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id      uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at   timestamptz NOT NULL DEFAULT now(),
    last_used_at timestamptz NOT NULL DEFAULT now(),
    expires_at   timestamptz NOT NULL,
    revoked_at   timestamptz,
    user_agent   text NOT NULL DEFAULT '',
    ip_address   text NOT NULL DEFAULT ''
);

CREATE INDEX sessions_user_id_idx ON sessions (user_id) WHERE revoked_at IS NULL;

-- Only the SHA-256 of a refresh token is stored. A token is "used" once rotated; presenting a used token
-- again is reuse and revokes its session.
CREATE TABLE refresh_tokens (
    id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    session_id uuid NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    parent_id  uuid REFERENCES refresh_tokens (id) ON DELETE SET NULL,
    token_hash bytea NOT NULL UNIQUE,
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    used_at    timestamptz
);

CREATE INDEX refresh_tokens_session_id_idx ON refresh_tokens (session_id);

-- +goose Down
DROP TABLE refresh_tokens;
DROP TABLE sessions;
DROP TABLE users;
