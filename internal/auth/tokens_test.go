package auth

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
)

func TestTokensRoundTrip(t *testing.T) {
	tokens := NewTokens(SharedSecret("0123456789abcdef0123456789abcdef"), "iss", "aud", "client")
	user, session := uuid.New(), uuid.New()
	raw, err := tokens.Issue(user, session, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	gotUser, gotSession, err := tokens.Verify(raw)
	if err != nil || gotUser != user || gotSession != session {
		t.Fatalf("Verify = %s %s %v", gotUser, gotSession, err)
	}
	tokens.now = func() time.Time { return time.Now().Add(2 * time.Minute) }
	if _, _, err := tokens.Verify(raw); !errors.Is(err, ErrInvalidToken) {
		t.Errorf("expired token: %v, want ErrInvalidToken", err)
	}
	other := NewTokens(SharedSecret("0123456789abcdef0123456789abcdef"), "iss", "other-aud", "client")
	if _, _, err := other.Verify(raw); !errors.Is(err, ErrInvalidToken) {
		t.Errorf("other audience: %v, want ErrInvalidToken", err)
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
	raw, err := tokens.Issue(uuid.New(), uuid.New(), time.Minute)
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
