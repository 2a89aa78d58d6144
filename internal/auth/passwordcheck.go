package auth

import (
	"context"
	"errors"

	"github.com/google/uuid"

	"golang.org/x/text/unicode/norm"
)

// errPasswordMismatch is a password check that failed; callers turn it into ErrInvalidCredentials (login)
// or ErrWrongPassword (confirming a change).
var errPasswordMismatch = errors.New("password does not match")

// normalizePassword is the form in which a password is checked against the policy and hashed: NFKC (NIST
// SP 800-63B-4 section 5.1.1.2), so that the same password typed as NFD on one keyboard and as NFC on
// another is one password.
func normalizePassword(password string) string { return norm.NFKC.String(password) }

// verifyPassword checks password against hash in its normalised form and then, for hashes stored before
// passwords were normalised, as typed. rehash says the stored hash should be replaced by one of the
// normalised form with the current parameters.
func (s *Service) verifyPassword(ctx context.Context, password, hash string) (match, rehash bool, err error) {
	normalized := normalizePassword(password)
	match, rehash, err = s.hasher.Verify(ctx, normalized, hash)
	if err != nil || match || normalized == password {
		return match, rehash, err
	}
	match, _, err = s.hasher.Verify(ctx, password, hash)
	return match, match, err
}

// checkPassword is every password check authd makes, at login or to confirm a change. It is refused at
// once while hashing is saturated (before any database work), and while (account, client) is locked or
// the account has failed too often this hour; a wrong password counts as a failed login of the account
// from the client, a right one clears the pair's count. A mismatch is errPasswordMismatch.
func (s *Service) checkPassword(ctx context.Context, account string, subject uuid.UUID, client Client, password, hash string) (rehash bool, err error) {
	if s.hasher.Saturated() {
		return false, ErrBusy
	}
	throttle, err := s.checkLoginThrottle(ctx, account, client.IP)
	if err != nil {
		if errors.Is(err, ErrRateLimited) {
			s.audit.Record(ctx, EventLoginFailed, uuid.Nil, subject, uuid.Nil, map[string]any{"reason": "throttled", "email": account})
		}
		return false, err
	}
	match, rehash, err := s.verifyPassword(ctx, password, hash)
	if err != nil {
		return false, err
	}
	if !match {
		s.audit.Record(ctx, EventLoginFailed, uuid.Nil, subject, uuid.Nil, map[string]any{"reason": "invalid_credentials", "email": account})
		if err := s.recordLoginFailure(ctx, account, subject, client.IP); err != nil {
			return false, err
		}
		return false, errPasswordMismatch
	}
	if throttle.HasFailures {
		if err := s.throttle.ClearLoginFailures(ctx, account, clientNetwork(client.IP)); err != nil {
			return false, err
		}
	}
	return rehash, nil
}
