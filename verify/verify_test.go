package verify_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/authd/authd/internal/apitest"
	"github.com/authd/authd/verify"
)

func newVerifier(t *testing.T, env *apitest.Env, audience string) *verify.Verifier {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	v, err := verify.New(ctx, verify.Config{Issuer: env.Config.PublicURL, Audience: audience,
		JWKSURL: env.Server.URL + "/.well-known/jwks.json"})
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// verifyEventually allows for the key set's first fetch, which happens in the background.
func verifyEventually(t *testing.T, v *verify.Verifier, token string) (*verify.Claims, error) {
	t.Helper()
	deadline := time.Now().Add(3 * time.Second)
	for {
		claims, err := v.Verify(context.Background(), token)
		if err == nil || time.Now().After(deadline) {
			return claims, err
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// A live authd's tokens verify with its published keys, for every algorithm; tampered ones and ones for
// another audience do not.
func TestVerifiesLiveTokens(t *testing.T) {
	t.Parallel()
	for _, alg := range []string{"ES256", "EdDSA", "RS256"} {
		t.Run(alg, func(t *testing.T) {
			t.Parallel()
			env := apitest.New(t, func(c *apitest.Config) { c.JWTAlg = alg })
			session := env.Register(apitest.UniqueEmail("verify"))
			v := newVerifier(t, env, "authd")
			claims, err := verifyEventually(t, v, session.AccessToken)
			if err != nil {
				t.Fatal(err)
			}
			if claims.Subject != session.User.Id.String() || claims.SessionID == "" || claims.ClientID != "authd" {
				t.Errorf("claims %+v", claims)
			}
			tampered := session.AccessToken[:len(session.AccessToken)-4] + "AAAA"
			if _, err := v.Verify(context.Background(), tampered); err == nil {
				t.Error("a tampered token verified")
			}
			other := newVerifier(t, env, "another-api")
			if _, err := verifyEventually(t, other, session.AccessToken); err == nil {
				t.Error("a token for another audience verified")
			}
		})
	}
}

// Through a rotation: a token of the new key verifies (an unknown kid refreshes the key set once), and a
// token of the old key keeps verifying while the old key is published.
func TestVerifiesThroughRotation(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	email := apitest.UniqueEmail("rotation")
	before := env.Register(email)
	v := newVerifier(t, env, "authd")
	if _, err := verifyEventually(t, v, before.AccessToken); err != nil {
		t.Fatal(err)
	}
	if err := env.App.Keys.Rotate(context.Background(), true); err != nil {
		t.Fatal(err)
	}
	after := env.Login(email, apitest.Password)
	if _, err := v.Verify(context.Background(), after.AccessToken); err != nil {
		t.Fatalf("a token of the new key: %v", err)
	}
	if _, err := v.Verify(context.Background(), before.AccessToken); err != nil {
		t.Fatalf("a token of the previous key: %v", err)
	}
}

// The middleware answers 401 with authd's error body and a challenge, and passes the claims on.
func TestMiddleware(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	session := env.Register(apitest.UniqueEmail("middleware"))
	v := newVerifier(t, env, "authd")
	if _, err := verifyEventually(t, v, session.AccessToken); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(v.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		claims, _ := verify.ClaimsFrom(r.Context())
		_, _ = io.WriteString(w, claims.Subject)
	})))
	defer srv.Close()
	call := func(authorization ...string) (*http.Response, string) {
		req, _ := http.NewRequest(http.MethodGet, srv.URL, nil)
		for _, a := range authorization {
			req.Header.Add("Authorization", a)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp, string(body)
	}
	if resp, body := call("Bearer " + session.AccessToken); resp.StatusCode != http.StatusOK || body != session.User.Id.String() {
		t.Errorf("valid token: %d %s", resp.StatusCode, body)
	}
	for name, headers := range map[string][]string{
		"none": nil, "garbage": {"Bearer nope"}, "two headers": {"Bearer " + session.AccessToken, "Bearer " + session.AccessToken},
		"basic": {"Basic " + session.AccessToken},
	} {
		resp, body := call(headers...)
		var e struct {
			Error   string `json:"error"`
			Success bool   `json:"success"`
		}
		if resp.StatusCode != http.StatusUnauthorized || json.Unmarshal([]byte(body), &e) != nil || e.Error == "" || e.Success ||
			!strings.HasPrefix(resp.Header.Get("WWW-Authenticate"), "Bearer") {
			t.Errorf("%s: %d %s %v", name, resp.StatusCode, body, resp.Header)
		}
	}
}

// A password login's token says how it was authenticated, and the assurance middleware answer RFC 9470's
// challenge in authd's error body: aal2 is refused to an aal1 session, and a recent authentication to a
// session older than the allowed age.
func TestAssuranceMiddleware(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	session := env.Register(apitest.UniqueEmail("assurance"))
	v := newVerifier(t, env, "authd")
	claims, err := verifyEventually(t, v, session.AccessToken)
	if err != nil {
		t.Fatal(err)
	}
	if len(claims.AMR) != 1 || claims.AMR[0] != "pwd" || claims.AAL != "aal1" || claims.AuthTime == nil ||
		time.Since(claims.AuthTime.Time) > time.Minute {
		t.Fatalf("claims %+v", claims)
	}
	ok := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "ok") })
	for _, c := range []struct {
		name      string
		handler   http.Handler
		status    int
		code      string
		challenge string
	}{
		{"aal1 allowed", verify.RequireAAL("aal1")(ok), http.StatusOK, "", ""},
		{"aal2 refused", verify.RequireAAL("aal2")(ok), http.StatusUnauthorized, "insufficient_user_authentication", `acr_values="aal2"`},
		{"recent enough", verify.RequireRecentAuth(5 * time.Minute)(ok), http.StatusOK, "", ""},
		{"not recent enough", verify.RequireRecentAuth(0)(ok), http.StatusUnauthorized, "reauthentication_required", "max_age=0"},
	} {
		srv := httptest.NewServer(v.Middleware(c.handler))
		req, _ := http.NewRequest(http.MethodGet, srv.URL, nil)
		req.Header.Set("Authorization", "Bearer "+session.AccessToken)
		if c.name == "not recent enough" {
			time.Sleep(1100 * time.Millisecond) // auth_time has whole seconds
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		srv.Close()
		if resp.StatusCode != c.status {
			t.Errorf("%s: %d %s", c.name, resp.StatusCode, body)
			continue
		}
		if c.status == http.StatusOK {
			continue
		}
		var e struct {
			Error string `json:"error"`
		}
		challenge := resp.Header.Get("WWW-Authenticate")
		if json.Unmarshal(body, &e) != nil || e.Error != c.code || !strings.Contains(challenge, `error="insufficient_user_authentication"`) ||
			!strings.Contains(challenge, c.challenge) {
			t.Errorf("%s: %s %s", c.name, body, challenge)
		}
	}
}

