package store

import (
	"context"

	"github.com/google/uuid"

	"github.com/authd/authd/gen/db"
	"github.com/authd/authd/internal/auth"
)

// storedHash is the domain's form of a stored password hash: "" for an account without a password (NULL).
func storedHash(hash *string) string {
	if hash == nil {
		return ""
	}
	return *hash
}

func toUser(u db.User) auth.User {
	return auth.User{
		ID:              u.ID,
		Email:           u.Email,
		Username:        u.Username,
		PasswordHash:    storedHash(u.PasswordHash),
		FirstName:       u.FirstName,
		LastName:        u.LastName,
		PhoneNumber:     u.PhoneNumber,
		Avatar:          u.Avatar,
		LanguageCode:    u.LanguageCode,
		IsAdmin:         u.IsAdmin,
		IsActive:        u.IsActive,
		CreatedAt:       u.CreatedAt,
		UpdatedAt:       u.UpdatedAt,
		LastLoginAt:     u.LastLoginAt,
		ExternalID:      u.ExternalID,
		EmailVerifiedAt: u.EmailVerifiedAt,
	}
}

// CreateUser inserts an account and queues out with it; a taken email or username is ErrEmailTaken or
// ErrUsernameTaken.
func (s *Store) CreateUser(ctx context.Context, u auth.NewUser, out ...auth.Outgoing) (auth.User, error) {
	if u.ID == uuid.Nil {
		u.ID = uuid.New()
	}
	if len(out) == 0 {
		row, err := s.queries(ctx).CreateUser(ctx, createUserParams(u))
		if err != nil {
			return auth.User{}, wrap("create user", err)
		}
		return toUser(row), nil
	}
	var user auth.User
	err := s.InTx(ctx, func(q *db.Queries) error {
		row, err := q.CreateUser(ctx, createUserParams(u))
		if err != nil {
			return err
		}
		user = toUser(row)
		return queue(ctx, q, out)
	})
	return user, wrap("create user", err)
}

func createUserParams(u auth.NewUser) db.CreateUserParams {
	return db.CreateUserParams{
		ID:            u.ID,
		Email:         u.Email,
		Username:      u.Username,
		PasswordHash:  u.PasswordHash,
		FirstName:     u.FirstName,
		LastName:      u.LastName,
		PhoneNumber:   u.PhoneNumber,
		LanguageCode:  u.LanguageCode,
		IsAdmin:       u.IsAdmin,
		EmailVerified: u.EmailVerified,
	}
}

// UserByEmail finds an account by its normalised email.
func (s *Store) UserByEmail(ctx context.Context, email string) (auth.User, error) {
	row, err := s.queries(ctx).GetUserByEmail(ctx, email)
	if err != nil {
		return auth.User{}, wrap("user by email", err)
	}
	return toUser(row), nil
}

// ListenImports calls imported whenever an import committed a batch, on any instance or in `authd import`,
// until ctx ends.
func (s *Store) ListenImports(ctx context.Context, imported func()) {
	s.listen(ctx, "authd_users_imported", imported)
}

// LegacyHashSamples implements auth.Store.
func (s *Store) LegacyHashSamples(ctx context.Context, limit int) ([]string, error) {
	hashes, err := s.queries(ctx).LegacyHashSamples(ctx, int32(limit))
	return hashes, wrap("legacy hash samples", err)
}

// UserByID finds an account by id.
func (s *Store) UserByID(ctx context.Context, id uuid.UUID) (auth.User, error) {
	row, err := s.queries(ctx).GetUserByID(ctx, id)
	if err != nil {
		return auth.User{}, wrap("user by id", err)
	}
	return toUser(row), nil
}

// Rehash replaces the password hash with newHash, provided it is still verifiedHash: a password changed
// meanwhile is never overwritten by a rehash of the old one.
func (s *Store) Rehash(ctx context.Context, userID uuid.UUID, verifiedHash, newHash string) error {
	_, err := s.queries(ctx).ReplacePasswordHash(ctx, db.ReplacePasswordHashParams{ID: userID, VerifiedHash: verifiedHash, NewHash: newHash})
	return wrap("rehash password", err)
}

// UpdateProfile applies the present fields of p; status and role are never touched here.
func (s *Store) UpdateProfile(ctx context.Context, userID uuid.UUID, p auth.Profile) (auth.User, error) {
	row, err := s.queries(ctx).UpdateUser(ctx, updateParams(userID, auth.UserChanges{Profile: p}))
	if err != nil {
		return auth.User{}, wrap("update profile", err)
	}
	return toUser(row), nil
}

// updateParams turns a change into the UpdateUser query's arguments; nil fields stay as they are.
func updateParams(id uuid.UUID, c auth.UserChanges) db.UpdateUserParams {
	return db.UpdateUserParams{
		ID:             id,
		IsActive:       c.IsActive,
		IsAdmin:        c.IsAdmin,
		SetUsername:    c.Profile.Username != nil || c.Profile.ClearUsername,
		Username:       c.Profile.Username,
		FirstName:      c.Profile.FirstName,
		LastName:       c.Profile.LastName,
		SetPhoneNumber: c.Profile.PhoneNumber != nil || c.Profile.ClearPhone,
		PhoneNumber:    c.Profile.PhoneNumber,
		LanguageCode:   c.Profile.LanguageCode,
	}
}
