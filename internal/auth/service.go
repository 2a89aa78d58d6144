package auth

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/google/uuid"
)

// DefaultReuseGrace is how long a just-rotated refresh token is answered 401 without revoking its
// session, so that a client racing itself is not signed out.
const DefaultReuseGrace = 2 * time.Second

// Service implements registration, login, refresh, logout and profile updates.
type Service struct {
	audit      *Auditor
	accounts   *Accounts
	store      Store
	selfServe  AccountStore
	throttle   ThrottleStore
	media      Media
	hasher     *Hasher
	tokens     *Tokens
	settings   *LiveSettings
	reuseGrace time.Duration
	mailer     *Mailer
	mailStore  MailStore
}

// FullStore is every persistence the account service needs.
type FullStore interface {
	Store
	AccountStore
	ThrottleStore
	MailStore
}

// NewService wires the domain together.
func NewService(store FullStore, accounts *Accounts, hasher *Hasher, tokens *Tokens, settings *LiveSettings, media Media, audit *Auditor) *Service {
	return &Service{audit: audit, accounts: accounts, store: store, selfServe: store, throttle: store, media: media, hasher: hasher,
		tokens: tokens, settings: settings, reuseGrace: DefaultReuseGrace, mailer: accounts.mailer, mailStore: store}
}

// Session is a signed-in user's token pair.
type Session struct {
	AccessToken  string
	RefreshToken string
	ExpiresIn    time.Duration
	User         User
	SessionID    uuid.UUID
}

// Register creates an account and signs it in.
func (s *Service) Register(ctx context.Context, r Registration, client Client) (Session, error) {
	user, err := s.accounts.Create(ctx, r, false)
	if err != nil {
		return Session{}, err
	}
	session, err := s.startSession(ctx, user, client, false)
	if err == nil {
		s.audit.Record(ctx, EventRegister, user.ID, user.ID, session.SessionID, nil)
	}
	return session, err
}

// SignUp creates an account without signing it in, for the APIs whose registration answers only that the
// user was created.
func (s *Service) SignUp(ctx context.Context, r Registration) (User, error) {
	user, err := s.accounts.Create(ctx, r, false)
	if err == nil {
		s.audit.Record(ctx, EventRegister, user.ID, user.ID, uuid.Nil, nil)
	}
	return user, err
}

// Login checks an email and password and starts a session. An unknown email and a wrong password are the
// same ErrInvalidCredentials after the same amount of hashing; ErrAccountDisabled comes only after a
// correct password.
func (s *Service) Login(ctx context.Context, rawEmail, password string, client Client) (Session, error) {
	if s.hasher.Saturated() {
		return Session{}, ErrBusy
	}
	// Throttling keys on the address as normalised whether or not an account has it, so that 429s say
	// nothing about which emails are registered. An address that cannot be normalised has no account.
	email, err := NormalizeEmail(rawEmail)
	var user User
	if err == nil {
		user, err = s.store.UserByEmail(ctx, email)
		if err != nil && !errors.Is(err, ErrNotFound) {
			return Session{}, err
		}
	} else {
		email = strings.ToValidUTF8(strings.ReplaceAll(strings.ToLower(strings.TrimSpace(rawEmail)), "\x00", ""), "")
	}
	rehash, err := s.checkPassword(ctx, email, user.ID, client, password, user.PasswordHash)
	if errors.Is(err, errPasswordMismatch) {
		return Session{}, ErrInvalidCredentials
	}
	if err != nil {
		return Session{}, err
	}
	if !user.IsActive {
		s.audit.Record(ctx, EventLoginFailed, uuid.Nil, user.ID, uuid.Nil, map[string]any{"reason": "account_disabled"})
		return Session{}, ErrAccountDisabled
	}
	if user.EmailVerifiedAt == nil && s.requireVerified() {
		s.audit.Record(ctx, EventLoginFailed, uuid.Nil, user.ID, uuid.Nil, map[string]any{"reason": "email_not_verified"})
		if s.mailer != nil {
			s.resendVerificationAtLogin(ctx, user)
		}
		return Session{}, ErrEmailNotVerified
	}
	if rehash {
		newHash, err := s.hasher.Hash(ctx, normalizePassword(password))
		if err != nil {
			return Session{}, err
		}
		if err := s.store.Rehash(ctx, user.ID, user.PasswordHash, newHash); err != nil {
			return Session{}, err
		}
		if scheme, _ := HashScheme(user.PasswordHash); scheme != SchemeArgon2id {
			s.hasher.countUpgrade(scheme)
			slog.InfoContext(ctx, "password hash upgraded to argon2id", slog.String("user_id", user.ID.String()),
				slog.String("from", scheme))
		}
	}
	now := time.Now()
	user.LastLoginAt = &now
	session, err := s.startSession(ctx, user, client, true)
	if err == nil {
		s.audit.Record(ctx, EventLoginSucceeded, user.ID, user.ID, session.SessionID, nil)
	}
	return session, err
}

