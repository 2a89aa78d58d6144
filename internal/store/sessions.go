package store

import (
	"context"
	"errors"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/authd/authd/gen/db"
	"github.com/authd/authd/internal/auth"
)

// CreateSession starts a session with its first refresh token (and records a login), in one statement.
func (s *Store) CreateSession(ctx context.Context, ns auth.NewSession) (uuid.UUID, error) {
	id, err := s.q.CreateSession(ctx, db.CreateSessionParams{
		UserID:    ns.UserID,
		ExpiresAt: ns.ExpiresAt,
		UserAgent: ns.Client.UserAgent,
		IpAddress: ns.Client.IP,
		TokenHash: ns.RefreshHash,
		IsLogin:   ns.Login,
	})
	return id, wrap("create session", err)
}

// RotateRefreshToken implements auth.Store in one statement (queries/sessions.sql): the old token's row
// lock is the only gate, and whether a replay is reuse is decided on the database's clock.
func (s *Store) RotateRefreshToken(ctx context.Context, r auth.Rotation) (userID, sessionID uuid.UUID, err error) {
	row, err := s.q.RotateRefreshToken(ctx, db.RotateRefreshTokenParams{
		OldHash:            r.OldHash,
		NewHash:            r.NewHash,
		ExpiresAt:          r.ExpiresAt,
		MaxLifetimeSeconds: r.MaxLifetime.Seconds(),
		GraceSeconds:       r.ReuseGrace.Seconds(),
		RequireVerified:    r.RequireVerified,
	})
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return uuid.Nil, uuid.Nil, auth.ErrInvalidToken
	case err != nil:
		return uuid.Nil, uuid.Nil, wrap("rotate refresh token", err)
	case row.Reused:
		return row.UserID, row.SessionID, auth.ErrTokenReused
	case row.Unverified != nil && *row.Unverified && !row.Rotated:
		return row.UserID, row.SessionID, auth.ErrEmailNotVerified
	case !row.Rotated:
		return uuid.Nil, uuid.Nil, auth.ErrInvalidToken
	}
	return row.UserID, row.SessionID, nil
}

// RevokeSessionByRefreshToken implements auth.Store.
func (s *Store) RevokeSessionByRefreshToken(ctx context.Context, hash []byte) (userID, sessionID uuid.UUID, err error) {
	row, err := s.q.RevokeSessionByRefreshToken(ctx, hash)
	if errors.Is(err, pgx.ErrNoRows) {
		return uuid.Nil, uuid.Nil, nil
	}
	if err != nil {
		return uuid.Nil, uuid.Nil, wrap("revoke session by refresh token", err)
	}
	return row.UserID, row.ID, nil
}

// SessionUser implements auth.Store with one indexed lookup.
func (s *Store) SessionUser(ctx context.Context, sessionID, userID uuid.UUID) (auth.User, error) {
	row, err := s.q.GetSessionUser(ctx, db.GetSessionUserParams{SessionID: sessionID, UserID: userID})
	if err != nil {
		return auth.User{}, wrap("load session user", err)
	}
	return toUser(row.User), nil
}
