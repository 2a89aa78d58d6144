package store

import (
	"context"
	"time"

	"github.com/authd/authd/gen/db"
	"github.com/authd/authd/internal/auth"
)

var _ auth.ThrottleStore = (*Store)(nil)

// LoginThrottle implements auth.ThrottleStore.
func (s *Store) LoginThrottle(ctx context.Context, email, ip string, hourlyLimit int) (auth.LoginThrottleState, error) {
	row, err := s.q.LoginLockedUntil(ctx, db.LoginLockedUntilParams{Email: email, Ip: ip, HourlyLimit: int32(hourlyLimit)})
	if err != nil {
		return auth.LoginThrottleState{}, wrap("load login throttle", err)
	}
	return auth.LoginThrottleState{LockedUntil: row.LockedUntil, HasFailures: row.HasFailures, HourlyFailures: int(row.HourlyFailures),
		OldestCountedFailure: row.OldestCountedFailure}, nil
}

// RecordLoginFailure counts a failed login for (email, ip) and for the account's hourly cap.
func (s *Store) RecordLoginFailure(ctx context.Context, email, ip string, maxFailures int) (time.Time, error) {
	var lockedUntil time.Time
	return lockedUntil, wrap("record login failure", s.InTx(ctx, func(q *db.Queries) error {
		row, err := q.RecordLoginFailure(ctx, db.RecordLoginFailureParams{Email: email, Ip: ip, MaxFailures: int32(maxFailures)})
		if err != nil {
			return err
		}
		if row.LockedUntil != nil {
			lockedUntil = *row.LockedUntil
		}
		return q.RecordLoginFailureEvent(ctx, email)
	}))
}

// ClearLoginFailures resets the consecutive failures of (email, ip) after a successful login.
func (s *Store) ClearLoginFailures(ctx context.Context, email, ip string) error {
	return wrap("clear login failures", s.q.ClearLoginFailures(ctx, db.ClearLoginFailuresParams{Email: email, Ip: ip}))
}

// HitRate counts a request against key's current one-minute window.
func (s *Store) HitRate(ctx context.Context, key string) (int, time.Time, error) {
	row, err := s.q.HitRateWindow(ctx, key)
	if err != nil {
		return 0, time.Time{}, wrap("count rate window", err)
	}
	return int(row.Hits), row.WindowEnd, nil
}
