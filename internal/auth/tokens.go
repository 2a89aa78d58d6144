package auth

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"

	"github.com/authd/authd/internal/signing"
)

// accessTokenType is the JWT "typ" header of access tokens (RFC 9068), checked on every verification so
// that no other JWT signed with the same key passes as one.
const accessTokenType = "at+jwt"

// TokenType is the token_type of every token response.
const TokenType = "Bearer"

// AccessClaims are the claims of an access token (RFC 9068): iss, sub, aud, exp, iat, nbf, jti, client_id,
// sid, the session (one login) it belongs to, and how that session was authenticated: amr (RFC 8176
// values), aal ("aal1" or "aal2") and auth_time (OpenID Connect Core section 2).
type AccessClaims struct {
	jwt.RegisteredClaims
	ClientID  string           `json:"client_id"`
	SessionID string           `json:"sid"`
	AMR       []string         `json:"amr"`
	AAL       string           `json:"aal"`
	AuthTime  *jwt.NumericDate `json:"auth_time"`
}

// KeySource gives Tokens the key to sign with and the keys to verify with.
type KeySource interface {
	Alg() signing.Alg
	// SigningKey returns the key that signs now, its kid ("" for a shared secret) and its method.
	SigningKey() (kid string, method jwt.SigningMethod, key any, err error)
	// VerificationKey returns the key that verifies tokens carrying kid.
	VerificationKey(kid string) (any, error)
	// Generation changes whenever the verification keys change (a rotation, a revocation), so that
	// verifications remembered under the old keys are forgotten.
	Generation() uint64
}

// SharedSecret is the KeySource of HS256: one secret signs and verifies, and tokens carry no kid.
type SharedSecret []byte

// Alg implements KeySource.
func (SharedSecret) Alg() signing.Alg { return signing.HS256 }

// SigningKey implements KeySource.
func (s SharedSecret) SigningKey() (string, jwt.SigningMethod, any, error) {
	return "", jwt.SigningMethodHS256, []byte(s), nil
}

// Generation implements KeySource: a shared secret never changes while authd runs.
func (SharedSecret) Generation() uint64 { return 0 }

// VerificationKey implements KeySource; a token naming a kid was not made with the shared secret.
func (s SharedSecret) VerificationKey(kid string) (any, error) {
	if kid != "" {
		return nil, errors.New("HS256 tokens carry no kid")
	}
	return []byte(s), nil
}

// Tokens issues and verifies access tokens with one pinned algorithm, the configured issuer, audience
// and client id.
type Tokens struct {
	keys     KeySource
	issuer   string
	audience string
	clientID string
	parser   *jwt.Parser
	now      func() time.Time
	verified verifiedTokens
}

// NewTokens returns Tokens that sign and verify with keys.
func NewTokens(keys KeySource, issuer, audience, clientID string) *Tokens {
	t := &Tokens{keys: keys, issuer: issuer, audience: audience, clientID: clientID, now: time.Now}
	t.parser = jwt.NewParser(
		jwt.WithValidMethods([]string{keys.Alg().Method().Alg()}),
		jwt.WithExpirationRequired(),
		jwt.WithStrictDecoding(),
		jwt.WithIssuedAt(),
		jwt.WithIssuer(issuer),
		jwt.WithAudience(audience),
		jwt.WithTimeFunc(func() time.Time { return t.now() }),
	)
	return t
}

// Issue signs an access token for userID in sessionID, authenticated as assurance says, that lives for ttl.
func (t *Tokens) Issue(userID, sessionID uuid.UUID, assurance Assurance, ttl time.Duration) (string, error) {
	kid, method, key, err := t.keys.SigningKey()
	if err != nil {
		return "", err
	}
	now := t.now().Truncate(time.Second)
	claims := AccessClaims{
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer:    t.issuer,
			Subject:   userID.String(),
			Audience:  jwt.ClaimStrings{t.audience},
			IssuedAt:  jwt.NewNumericDate(now),
			NotBefore: jwt.NewNumericDate(now),
			ExpiresAt: jwt.NewNumericDate(now.Add(ttl)),
			ID:        uuid.NewString(),
		},
		ClientID:  t.clientID,
		SessionID: sessionID.String(),
		AMR:       assurance.AMR,
		AAL:       assurance.ACR(),
		AuthTime:  jwt.NewNumericDate(assurance.AuthTime.Truncate(time.Second)),
	}
	if claims.AMR == nil {
		claims.AMR = []string{}
	}
	token := jwt.NewWithClaims(method, claims)
	token.Header["typ"] = accessTokenType
	if kid != "" {
		token.Header["kid"] = kid
	}
	signed, err := token.SignedString(key)
	if err != nil {
		return "", fmt.Errorf("sign access token: %w", err)
	}
	return signed, nil
}

