-- +goose Up
-- Consecutive failed logins per (account, client IP). Unknown emails get rows like known ones, so 429s
-- reveal nothing about which accounts exist.
CREATE TABLE login_failures (
    email           text NOT NULL,
    ip              text NOT NULL,
    failures        integer NOT NULL,
    last_failure_at timestamptz NOT NULL DEFAULT now(),
    locked_until    timestamptz,
    PRIMARY KEY (email, ip)
);

-- Every failed login, for the per-account hourly cap (NIST SP 800-63B 5.2.2); rows older than an hour are
-- pruned as new ones arrive.
CREATE TABLE login_failure_events (
    email     text NOT NULL,
    failed_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX login_failure_events_email_idx ON login_failure_events (email, failed_at);

-- Fixed one-minute windows of requests per client IP, shared by every instance.
CREATE TABLE rate_windows (
    key          text NOT NULL,
    window_start timestamptz NOT NULL,
    hits         integer NOT NULL,
    PRIMARY KEY (key, window_start)
);

-- +goose Down
DROP TABLE rate_windows;
DROP TABLE login_failure_events;
DROP TABLE login_failures;
