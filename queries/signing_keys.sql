-- name: LockSigningKeys :exec
-- Key maintenance runs on one instance at a time; the others wait their turn and then find nothing to do.
SELECT pg_advisory_xact_lock(hashtext('authd_signing_keys'));

-- name: ListSigningKeys :many
SELECT * FROM signing_keys ORDER BY created_at DESC, kid;

-- name: ListPublishedSigningKeys :many
-- The keys that are published and verify: next, current and previous.
SELECT * FROM signing_keys WHERE state IN ('next', 'current', 'previous') ORDER BY created_at DESC, kid;

-- name: InsertSigningKey :exec
INSERT INTO signing_keys (kid, alg, state, public_jwk, sealed_private, activated_at)
VALUES (@kid, @alg, @state, @public_jwk, @sealed_private,
        CASE WHEN @state::text = 'current' THEN now() END);

-- name: DueNextSigningKey :one
-- The oldest "next" key of alg that has been published for publish_ahead_seconds, by the database's clock.
SELECT kid FROM signing_keys
WHERE state = 'next' AND alg = @alg AND created_at <= now() - make_interval(secs => @publish_ahead_seconds::float8)
ORDER BY created_at LIMIT 1;

-- name: ActivateSigningKey :exec
UPDATE signing_keys SET state = 'current', activated_at = now() WHERE kid = @kid;

-- name: DemoteCurrentSigningKey :exec
-- The current key stops signing and keeps verifying until every token it signed has expired: the longest
-- access-token lifetime in force while it signed, plus leeway for clocks.
UPDATE signing_keys k SET state = 'previous', deactivated_at = now(),
    retire_at = now() + make_interval(secs => GREATEST(@access_ttl_seconds::float8, COALESCE((
        SELECT max(GREATEST(h.old_value, h.new_value)) FROM settings_history h
        WHERE h.key = 'access_token_ttl_seconds' AND h.changed_at >= k.activated_at), 0)::float8) + @leeway_seconds::float8)
WHERE state = 'current';

-- name: RetireExpiredSigningKeys :execrows
UPDATE signing_keys SET state = 'retired', retired_at = now() WHERE state = 'previous' AND retire_at <= now();

-- name: RevokeSigningKey :execrows
UPDATE signing_keys SET state = 'revoked', retired_at = now()
WHERE kid = @kid AND state IN ('next', 'current', 'previous');

-- name: DeleteOldSigningKeys :exec
DELETE FROM signing_keys WHERE state IN ('retired', 'revoked') AND retired_at < now() - interval '30 days';

-- name: NotifySigningKeysChanged :exec
SELECT pg_notify('authd_signing_keys', '');
