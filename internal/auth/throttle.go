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

// hourlyAccountFailures is the cap on failed credential checks per account per hour, from everywhere and
// by every method (NIST SP 800-63B-4 section 3.2.2 allows at most 100).
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

// ThrottleKey is what a credential check is throttled by: the method, the account (the normalised email,
// whether or not an account has it) and the client's network. The consecutive-failure lock is per key;
// the hourly cap is per account, across methods and clients.
type ThrottleKey struct {
	Method  Method
	Account string
	Client  string
}

func throttleKey(method Method, account string, client ClientInfo) ThrottleKey {
	return ThrottleKey{Method: method, Account: account, Client: clientNetwork(client.IP)}
}

// LoginThrottleState is what the store knows about a key and its account.
type LoginThrottleState struct {
	LockedUntil time.Time
	// HasFailures says the key has consecutive failures on record, which a success must clear.
	HasFailures          bool
	HourlyFailures       int
	OldestCountedFailure time.Time
}

// ThrottleStore keeps the throttling counters in the database every instance shares.
type ThrottleStore interface {
	LoginThrottle(ctx context.Context, key ThrottleKey, hourlyLimit int) (LoginThrottleState, error)
	// RecordLoginFailure counts a failure of key, and of its account for the hourly cap, and returns when
	// the key is locked until (zero when it is not).
	RecordLoginFailure(ctx context.Context, key ThrottleKey, maxFailures int) (lockedUntil time.Time, err error)
	ClearLoginFailures(ctx context.Context, key ThrottleKey) error
	HitRate(ctx context.Context, key string) (hits int, windowEnd time.Time, err error)
}

// throttledCheck is every credential check, whatever the method: refused while key is locked or its
// account failed too often this hour (before check runs, so the right credential does not get through a
// lock either); a failed check is audited and counted, a passed one clears the key's consecutive
// failures. A failed check is errCredentialMismatch. subject is the account's user, uuid.Nil for none.
func (s *Service) throttledCheck(ctx context.Context, key ThrottleKey, subject uuid.UUID, check func() (bool, error)) error {
	state, err := s.checkLoginThrottle(ctx, key)
	if err != nil {
		if errors.Is(err, ErrRateLimited) {
			s.audit.Record(ctx, EventLoginFailed, uuid.Nil, subject, uuid.Nil,
				map[string]any{"reason": "throttled", "email": key.Account, "method": string(key.Method)})
		}
		return err
	}
	match, err := check()
	if err != nil {
		return err
	}
	if !match {
		if err := s.recordLoginFailure(ctx, key, subject); err != nil {
			return err
		}
		return errCredentialMismatch
	}
	if state.HasFailures {
		if err := s.throttle.ClearLoginFailures(ctx, key); err != nil {
			return err
		}
	}
	return nil
}

// checkLoginThrottle refuses a check of key while it is locked, or while its account has failed too often
// in the last hour, from everywhere and by any method.
func (s *Service) checkLoginThrottle(ctx context.Context, key ThrottleKey) (LoginThrottleState, error) {
	st, err := s.throttle.LoginThrottle(ctx, key, hourlyAccountFailures)
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

// recordLoginFailure counts a failed check of key and audits it, and the lockout it starts, in one
// transaction.
func (s *Service) recordLoginFailure(ctx context.Context, key ThrottleKey, subject uuid.UUID) error {
	return s.store.Atomically(ctx, func(ctx context.Context) error {
		lockedUntil, err := s.throttle.RecordLoginFailure(ctx, key, int(s.settings.Get()[SettingLoginMaxFailures]))
		if err != nil {
			return err
		}
		if err := s.audit.Write(ctx, EventLoginFailed, uuid.Nil, subject, uuid.Nil,
			map[string]any{"reason": "invalid_credentials", "email": key.Account, "method": string(key.Method)}); err != nil {
			return err
		}
		if lockedUntil.IsZero() {
			return nil
		}
		return s.audit.Write(ctx, EventLockout, uuid.Nil, subject, uuid.Nil, map[string]any{"email": key.Account, "client": key.Client,
			"method": string(key.Method), "locked_until": lockedUntil.UTC().Format(time.RFC3339)})
	})
}

// checkAddressRate counts a request of kind (forgot, login_code) for an address against limit per rate
// window, whether or not an account has the address, so that nobody floods a mailbox through authd.
func (s *Service) checkAddressRate(ctx context.Context, kind, email string, limit int) error {
	hits, windowEnd, err := s.throttle.HitRate(ctx, kind+":"+email)
	if err != nil {
		return err
	}
	if hits > limit {
		return &RateLimitedError{RetryAfter: time.Until(windowEnd)}
	}
	return nil
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
