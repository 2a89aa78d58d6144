-- +goose Up
ALTER TABLE users ADD COLUMN email_verified_at timestamptz;

-- Links sent by email carry a random token; only its SHA-256 is kept. A token is bound to its purpose and
-- to the address it was sent to (for an email change, the new address), is used once and expires.
CREATE TABLE email_tokens (
    token_hash bytea PRIMARY KEY,
    user_id    uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    purpose    text NOT NULL CHECK (purpose IN ('verify_email', 'change_email', 'reset_password', 'invitation')),
    email      text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    used_at    timestamptz
);

CREATE INDEX email_tokens_user_idx ON email_tokens (user_id, purpose, created_at);
CREATE INDEX email_tokens_expires_at_brin ON email_tokens USING brin (expires_at);

-- The transactional outbox: a flow writes its rendered message here in the transaction of its state change,
-- and the sender in authd serve delivers it. A row is due when next_attempt_at has passed; claiming it
-- moves next_attempt_at forward (a lease), so a sender that dies mid-send leaves it to be retried.
CREATE TABLE mail_outbox (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind            text NOT NULL,
    recipient       text NOT NULL,
    subject         text NOT NULL,
    text_body       text NOT NULL,
    html_body       text NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    attempts        integer NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    last_error      text,
    sent_at         timestamptz,
    failed_at       timestamptz
);

CREATE INDEX mail_outbox_due_idx ON mail_outbox (next_attempt_at) WHERE sent_at IS NULL AND failed_at IS NULL;
CREATE INDEX mail_outbox_created_at_brin ON mail_outbox USING brin (created_at);

-- +goose Down
DROP TABLE mail_outbox;
DROP TABLE email_tokens;
ALTER TABLE users DROP COLUMN email_verified_at;
