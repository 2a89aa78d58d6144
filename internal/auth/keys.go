package auth

import (
	"context"
	"crypto"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/authd/authd/internal/signing"
)

// Signing key states; see SigningKeyState in openapi.yaml.
const (
	KeyNext     = "next"
	KeyCurrent  = "current"
	KeyPrevious = "previous"
	KeyRetired  = "retired"
	KeyRevoked  = "revoked"
)

// keyLeeway is added to a previous key's life beyond its last token's expiry, for resource servers whose
// clocks run late.
const keyLeeway = time.Minute

// ErrSharedSecret refuses key operations when tokens are signed with HS256, which has no key pairs.
var ErrSharedSecret = fmt.Errorf("%w: authd signs with HS256 (AUTHD_JWT_ALG), a shared secret with no keys to publish or rotate", ErrConflict)

// StoredKey is a signing key as the store keeps it: the public JWK and the sealed private key.
type StoredKey struct {
	Kid           string
	Alg           signing.Alg
	State         string
	PublicJWK     []byte
	Sealed        []byte
	CreatedAt     time.Time
	ActivatedAt   *time.Time
	DeactivatedAt *time.Time
	RetireAt      *time.Time
	RetiredAt     *time.Time
}

// KeyStore keeps the signing keys every instance shares.
type KeyStore interface {
	// PublishedKeys returns the keys in state next, current or previous.
	PublishedKeys(ctx context.Context) ([]StoredKey, error)
	// AllKeys returns every key, newest first.
	AllKeys(ctx context.Context) ([]StoredKey, error)
	// MaintainKeys runs fn in a transaction holding the key-maintenance lock, so that one instance at a
	// time changes keys, and announces the change to every instance when it commits.
	MaintainKeys(ctx context.Context, fn func(KeyMaintenance) error) error
	// ListenKeys calls changed whenever the keys may have changed, including after every (re)connection.
	ListenKeys(ctx context.Context, changed func())
}

// KeyMaintenance is what a key-maintenance transaction may do.
type KeyMaintenance interface {
	Keys(ctx context.Context) ([]StoredKey, error)
	Insert(ctx context.Context, k StoredKey) error
	// DueNext returns the oldest next key of alg published for at least ahead, if any.
	DueNext(ctx context.Context, alg signing.Alg, ahead time.Duration) (kid string, ok bool, err error)
	// Activate makes a key current.
	Activate(ctx context.Context, kid string) error
	// DemoteCurrent makes the current key previous, to be retired after the longest access-token
	// lifetime in force while it signed (at least accessTTL) plus leeway.
	DemoteCurrent(ctx context.Context, accessTTL, leeway time.Duration) error
	RetireExpired(ctx context.Context) error
	// Revoke withdraws a published key; false when there is none with that kid.
	Revoke(ctx context.Context, kid string) (bool, error)
	// DeleteOld removes keys retired or revoked long ago.
	DeleteOld(ctx context.Context) error
}

// loadedKey is a published key ready to sign or verify.
type loadedKey struct {
	StoredKey
	public  crypto.PublicKey
	private crypto.Signer
}

// keyRing is the keys in force in this process, replaced as a whole.
type keyRing struct {
	current *loadedKey
	byKid   map[string]*loadedKey
	jwks    []byte
	etag    string
	// generation changes when the published keys or the signing key change.
	generation uint64
}

// KeyManager keeps the asymmetric signing keys: it loads them, rotates them on schedule or on demand, and
// follows the changes other instances make. It is the KeySource of asymmetric Tokens.
type KeyManager struct {
	alg      signing.Alg
	store    KeyStore
	sealer   *signing.Sealer
	settings *LiveSettings
	ring     atomic.Pointer[keyRing]
}

// NewKeyManager returns a manager for alg (asymmetric) whose private keys are sealed with sealer.
func NewKeyManager(alg signing.Alg, store KeyStore, sealer *signing.Sealer, settings *LiveSettings) *KeyManager {
	return &KeyManager{alg: alg, store: store, sealer: sealer, settings: settings}
}

// Start loads the keys, refusing to go on when the stored ones do not open with this secret (never making
// a new key instead), then makes sure a key signs.
func (k *KeyManager) Start(ctx context.Context) error {
	if err := k.Reload(ctx); err != nil {
		return err
	}
	return k.maintain(ctx, rotateNone, "")
}

