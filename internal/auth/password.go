package auth

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"time"

	"github.com/google/uuid"

	"golang.org/x/text/unicode/norm"
)

// The password method: argon2id and imported hashes, NFKC, the failure floor, and hash upgrades at login.
// It produces an Assertion of MethodPassword; the session code does the rest.

// errCredentialMismatch is a credential check that failed; callers turn it into ErrInvalidCredentials
// (signing in) or ErrWrongPassword (confirming a change).
var errCredentialMismatch = errors.New("credential does not match")

// normalizePassword is the form in which a password is checked against the policy and hashed: NFKC (NIST
// SP 800-63B-4 section 5.1.1.2), so that the same password typed as NFD on one keyboard and as NFC on
// another is one password.
func normalizePassword(password string) string { return norm.NFKC.String(password) }

// Login checks an email and password and starts a session. An unknown email, an account without a
// password and a wrong password are the same ErrInvalidCredentials after the same amount of hashing;
// ErrAccountDisabled comes only after a correct password.
func (s *Service) Login(ctx context.Context, rawEmail, password string, client ClientInfo) (Grant, error) {
	if s.hasher.Saturated() {
		return Grant{}, ErrBusy
	}
	email, user, err := s.lookupSignIn(ctx, rawEmail)
	if err != nil {
		return Grant{}, err
	}
	a, err := s.passwordAssertion(ctx, email, user, client, password)
	if errors.Is(err, errCredentialMismatch) {
		return Grant{}, ErrInvalidCredentials
	}
	if err != nil {
		return Grant{}, err
	}
	return s.signIn(ctx, user, a, client)
}

// lookupSignIn normalises the address given at sign-in and loads its account (the zero User when there
// is none). Throttling keys on the address as normalised whether or not an account has it, so that 429s
// say nothing about which emails are registered; an address that cannot be normalised has no account.
func (s *Service) lookupSignIn(ctx context.Context, rawEmail string) (string, User, error) {
	email, err := NormalizeEmail(rawEmail)
	if err != nil {
		return strings.ToValidUTF8(strings.ReplaceAll(strings.ToLower(strings.TrimSpace(rawEmail)), "\x00", ""), ""), User{}, nil
	}
	user, err := s.store.UserByEmail(ctx, email)
	if err != nil && !errors.Is(err, ErrNotFound) {
		return "", User{}, err
	}
	return email, user, nil
}

// passwordAssertion checks user's password through the throttle (checkPassword) and upgrades its hash
// when it is not argon2id with today's parameters; a mismatch is errCredentialMismatch.
func (s *Service) passwordAssertion(ctx context.Context, account string, user User, client ClientInfo, password string) (Assertion, error) {
	rehash, err := s.checkPassword(ctx, account, user.ID, client, password, user.PasswordHash)
	if err != nil {
		return Assertion{}, err
	}
	if rehash {
		if err := s.upgradeHash(ctx, user, password); err != nil {
			return Assertion{}, err
		}
	}
	return assert(user.ID, MethodPassword), nil
}

// upgradeHash replaces a verified hash with argon2id of the normalised password.
func (s *Service) upgradeHash(ctx context.Context, user User, password string) error {
	newHash, err := s.hasher.Hash(ctx, normalizePassword(password))
	if err != nil {
		return err
	}
	if err := s.store.Rehash(ctx, user.ID, user.PasswordHash, newHash); err != nil {
		return err
	}
	if scheme, _ := HashScheme(user.PasswordHash); scheme != SchemeArgon2id {
		s.hasher.countUpgrade(scheme)
		slog.InfoContext(ctx, "password hash upgraded to argon2id", slog.String("user_id", user.ID.String()),
			slog.String("from", scheme))
	}
	return nil
}

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

// checkPassword is every password check authd makes, at login or to confirm a change: refused at once
// while hashing is saturated (before any database work), then through the password method's throttle
// (throttledCheck). A wrong password lasts at least the failure floor; it is errCredentialMismatch.
func (s *Service) checkPassword(ctx context.Context, account string, subject uuid.UUID, client ClientInfo, password, hash string) (rehash bool, err error) {
	if s.hasher.Saturated() {
		return false, ErrBusy
	}
	start := time.Now()
	err = s.throttledCheck(ctx, throttleKey(MethodPassword, account, client), subject, func() (bool, error) {
		match, r, err := s.verifyPassword(ctx, password, hash)
		rehash = r
		return match, err
	})
	if errors.Is(err, errCredentialMismatch) {
		// After the failure is recorded, not before: the wait must not push the database work past the
		// request's deadline.
		s.hasher.awaitFailureFloor(ctx, start)
	}
	return rehash, err
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

// ReauthenticateWithPassword proves the caller's password again in their session: its auth_time moves to
// now and a fresh token pair is issued. A wrong password is ErrWrongPassword and counts in the password
// throttle like a failed login.
func (s *Service) ReauthenticateWithPassword(ctx context.Context, id Principal, client ClientInfo, password string) (Grant, error) {
	a, err := s.passwordAssertion(ctx, id.User.Email, id.User, client, password)
	if errors.Is(err, errCredentialMismatch) {
		return Grant{}, ErrWrongPassword
	}
	if err != nil {
		return Grant{}, err
	}
	return s.stepUp(ctx, id, a)
}
