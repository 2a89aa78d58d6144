package verify_test

import (
	"context"
	"encoding/json"
	"io"
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