type rotation int

const (
	rotateNone rotation = iota
	rotateAhead
	rotateNow
)

// Rotate publishes a new key that signs after key_publish_ahead_seconds, or at once with now. A next key
// already published is used rather than another one.
func (k *KeyManager) Rotate(ctx context.Context, now bool) error {
	if now {
		return k.maintain(ctx, rotateNow, "")
	}
	return k.maintain(ctx, rotateAhead, "")
}

// Revoke withdraws a key from the key set and from verification at once; when it was signing, a new key
// signs from now on.
func (k *KeyManager) Revoke(ctx context.Context, kid string) error {
	return k.maintain(ctx, rotateNone, kid)
}

// Maintain does what is due: the first key, automatic rotation, promotion of a next key whose publish-ahead
// time has passed, retirement of previous keys whose tokens have all expired.
func (k *KeyManager) Maintain(ctx context.Context) error { return k.maintain(ctx, rotateNone, "") }

func (k *KeyManager) maintain(ctx context.Context, mode rotation, revoke string) error {
	settings := k.settings.Get()
	ahead := time.Duration(settings[SettingKeyPublishAhead]) * time.Second
	rotationDays := settings[SettingKeyRotationDays]
	err := k.store.MaintainKeys(ctx, func(m KeyMaintenance) error {
		if revoke != "" {
			found, err := m.Revoke(ctx, revoke)
			if err != nil {
				return err
			}
			if !found {
				return ErrNotFound
			}
			slog.WarnContext(ctx, "signing key revoked", slog.String("kid", revoke))
		}
		keys, err := m.Keys(ctx)
		if err != nil {
			return err
		}
		var current *StoredKey
		hasNext := false
		for i := range keys {
			switch {
			case keys[i].State == KeyCurrent:
				current = &keys[i]
			case keys[i].State == KeyNext && keys[i].Alg == k.alg:
				hasNext = true
			}
		}
		if mode == rotateAhead && !hasNext ||
			mode == rotateNone && current != nil && !hasNext && rotationDue(*current, rotationDays, ahead) {
			if err := k.insert(ctx, m, KeyNext); err != nil {
				return err
			}
			hasNext = true
		}
		switch {
		case mode == rotateNow && hasNext:
			ahead = 0 // the next key is published already: it signs now
		case mode == rotateNow || current == nil || current.Alg != k.alg:
			// Nothing signs (first start, a revoked key) or the algorithm changed: a key must sign now.
			if current != nil {
				if err := m.DemoteCurrent(ctx, k.settings.AccessTokenTTL(), keyLeeway); err != nil {
					return err
				}
			}
			if err := k.insert(ctx, m, KeyCurrent); err != nil {
				return err
			}
			current = nil
			ahead = -1
		}
		if ahead >= 0 {
			if kid, due, err := m.DueNext(ctx, k.alg, ahead); err != nil {
				return err
			} else if due {
				if err := m.DemoteCurrent(ctx, k.settings.AccessTokenTTL(), keyLeeway); err != nil {
					return err
				}
				if err := m.Activate(ctx, kid); err != nil {
					return err
				}
				slog.InfoContext(ctx, "signing key activated", slog.String("kid", kid))
			}
		}
		if err := m.RetireExpired(ctx); err != nil {
			return err
		}
		return m.DeleteOld(ctx)
	})
	if err != nil {
		return err
	}
	return k.Reload(ctx)
}

// rotationDue reports that the current key has signed long enough that its successor should be published
// now, publish-ahead time before the rotation date.
func rotationDue(current StoredKey, days int64, ahead time.Duration) bool {
	if days <= 0 || current.ActivatedAt == nil {
		return false
	}
	return time.Since(*current.ActivatedAt) >= time.Duration(days)*24*time.Hour-ahead
}

