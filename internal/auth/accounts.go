package auth

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/google/uuid"

	"github.com/authd/authd/internal/avatar"
	"github.com/authd/authd/internal/mail"
)

// AccountsStore is the persistence of account creation and deletion.
type AccountsStore interface {
	Transactor
	// CreateUser inserts an account and queues out in the same transaction.
	CreateUser(ctx context.Context, u NewUser, out ...Outgoing) (User, error)
	UserByID(ctx context.Context, id uuid.UUID) (User, error)
	// DeleteUser deletes a user; with a verifiedHash only while the password hash is still that one
	// (otherwise ErrConflict). ErrLastAdmin when it would leave no active admin.
	DeleteUser(ctx context.Context, id uuid.UUID, verifiedHash string) error
	PromoteUser(ctx context.Context, email string) (User, error)
	// SetAvatar stores the avatar's file name (nil removes it) and returns the user and the name it replaced.
	SetAvatar(ctx context.Context, userID uuid.UUID, name *string) (User, *string, error)
	QueueMail(ctx context.Context, out ...Outgoing) error
	LastLinkAt(ctx context.Context, userID uuid.UUID, purpose string) (time.Time, error)
}

// Accounts creates and deletes accounts. Registration, the admin zone and `authd createsuperuser` all go
// through it, so every account is held to the same rules and every deletion removes the same things.
type Accounts struct {
	store   AccountsStore
	hasher  *Hasher
	avatars avatar.Storage
	mailer  *Mailer
}

// NewAccounts returns Accounts; avatars may be nil where no avatar can exist yet (createsuperuser), and
// mailer nil where new accounts are told nothing.
func NewAccounts(store AccountsStore, hasher *Hasher, avatars avatar.Storage, mailer *Mailer) *Accounts {
	return &Accounts{store: store, hasher: hasher, avatars: avatars, mailer: mailer}
}

// Registration is a new account's details.
type Registration struct {
	Email    string
	Password string
	Profile  Profile
	// EmailVerified is set by `authd createsuperuser`, whose operator vouches for the address; no
	// verification mail is sent then.
	EmailVerified bool
}

// Create validates a registration against the field rules and the password policy, hashes the password
// and stores the account; then (its session, its audit event) runs in the transaction of the insert,
// which the hashing comes before: no transaction waits for a hashing slot.
func (a *Accounts) Create(ctx context.Context, r Registration, isAdmin bool, then ...func(ctx context.Context, u User) error) (User, error) {
	v := validationErrors{}
	email, err := NormalizeEmail(r.Email)
	if err != nil {
		v.merge(err)
	}
	r.Profile.normalize(v)
	password := normalizePassword(r.Password)
	if err := CheckPasswordStrength("password", password, email, r.Profile.Username); err != nil {
		v.merge(err)
	}
	if err := v.err(); err != nil {
		return User{}, err
	}
	hash, err := a.hasher.Hash(ctx, password)
	if err != nil {
		return User{}, err
	}
	language := "en"
	if r.Profile.LanguageCode != nil {
		language = *r.Profile.LanguageCode
	}
	id := uuid.New()
	var verification []Outgoing
	if !r.EmailVerified {
		if verification, err = a.mailer.verification(recipient{id: id, email: email, username: r.Profile.Username, language: language}); err != nil {
			return User{}, err
		}
	}
	var user User
	err = a.store.Atomically(ctx, func(ctx context.Context) error {
		var err error
		user, err = a.store.CreateUser(ctx, NewUser{
			ID:            id,
			Email:         email,
			Username:      r.Profile.Username,
			PasswordHash:  hash,
			FirstName:     deref(r.Profile.FirstName),
			LastName:      deref(r.Profile.LastName),
			PhoneNumber:   r.Profile.PhoneNumber,
			LanguageCode:  language,
			IsAdmin:       isAdmin,
			EmailVerified: r.EmailVerified,
		}, verification...)
		for _, fn := range then {
			if err != nil {
				break
			}
			err = fn(ctx, user)
		}
		return err
	})
	if err != nil {
		return User{}, err
	}
	return user, nil
}

