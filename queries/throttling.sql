-- name: LoginLockedUntil :one
-- When (method, account, client) is locked, and how many failures the account had in the last hour, from
-- everywhere and by every method.
SELECT
    COALESCE((SELECT locked_until FROM login_failures f WHERE f.method = @method AND f.email = @email AND f.ip = @ip), 'epoch')::timestamptz AS locked_until,
    EXISTS (SELECT 1 FROM login_failures f WHERE f.method = @method AND f.email = @email AND f.ip = @ip) AS has_failures,
    (SELECT count(*) FROM login_failure_events e WHERE e.email = @email AND e.failed_at > now() - interval '1 hour')::int AS hourly_failures,
    COALESCE((SELECT min(e.failed_at) FROM (
        SELECT failed_at FROM login_failure_events e2
        WHERE e2.email = @email AND e2.failed_at > now() - interval '1 hour'
        ORDER BY failed_at DESC LIMIT @hourly_limit::int) e), 'epoch')::timestamptz AS oldest_counted_failure;

-- name: RecordLoginFailure :one
-- One more consecutive failure of (method, account, client), and one more for the account's hourly cap, in
-- one statement; from the max_failures-th on, the key is locked for 30 s doubling with each further
-- failure, capped at 15 minutes.
WITH event AS (
    INSERT INTO login_failure_events (method, email) VALUES (@method, @email)
)
INSERT INTO login_failures AS f (method, email, ip, failures, last_failure_at, locked_until)
VALUES (@method, @email, @ip, 1, now(),
        CASE WHEN 1 >= @max_failures::int THEN now() + interval '30 seconds' END)
ON CONFLICT (method, email, ip) DO UPDATE SET
    -- a day without failures starts the count again (the janitor deletes such rows)
    failures = CASE WHEN f.last_failure_at < now() - interval '1 day' THEN 1 ELSE f.failures + 1 END,
    last_failure_at = now(),
    locked_until = CASE WHEN f.last_failure_at >= now() - interval '1 day' AND f.failures + 1 >= @max_failures::int
        THEN now() + least(interval '30 seconds' * power(2, least(f.failures + 1 - @max_failures::int, 10)), interval '15 minutes')
        WHEN f.last_failure_at < now() - interval '1 day' AND 1 >= @max_failures::int THEN now() + interval '30 seconds'
        END
RETURNING failures, locked_until;

-- name: ClearLoginFailures :exec
DELETE FROM login_failures WHERE method = @method AND email = @email AND ip = @ip;

-- name: HitRateWindow :one
-- Counts one request in the current window of key and returns the count and when the window ends.
INSERT INTO rate_windows AS w (key, window_start, hits)
VALUES (@key, date_trunc('minute', now()), 1)
ON CONFLICT (key, window_start) DO UPDATE SET hits = w.hits + 1
RETURNING hits, (window_start + interval '1 minute')::timestamptz AS window_end;


-- name: DeleteStaleLoginFailures :execrows
-- Consecutive failures are forgotten a day after the last one (RecordLoginFailure restarts the count the
-- same way), once any lock has expired: such rows decide nothing.
DELETE FROM login_failures WHERE (method, email, ip) IN (
    SELECT method, email, ip FROM login_failures
    WHERE last_failure_at < now() - interval '1 day' AND (locked_until IS NULL OR locked_until < now())
    LIMIT @batch::int);

-- name: DeleteOldLoginFailureEvents :execrows
-- The hourly cap looks back one hour.
DELETE FROM login_failure_events WHERE ctid IN (
    SELECT ctid FROM login_failure_events WHERE failed_at < now() - interval '1 hour' LIMIT @batch::int);

-- name: DeleteOldRateWindows :execrows
DELETE FROM rate_windows WHERE (key, window_start) IN (
    SELECT key, window_start FROM rate_windows WHERE window_start < now() - interval '2 minutes' LIMIT @batch::int);
