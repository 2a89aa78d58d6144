-- +goose Up
-- Access-token signing keys, shared by every authd instance. A key is published (JWKS) as "next" before it
-- signs, signs while "current", keeps verifying as "previous" until every token it signed has expired
-- (retire_at), and then is "retired"; "revoked" keys are withdrawn at once. Only the sealed private key
-- is stored: AES-256-GCM under a key derived from AUTHD_SECRET_KEY, with the kid as additional data.
-- Retired and revoked rows are deleted 30 days later by key maintenance.
CREATE TABLE signing_keys (
    kid            text PRIMARY KEY,
    alg            text NOT NULL CHECK (alg IN ('ES256', 'EdDSA', 'RS256')),
    state          text NOT NULL CHECK (state IN ('next', 'current', 'previous', 'retired', 'revoked')),
    public_jwk     jsonb NOT NULL,
    sealed_private bytea NOT NULL,
    created_at     timestamptz NOT NULL DEFAULT now(),
    activated_at   timestamptz,
    deactivated_at timestamptz,
    retire_at      timestamptz,
    retired_at     timestamptz
);

-- At most one key signs.
CREATE UNIQUE INDEX signing_keys_one_current ON signing_keys (state) WHERE state = 'current';

-- +goose Down
DROP TABLE signing_keys;
