package auth

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
)

// Lifetimes gives the token lifetimes in force now; they may change while the service runs.
type Lifetimes interface {
	AccessTokenTTL() time.Duration
	RefreshTokenTTL() time.Duration
}

// FixedLifetimes are lifetimes that never change.
type FixedLifetimes struct{ Access, Refresh time.Duration }

func (f FixedLifetimes) AccessTokenTTL() time.Duration  { return f.Access }
func (f FixedLifetimes) RefreshTokenTTL() time.Duration { return f.Refresh }

// DefaultReuseGrace is how long a just-rotated refresh token is answered 401 without revoking its
// session, so that a client racing itself is not signed out.
const DefaultReuseGrace = 2 * time.Second

// Service implements registration, login, refresh, logout and profile updates.
type Service struct {
	store      Store
	accounts   AccountStore
	media      Media
	hasher     *Hasher
	tokens     *Tokens
	lifetimes  Lifetimes
	reuseGrace time.Duration
}

// NewService wires the domain together.
func NewService(store interface {
	Store
	AccountStore
}, hasher *Hasher, tokens *Tokens, lifetimes Lifetimes, media Media) *Service {
	return &Service{store: store, accounts: store, media: media, hasher: hasher, tokens: tokens, lifetimes: lifetimes,
		reuseGrace: DefaultReuseGrace}
}

// Session is a signed-in user's token pair.
type Session struct {
	AccessToken  string
	RefreshToken string
	ExpiresIn    time.Duration
	User         User
}

// Registration is a new account's details.
type Registration struct {
	Email    string
	Password string
	Profile  Profile
}

// Register creates an account and signs it in.
func (s *Service) Register(ctx context.Context, r Registration, client Client) (Session, error) {
	user, err := s.createAccount(ctx, r, false)
	if err != nil {
		return Session{}, err
	}
	return s.startSession(ctx, user, client)
}

// createAccount validates a registration against the field rules and the password policy, hashes the
// password and stores the account.
func (s *Service) createAccount(ctx context.Context, r Registration, isAdmin bool) (User, error) {
	v := validationErrors{}
	email, err := NormalizeEmail(r.Email)
	if err != nil {
		v.add("email", err.(*ValidationError).Fields["email"])
	}
	r.Profile.normalize(v)
	if err := CheckPassword("password", r.Password, email, r.Profile.Username); err != nil {
		v.add("password", err.(*ValidationError).Fields["password"])
	}
	if err := v.err(); err != nil {
		return User{}, err
	}
	hash, err := s.hasher.Hash(ctx, r.Password)
	if err != nil {
		return User{}, err
	}
	language := "en"
	if r.Profile.LanguageCode != nil {
		language = *r.Profile.LanguageCode
	}
	return s.store.CreateUser(ctx, NewUser{
		Email:        email,
		Username:     r.Profile.Username,
		PasswordHash: hash,
		FirstName:    deref(r.Profile.FirstName),
		LastName:     deref(r.Profile.LastName),
		PhoneNumber:  r.Profile.PhoneNumber,
		LanguageCode: language,
		IsAdmin:      isAdmin,
	})
}

// Login checks an email and password and starts a session. An unknown email and a wrong password are the
// same ErrInvalidCredentials after the same amount of hashing; ErrAccountDisabled comes only after a
// correct password.
func (s *Service) Login(ctx context.Context, rawEmail, password string, client Client) (Session, error) {
	email := strings.ToLower(strings.TrimSpace(rawEmail))
	user, err := s.store.UserByEmail(ctx, email)
	if err != nil && !errors.Is(err, ErrNotFound) && !errors.Is(err, ErrValidation) {
		return Session{}, err
	}
	match, rehash, err := s.hasher.Verify(ctx, password, user.PasswordHash)
	if err != nil {
		return Session{}, err
	}
	if !match {
		return Session{}, ErrInvalidCredentials
	}
	if !user.IsActive {
		return Session{}, ErrAccountDisabled
	}
	var newHash string
	if rehash {
		if newHash, err = s.hasher.Hash(ctx, password); err != nil {
			return Session{}, err
		}
	}
	if err := s.store.RecordLogin(ctx, user.ID, newHash); err != nil {
		return Session{}, err
	}
	now := time.Now()
	user.LastLoginAt = &now
	return s.startSession(ctx, user, client)
}

func (s *Service) startSession(ctx context.Context, user User, client Client) (Session, error) {
	refresh, hash := NewRefreshToken()
	sessionID, err := s.store.CreateSession(ctx, NewSession{
		UserID:      user.ID,
		Client:      client,
		RefreshHash: hash,
		ExpiresAt:   time.Now().Add(s.lifetimes.RefreshTokenTTL()),
	})
	if err != nil {
		return Session{}, err
	}
	return s.issue(user, sessionID, refresh)
}

func (s *Service) issue(user User, sessionID uuid.UUID, refresh string) (Session, error) {
	ttl := s.lifetimes.AccessTokenTTL()
	access, err := s.tokens.Issue(user.ID, sessionID, ttl)
	if err != nil {
		return Session{}, err
	}
	return Session{AccessToken: access, RefreshToken: refresh, ExpiresIn: ttl, User: user}, nil
}

// Refresh rotates a refresh token: the old one stops working and a new pair is issued in the same session.
func (s *Service) Refresh(ctx context.Context, refreshToken string) (Session, error) {
	next, nextHash := NewRefreshToken()
	userID, sessionID, err := s.store.RotateRefreshToken(ctx, Rotation{
		OldHash:    HashRefreshToken(refreshToken),
		NewHash:    nextHash,
		ExpiresAt:  time.Now().Add(s.lifetimes.RefreshTokenTTL()),
		ReuseGrace: s.reuseGrace,
	})
	if err != nil {
		return Session{}, err
	}
	return s.issue(User{ID: userID}, sessionID, next)
}

// Logout revokes the session of a refresh token. Unknown tokens and revoked sessions are not errors.
func (s *Service) Logout(ctx context.Context, refreshToken string) error {
	return s.store.RevokeSessionByRefreshToken(ctx, HashRefreshToken(refreshToken))
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

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
