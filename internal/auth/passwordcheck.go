package auth

import (
	"context"
	"errors"
	"log/slog"
	"time"

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
	start := time.Now()
	match, rehash, err := s.verifyPassword(ctx, password, hash)
	if err != nil {
		return false, err
	}
	if !match {
		defer s.hasher.awaitFailureFloor(ctx, start)
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

// Imported hashes are verified at their source's cost, which may well exceed argon2id's: a wrong password
// for an account not yet upgraded would then take longer than one for an address without an account, and
// the difference would tell that the account exists. So every failed password check is made to last at
// least failureFloorMargin times the slowest imported hash still stored (or argon2id, if that is slower),
// measured on this machine; Hasher.Verify raises the floor at once when an imported hash it checks takes
// longer.
const (
	// legacyHashSamples bounds the hashes timed in one measurement: a source has a few schemes and costs.
	legacyHashSamples = 64
	// LegacyHashRemeasure is how often each instance measures again without being told of an import: for
	// the floor to fall once every imported hash has been upgraded.
	LegacyHashRemeasure = 10 * time.Minute
	// legacyHashMeasureSpacing spaces the measurements an import's batches ask for.
	legacyHashMeasureSpacing = 5 * time.Second
)

// MeasureLegacyHashes times a wrong password against one stored hash of each imported scheme and cost,
// through the hashing slots like any check, and sets the failure floor from the slowest. With none
// stored, the floor is 0. On an error the floor stays as it was.
func (s *Service) MeasureLegacyHashes(ctx context.Context) error {
	samples, err := s.store.LegacyHashSamples(ctx, legacyHashSamples)
	if err != nil {
		return err
	}
	if len(samples) > 0 {
		// An imported hash faster than argon2id tells as much: the floor covers the dummy's time too.
		samples = append(samples, s.hasher.dummy)
	}
	var slowest time.Duration
	for _, hash := range samples {
		_, _, took, err := s.hasher.timedCheck(ctx, "authd times this hash", hash)
		if errors.Is(err, ErrBusy) {
			return err
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		// A hash authd cannot verify (err) answers as fast as the dummy: it needs no floor.
		slowest = max(slowest, took)
	}
	floor := scaledFloor(slowest)
	if old := s.hasher.FailureFloor(); floor != old {
		slog.InfoContext(ctx, "failed password checks take at least the slowest imported hash",
			slog.Duration("floor", floor), slog.Int("hashes_timed", len(samples)))
	}
	s.hasher.setFailureFloor(floor)
	return nil
}

// FollowLegacyHashes measures at once, whenever imported says users were imported (at most every
// legacyHashMeasureSpacing), and every LegacyHashRemeasure, until ctx ends.
func (s *Service) FollowLegacyHashes(ctx context.Context, imported <-chan struct{}) {
	ticker := time.NewTicker(LegacyHashRemeasure)
	defer ticker.Stop()
	for {
		if err := s.MeasureLegacyHashes(ctx); err != nil && ctx.Err() == nil {
			slog.WarnContext(ctx, "imported hashes not measured", slog.String("error", err.Error()))
		}
		spacing := time.NewTimer(legacyHashMeasureSpacing)
		select {
		case <-ctx.Done():
		case <-spacing.C:
		}
		spacing.Stop()
		select {
		case <-ctx.Done():
			return
		case <-imported:
		case <-ticker.C:
		}
	}
}
