package store

import (
	"context"
	"strings"

	"github.com/google/uuid"

	"github.com/authd/authd/gen/db"
	"github.com/authd/authd/internal/auth"
)

// likeEscaper makes a search term match literally inside LIKE '%...%'.
var likeEscaper = strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)

// ListUsers implements auth.AdminStore; search is lower-cased by the caller.
func (s *Store) ListUsers(ctx context.Context, search string, limit int, after *auth.UserCursor) ([]auth.AdminUser, error) {
	params := db.ListUsersParams{Limit: int32(limit)}
	if search != "" {
		escaped := likeEscaper.Replace(search)
		params.Search = &escaped
	}
	if after != nil {
		params.AfterCreatedAt, params.AfterID = &after.CreatedAt, &after.ID
	}
	rows, err := s.queries(ctx).ListUsers(ctx, params)
	if err != nil {
		return nil, wrap("list users", err)
	}
	out := make([]auth.AdminUser, len(rows))
	for i, r := range rows {
		out[i] = auth.AdminUser{User: toUser(r.User), ActiveSessions: int(r.ActiveSessions)}
	}
	return out, nil
}

// AdminUser returns a user with their number of active sessions.
func (s *Store) AdminUser(ctx context.Context, id uuid.UUID) (auth.AdminUser, error) {
	u, err := adminUser(ctx, s.queries(ctx), id)
	return u, wrap("admin user", err)
}

func adminUser(ctx context.Context, q *db.Queries, id uuid.UUID) (auth.AdminUser, error) {
	u, err := q.GetUserByID(ctx, id)
	if err != nil {
		return auth.AdminUser{}, err
	}
	n, err := q.CountActiveSessions(ctx, id)
	if err != nil {
		return auth.AdminUser{}, err
	}
	return auth.AdminUser{User: toUser(u), ActiveSessions: int(n)}, nil
}

// UpdateUser implements auth.AdminStore.
func (s *Store) UpdateUser(ctx context.Context, id uuid.UUID, c auth.UserChanges) (auth.AdminUser, error) {
	removesAdmin := (c.IsActive != nil && !*c.IsActive) || (c.IsAdmin != nil && !*c.IsAdmin)
	var out auth.AdminUser
	err := s.InTx(ctx, func(q *db.Queries) error {
		if removesAdmin {
			if err := guardLastAdmin(ctx, q, id); err != nil {
				return err
			}
		}
		_, err := q.UpdateUser(ctx, updateParams(id, c))
		if err != nil {
			return err
		}
		if c.IsActive != nil && !*c.IsActive {
			if err := q.RevokeUserSessions(ctx, id); err != nil {
				return err
			}
		}
		out, err = adminUser(ctx, q, id)
		return err
	})
	return out, wrap("update user", err)
}

// guardLastAdmin fails with ErrLastAdmin when id is the only active admin. It locks every active admin
// row first, so two admins demoting each other at once cannot both succeed.
func guardLastAdmin(ctx context.Context, q *db.Queries, id uuid.UUID) error {
	admins, err := q.LockActiveAdmins(ctx)
	if err != nil {
		return err
	}
	for _, a := range admins {
		if a == id && len(admins) == 1 {
			return auth.ErrLastAdmin
		}
	}
	return nil
}

// DeleteUser implements auth.AccountsStore; sessions and refresh tokens go with the user.
func (s *Store) DeleteUser(ctx context.Context, id uuid.UUID, verifiedHash string) error {
	return wrap("delete user", s.InTx(ctx, func(q *db.Queries) error {
		if err := guardLastAdmin(ctx, q, id); err != nil {
			return err
		}
		n, err := q.DeleteUser(ctx, db.DeleteUserParams{ID: id, VerifiedHash: verifiedHash})
		switch {
		case err != nil:
			return err
		case n == 0 && verifiedHash != "":
			return auth.ErrConflict
		case n == 0:
			return auth.ErrNotFound
		}
		return nil
	}))
}

// RevokeUserSessions ends every session of a user.
func (s *Store) RevokeUserSessions(ctx context.Context, id uuid.UUID) error {
	return wrap("revoke user sessions", s.InTx(ctx, func(q *db.Queries) error {
		if _, err := q.LockUser(ctx, id); err != nil {
			return err
		}
		return q.RevokeUserSessions(ctx, id)
	}))
}

// PromoteUser makes the user with this email an admin.
func (s *Store) PromoteUser(ctx context.Context, email string) (auth.User, error) {
	u, err := s.queries(ctx).PromoteUser(ctx, email)
	if err != nil {
		return auth.User{}, wrap("promote user", err)
	}
	return toUser(u), nil
}
