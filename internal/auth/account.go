package auth

import (
	"context"
	"errors"
	"io"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/authd/authd/internal/avatar"
	"github.com/authd/authd/internal/mail"
)

// ErrWrongPassword is a wrong current password given to confirm an account change.
var ErrWrongPassword = errors.New("the current password is wrong")

// SessionInfo is one of a user's sessions, as the user sees it.
type SessionInfo struct {
	ID         uuid.UUID
	CreatedAt  time.Time
	LastUsedAt time.Time
	ExpiresAt  time.Time
	UserAgent  string
	IP         string
	Assurance  Assurance
}

// SelfServiceStore is the persistence of account self-service.
type SelfServiceStore interface {
	UserByID(ctx context.Context, id uuid.UUID) (User, error)
	ListSessions(ctx context.Context, userID uuid.UUID) ([]SessionInfo, error)
	// RevokeOwnSession ends a session only if it belongs to userID; otherwise ErrNotFound.
	RevokeOwnSession(ctx context.Context, userID, sessionID uuid.UUID) error
	RevokeOtherSessions(ctx context.Context, userID, keep uuid.UUID) error
	// ChangePassword replaces verifiedHash with newHash and ends every session but keep, in one
	// transaction; ErrConflict when the hash is no longer verifiedHash.
	ChangePassword(ctx context.Context, userID uuid.UUID, verifiedHash, newHash string, keep uuid.UUID, out ...Outgoing) error
	// SetAvatar stores the avatar's file name (nil removes it) and returns the user and the name it replaced.
	SetAvatar(ctx context.Context, userID uuid.UUID, name *string) (User, *string, error)
}

// Media is where avatars are processed and kept.
type Media struct {
	Processor *avatar.Processor
	Storage   avatar.Storage
}

// confirm is the re-authentication a sensitive change needs: the caller's password in the request,
// checked through the password throttle (a wrong one is ErrWrongPassword), or, without one, a session
// whose last authentication is at most reauthentication_max_age_seconds old by the database's clock
// (otherwise a *ReauthenticationError).
func (s *Service) confirm(ctx context.Context, id Principal, client ClientInfo, password *string) error {
	if password != nil {
		_, err := s.checkPassword(ctx, id.User.Email, id.User.ID, client, *password, id.User.PasswordHash)
		if errors.Is(err, errCredentialMismatch) {
			return ErrWrongPassword
		}
		return err
	}
	return s.requireRecentAuthentication(id)
}

// Sessions lists the caller's active sessions.
func (s *Service) Sessions(ctx context.Context, id Principal) ([]SessionInfo, error) {
	return s.selfServe.ListSessions(ctx, id.User.ID)
}

// EndSession ends one of the caller's sessions; another user's session is ErrNotFound.
func (s *Service) EndSession(ctx context.Context, id Principal, sessionID uuid.UUID) error {
	return s.store.Atomically(ctx, func(ctx context.Context) error {
		if err := s.selfServe.RevokeOwnSession(ctx, id.User.ID, sessionID); err != nil {
			return err
		}
		return s.audit.Write(ctx, EventSessionEnded, id.User.ID, id.User.ID, sessionID, nil)
	})
}

// EndOtherSessions ends every session of the caller but the current one.
func (s *Service) EndOtherSessions(ctx context.Context, id Principal) error {
	return s.store.Atomically(ctx, func(ctx context.Context) error {
		if err := s.selfServe.RevokeOtherSessions(ctx, id.User.ID, id.SessionID); err != nil {
			return err
		}
		return s.audit.Write(ctx, EventOtherSessionsEnded, id.User.ID, id.User.ID, id.SessionID, nil)
	})
}

// ChangePassword replaces the caller's password, or sets the first one of an account without, after
// checking the current one or a recent authentication (confirm); every other session ends. The change is
// conditional on the hash that was verified (or on there being none): of concurrent changes one wins and
// the others get ErrConflict.
func (s *Service) ChangePassword(ctx context.Context, id Principal, client ClientInfo, current *string, next string) error {
	next = normalizePassword(next)
	if err := CheckPasswordStrength("new_password", next, id.User.Email, id.User.Username); err != nil {
		return err
	}
	if err := s.confirm(ctx, id, client, current); err != nil {
		return err
	}
	hash, err := s.hasher.Hash(ctx, next)
	if err != nil {
		return err
	}
	var notice []Outgoing
	if s.mailer != nil {
		n, err := s.mailer.notice(mail.KindPasswordChanged, recipientOf(id.User), "")
		if err != nil {
			return err
		}
		notice = append(notice, n)
	}
	event := EventPasswordChanged
	if !id.User.HasPassword() {
		event = EventPasswordSet
	}
	return s.store.Atomically(ctx, func(ctx context.Context) error {
		if err := s.selfServe.ChangePassword(ctx, id.User.ID, id.User.PasswordHash, hash, id.SessionID, notice...); err != nil {
			return err
		}
		return s.audit.Write(ctx, event, id.User.ID, id.User.ID, id.SessionID, nil)
	})
}

// SetAvatar processes an uploaded image, stores it under a random name and removes the previous one.
func (s *Service) SetAvatar(ctx context.Context, id Principal, upload []byte) (User, error) {
	return s.accounts.SetAvatar(ctx, s.media.Processor, id.User.ID, upload)
}

// DeleteAvatar removes the caller's avatar.
func (s *Service) DeleteAvatar(ctx context.Context, id Principal) (User, error) {
	user, old, err := s.selfServe.SetAvatar(ctx, id.User.ID, nil)
	if err != nil {
		return User{}, err
	}
	s.accounts.removeAvatar(ctx, old)
	return user, nil
}

// DeleteAccount deletes the caller after checking their password or a recent authentication (confirm); a
// password changed meanwhile is ErrConflict.
func (s *Service) DeleteAccount(ctx context.Context, id Principal, client ClientInfo, password *string) error {
	if err := s.confirm(ctx, id, client, password); err != nil {
		return err
	}
	return s.accounts.delete(ctx, id.User, id.User.PasswordHash, func(ctx context.Context) error {
		return s.audit.Write(ctx, EventAccountDeleted, id.User.ID, id.User.ID, id.SessionID, map[string]any{"email": id.User.Email})
	})
}

// OpenAvatar returns a stored avatar image.
func (s *Service) OpenAvatar(ctx context.Context, name string) (AvatarFile, error) {
	r, size, err := s.media.Storage.Open(ctx, name)
	if errors.Is(err, avatar.ErrNotFound) {
		return AvatarFile{}, ErrNotFound
	}
	if err != nil {
		return AvatarFile{}, err
	}
	contentType := "image/png"
	if strings.HasSuffix(name, ".jpg") {
		contentType = "image/jpeg"
	}
	return AvatarFile{Body: r, Size: size, ContentType: contentType}, nil
}

// AvatarFile is an open avatar image; the caller closes Body.
type AvatarFile struct {
	Body        io.ReadCloser
	Size        int64
	ContentType string
}
