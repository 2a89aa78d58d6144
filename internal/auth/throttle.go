package auth

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/netip"
	"time"

	"github.com/google/uuid"
)

// ErrRateLimited means the caller must wait; errors.As to *RateLimitedError gives how long.
var ErrRateLimited = errors.New("too many requests")

// hourlyAccountFailures is the cap on failed logins per account per hour, from everywhere (NIST SP
// 800-63B section 5.2.2 allows at most 100).
const hourlyAccountFailures = 100

// RateLimitedError says how long the caller must wait.
type RateLimitedError struct{ RetryAfter time.Duration }

func (e *RateLimitedError) Error() string {
	return fmt.Sprintf("too many requests; retry in %s", e.RetryAfter.Round(time.Second))
}

// Is makes errors.Is(err, ErrRateLimited) true.
func (e *RateLimitedError) Is(target error) bool { return target == ErrRateLimited }

// RetryAfterSeconds is the Retry-After value: whole seconds, at least 1.
func (e *RateLimitedError) RetryAfterSeconds() int {
	return max(1, int(math.Ceil(e.RetryAfter.Seconds())))
}

// LoginThrottleState is what the store knows about an (account, IP) pair and the account.
type LoginThrottleState struct {
	LockedUntil time.Time
	// HasFailures says the pair has consecutive failures on record, which a success must clear.
	HasFailures          bool
	HourlyFailures       int
	OldestCountedFailure time.Time
}

// ThrottleStore keeps the throttling counters in the database every instance shares.
type ThrottleStore interface {
	LoginThrottle(ctx context.Context, email, ip string, hourlyLimit int) (LoginThrottleState, error)
	// RecordLoginFailure counts a failure and returns when the pair is locked until (zero when it is not).
	RecordLoginFailure(ctx context.Context, email, ip string, maxFailures int) (lockedUntil time.Time, err error)
	ClearLoginFailures(ctx context.Context, email, ip string) error
	HitRate(ctx context.Context, key string) (hits int, windowEnd time.Time, err error)
}

// checkLoginThrottle refuses a login attempt for an account that is locked for this IP, or that failed too
// often in the last hour from everywhere. It runs before the password is checked, so the right password
// does not get through a lock either.
func (s *Service) checkLoginThrottle(ctx context.Context, email, ip string) (LoginThrottleState, error) {
	st, err := s.throttle.LoginThrottle(ctx, email, clientNetwork(ip), hourlyAccountFailures)
	if err != nil {
		return st, err
	}
	now := time.Now()
	if wait := st.LockedUntil.Sub(now); wait > 0 {
		return st, &RateLimitedError{RetryAfter: wait}
	}
	if st.HourlyFailures >= hourlyAccountFailures {
		return st, &RateLimitedError{RetryAfter: max(time.Second, st.OldestCountedFailure.Add(time.Hour).Sub(now))}
	}
	return st, nil
}

// recordLoginFailure counts a failed password check for (email, ip).
func (s *Service) recordLoginFailure(ctx context.Context, email string, subject uuid.UUID, ip string) error {
	lockedUntil, err := s.throttle.RecordLoginFailure(ctx, email, clientNetwork(ip), int(s.settings.Get()[SettingLoginMaxFailures]))
	if err == nil && !lockedUntil.IsZero() {
		s.audit.Record(ctx, EventLockout, uuid.Nil, subject, uuid.Nil, map[string]any{"email": email, "client": clientNetwork(ip),
			"locked_until": lockedUntil.UTC().Format(time.RFC3339)})
	}
	return err
}

// CheckRate counts a request from ip against the per-IP limit per minute (0 turns it off).
func (s *Service) CheckRate(ctx context.Context, ip string) error {
	limit := s.settings.Get()[SettingRateLimitPerIP]
	if limit <= 0 {
		return nil
	}
	hits, windowEnd, err := s.throttle.HitRate(ctx, "ip:"+clientNetwork(ip))
	if err != nil {
		return err
	}
	if int64(hits) > limit {
		return &RateLimitedError{RetryAfter: time.Until(windowEnd)}
	}
	return nil
}

// clientNetwork is what throttling counts as one client: an IPv4 address, or an IPv6 /64, which one
// customer is usually given whole (RFC 6177) and can take any number of addresses from.
func clientNetwork(ip string) string {
	addr, err := netip.ParseAddr(ip)
	if err != nil {
		return ip
	}
	addr = addr.Unmap()
	if addr.Is4() {
		return addr.String()
	}
	prefix, err := addr.WithZone("").Prefix(64)
	if err != nil {
		return addr.String()
	}
	return prefix.String()
}