func (k *KeyManager) insert(ctx context.Context, m KeyMaintenance, state string) error {
	priv, err := signing.Generate(k.alg)
	if err != nil {
		return fmt.Errorf("generate %s key: %w", k.alg, err)
	}
	jwk, err := signing.PublicJWK(k.alg, priv.Public())
	if err != nil {
		return err
	}
	if jwk.Kid, err = signing.Thumbprint(jwk); err != nil {
		return err
	}
	public, err := json.Marshal(jwk)
	if err != nil {
		return err
	}
	sealed, err := k.sealer.Seal(jwk.Kid, priv)
	if err != nil {
		return err
	}
	if err := m.Insert(ctx, StoredKey{Kid: jwk.Kid, Alg: k.alg, State: state, PublicJWK: public, Sealed: sealed}); err != nil {
		return err
	}
	slog.InfoContext(ctx, "signing key created", slog.String("kid", jwk.Kid), slog.String("alg", string(k.alg)), slog.String("state", state))
	return nil
}

// Reload replaces the keys in force with the published ones in the store. A key that does not open with
// this instance's secret is an error: the keys are kept as they were.
func (k *KeyManager) Reload(ctx context.Context) error {
	stored, err := k.store.PublishedKeys(ctx)
	if err != nil {
		return err
	}
	ring := &keyRing{byKid: map[string]*loadedKey{}}
	set := struct {
		Keys []json.RawMessage `json:"keys"`
	}{Keys: []json.RawMessage{}}
	for _, s := range stored {
		private, err := k.sealer.Open(s.Kid, s.Sealed)
		if err != nil {
			return fmt.Errorf("signing key %s: %w; start authd with the AUTHD_SECRET_KEY the keys were made with", s.Kid, err)
		}
		key := &loadedKey{StoredKey: s, public: private.Public(), private: private}
		ring.byKid[s.Kid] = key
		if s.State == KeyCurrent {
			ring.current = key
		}
		set.Keys = append(set.Keys, s.PublicJWK)
	}
	if ring.jwks, err = json.Marshal(set); err != nil {
		return err
	}
	sum := sha256.Sum256(ring.jwks)
	ring.etag = `"` + base64.RawURLEncoding.EncodeToString(sum[:16]) + `"`
	ring.generation = 1
	if old := k.ring.Load(); old != nil {
		ring.generation = old.generation
		if old.etag != ring.etag || old.current != nil && ring.current != nil && old.current.Kid != ring.current.Kid {
			ring.generation++
		}
	}
	k.ring.Store(ring)
	return nil
}

// Follow keeps the keys up to date until ctx ends: it reloads at once when another instance announces a
// change and every poll interval in case an announcement is lost, and does due maintenance every
// maintenance interval.
func (k *KeyManager) Follow(ctx context.Context, poll, maintenance time.Duration) {
	reload := func() {
		if err := k.Reload(ctx); err != nil && ctx.Err() == nil {
			slog.Warn("reload signing keys", slog.String("error", err.Error()))
		}
	}
	go k.store.ListenKeys(ctx, reload)
	pollTicker, maintainTicker := time.NewTicker(poll), time.NewTicker(maintenance)
	defer pollTicker.Stop()
	defer maintainTicker.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-pollTicker.C:
			reload()
		case <-maintainTicker.C:
			if err := k.Maintain(ctx); err != nil && ctx.Err() == nil {
				slog.Warn("signing key maintenance", slog.String("error", err.Error()))
			}
		}
	}
}

// JWKS returns the published key set (RFC 7517) and its ETag.
func (k *KeyManager) JWKS() (body []byte, etag string) {
	ring := k.ring.Load()
	return ring.jwks, ring.etag
}

// Keys returns every key, newest first, for admins.
func (k *KeyManager) Keys(ctx context.Context) ([]StoredKey, error) { return k.store.AllKeys(ctx) }

// Alg is the algorithm tokens are signed with.
func (k *KeyManager) Alg() signing.Alg { return k.alg }

// SigningKey implements KeySource with the current key.
func (k *KeyManager) SigningKey() (kid string, method jwt.SigningMethod, key any, err error) {
	current := k.ring.Load().current
	if current == nil {
		return "", nil, nil, fmt.Errorf("%w: no signing key is loaded", ErrUnavailable)
	}
	return current.Kid, current.Alg.Method(), current.private, nil
}

// Generation implements KeySource.
func (k *KeyManager) Generation() uint64 { return k.ring.Load().generation }

// VerificationKey implements KeySource: the public key of a published key of this algorithm.
func (k *KeyManager) VerificationKey(kid string) (any, error) {
	key, ok := k.ring.Load().byKid[kid]
	if !ok || key.Alg != k.alg {
		return nil, errors.New("unknown kid")
	}
	return key.public, nil
}