// Invite creates an account without a password and mails the user an invitation link, with which they
// choose one (POST /api/password/reset). Only admins invite.
func (a *Accounts) Invite(ctx context.Context, email string, profile Profile, isAdmin bool) (User, error) {
	v := validationErrors{}
	normalized, err := NormalizeEmail(email)
	if err != nil {
		v.merge(err)
	}
	profile.normalize(v)
	if err := v.err(); err != nil {
		return User{}, err
	}
	if a.mailer == nil {
		return User{}, errors.New("invite: no mailer")
	}
	language := "en"
	if profile.LanguageCode != nil {
		language = *profile.LanguageCode
	}
	id := uuid.New()
	invitation, err := a.mailer.withLink(mail.KindInvitation, PurposeInvitation,
		recipient{id: id, email: normalized, username: profile.Username, language: language}, normalized, "")
	if err != nil {
		return User{}, err
	}
	return a.store.CreateUser(ctx, NewUser{
		ID:           id,
		Email:        normalized,
		Username:     profile.Username,
		PasswordHash: "", // none until the invitation's link sets one
		FirstName:    deref(profile.FirstName),
		LastName:     deref(profile.LastName),
		PhoneNumber:  profile.PhoneNumber,
		LanguageCode: language,
		IsAdmin:      isAdmin,
	}, invitation)
}

// Delete deletes a user with their sessions (by cascade) and their avatar file. The last active admin
// cannot be deleted (ErrLastAdmin).
func (a *Accounts) Delete(ctx context.Context, userID uuid.UUID, audit func(ctx context.Context) error) error {
	user, err := a.store.UserByID(ctx, userID)
	if err != nil {
		return err
	}
	return a.delete(ctx, user, "", audit)
}

// delete deletes user, provided its password hash is still verifiedHash when that is not empty, and
// writes its audit event in the same transaction; the avatar file goes once that committed.
func (a *Accounts) delete(ctx context.Context, user User, verifiedHash string, audit func(ctx context.Context) error) error {
	err := a.store.Atomically(ctx, func(ctx context.Context) error {
		if err := a.store.DeleteUser(ctx, user.ID, verifiedHash); err != nil {
			return err
		}
		return audit(ctx)
	})
	if err != nil {
		return err
	}
	a.removeAvatar(ctx, user.Avatar)
	return nil
}

// SetAvatar processes an image (an upload, or one brought by `authd import`), stores it under a random
// name as userID's avatar and removes the file it replaced.
func (a *Accounts) SetAvatar(ctx context.Context, processor *avatar.Processor, userID uuid.UUID, image []byte) (User, error) {
	img, err := processor.Process(ctx, image)
	switch {
	case errors.Is(err, avatar.ErrUnsupported), errors.Is(err, avatar.ErrTooManyPixels), errors.Is(err, avatar.ErrCorrupt):
		return User{}, Invalid("avatar", err.Error())
	case errors.Is(err, avatar.ErrBusy):
		return User{}, fmt.Errorf("%w: %w", ErrBusy, err)
	case err != nil:
		return User{}, err
	}
	name := avatar.NewName(img.Ext)
	if err := a.avatars.Put(ctx, name, img.Data); err != nil {
		return User{}, fmt.Errorf("store avatar: %w", err)
	}
	user, old, err := a.store.SetAvatar(ctx, userID, &name)
	if err != nil {
		a.removeAvatar(ctx, &name)
		return User{}, err
	}
	a.removeAvatar(ctx, old)
	return user, nil
}

// Promote makes the existing user with this email an admin; ErrNotFound when there is none.
func (a *Accounts) Promote(ctx context.Context, email string) (User, error) {
	normalized, err := NormalizeEmail(email)
	if err != nil {
		return User{}, err
	}
	return a.store.PromoteUser(ctx, normalized)
}

// removeAvatar deletes a replaced or orphaned avatar file. Failure leaves an orphan file, not a broken
// account, so it is logged rather than returned.
func (a *Accounts) removeAvatar(ctx context.Context, name *string) {
	if name == nil || a.avatars == nil {
		return
	}
	if err := a.avatars.Delete(ctx, *name); err != nil {
		slog.WarnContext(ctx, "remove avatar file", slog.String("file", *name), slog.String("error", err.Error()))
	}
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// createPasswordless creates an account for an address its owner just proved (an emailed code, with
// email_code_signup on): verified, without a password or profile.
// audit runs in the insert's transaction.
func (a *Accounts) createPasswordless(ctx context.Context, email string, audit func(ctx context.Context, u User) error) (User, error) {
	var user User
	err := a.store.Atomically(ctx, func(ctx context.Context) error {
		var err error
		if user, err = a.store.CreateUser(ctx, NewUser{ID: uuid.New(), Email: email, LanguageCode: mail.DefaultLanguage, EmailVerified: true}); err != nil {
			return err
		}
		return audit(ctx, user)
	})
	return user, err
}
