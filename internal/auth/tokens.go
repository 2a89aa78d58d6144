package auth

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"
)

// accessTokenType is the JWT "typ" header of access tokens (RFC 9068), checked on every verification so
// that no other JWT signed with the same key passes as one.
const accessTokenType = "at+jwt"

// TokenType is the token_type of every token response.
const TokenType = "Bearer"

// AccessClaims are the claims of an access token. sid is the session (one login) it belongs to.
type AccessClaims struct {
	jwt.RegisteredClaims
	SessionID string `json:"sid"`
}

// Tokens issues and verifies access tokens: HS256 only, with the configured issuer and audience.
type Tokens struct {
	secret   []byte
	issuer   string
	audience string
	parser   *jwt.Parser
	now      func() time.Time
}

// NewTokens returns a Tokens signing with secret.
func NewTokens(secret []byte, issuer, audience string) *Tokens {
	t := &Tokens{secret: secret, issuer: issuer, audience: audience, now: time.Now}
	t.parser = jwt.NewParser(
		jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}),
		jwt.WithExpirationRequired(),
		jwt.WithStrictDecoding(),
		jwt.WithIssuedAt(),
		jwt.WithIssuer(issuer),
		jwt.WithAudience(audience),
		jwt.WithTimeFunc(func() time.Time { return t.now() }),
	)
	return t
}

// Issue signs an access token for userID in sessionID that lives for ttl.
func (t *Tokens) Issue(userID, sessionID uuid.UUID, ttl time.Duration) (string, error) {
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
		SessionID: sessionID.String(),
	}
	token := jwt.NewWithClaims(jwt.SigningMethodHS256, claims)
	token.Header["typ"] = accessTokenType
	signed, err := token.SignedString(t.secret)
	if err != nil {
		return "", fmt.Errorf("sign access token: %w", err)
	}
	return signed, nil
}

// Verify checks an access token's signature, algorithm, type, expiry, issuer and audience and returns
// its user and session ids. Every failure is ErrInvalidToken.
func (t *Tokens) Verify(raw string) (userID, sessionID uuid.UUID, err error) {
	var claims AccessClaims
	token, err := t.parser.ParseWithClaims(raw, &claims, func(tok *jwt.Token) (any, error) {
		if typ, _ := tok.Header["typ"].(string); typ != accessTokenType {
			return nil, errors.New("not an access token")
		}
		return t.secret, nil
	})
	if err != nil || !token.Valid {
		return uuid.Nil, uuid.Nil, ErrInvalidToken
	}
	userID, err1 := uuid.Parse(claims.Subject)
	sessionID, err2 := uuid.Parse(claims.SessionID)
	if err1 != nil || err2 != nil {
		return uuid.Nil, uuid.Nil, ErrInvalidToken
	}
	return userID, sessionID, nil
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
