package auth

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/google/uuid"
)

// The session code: the only place where assertions become sessions and tokens, sessions are stepped up
// or refreshed, and requests are authenticated. A method (password.go, emailcode.go) proves something
// and hands its Assertion to signIn or stepUp.

// Grant is a signed-in user's token pair, with the assurance its access token carries.
type Grant struct {
	AccessToken  string
	RefreshToken string
	ExpiresIn    time.Duration
	User         User
	SessionID    uuid.UUID
	Assurance    Assurance
}

// ErrReauthenticationRequired means the operation needs a recent authentication (or the credential in
// the request) and the session's is older than reauthentication_max_age_seconds; errors.As to
// *ReauthenticationError gives the age allowed.
var ErrReauthenticationRequired = errors.New("a recent authentication is required")

// ReauthenticationError says how recent the authentication must be (RFC 9470's max_age).
type ReauthenticationError struct{ MaxAge time.Duration }

func (e *ReauthenticationError) Error() string {
	return fmt.Sprintf("a recent authentication is required: within %s", e.MaxAge)
}

// Is makes errors.Is(err, ErrReauthenticationRequired) true.
func (e *ReauthenticationError) Is(target error) bool { return target == ErrReauthenticationRequired }

// requireRecentAuthentication refuses a session whose last authentication is older than
// reauthentication_max_age_seconds. The age was measured by the database when the session was loaded.
func (s *Service) requireRecentAuthentication(id Principal) error {
	maxAge := s.settings.seconds(SettingReauthenticationMaxAge)
	if id.Assurance.AuthTime.IsZero() || id.Assurance.AuthAge > maxAge {
		return &ReauthenticationError{MaxAge: maxAge}
	}
	return nil
}

// signIn starts a login session from the assertion of a first factor and audits the login in its
// transaction, and the refusals of a disabled or unverified account, which come only after the credential
// proved right.
func (s *Service) signIn(ctx context.Context, user User, a Assertion, client ClientInfo) (Grant, error) {
	fields := map[string]any{"method": string(a.Method)}
	var session Grant
	err := s.store.Atomically(ctx, func(ctx context.Context) error {
		var err error
		if session, err = s.startSession(ctx, user, a, client, true, s.requireVerified()); err != nil {
			return err
		}
		return s.audit.Write(ctx, EventLoginSucceeded, user.ID, user.ID, session.SessionID, fields)
	})
	switch {
	case errors.Is(err, ErrAccountDisabled):
		fields["reason"] = "account_disabled"
		s.audit.Record(ctx, EventLoginFailed, uuid.Nil, user.ID, uuid.Nil, fields)
	case errors.Is(err, ErrEmailNotVerified):
		fields["reason"] = "email_not_verified"
		s.audit.Record(ctx, EventLoginFailed, uuid.Nil, user.ID, uuid.Nil, fields)
		if s.mailer != nil {
			s.resendVerificationAtLogin(ctx, user)
		}
	}
	return session, err
}

// startSession starts a session for user from assertion a; a login records the user's last login, and
// requireVerified refuses an unverified account. The store decides, on the database's clock, whether
// the user may have a session, its lifetime, auth_time and last_login_at.
func (s *Service) startSession(ctx context.Context, user User, a Assertion, client ClientInfo, login, requireVerified bool) (Grant, error) {
	refresh, hash := NewRefreshToken()
	started, err := s.store.CreateSession(ctx, NewSession{
		Assertion:       a,
		Client:          client,
		RefreshHash:     hash,
		Lifetime:        min(s.settings.RefreshTokenTTL(), s.settings.seconds(SettingSessionMaxLifetime)),
		Login:           login,
		RequireVerified: requireVerified,
	})
	if err != nil {
		return Grant{}, err
	}
	if started.LastLoginAt != nil {
		user.LastLoginAt = started.LastLoginAt
	}
	assurance := Assurance{AAL: a.AAL, AuthTime: started.AuthTime, Methods: []string{string(a.Method)}, AMR: []string{a.AMR}}
	return s.issue(user, started.ID, assurance, refresh)
}

