package store

import (
	"context"
	"time"

	"github.com/authd/authd/gen/db"
	"github.com/authd/authd/internal/auth"
)

var _ auth.ThrottleStore = (*Store)(nil)

// LoginThrottle implements auth.ThrottleStore.
func (s *Store) LoginThrottle(ctx context.Context, key auth.ThrottleKey, hourlyLimit int) (auth.LoginThrottleState, error) {
	row, err := s.queries(ctx).LoginLockedUntil(ctx, db.LoginLockedUntilParams{Method: string(key.Method), Email: key.Account, Ip: key.Client,
		HourlyLimit: int32(hourlyLimit)})
	if err != nil {
		return auth.LoginThrottleState{}, wrap("load login throttle", err)
	}
	return auth.LoginThrottleState{LockedUntil: row.LockedUntil, HasFailures: row.HasFailures, HourlyFailures: int(row.HourlyFailures),
		OldestCountedFailure: row.OldestCountedFailure}, nil
}

// RecordLoginFailure counts a failed check of key and of its account's hourly cap, in one statement.
func (s *Store) RecordLoginFailure(ctx context.Context, key auth.ThrottleKey, maxFailures int) (time.Time, error) {
	row, err := s.queries(ctx).RecordLoginFailure(ctx, db.RecordLoginFailureParams{Method: string(key.Method), Email: key.Account, Ip: key.Client,
		MaxFailures: int32(maxFailures)})
	if err != nil {
		return time.Time{}, wrap("record login failure", err)
	}
	if row.LockedUntil == nil {
		return time.Time{}, nil
	}
	return *row.LockedUntil, nil
}

// ClearLoginFailures resets the consecutive failures of key after a successful check.
func (s *Store) ClearLoginFailures(ctx context.Context, key auth.ThrottleKey) error {
	return wrap("clear login failures", s.queries(ctx).ClearLoginFailures(ctx, db.ClearLoginFailuresParams{Method: string(key.Method),
		Email: key.Account, Ip: key.Client}))
}

// HitRate counts a request against key's current one-minute window.
func (s *Store) HitRate(ctx context.Context, key string) (int, time.Time, error) {
	row, err := s.queries(ctx).HitRateWindow(ctx, key)
	if err != nil {
		return 0, time.Time{}, wrap("count rate window", err)
	}
	return int(row.Hits), row.WindowEnd, nil
}