// Verify checks an access token's signature, algorithm, key, type, expiry, issuer and audience and
// returns its user and session ids. Every failure is ErrInvalidToken.
func (t *Tokens) Verify(raw string) (userID, sessionID uuid.UUID, err error) {
	generation := t.keys.Generation()
	if v, ok := t.verified.get(raw, generation, t.now()); ok {
		return v.userID, v.sessionID, nil
	}
	var claims AccessClaims
	reason := ""
	token, err := t.parser.ParseWithClaims(raw, &claims, func(tok *jwt.Token) (any, error) {
		if typ, _ := tok.Header["typ"].(string); typ != accessTokenType {
			reason = "the token is not an access token"
			return nil, errors.New(reason)
		}
		kid, _ := tok.Header["kid"].(string)
		if _, present := tok.Header["kid"]; present && kid == "" {
			reason = "the token's kid is not a string"
			return nil, errors.New(reason)
		}
		key, err := t.keys.VerificationKey(kid)
		if err != nil {
			reason = "the token is signed by an unknown key"
		}
		return key, err
	})
	if err != nil || !token.Valid {
		return uuid.Nil, uuid.Nil, &InvalidTokenError{Reason: tokenFailure(err, reason)}
	}
	userID, err1 := uuid.Parse(claims.Subject)
	sessionID, err2 := uuid.Parse(claims.SessionID)
	if err1 != nil || err2 != nil {
		return uuid.Nil, uuid.Nil, &InvalidTokenError{Reason: "the token's sub or sid is not an id"}
	}
	t.verified.put(raw, verifiedToken{userID: userID, sessionID: sessionID, expires: claims.ExpiresAt.Time, generation: generation})
	return userID, sessionID, nil
}

// tokenFailure says why a token did not verify, in words a client developer can act on (RFC 6750's
// error_description); reason is what the key function found, if anything.
func tokenFailure(err error, reason string) string {
	switch {
	case reason != "":
		return reason
	case errors.Is(err, jwt.ErrTokenExpired):
		return "the token has expired"
	case errors.Is(err, jwt.ErrTokenNotValidYet), errors.Is(err, jwt.ErrTokenUsedBeforeIssued):
		return "the token is not valid yet"
	case errors.Is(err, jwt.ErrTokenInvalidIssuer):
		return "the token is from another issuer"
	case errors.Is(err, jwt.ErrTokenInvalidAudience):
		return "the token is for another audience"
	case errors.Is(err, jwt.ErrTokenSignatureInvalid):
		return "the token's signature does not verify"
	case errors.Is(err, jwt.ErrTokenUnverifiable):
		return "the token's algorithm is not the one authd signs with"
	case errors.Is(err, jwt.ErrTokenRequiredClaimMissing):
		return "the token lacks a required claim"
	}
	return "the token is malformed"
}

// maxVerifiedTokens bounds the memory of remembered verifications (about 200 bytes each).
const maxVerifiedTokens = 10000

// verifiedTokens remembers tokens whose signature and claims verified, until they expire or the keys
// change, so that a client calling with the same token again costs a map lookup rather than an ECDSA or
// RSA verification. Only tokens that verified are remembered, so an attacker cannot fill it.
type verifiedTokens struct {
	mu      sync.Mutex
	entries map[string]verifiedToken
}

type verifiedToken struct {
	userID, sessionID uuid.UUID
	expires           time.Time
	generation        uint64
}

func (v *verifiedTokens) get(raw string, generation uint64, now time.Time) (verifiedToken, bool) {
	v.mu.Lock()
	defer v.mu.Unlock()
	e, ok := v.entries[raw]
	if !ok || e.generation != generation || !now.Before(e.expires) {
		return verifiedToken{}, false
	}
	return e, true
}

func (v *verifiedTokens) put(raw string, e verifiedToken) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.entries == nil || len(v.entries) >= maxVerifiedTokens {
		v.entries = make(map[string]verifiedToken, 64)
	}
	v.entries[raw] = e
}

// NewRefreshToken returns a random refresh token (a v4 UUID from crypto/rand) and the hash to store.
func NewRefreshToken() (token string, hash []byte) {
	token = uuid.NewString()
	return token, HashRefreshToken(token)
}

// HashRefreshToken is the SHA-256 under which a refresh token is stored; the token itself never is.
// A plain hash suffices because the token has 122 random bits.
func HashRefreshToken(token string) []byte {
	sum := sha256.Sum256([]byte(token))
	return sum[:]
}