// Ready says when the key set is in, and why not when it cannot be fetched; rejected tokens are logged at
// debug with the reason.
func TestReadyAndRejectionLogs(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	session := env.Register(apitest.UniqueEmail("ready"))
	var logs bytes.Buffer
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	v, err := verify.New(ctx, verify.Config{Issuer: env.Config.PublicURL, Audience: "authd", JWKSURL: env.Server.URL + "/.well-known/jwks.json",
		Logger: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	if err != nil {
		t.Fatal(err)
	}
	readyCtx, readyCancel := context.WithTimeout(ctx, 5*time.Second)
	defer readyCancel()
	if err := v.Ready(readyCtx); err != nil {
		t.Fatalf("ready against a live authd: %v", err)
	}
	if _, err := v.Verify(ctx, session.AccessToken); err != nil {
		t.Fatal(err)
	}
	other, err := verify.New(ctx, verify.Config{Issuer: "https://elsewhere.example", Audience: "authd", JWKSURL: env.Server.URL + "/.well-known/jwks.json",
		Logger: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	if err != nil {
		t.Fatal(err)
	}
	if err := other.Ready(readyCtx); err != nil {
		t.Fatal(err)
	}
	if _, err := other.Verify(ctx, session.AccessToken); err == nil {
		t.Fatal("a token of another issuer verified")
	}
	if !strings.Contains(logs.String(), "token rejected") || !strings.Contains(logs.String(), "issuer") {
		t.Errorf("no debug line says why: %s", logs.String())
	}

	wrong, err := verify.New(ctx, verify.Config{Issuer: env.Config.PublicURL, Audience: "authd", JWKSURL: env.Server.URL + "/no-such-keys"})
	if err != nil {
		t.Fatal(err)
	}
	shortCtx, shortCancel := context.WithTimeout(ctx, 300*time.Millisecond)
	defer shortCancel()
	if err := wrong.Ready(shortCtx); err == nil || !strings.Contains(err.Error(), "404") || !strings.Contains(err.Error(), "/no-such-keys") {
		t.Errorf("ready with a wrong JWKSURL: %v", err)
	}
}
