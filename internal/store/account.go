package store

import (
	"context"

	"github.com/google/uuid"

	"github.com/authd/authd/gen/db"
	"github.com/authd/authd/internal/auth"
)

var _ auth.SelfServiceStore = (*Store)(nil)

// ListSessions returns a user's active sessions, most recently used first.
func (s *Store) ListSessions(ctx context.Context, userID uuid.UUID) ([]auth.SessionInfo, error) {
	rows, err := s.queries(ctx).ListActiveSessions(ctx, userID)
	if err != nil {
		return nil, wrap("list sessions", err)
	}
	out := make([]auth.SessionInfo, len(rows))
	for i, r := range rows {
		out[i] = auth.SessionInfo{ID: r.ID, CreatedAt: r.CreatedAt, LastUsedAt: r.LastUsedAt, ExpiresAt: r.ExpiresAt,
			UserAgent: r.UserAgent, IP: r.IpAddress, Assurance: auth.Assurance{AAL: int(r.Aal), AuthTime: r.AuthTime, Methods: r.Methods, AMR: r.Amr}}
	}
	return out, nil
}

// RevokeOwnSession implements auth.SelfServiceStore.
func (s *Store) RevokeOwnSession(ctx context.Context, userID, sessionID uuid.UUID) error {
	n, err := s.queries(ctx).RevokeOwnSession(ctx, db.RevokeOwnSessionParams{ID: sessionID, UserID: userID})
	if err != nil {
		return wrap("revoke own session", err)
	}
	if n == 0 {
		return auth.ErrNotFound
	}
	return nil
}

// RevokeOtherSessions ends every session of userID but keep.
func (s *Store) RevokeOtherSessions(ctx context.Context, userID, keep uuid.UUID) error {
	return wrap("revoke other sessions", s.queries(ctx).RevokeOtherSessions(ctx, db.RevokeOtherSessionsParams{UserID: userID, KeepID: keep}))
}

// ChangePassword implements auth.SelfServiceStore.
func (s *Store) ChangePassword(ctx context.Context, userID uuid.UUID, verifiedHash, newHash string, keep uuid.UUID, out ...auth.Outgoing) error {
	return wrap("change password", s.InTx(ctx, func(q *db.Queries) error {
		n, err := q.ReplacePasswordHash(ctx, db.ReplacePasswordHashParams{ID: userID, VerifiedHash: verifiedHash, NewHash: newHash})
		if err != nil {
			return err
		}
		if n == 0 {
			return auth.ErrConflict
		}
		if err := q.RevokeOtherSessions(ctx, db.RevokeOtherSessionsParams{UserID: userID, KeepID: keep}); err != nil {
			return err
		}
		return queue(ctx, q, out)
	}))
}

// SetAvatar implements auth.SelfServiceStore; the row lock makes the returned previous file name exact even
// when two uploads race.
func (s *Store) SetAvatar(ctx context.Context, userID uuid.UUID, name *string) (auth.User, *string, error) {
	var user auth.User
	var previous *string
	err := s.InTx(ctx, func(q *db.Queries) error {
		old, err := q.LockUser(ctx, userID)
		if err != nil {
			return err
		}
		previous = old.Avatar
		u, err := q.SetAvatar(ctx, db.SetAvatarParams{ID: userID, Avatar: name})
		user = toUser(u)
		return err
	})
	return user, previous, wrap("set avatar", err)
}
