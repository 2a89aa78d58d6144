package config

import (
	"strings"
	"testing"
	"time"
)

func TestLoadDefaultsAndValidation(t *testing.T) {
	t.Setenv("DATABASE_URL", "postgres://u:pw@localhost:5432/authd")
	t.Setenv("AUTHD_JWT_SECRET", strings.Repeat("s", 32))
	c, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	if c.Addr != "127.0.0.1:8080" || c.AccessTokenTTL != 30*time.Second || c.RefreshTokenTTL != 720*time.Hour {
		t.Errorf("defaults = %+v", c)
	}

	t.Setenv("AUTHD_JWT_SECRET", "short")
	t.Setenv("AUTHD_ACCESS_TOKEN_TTL", "1s")
	t.Setenv("DATABASE_URL", "mysql://x")
	_, err = Load()
	if err == nil {
		t.Fatal("bad configuration accepted")
	}
	for _, want := range []string{"AUTHD_JWT_SECRET", "AUTHD_ACCESS_TOKEN_TTL", "DATABASE_URL"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not name %s", err, want)
		}
	}

	t.Setenv("AUTHD_REFRESH_TOKEN_TTL", "forever")
	if _, err := Load(); err == nil || !strings.Contains(err.Error(), "AUTHD_REFRESH_TOKEN_TTL") {
		t.Errorf("unparsable duration: %v", err)
	}
}

func TestLogValueMasksSecrets(t *testing.T) {
	c := Config{DatabaseURL: "postgres://u:topsecret@localhost/authd", JWTSecret: "jwt-secret-value"}
	s := c.LogValue().String()
	if strings.Contains(s, "topsecret") || strings.Contains(s, "jwt-secret-value") {
		t.Errorf("secrets in log value: %s", s)
	}
}
