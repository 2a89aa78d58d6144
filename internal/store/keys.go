package store

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/authd/authd/gen/db"
	"github.com/authd/authd/internal/auth"
	"github.com/authd/authd/internal/signing"
)

// keysChannel is the NOTIFY channel on which key changes are announced.
const keysChannel = "authd_signing_keys"

var _ auth.KeyStore = (*Store)(nil)

func toStoredKey(k db.SigningKey) auth.StoredKey {
	return auth.StoredKey{Kid: k.Kid, Alg: signing.Alg(k.Alg), State: k.State, PublicJWK: k.PublicJwk, Sealed: k.SealedPrivate,
		CreatedAt: k.CreatedAt, ActivatedAt: k.ActivatedAt, DeactivatedAt: k.DeactivatedAt, RetireAt: k.RetireAt, RetiredAt: k.RetiredAt}
}

func toStoredKeys(rows []db.SigningKey) []auth.StoredKey {
	out := make([]auth.StoredKey, len(rows))
	for i, r := range rows {
		out[i] = toStoredKey(r)
	}
	return out
}

// PublishedKeys implements auth.KeyStore.
func (s *Store) PublishedKeys(ctx context.Context) ([]auth.StoredKey, error) {
	rows, err := s.queries(ctx).ListPublishedSigningKeys(ctx)
	if err != nil {
		return nil, wrap("published signing keys", err)
	}
	return toStoredKeys(rows), nil
}

// AllKeys implements auth.KeyStore.
func (s *Store) AllKeys(ctx context.Context) ([]auth.StoredKey, error) {
	rows, err := s.queries(ctx).ListSigningKeys(ctx)
	if err != nil {
		return nil, wrap("list signing keys", err)
	}
	return toStoredKeys(rows), nil
}

// MaintainKeys implements auth.KeyStore with a transaction-scoped advisory lock.
func (s *Store) MaintainKeys(ctx context.Context, fn func(auth.KeyMaintenance) error) error {
	return wrap("maintain signing keys", s.InTx(ctx, func(q *db.Queries) error {
		if err := q.LockSigningKeys(ctx); err != nil {
			return err
		}
		if err := fn(keyMaintenance{q}); err != nil {
			return err
		}
		return q.NotifySigningKeysChanged(ctx)
	}))
}

// ListenKeys implements auth.KeyStore.
func (s *Store) ListenKeys(ctx context.Context, changed func()) { s.listen(ctx, keysChannel, changed) }

type keyMaintenance struct{ q *db.Queries }

func (m keyMaintenance) Keys(ctx context.Context) ([]auth.StoredKey, error) {
	rows, err := m.q.ListSigningKeys(ctx)
	return toStoredKeys(rows), err
}

func (m keyMaintenance) Insert(ctx context.Context, k auth.StoredKey) error {
	return m.q.InsertSigningKey(ctx, db.InsertSigningKeyParams{Kid: k.Kid, Alg: string(k.Alg), State: k.State,
		PublicJwk: k.PublicJWK, SealedPrivate: k.Sealed})
}

func (m keyMaintenance) DueNext(ctx context.Context, alg signing.Alg, ahead time.Duration) (string, bool, error) {
	kid, err := m.q.DueNextSigningKey(ctx, db.DueNextSigningKeyParams{Alg: string(alg), PublishAheadSeconds: ahead.Seconds()})
	if errors.Is(err, pgx.ErrNoRows) {
		return "", false, nil
	}
	return kid, err == nil, err
}

func (m keyMaintenance) Activate(ctx context.Context, kid string) error {
	return m.q.ActivateSigningKey(ctx, kid)
}

func (m keyMaintenance) DemoteCurrent(ctx context.Context, accessTTL, leeway time.Duration) error {
	return m.q.DemoteCurrentSigningKey(ctx, db.DemoteCurrentSigningKeyParams{AccessTtlSeconds: accessTTL.Seconds(),
		LeewaySeconds: leeway.Seconds()})
}

func (m keyMaintenance) RetireExpired(ctx context.Context) error {
	_, err := m.q.RetireExpiredSigningKeys(ctx)
	return err
}

func (m keyMaintenance) Revoke(ctx context.Context, kid string) (bool, error) {
	n, err := m.q.RevokeSigningKey(ctx, kid)
	return n > 0, err
}

func (m keyMaintenance) DeleteOld(ctx context.Context) error { return m.q.DeleteOldSigningKeys(ctx) }