// startSession starts a session for user; login records it as the user's last login.
func (s *Service) startSession(ctx context.Context, user User, client Client, login bool) (Session, error) {
	refresh, hash := NewRefreshToken()
	sessionID, err := s.store.CreateSession(ctx, NewSession{
		UserID:      user.ID,
		Client:      client,
		RefreshHash: hash,
		ExpiresAt:   time.Now().Add(min(s.settings.RefreshTokenTTL(), s.settings.seconds(SettingSessionMaxLifetime))),
		Login:       login,
	})
	if err != nil {
		return Session{}, err
	}
	return s.issue(user, sessionID, refresh)
}

func (s *Service) issue(user User, sessionID uuid.UUID, refresh string) (Session, error) {
	ttl := s.settings.AccessTokenTTL()
	access, err := s.tokens.Issue(user.ID, sessionID, ttl)
	if err != nil {
		return Session{}, err
	}
	return Session{AccessToken: access, RefreshToken: refresh, ExpiresIn: ttl, User: user, SessionID: sessionID}, nil
}

// Refresh rotates a refresh token: the old one stops working and a new pair is issued in the same session.
func (s *Service) Refresh(ctx context.Context, refreshToken string) (Session, error) {
	next, nextHash := NewRefreshToken()
	userID, sessionID, err := s.store.RotateRefreshToken(ctx, Rotation{
		OldHash:         HashRefreshToken(refreshToken),
		NewHash:         nextHash,
		ExpiresAt:       time.Now().Add(s.settings.RefreshTokenTTL()),
		MaxLifetime:     s.settings.seconds(SettingSessionMaxLifetime),
		ReuseGrace:      s.reuseGrace,
		RequireVerified: s.requireVerified(),
	})
	if errors.Is(err, ErrTokenReused) {
		slog.WarnContext(ctx, "refresh token reused: session revoked", slog.String("session_id", sessionID.String()),
			slog.String("user_id", userID.String()))
		s.audit.Record(ctx, EventRefreshReused, uuid.Nil, userID, sessionID, nil)
	}
	if err != nil {
		return Session{}, err
	}
	return s.issue(User{ID: userID}, sessionID, next)
}

func (s *Service) requireVerified() bool { return s.settings.value(SettingRequireVerifiedEmail) == 1 }

// Logout revokes the session of a refresh token. Unknown tokens and revoked sessions are not errors.
func (s *Service) Logout(ctx context.Context, refreshToken string) error {
	userID, sessionID, err := s.store.RevokeSessionByRefreshToken(ctx, HashRefreshToken(refreshToken))
	if err == nil && sessionID != uuid.Nil {
		s.audit.Record(ctx, EventLogout, userID, userID, sessionID, nil)
	}
	return err
}

// Authenticate verifies an access token and loads its user, provided the session is still active and the
// user still enabled. Every failure but an outage is ErrInvalidToken.
func (s *Service) Authenticate(ctx context.Context, accessToken string) (Identity, error) {
	userID, sessionID, err := s.tokens.Verify(accessToken)
	if err != nil {
		return Identity{}, err
	}
	user, err := s.store.SessionUser(ctx, sessionID, userID)
	if errors.Is(err, ErrNotFound) {
		return Identity{}, ErrInvalidToken
	}
	if err != nil {
		return Identity{}, fmt.Errorf("load session: %w", err)
	}
	return Identity{User: user, SessionID: sessionID}, nil
}

// UpdateProfile changes the given profile fields of a user.
func (s *Service) UpdateProfile(ctx context.Context, userID uuid.UUID, p Profile) (User, error) {
	v := validationErrors{}
	p.normalize(v)
	if err := v.err(); err != nil {
		return User{}, err
	}
	return s.store.UpdateProfile(ctx, userID, p)
}
