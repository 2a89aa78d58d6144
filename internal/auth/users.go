package auth

import (
	"context"
	"time"

	"github.com/google/uuid"
)

// User is an account. PasswordHash never leaves the domain and the store; it is "" for an account without
// a password.
type User struct {
	ID           uuid.UUID
	Email        string
	Username     *string
	PasswordHash string
	FirstName    string
	LastName     string
	PhoneNumber  *string
	Avatar       *string // the file name in the avatar storage
	LanguageCode string
	IsAdmin      bool
	IsActive     bool
	CreatedAt    time.Time
	UpdatedAt    time.Time
	LastLoginAt  *time.Time
	// EmailVerifiedAt is when the account proved it receives mail at Email; nil until then.
	EmailVerifiedAt *time.Time
	// ExternalID is the user's id in the system it was imported from, if any.
	ExternalID *string
}

// NewUser is what the store needs to create an account.
type NewUser struct {
	// EmailVerified creates the account with its address verified: an operator vouched for it.
	EmailVerified bool
	// ID is chosen before the insert, so that a welcome mail can name the account in the same transaction;
	// the store makes one when it is zero.
	ID           uuid.UUID
	Email        string
	Username     *string
	PasswordHash string
	FirstName    string
	LastName     string
	PhoneNumber  *string
	LanguageCode string
	IsAdmin      bool
}

// ClientInfo describes where a request came from; it is recorded on the sessions it creates.
type ClientInfo struct {
	UserAgent string
	IP        string
}

// NewSession is what the store needs to start a session with its first refresh token.
type NewSession struct {
	Assertion   Assertion
	Client      ClientInfo
	RefreshHash []byte
	// Lifetime is how long the session and its first refresh token last, from the database's now.
	Lifetime time.Duration
	// Login records the user's last login time with the session.
	Login bool
	// RequireVerified refuses a session (ErrEmailNotVerified) to an account whose email is not verified.
	RequireVerified bool
}

// StartedSession is a session the store started: its id, its auth_time and, for a login, the user's new
// last login time, all from the database's clock.
type StartedSession struct {
	ID          uuid.UUID
	AuthTime    time.Time
	LastLoginAt *time.Time
}

// RotatedSession is the session whose refresh token was rotated, with the assurance its tokens keep.
type RotatedSession struct {
	UserID    uuid.UUID
	SessionID uuid.UUID
	Assurance Assurance
}

// Rotation asks the store to replace one refresh token with another, atomically.
type Rotation struct {
	OldHash []byte
	NewHash []byte
	// TTL is the new token's lifetime from the database's now.
	TTL time.Duration
	// MaxLifetime is the session's absolute lifetime: rotation never extends it past its creation plus
	// this, and a session older than that is not rotated.
	MaxLifetime time.Duration
	// ReuseGrace is how long after its rotation a token may be presented again without counting as
	// reuse: that covers a client's concurrent or retried refresh, which gets 401 but keeps its session.
	ReuseGrace time.Duration
	// RequireVerified refuses (ErrEmailNotVerified) to rotate for an account whose email is not verified.
	RequireVerified bool
	// Request is where the request came from, for the audit event of a reuse, which the rotation's
	// statement writes with the revocation.
	Request RequestInfo
}

// Store is the persistence the domain needs. Implementations translate driver errors into the sentinel
// errors of this package: ErrNotFound, ErrEmailTaken, ErrUsernameTaken, ErrUnavailable, ErrValidation.
type Store interface {
	Transactor
	CreateUser(ctx context.Context, u NewUser, out ...Outgoing) (User, error)
	UserByEmail(ctx context.Context, email string) (User, error)
	// Rehash replaces the password hash with newHash if it is still verifiedHash.
	Rehash(ctx context.Context, userID uuid.UUID, verifiedHash, newHash string) error
	UpdateProfile(ctx context.Context, userID uuid.UUID, p Profile) (User, error)
	// CreateSession starts a session and stores its first refresh token. A user who may not have a
	// session is ErrAccountDisabled or ErrEmailNotVerified, and an unknown one ErrNotFound.
	CreateSession(ctx context.Context, s NewSession) (StartedSession, error)
	// RotateRefreshToken marks the old token used and stores the new one in the same session. An unknown,
	// used, expired or revoked token is ErrInvalidToken; a token used more than ReuseGrace ago (by the
	// database's clock) revokes its session and is ErrTokenReused, returned with the user and session ids.
	RotateRefreshToken(ctx context.Context, r Rotation) (RotatedSession, error)
	// RevokeSessionByRefreshToken revokes the session of a token and returns it; uuid.Nil when no active
	// session has that token.
	RevokeSessionByRefreshToken(ctx context.Context, hash []byte) (userID, sessionID uuid.UUID, err error)
	// SessionUser returns the active user of an active session with the session's assurance level,
	// auth_time and its age (not its methods), or ErrNotFound.
	SessionUser(ctx context.Context, sessionID, userID uuid.UUID) (User, Assurance, error)
	// Reauthenticate records a new proof of a credential in a session (its auth_time, methods and a level
	// that never falls) and stores a new refresh token in it; ErrNotFound when the session has ended.
	Reauthenticate(ctx context.Context, sessionID uuid.UUID, a Assertion, refreshHash []byte) (Assurance, error)
	// LegacyHashSamples returns up to limit stored imported hashes, one of each scheme and cost.
	LegacyHashSamples(ctx context.Context, limit int) ([]string, error)
}

// HasPassword says whether the account has a password to sign in with.
func (u User) HasPassword() bool { return u.PasswordHash != "" }
