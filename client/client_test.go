package client_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/authd/authd/client"
	"github.com/authd/authd/gen/api"
	"github.com/authd/authd/internal/apitest"
)

func rotations(t *testing.T, env *apitest.Env) string {
	t.Helper()
	rec := httptest.NewRecorder()
	env.App.Metrics.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	for _, line := range strings.Split(rec.Body.String(), "\n") {
		if strings.HasPrefix(line, `authd_refreshes_total{outcome="rotated"}`) {
			return strings.Fields(line)[1]
		}
	}
	return ""
}

// register -> me -> an expired access token -> automatic refresh -> logout -> 401, against a live authd.
func TestSessionLifecycle(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	ctx := context.Background()
	c, err := client.New(env.Server.URL)
	if err != nil {
		t.Fatal(err)
	}
	email := apitest.UniqueEmail("sdk")
	if _, err := c.Register(ctx, api.RegisterRequest{Email: email, Password: apitest.Password}); err != nil {
		t.Fatal(err)
	}
	me, err := c.Me(ctx)
	if err != nil || string(me.Email) != email {
		t.Fatalf("me: %v %v", me, err)
	}
	// The same with the generated client and the Bearer editor.
	access, _ := c.Tokens()
	generated, err := api.NewClientWithResponses(env.Server.URL)
	if err != nil {
		t.Fatal(err)
	}
	if r, err := generated.GetMeWithResponse(ctx, client.Bearer(access)); err != nil || r.JSON200 == nil {
		t.Fatalf("generated client with Bearer: %v %v", r, err)
	}
	// The access token expires (here: is replaced by one authd refuses); the next call refreshes and retries.
	_, refresh := c.Tokens()
	expired, err := client.New(env.Server.URL, client.WithTokens("eyJhbGciOiJFUzI1NiJ9.e30.c2ln", refresh))
	if err != nil {
		t.Fatal(err)
	}
	if me, err := expired.Me(ctx); err != nil || string(me.Email) != email {
		t.Fatalf("me with an expired token: %v %v", me, err)
	}
	if access, newRefresh := expired.Tokens(); newRefresh == refresh || access == "" {
		t.Error("the tokens were not rotated")
	}
	if err := expired.Logout(ctx); err != nil {
		t.Fatal(err)
	}
	_, err = expired.Me(ctx)
	var e *client.Error
	if !errors.As(err, &e) || e.Status != http.StatusUnauthorized {
		t.Errorf("me after logout: %v, want a 401 *client.Error", err)
	}
	_, err = c.Login(ctx, email, "wrong password!")
	if !errors.As(err, &e) || e.Code != "invalid_credentials" || e.Status != http.StatusUnauthorized {
		t.Errorf("wrong password: %v", err)
	}
	_, err = c.Register(ctx, api.RegisterRequest{Email: "not-an-email", Password: "short"})
	if !errors.As(err, &e) || e.Code != "validation_error" || e.Fields["password"] == "" {
		t.Errorf("invalid registration: %#v", err)
	}
}

// Ten requests that find the access token expired at once cause one refresh, and all succeed.
func TestRefreshIsSingleFlight(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	ctx := context.Background()
	session := env.Register(apitest.UniqueEmail("flight"))
	c, err := client.New(env.Server.URL, client.WithTokens("eyJhbGciOiJFUzI1NiJ9.e30.c2ln", session.RefreshToken.String()))
	if err != nil {
		t.Fatal(err)
	}
	before := rotations(t, env)
	var wg sync.WaitGroup
	errs := make(chan error, 10)
	for range 10 {
		wg.Go(func() {
			_, err := c.Me(ctx)
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("a parallel request failed: %v", err)
		}
	}
	if after := rotations(t, env); before != "0" || after != "1" {
		t.Errorf("refreshes: %s before, %s after; want one", before, after)
	}
}

// RequestLoginCode and LoginWithCode sign in by emailed code and keep the tokens like Login.
func TestLoginWithCode(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	ctx := context.Background()
	email := apitest.UniqueEmail("sdkcode")
	env.Register(email)
	c, err := client.New(env.Server.URL)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.RequestLoginCode(ctx, email); err != nil {
		t.Fatal(err)
	}
	m := env.Mail.Wait(email, "Your sign-in code", 1)
	code := regexp.MustCompile(`(?m)^([0-9]{6})\r?$`).FindStringSubmatch(m.Text)
	if code == nil {
		t.Fatalf("no code in %q", m.Text)
	}
	var apiErr *client.Error
	if _, err := c.LoginWithCode(ctx, email, "00000x"); !errors.As(err, &apiErr) || apiErr.Status != http.StatusBadRequest {
		t.Fatalf("malformed code: %v", err)
	}
	if _, err := c.LoginWithCode(ctx, email, code[1]); err != nil {
		t.Fatal(err)
	}
	if me, err := c.Me(ctx); err != nil || me.Email != email {
		t.Fatalf("me after a code sign-in: %+v %v", me, err)
	}
}
