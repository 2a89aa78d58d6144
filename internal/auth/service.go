package auth

import (
	"context"
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
	selfServe  SelfServiceStore
	throttle   ThrottleStore
	media      Media
	hasher     *Hasher
	tokens     *Tokens
	settings   *LiveSettings
	reuseGrace time.Duration
	mailer     *Mailer
	mailStore  MailStore
	codes      CodeStore
}

// FullStore is every persistence the account service needs.
type FullStore interface {
	Store
	SelfServiceStore
	ThrottleStore
	MailStore
	CodeStore
}

// NewService wires the domain together.
func NewService(store FullStore, accounts *Accounts, hasher *Hasher, tokens *Tokens, settings *LiveSettings, media Media, audit *Auditor) *Service {
	return &Service{audit: audit, accounts: accounts, store: store, selfServe: store, throttle: store, media: media, hasher: hasher,
		tokens: tokens, settings: settings, reuseGrace: DefaultReuseGrace, mailer: accounts.mailer, mailStore: store, codes: store}
}

// Register creates an account and signs it in.
func (s *Service) Register(ctx context.Context, r Registration, client ClientInfo) (Grant, error) {
	var session Grant
	_, err := s.accounts.Create(ctx, r, false, func(ctx context.Context, user User) error {
		// Choosing the password is the registration's proof, as a password login would be. The first
		// session of a new account is given even under require_verified_email, so that the user can ask
		// for the link again; refreshing it waits for the verification.
		var err error
		if session, err = s.startSession(ctx, user, assert(user.ID, MethodPassword), client, false, false); err != nil {
			return err
		}
		return s.audit.Write(ctx, EventRegister, user.ID, user.ID, session.SessionID, map[string]any{"method": string(MethodPassword)})
	})
	if err != nil {
		return Grant{}, err
	}
	return session, nil
}

// SignUp creates an account without signing it in, for the APIs whose registration answers only that the
// user was created.
func (s *Service) SignUp(ctx context.Context, r Registration) (User, error) {
	return s.accounts.Create(ctx, r, false, func(ctx context.Context, user User) error {
		return s.audit.Write(ctx, EventRegister, user.ID, user.ID, uuid.Nil, map[string]any{"method": string(MethodPassword)})
	})
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