func (s *Service) issue(user User, sessionID uuid.UUID, assurance Assurance, refresh string) (Grant, error) {
	ttl := s.settings.AccessTokenTTL()
	access, err := s.tokens.Issue(user.ID, sessionID, assurance, ttl)
	if err != nil {
		return Grant{}, err
	}
	return Grant{AccessToken: access, RefreshToken: refresh, ExpiresIn: ttl, User: user, SessionID: sessionID, Assurance: assurance}, nil
}

// stepUp records assertion a in the caller's session (a re-authentication, or later a second factor) and
// issues a fresh token pair with the session's new assurance.
func (s *Service) stepUp(ctx context.Context, id Principal, a Assertion) (Grant, error) {
	refresh, hash := NewRefreshToken()
	var assurance Assurance
	err := s.store.Atomically(ctx, func(ctx context.Context) error {
		var err error
		if assurance, err = s.store.Reauthenticate(ctx, id.SessionID, a, hash); err != nil {
			return err
		}
		return s.audit.Write(ctx, EventReauthenticated, id.User.ID, id.User.ID, id.SessionID, map[string]any{"method": string(a.Method)})
	})
	if errors.Is(err, ErrNotFound) {
		return Grant{}, ErrInvalidToken
	}
	if err != nil {
		return Grant{}, err
	}
	return s.issue(id.User, id.SessionID, assurance, refresh)
}

// Refresh rotates a refresh token: the old one stops working and a new pair is issued in the same
// session, with the session's assurance (a refresh is not an authentication).
func (s *Service) Refresh(ctx context.Context, refreshToken string) (Grant, error) {
	next, nextHash := NewRefreshToken()
	rotation := Rotation{
		OldHash:         HashRefreshToken(refreshToken),
		NewHash:         nextHash,
		TTL:             s.settings.RefreshTokenTTL(),
		MaxLifetime:     s.settings.seconds(SettingSessionMaxLifetime),
		ReuseGrace:      s.reuseGrace,
		RequireVerified: s.requireVerified(),
		Request:         requestInfoFrom(ctx),
	}
	// A reuse's revocation and its audit event are written by the rotation's one statement.
	rotated, err := s.store.RotateRefreshToken(ctx, rotation)
	if errors.Is(err, ErrTokenReused) {
		slog.WarnContext(ctx, "refresh token reused: session revoked", slog.String("session_id", rotated.SessionID.String()),
			slog.String("user_id", rotated.UserID.String()))
	}
	if err != nil {
		return Grant{}, err
	}
	return s.issue(User{ID: rotated.UserID}, rotated.SessionID, rotated.Assurance, next)
}

func (s *Service) requireVerified() bool { return s.settings.value(SettingRequireVerifiedEmail) == 1 }

// Logout revokes the session of a refresh token. Unknown tokens and revoked sessions are not errors.
func (s *Service) Logout(ctx context.Context, refreshToken string) error {
	return s.store.Atomically(ctx, func(ctx context.Context) error {
		userID, sessionID, err := s.store.RevokeSessionByRefreshToken(ctx, HashRefreshToken(refreshToken))
		if err != nil || sessionID == uuid.Nil {
			return err
		}
		return s.audit.Write(ctx, EventLogout, userID, userID, sessionID, nil)
	})
}

// Authenticate verifies an access token and loads its user and the session's assurance, provided the
// session is still active and the user still enabled. Every failure but an outage is ErrInvalidToken.
func (s *Service) Authenticate(ctx context.Context, accessToken string) (Principal, error) {
	userID, sessionID, err := s.tokens.Verify(accessToken)
	if err != nil {
		return Principal{}, err
	}
	user, assurance, err := s.store.SessionUser(ctx, sessionID, userID)
	if errors.Is(err, ErrNotFound) {
		return Principal{}, &InvalidTokenError{Reason: "the token's session has ended or its account is disabled"}
	}
	if err != nil {
		return Principal{}, fmt.Errorf("load session: %w", err)
	}
	return Principal{User: user, SessionID: sessionID, Assurance: assurance}, nil
}
