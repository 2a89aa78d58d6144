package config

import (
	"strings"
	"testing"
	"time"
)

func TestLoadDefaultsAndValidation(t *testing.T) {
	t.Setenv("DATABASE_URL", "postgres://u:pw@localhost:5432/authd")
	t.Setenv("AUTHD_SECRET_KEY", strings.Repeat("k", 32))
	c, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	if c.Addr != "127.0.0.1:8080" || c.AccessTokenTTL != 30*time.Second || c.RefreshTokenTTL != 720*time.Hour || c.JWTAlg != "ES256" {
		t.Errorf("defaults = %+v", c)
	}
	if c.PublicURLValue() != "http://127.0.0.1:8080" || c.IssuerValue() != c.PublicURLValue() || c.ClientID != "authd" {
		t.Errorf("public URL %q, issuer %q, client id %q", c.PublicURLValue(), c.IssuerValue(), c.ClientID)
	}
	t.Setenv("AUTHD_ISSUER", "https://issuer.example")
	t.Setenv("AUTHD_PUBLIC_URL", "https://auth.example.com")
	if c, _ := Load(); c.IssuerValue() != "https://issuer.example" || c.PublicURLValue() != "https://auth.example.com" {
		t.Errorf("overrides: issuer %q, public URL %q", c.IssuerValue(), c.PublicURLValue())
	}

	t.Setenv("AUTHD_JWT_ALG", "HS256")
	t.Setenv("AUTHD_JWT_SECRET", "short")
	t.Setenv("AUTHD_ACCESS_TOKEN_TTL", "1s")
	t.Setenv("AUTHD_LOGIN_MAX_FAILURES", "0")
	t.Setenv("AUTHD_RATE_LIMIT_PER_IP", "-1")
	t.Setenv("AUTHD_PUBLIC_URL", "auth.example.com/")
	t.Setenv("DATABASE_URL", "mysql://x")
	t.Setenv("AUTHD_SMTP_URL", "http://mail.example.com")
	t.Setenv("AUTHD_LINK_TEMPLATE_RESET", "/reset")
	t.Setenv("AUTHD_MAIL_MAX_ATTEMPTS", "0")
	t.Setenv("AUTHD_ADDR", "8080")
	t.Setenv("AUTHD_LOG_LEVEL", "verbose")
	_, err = Load()
	if err == nil {
		t.Fatal("bad configuration accepted")
	}
	for _, want := range []string{"AUTHD_JWT_SECRET", "AUTHD_ACCESS_TOKEN_TTL", "DATABASE_URL", "AUTHD_LOGIN_MAX_FAILURES",
		"AUTHD_RATE_LIMIT_PER_IP", "AUTHD_PUBLIC_URL", "AUTHD_SMTP_URL", "AUTHD_LINK_TEMPLATE_RESET", "AUTHD_MAIL_MAX_ATTEMPTS",
		`AUTHD_ADDR: "8080" is not host:port`, `AUTHD_LOG_LEVEL: "verbose" is not a level: use debug, info, warn or error`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not name %s", err, want)
		}
	}
	// The ranges are the runtime settings' own (auth.ValidateSettingChanges).
	if !strings.Contains(err.Error(), "AUTHD_ACCESS_TOKEN_TTL must be between 5 and 86400 seconds (got 1)") {
		t.Errorf("range message: %v", err)
	}

	t.Setenv("AUTHD_JWT_ALG", "none")
	if _, err := Load(); err == nil || !strings.Contains(err.Error(), "AUTHD_JWT_ALG") {
		t.Errorf("alg none: %v", err)
	}
	t.Setenv("AUTHD_JWT_ALG", "RS256")
	t.Setenv("AUTHD_SECRET_KEY", "short")
	if _, err := Load(); err == nil || !strings.Contains(err.Error(), "AUTHD_SECRET_KEY") {
		t.Errorf("short secret key: %v", err)
	}

	t.Setenv("AUTHD_REFRESH_TOKEN_TTL", "forever")
	if _, err := Load(); err == nil || !strings.Contains(err.Error(), "AUTHD_REFRESH_TOKEN_TTL") {
		t.Errorf("unparsable duration: %v", err)
	}
}

func TestLogValueMasksSecrets(t *testing.T) {
	c := Config{DatabaseURL: "postgres://u:topsecret@localhost/authd", JWTSecret: "jwt-secret-value", SecretKey: "sealing-secret-value",
		SMTPURL: "smtp://mailer:smtp-password@mail.example.com:587"}
	s := c.LogValue().String()
	if strings.Contains(s, "topsecret") || strings.Contains(s, "jwt-secret-value") || strings.Contains(s, "sealing-secret-value") ||
		strings.Contains(s, "smtp-password") || !strings.Contains(s, "mail.example.com") {
		t.Errorf("secrets in log value: %s", s)
	}
	// A secret that is not set is not shown as redacted: the log says it is missing.
	if s := (Config{SecretKey: "sealing-secret-value"}).LogValue().String(); !strings.Contains(s, "jwt_secret=(not set)") ||
		!strings.Contains(s, "secret_key=[redacted]") {
		t.Errorf("unset secret in log value: %s", s)
	}
}

// A seeding variable that differs from the setting in force is pointed out; one that matches, or is not
// set, is not.
func TestSeedsOverridden(t *testing.T) {
	t.Setenv("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/authd")
	t.Setenv("AUTHD_JWT_ALG", "HS256")
	t.Setenv("AUTHD_JWT_SECRET", strings.Repeat("s", 32))
	t.Setenv("AUTHD_ACCESS_TOKEN_TTL", "5s")
	t.Setenv("AUTHD_LOGIN_MAX_FAILURES", "5")
	c, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	current := c.SettingDefaults()
	current["access_token_ttl_seconds"] = 30
	notes := c.SeedsOverridden(current)
	if len(notes) != 1 || !strings.Contains(notes[0], "access_token_ttl_seconds=30 is in force; AUTHD_ACCESS_TOKEN_TTL=5s only seeds it") {
		t.Errorf("notes %q", notes)
	}
}
