package auth

import (
	"crypto"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"

	"github.com/authd/authd/internal/signing"
)

// passwordAssurance is a session signed in by password a minute ago.
var passwordAssurance = Assurance{AAL: AAL1, AuthTime: time.Now().Add(-time.Minute), Methods: []string{"password"}, AMR: []string{"pwd"}}

// The token carries the session's assurance: amr as an array, aal, and auth_time as a NumericDate.
func TestTokensCarryAssurance(t *testing.T) {
	tokens := NewTokens(SharedSecret("0123456789abcdef0123456789abcdef"), "iss", "aud", "client")
	authTime := time.Now().Add(-90 * time.Second)
	raw, err := tokens.Issue(uuid.New(), uuid.New(), Assurance{AAL: AAL2, AuthTime: authTime, AMR: []string{"pwd", "otp"}}, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	payload, err := base64.RawURLEncoding.DecodeString(strings.Split(raw, ".")[1])
	if err != nil {
		t.Fatal(err)
	}
	var claims map[string]any
	if err := json.Unmarshal(payload, &claims); err != nil {
		t.Fatal(err)
	}
	if amr, _ := claims["amr"].([]any); len(amr) != 2 || amr[0] != "pwd" || amr[1] != "otp" {
		t.Errorf("amr = %v", claims["amr"])
	}
	if claims["aal"] != "aal2" {
		t.Errorf("aal = %v", claims["aal"])
	}
	if at, _ := claims["auth_time"].(float64); int64(at) != authTime.Unix() {
		t.Errorf("auth_time = %v, want %d", claims["auth_time"], authTime.Unix())
	}
}

func TestTokensRoundTrip(t *testing.T) {
	tokens := NewTokens(SharedSecret("0123456789abcdef0123456789abcdef"), "iss", "aud", "client")
	user, session := uuid.New(), uuid.New()
	raw, err := tokens.Issue(user, session, passwordAssurance, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	gotUser, gotSession, err := tokens.Verify(raw)
	if err != nil || gotUser != user || gotSession != session {
		t.Fatalf("Verify = %s %s %v", gotUser, gotSession, err)
	}
	tokens.now = func() time.Time { return time.Now().Add(2 * time.Minute) }
	var why *InvalidTokenError
	if _, _, err := tokens.Verify(raw); !errors.Is(err, ErrInvalidToken) || !errors.As(err, &why) || why.Reason != "the token has expired" {
		t.Errorf("expired token: %v, want ErrInvalidToken saying it expired", err)
	}
	other := NewTokens(SharedSecret("0123456789abcdef0123456789abcdef"), "iss", "other-aud", "client")
	if _, _, err := other.Verify(raw); !errors.As(err, &why) || why.Reason != "the token is for another audience" {
		t.Errorf("other audience: %v, want ErrInvalidToken saying so", err)
	}
	forged := NewTokens(SharedSecret("another secret, another signature"), "iss", "aud", "client")
	if _, _, err := forged.Verify(raw); !errors.As(err, &why) || why.Reason != "the token's signature does not verify" {
		t.Errorf("another key: %v", err)
	}
	if _, _, err := tokens.Verify("not.a.jwt"); !errors.As(err, &why) || why.Reason != "the token is malformed" {
		t.Errorf("garbage: %v", err)
	}
}

func TestRefreshTokensAreRandomV4UUIDs(t *testing.T) {
	a, hashA := NewRefreshToken()
	b, _ := NewRefreshToken()
	id, err := uuid.Parse(a)
	if err != nil || id.Version() != 4 || a == b {
		t.Errorf("refresh tokens %q, %q", a, b)
	}
	if string(hashA) == a || len(hashA) != 32 || string(HashRefreshToken(a)) != string(hashA) {
		t.Error("refresh token hash is not its SHA-256")
	}
}

// A token has exactly one spelling: base64url without padding, with canonical trailing bits. Without strict
// decoding the last character of an HS256 signature has three more spellings that verify.
func TestTokensHaveOneSpelling(t *testing.T) {
	tokens := NewTokens(SharedSecret("0123456789abcdef0123456789abcdef"), "iss", "aud", "client")
	raw, err := tokens.Issue(uuid.New(), uuid.New(), passwordAssurance, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	last := strings.IndexByte(alphabet, raw[len(raw)-1])
	var variants []string
	for low := range 4 {
		if v := last&^3 | low; v != last {
			variants = append(variants, raw[:len(raw)-1]+string(alphabet[v]))
		}
	}
	variants = append(variants, raw+"=", strings.ReplaceAll(raw, "_", "/"))
	for _, v := range variants {
		if v == raw {
			continue
		}
		if _, _, err := tokens.Verify(v); !errors.Is(err, ErrInvalidToken) {
			t.Errorf("another spelling %q verifies", v[len(v)-6:])
		}
	}
}

// BenchmarkIssueAccessToken is the cost of signing one access token with each algorithm (make bench).
func BenchmarkIssueAccessToken(b *testing.B) {
	for _, alg := range []signing.Alg{signing.ES256, signing.EdDSA, signing.RS256, signing.HS256} {
		b.Run(string(alg), func(b *testing.B) {
			var keys KeySource = SharedSecret("0123456789abcdef0123456789abcdef")
			if alg.Asymmetric() {
				priv, err := signing.Generate(alg)
				if err != nil {
					b.Fatal(err)
				}
				keys = fixedKey{alg: alg, priv: priv}
			}
			tokens := NewTokens(keys, "iss", "aud", "client")
			user, session := uuid.New(), uuid.New()
			raw, _ := tokens.Issue(user, session, passwordAssurance, time.Minute)
			b.Run("sign", func(b *testing.B) {
				for b.Loop() {
					if _, err := tokens.Issue(user, session, passwordAssurance, time.Minute); err != nil {
						b.Fatal(err)
					}
				}
			})
			b.Run("verify", func(b *testing.B) {
				for b.Loop() {
					tokens.verified = verifiedTokens{} // the signature is checked every time
					if _, _, err := tokens.Verify(raw); err != nil {
						b.Fatal(err)
					}
				}
			})
			b.Run("verify-remembered", func(b *testing.B) {
				for b.Loop() {
					if _, _, err := tokens.Verify(raw); err != nil {
						b.Fatal(err)
					}
				}
			})
		})
	}
}

// fixedKey is a KeySource of one key pair.
type fixedKey struct {
	alg  signing.Alg
	priv crypto.Signer
}

func (f fixedKey) Alg() signing.Alg   { return f.alg }
func (f fixedKey) Generation() uint64 { return 0 }
func (f fixedKey) SigningKey() (string, jwt.SigningMethod, any, error) {
	return "k", f.alg.Method(), f.priv, nil
}
func (f fixedKey) VerificationKey(kid string) (any, error) {
	if kid != "k" {
		return nil, errors.New("unknown kid")
	}
	return f.priv.Public(), nil
}

// A remembered verification is forgotten when the keys change or the token expires.
func TestRememberedVerificationsFollowKeysAndExpiry(t *testing.T) {
	priv, _ := signing.Generate(signing.ES256)
	keys := &switchableKey{fixedKey: fixedKey{alg: signing.ES256, priv: priv}}
	tokens := NewTokens(keys, "iss", "aud", "client")
	raw, _ := tokens.Issue(uuid.New(), uuid.New(), passwordAssurance, time.Minute)
	if _, _, err := tokens.Verify(raw); err != nil {
		t.Fatal(err)
	}
	keys.revoked, keys.generation = true, 1
	if _, _, err := tokens.Verify(raw); !errors.Is(err, ErrInvalidToken) {
		t.Errorf("after the key was revoked: %v", err)
	}
	keys.revoked, keys.generation = false, 2
	if _, _, err := tokens.Verify(raw); err != nil {
		t.Fatal(err)
	}
	tokens.now = func() time.Time { return time.Now().Add(2 * time.Minute) }
	if _, _, err := tokens.Verify(raw); !errors.Is(err, ErrInvalidToken) {
		t.Errorf("after expiry: %v", err)
	}
}

type switchableKey struct {
	fixedKey
	revoked    bool
	generation uint64
}

func (s *switchableKey) Generation() uint64 { return s.generation }
func (s *switchableKey) VerificationKey(kid string) (any, error) {
	if s.revoked {
		return nil, errors.New("revoked")
	}
	return s.fixedKey.VerificationKey(kid)
}
