-- +goose Up
-- A session knows how it was authenticated: its assurance level (NIST SP 800-63B-4 AAL, 1 or 2), when the
-- user last proved a credential in it (auth_time, which re-authentication moves), the authd methods used
-- (password, email_code, ...) and their RFC 8176 amr values, both in the order they were used. Sessions
-- from before this migration were all password logins at their creation.
ALTER TABLE sessions
    ADD COLUMN aal       smallint NOT NULL DEFAULT 1 CHECK (aal IN (1, 2)),
    ADD COLUMN auth_time timestamptz,
    ADD COLUMN methods   text[] NOT NULL DEFAULT '{}' CHECK (cardinality(methods) <= 16),
    ADD COLUMN amr       text[] NOT NULL DEFAULT '{}' CHECK (cardinality(amr) <= 16);
UPDATE sessions SET auth_time = created_at, methods = '{password}', amr = '{pwd}';
ALTER TABLE sessions ALTER COLUMN auth_time SET NOT NULL, ALTER COLUMN auth_time SET DEFAULT now();

-- Who may have a session, decided in one place for starting one, refreshing it and every request: NULL,
-- or why not.
-- +goose StatementBegin
CREATE FUNCTION authd_session_refusal(is_active boolean, email_verified_at timestamptz, require_verified boolean)
RETURNS text LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN NOT is_active THEN 'account_disabled'
                WHEN require_verified AND email_verified_at IS NULL THEN 'email_not_verified' END
$$;
-- +goose StatementEnd

-- Throttling is per method: the consecutive-failure lock is keyed by (method, account, client network).
-- The hourly cap stays per account across methods (NIST SP 800-63B-4 section 3.2.2), so the events only
-- record the method, for the operator.
ALTER TABLE login_failures ADD COLUMN method text NOT NULL DEFAULT 'password';
ALTER TABLE login_failures ALTER COLUMN method DROP DEFAULT;
ALTER TABLE login_failures DROP CONSTRAINT login_failures_pkey, ADD PRIMARY KEY (method, email, ip);
ALTER TABLE login_failure_events ADD COLUMN method text NOT NULL DEFAULT 'password';
ALTER TABLE login_failure_events ALTER COLUMN method DROP DEFAULT;

-- +goose Down
ALTER TABLE login_failure_events DROP COLUMN method;
-- Failures of other methods than the password have no place in the old table.
DELETE FROM login_failures WHERE method <> 'password';
ALTER TABLE login_failures DROP CONSTRAINT login_failures_pkey, ADD PRIMARY KEY (email, ip);
ALTER TABLE login_failures DROP COLUMN method;
DROP FUNCTION authd_session_refusal;
ALTER TABLE sessions DROP COLUMN amr, DROP COLUMN methods, DROP COLUMN auth_time, DROP COLUMN aal;
