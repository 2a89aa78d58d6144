package store

import (
	"context"
	"errors"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/authd/authd/gen/db"
	"github.com/authd/authd/internal/auth"
)

// CreateSession starts a session with its first refresh token.
func (s *Store) CreateSession(ctx context.Context, ns auth.NewSession) (uuid.UUID, error) {
	var id uuid.UUID
	err := s.InTx(ctx, func(q *db.Queries) error {
		session, err := q.CreateSession(ctx, db.CreateSessionParams{
			UserID:    ns.UserID,
			ExpiresAt: ns.ExpiresAt,
			UserAgent: ns.Client.UserAgent,
			IpAddress: ns.Client.IP,
		})
		if err != nil {
			return err
		}
		id = session.ID
		return q.CreateRefreshToken(ctx, db.CreateRefreshTokenParams{
			SessionID: session.ID,
			TokenHash: ns.RefreshHash,
			ExpiresAt: ns.ExpiresAt,
		})
	})
	return id, wrap("create session", err)
}

// RotateRefreshToken implements auth.Store. The UPDATE that marks the old token used is the only gate:
// concurrent callers with the same token queue on its row lock and all but the first find it used.
func (s *Store) RotateRefreshToken(ctx context.Context, r auth.Rotation) (userID, sessionID uuid.UUID, err error) {
	var reused bool
	err = s.InTx(ctx, func(q *db.Queries) error {
		used, err := q.UseRefreshToken(ctx, r.OldHash)
		if errors.Is(err, pgx.ErrNoRows) {
			reused, err = s.revokeIfReused(ctx, q, r)
			if err != nil {
				return err
			}
			return nil
		}
		if err != nil {
			return err
		}
		userID, sessionID = used.UserID, used.SessionID
		if err := q.CreateRefreshToken(ctx, db.CreateRefreshTokenParams{
			SessionID: used.SessionID,
			ParentID:  &used.ID,
			TokenHash: r.NewHash,
			ExpiresAt: r.ExpiresAt,
		}); err != nil {
			return err
		}
		return q.ExtendSession(ctx, db.ExtendSessionParams{ID: used.SessionID, ExpiresAt: r.ExpiresAt})
	})
	switch {
	case err != nil:
		return uuid.Nil, uuid.Nil, wrap("rotate refresh token", err)
	case reused:
		return uuid.Nil, uuid.Nil, auth.ErrTokenReused
	case sessionID == uuid.Nil:
		return uuid.Nil, uuid.Nil, auth.ErrInvalidToken
	}
	return userID, sessionID, nil
}

// revokeIfReused looks at a token that could not be rotated. One that was rotated more than ReuseGrace
// ago is being replayed, so its whole session is revoked (committed with the caller's transaction).
func (s *Store) revokeIfReused(ctx context.Context, q *db.Queries, r auth.Rotation) (bool, error) {
	token, err := q.GetRefreshToken(ctx, r.OldHash)
	if errors.Is(err, pgx.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if token.UsedAt == nil || time.Since(*token.UsedAt) <= r.ReuseGrace {
		return false, nil
	}
	return true, q.RevokeSession(ctx, token.SessionID)
}

// RevokeSessionByRefreshToken revokes the session a refresh token belongs to, if any.
func (s *Store) RevokeSessionByRefreshToken(ctx context.Context, hash []byte) error {
	return wrap("revoke session by refresh token", s.q.RevokeSessionByRefreshToken(ctx, hash))
}

// SessionUser implements auth.Store with one indexed lookup.
func (s *Store) SessionUser(ctx context.Context, sessionID, userID uuid.UUID) (auth.User, error) {
	row, err := s.q.GetSessionUser(ctx, db.GetSessionUserParams{SessionID: sessionID, UserID: userID})
	if err != nil {
		return auth.User{}, wrap("load session user", err)
	}
	return toUser(row.User), nil
}
