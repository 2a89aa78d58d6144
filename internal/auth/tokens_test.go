package auth

import (
	"errors"
	"testing"
	"time"

	"github.com/google/uuid"
)

func TestTokensRoundTrip(t *testing.T) {
	tokens := NewTokens([]byte("0123456789abcdef0123456789abcdef"), "iss", "aud")
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
	other := NewTokens([]byte("0123456789abcdef0123456789abcdef"), "iss", "other-aud")
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
