package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/authd/authd/gen/db"
	"github.com/authd/authd/internal/auth"
)

// CreateSession starts a session with its assurance and first refresh token (and records a login), in one
// statement that also decides whether the user may have a session.
func (s *Store) CreateSession(ctx context.Context, ns auth.NewSession) (auth.StartedSession, error) {
	a := ns.Assertion
	row, err := s.queries(ctx).CreateSession(ctx, db.CreateSessionParams{
		UserID:          a.UserID,
		RequireVerified: ns.RequireVerified,
		IsLogin:         ns.Login,
		LifetimeSeconds: ns.Lifetime.Seconds(),
		UserAgent:       ns.Client.UserAgent,
		IpAddress:       ns.Client.IP,
		Aal:             int16(a.AAL),
		Methods:         []string{string(a.Method)},
		Amr:             []string{a.AMR},
		TokenHash:       ns.RefreshHash,
	})
	if err != nil {
		return auth.StartedSession{}, wrap("create session", err)
	}
	if err := refusalError(row.Refusal); err != nil {
		return auth.StartedSession{}, err
	}
	started := auth.StartedSession{ID: row.SessionID, AuthTime: row.AuthTime}
	if ns.Login {
		started.LastLoginAt = &row.AuthTime
	}
	return started, nil
}

// refusalError is the domain error of authd_session_refusal's answer.
func refusalError(refusal string) error {
	switch refusal {
	case "":
		return nil
	case "account_disabled":
		return auth.ErrAccountDisabled
	case "email_not_verified":
		return auth.ErrEmailNotVerified
	}
	return fmt.Errorf("unknown session refusal %q", refusal)
}

// RotateRefreshToken implements auth.Store in one statement (queries/sessions.sql): the old token's row
// lock is the only gate, and whether a replay is reuse is decided on the database's clock.
func (s *Store) RotateRefreshToken(ctx context.Context, r auth.Rotation) (auth.RotatedSession, error) {
	row, err := s.queries(ctx).RotateRefreshToken(ctx, db.RotateRefreshTokenParams{
		OldHash:            r.OldHash,
		NewHash:            r.NewHash,
		TtlSeconds:         r.TTL.Seconds(),
		MaxLifetimeSeconds: r.MaxLifetime.Seconds(),
		GraceSeconds:       r.ReuseGrace.Seconds(),
		RequireVerified:    r.RequireVerified,
		Ip:                 r.Request.Client.IP,
		UserAgent:          r.Request.Client.UserAgent,
		RequestID:          r.Request.ID,
	})
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return auth.RotatedSession{}, &auth.InvalidTokenError{Reason: "the refresh token is unknown"}
	case err != nil:
		return auth.RotatedSession{}, wrap("rotate refresh token", err)
	}
	rotated := auth.RotatedSession{UserID: row.UserID, SessionID: row.SessionID,
		Assurance: auth.Assurance{AAL: int(row.Aal), AuthTime: row.AuthTime, AMR: row.Amr}}
	switch {
	case row.Reused:
		return rotated, auth.ErrTokenReused
	case row.Unverified && !row.Rotated:
		return rotated, auth.ErrEmailNotVerified
	case !row.Rotated:
		return auth.RotatedSession{}, &auth.InvalidTokenError{Reason: "the refresh token is used, expired or revoked"}
	}
	return rotated, nil
}

// RevokeSessionByRefreshToken implements auth.Store.
func (s *Store) RevokeSessionByRefreshToken(ctx context.Context, hash []byte) (userID, sessionID uuid.UUID, err error) {
	row, err := s.queries(ctx).RevokeSessionByRefreshToken(ctx, hash)
	if errors.Is(err, pgx.ErrNoRows) {
		return uuid.Nil, uuid.Nil, nil
	}
	if err != nil {
		return uuid.Nil, uuid.Nil, wrap("revoke session by refresh token", err)
	}
	return row.UserID, row.ID, nil
}

// SessionUser implements auth.Store with one indexed lookup.
func (s *Store) SessionUser(ctx context.Context, sessionID, userID uuid.UUID) (auth.User, auth.Assurance, error) {
	row, err := s.queries(ctx).GetSessionUser(ctx, db.GetSessionUserParams{SessionID: sessionID, UserID: userID})
	if err != nil {
		return auth.User{}, auth.Assurance{}, wrap("load session user", err)
	}
	return toUser(row.User), auth.Assurance{AAL: int(row.Aal), AuthTime: row.AuthTime,
		AuthAge: time.Duration(row.AuthAgeSeconds * float64(time.Second))}, nil
}

// Reauthenticate implements auth.Store in one statement: the session's new auth_time and assurance, and a
// new refresh token in it. A session that ended, or whose user may no longer have one, is ErrNotFound.
func (s *Store) Reauthenticate(ctx context.Context, sessionID uuid.UUID, a auth.Assertion, refreshHash []byte) (auth.Assurance, error) {
	row, err := s.queries(ctx).ReauthenticateSession(ctx, db.ReauthenticateSessionParams{Method: string(a.Method), Amr: a.AMR, Aal: int16(a.AAL),
		SessionID: sessionID, UserID: a.UserID, TokenHash: refreshHash})
	if err != nil {
		return auth.Assurance{}, wrap("reauthenticate session", err)
	}
	return auth.Assurance{AAL: int(row.Aal), AuthTime: row.AuthTime, Methods: row.Methods, AMR: row.Amr}, nil
}
