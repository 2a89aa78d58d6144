-- +goose Up
-- Sign-in (and re-authentication) codes sent by email. One live code per address and purpose: asking
-- again replaces it. Only a salted SHA-256 of the 6-digit code is kept, and of the sign-in link's
-- 256-bit token only its SHA-256. A code dies after max_failures wrong tries, and those tries carry over to
-- a new code asked for within the same window, so that asking again does not buy more guesses.
CREATE TABLE login_codes (
    id                uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    email             text NOT NULL CHECK (email = lower(email) AND length(email) <= 254),
    purpose           text NOT NULL CHECK (purpose IN ('login', 'reauthenticate')),
    code_salt         bytea NOT NULL CHECK (length(code_salt) = 16),
    code_hash         bytea NOT NULL CHECK (length(code_hash) = 32),
    link_hash         bytea UNIQUE CHECK (length(link_hash) = 32),
    failures          integer NOT NULL DEFAULT 0 CHECK (failures >= 0),
    window_started_at timestamptz NOT NULL DEFAULT now(),
    created_at        timestamptz NOT NULL DEFAULT now(),
    expires_at        timestamptz NOT NULL,
    used_at           timestamptz,
    UNIQUE (email, purpose)
);
-- The janitor deletes codes a day after they expired.
CREATE INDEX login_codes_expires_at_idx ON login_codes USING brin (expires_at);

-- +goose Down
DROP TABLE login_codes;
