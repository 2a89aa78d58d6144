-- +goose Up
-- Security events, append-only: authd inserts and the janitor deletes rows older than audit_retention_days;
-- nothing updates them. Ids are kept without foreign keys, so that the trail outlives the users it names.
-- No password, token or hash is ever written here.
CREATE TABLE audit_events (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    occurred_at timestamptz NOT NULL DEFAULT now(),
    event       text NOT NULL,
    actor_id    uuid,
    subject_id  uuid,
    session_id  uuid,
    ip          text NOT NULL DEFAULT '',
    user_agent  text NOT NULL DEFAULT '',
    request_id  text NOT NULL DEFAULT '',
    details     jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_events_subject_idx ON audit_events (subject_id, id DESC);
CREATE INDEX audit_events_event_idx ON audit_events (event, id DESC);
CREATE INDEX audit_events_occurred_at_idx ON audit_events (occurred_at);

-- The janitor finds what it may delete by these. They are on columns a refresh never changes (a token's
-- used_at comes after its created_at, a session ends after it was created), so that the rows a refresh
-- updates keep their HOT updates; BRIN, because rows arrive in created_at order and a BRIN index costs
-- almost nothing to keep up to date on every insert.
CREATE INDEX refresh_tokens_created_at_idx ON refresh_tokens USING brin (created_at);
CREATE INDEX sessions_created_at_idx ON sessions USING brin (created_at);
CREATE INDEX login_failures_last_failure_idx ON login_failures (last_failure_at);
CREATE INDEX login_failure_events_failed_at_idx ON login_failure_events (failed_at);

-- +goose Down
DROP INDEX login_failure_events_failed_at_idx;
DROP INDEX login_failures_last_failure_idx;
DROP INDEX sessions_created_at_idx;
DROP INDEX refresh_tokens_created_at_idx;
DROP TABLE audit_events;
