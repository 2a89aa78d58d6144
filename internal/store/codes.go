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

var _ auth.CodeStore = (*Store)(nil)

// PutLoginCode implements auth.CodeStore: the code and its message commit together.
func (s *Store) PutLoginCode(ctx context.Context, c auth.LoginCode, out ...auth.Outgoing) error {
	return wrap("put login code", s.InTx(ctx, func(q *db.Queries) error {
		if _, err := q.PutLoginCode(ctx, db.PutLoginCodeParams{Email: c.Email, Purpose: c.Purpose, CodeSalt: c.Salt, CodeHash: c.Hash,
			LinkHash: c.LinkHash, TtlSeconds: c.TTL.Seconds(), WindowSeconds: c.Window.Seconds()}); err != nil {
			return err
		}
		return queue(ctx, q, out)
	}))
}

// LastLoginCodeAt implements auth.CodeStore.
func (s *Store) LastLoginCodeAt(ctx context.Context, email, purpose string) (time.Time, error) {
	at, err := s.queries(ctx).LastLoginCodeAt(ctx, db.LastLoginCodeAtParams{Email: email, Purpose: purpose})
	return at, wrap("last login code", err)
}

// ConsumeLoginCode implements auth.CodeStore in one statement (queries/mail.sql).
func (s *Store) ConsumeLoginCode(ctx context.Context, email, purpose, code string, maxFailures int) (bool, error) {
	matches, err := s.queries(ctx).ConsumeLoginCode(ctx, db.ConsumeLoginCodeParams{Email: email, Purpose: purpose, Code: code, MaxFailures: int32(maxFailures)})
	if errors.Is(err, pgx.ErrNoRows) {
		return false, nil
	}
	return matches, wrap("consume login code", err)
}

// ConsumeLoginLink implements auth.CodeStore.
func (s *Store) ConsumeLoginLink(ctx context.Context, hash []byte, maxFailures int) (string, error) {
	email, err := s.queries(ctx).ConsumeLoginLink(ctx, db.ConsumeLoginLinkParams{LinkHash: hash, MaxFailures: int32(maxFailures)})
	if errors.Is(err, pgx.ErrNoRows) {
		return "", auth.ErrInvalidLink
	}
	return email, wrap("consume login link", err)
}

// MarkEmailVerified implements auth.CodeStore: only while the account still has the address.
func (s *Store) MarkEmailVerified(ctx context.Context, userID uuid.UUID, email string) error {
	_, err := s.queries(ctx).MarkEmailVerified(ctx, db.MarkEmailVerifiedParams{ID: userID, Email: email})
	return wrap("mark email verified", err)
}
