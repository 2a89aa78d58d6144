package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/authd/authd/gen/api"
	"github.com/authd/authd/internal/apitest"
	"github.com/authd/authd/internal/auth"
)

func refresh(t *testing.T, env *apitest.Env, token uuid.UUID) *api.RefreshResponse {
	t.Helper()
	resp, err := env.Client.RefreshWithResponse(context.Background(), api.RefreshRequest{RefreshToken: token.String()})
	if err != nil {
		t.Fatalf("refresh: %v", err)
	}
	return resp
}

func TestRefreshRotatesThePair(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	first := env.Register(apitest.UniqueEmail("rotate"))
	second := refresh(t, env, first.RefreshToken)
	if second.JSON200 == nil {
		t.Fatalf("refresh: %d %s", second.StatusCode(), second.Body)
	}
	pair := second.JSON200
	if pair.RefreshToken == first.RefreshToken || pair.AccessToken == first.AccessToken {
		t.Error("refresh returned the same tokens")
	}
	if pair.TokenType != "Bearer" || pair.ExpiresIn != 30 {
		t.Errorf("pair = %+v", pair)
	}
	if second.HTTPResponse.Header.Get("Cache-Control") != "no-store" {
		t.Error("refresh response may be cached")
	}
	if me, _ := env.Client.GetMeWithResponse(context.Background(), apitest.Bearer(pair.AccessToken)); me.JSON200 == nil {
		t.Errorf("new access token refused: %d %s", me.StatusCode(), me.Body)
	}
	// The old refresh token stops working at once.
	if again := refresh(t, env, first.RefreshToken); again.JSON401 == nil {
		t.Errorf("old refresh token: %d %s, want 401", again.StatusCode(), again.Body)
	}
	// The new one keeps working, and so does rotation after it.
	if third := refresh(t, env, pair.RefreshToken); third.JSON200 == nil {
		t.Errorf("rotated refresh token: %d %s", third.StatusCode(), third.Body)
	}
}

// Presenting a token that was rotated a while ago is a replay: the whole session dies, including the
// tokens descended from it and its access tokens.
func TestRefreshReuseRevokesTheSession(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	first := env.Register(apitest.UniqueEmail("reuse"))
	second := refresh(t, env, first.RefreshToken).JSON200
	third := refresh(t, env, second.RefreshToken).JSON200
	if third == nil {
		t.Fatal("rotation failed")
	}
	time.Sleep(auth.DefaultReuseGrace + 200*time.Millisecond)

	replay := refresh(t, env, first.RefreshToken)
	if replay.JSON401 == nil || replay.JSON401.Error != api.ErrorCodeInvalidToken {
		t.Fatalf("replayed token: %d %s, want 401 invalid_token", replay.StatusCode(), replay.Body)
	}
	if latest := refresh(t, env, third.RefreshToken); latest.JSON401 == nil {
		t.Errorf("latest token of a revoked session: %d %s, want 401", latest.StatusCode(), latest.Body)
	}
	if me, _ := env.Client.GetMeWithResponse(context.Background(), apitest.Bearer(third.AccessToken)); me.JSON401 == nil {
		t.Errorf("access token of a revoked session: %d %s, want 401", me.StatusCode(), me.Body)
	}
	// Another login of the same user is a separate session and is unharmed.
	other := env.Login(first.User.Email, apitest.Password)
	if r := refresh(t, env, other.RefreshToken); r.JSON200 == nil {
		t.Errorf("other session: %d %s", r.StatusCode(), r.Body)
	}
}

func TestConcurrentRefreshHasExactlyOneWinner(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	first := env.Register(apitest.UniqueEmail("race"))
	const callers = 12
	var wg sync.WaitGroup
	results := make([]*api.RefreshResponse, callers)
	start := make(chan struct{})
	for i := range callers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			resp, err := env.Client.RefreshWithResponse(context.Background(), api.RefreshRequest{RefreshToken: first.RefreshToken.String()})
			if err != nil {
				t.Errorf("refresh: %v", err)
				return
			}
			results[i] = resp
		}()
	}
	close(start)
	wg.Wait()
	var winner *api.TokenPair
	for _, r := range results {
		switch {
		case r == nil:
		case r.JSON200 != nil:
			if winner != nil {
				t.Fatal("two concurrent refreshes with one token both succeeded")
			}
			winner = r.JSON200
		case r.JSON401 == nil:
			t.Errorf("loser got %d %s, want 401", r.StatusCode(), r.Body)
		}
	}
	if winner == nil {
		t.Fatal("no refresh succeeded")
	}
	// The losers raced the winner; they must not have revoked the winner's session.
	if next := refresh(t, env, winner.RefreshToken); next.JSON200 == nil {
		t.Errorf("winner's token after the race: %d %s", next.StatusCode(), next.Body)
	}
}

func TestRefreshRejectsBadTokens(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	session := env.Register(apitest.UniqueEmail("expired"))
	if _, err := env.DB.Exec(context.Background(), "UPDATE refresh_tokens SET expires_at = now() - interval '1 second'"); err != nil {
		t.Fatal(err)
	}
	for name, token := range map[string]string{
		"expired": session.RefreshToken.String(),
		"unknown": uuid.NewString(),
		"garbage": "not-a-token",
		"access":  session.AccessToken[:90],
	} {
		resp := env.JSON(http.MethodPost, "/api/refresh", `{"refresh_token":"`+token+`"}`)
		if resp.Status != http.StatusUnauthorized || resp.Error(t).Error != api.ErrorCodeInvalidToken {
			t.Errorf("%s: %d %s, want 401 invalid_token", name, resp.Status, resp.Body)
		}
		if resp.Header.Get("WWW-Authenticate") == "" {
			t.Errorf("%s: no WWW-Authenticate", name)
		}
	}
	if resp := env.JSON(http.MethodPost, "/api/refresh", `{}`); resp.Status != http.StatusBadRequest {
		t.Errorf("missing refresh_token: %d", resp.Status)
	}
}

func TestRefreshOfDisabledUserFails(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	session := env.Register(apitest.UniqueEmail("gone"))
	if _, err := env.DB.Exec(context.Background(), "UPDATE users SET is_active = false"); err != nil {
		t.Fatal(err)
	}
	if r := refresh(t, env, session.RefreshToken); r.JSON401 == nil {
		t.Errorf("refresh of a disabled user: %d %s, want 401", r.StatusCode(), r.Body)
	}
}

func TestLogoutRevokesTheSession(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	session := env.Register(apitest.UniqueEmail("logout"))
	other := env.Login(session.User.Email, apitest.Password)
	for range 2 { // repeating it is harmless
		resp, err := env.Client.LogoutWithResponse(context.Background(), api.RefreshRequest{RefreshToken: session.RefreshToken.String()})
		if err != nil || resp.JSON200 == nil || !bool(resp.JSON200.Success) {
			t.Fatalf("logout: %v %d %s", err, resp.StatusCode(), resp.Body)
		}
	}
	if r := refresh(t, env, session.RefreshToken); r.JSON401 == nil {
		t.Errorf("refresh after logout: %d", r.StatusCode())
	}
	if me, _ := env.Client.GetMeWithResponse(context.Background(), apitest.Bearer(session.AccessToken)); me.JSON401 == nil {
		t.Errorf("access token after logout: %d, want 401", me.StatusCode())
	}
	if me, _ := env.Client.GetMeWithResponse(context.Background(), apitest.Bearer(other.AccessToken)); me.JSON200 == nil {
		t.Errorf("the user's other session was ended too: %d", me.StatusCode())
	}
	unknown, _ := env.Client.LogoutWithResponse(context.Background(), api.RefreshRequest{RefreshToken: uuid.NewString()})
	if unknown.JSON200 == nil {
		t.Errorf("logout with an unknown token: %d, want 200", unknown.StatusCode())
	}
}

// The revocation of a session for reuse is logged at warn with the session and user (never the token), and
// reuse is decided on the database's clock: a token whose used_at the database puts a minute back is reuse
// at once, without waiting out the grace period on the server's clock.
func TestReuseIsLoggedWithSessionAndUser(t *testing.T) { // not parallel: it swaps the default logger
	env := apitest.New(t)
	first := env.Register(apitest.UniqueEmail("reuselog"))
	if second := refresh(t, env, first.RefreshToken).JSON200; second == nil {
		t.Fatal("rotation failed")
	}
	if _, err := env.DB.Exec(context.Background(), "UPDATE refresh_tokens SET used_at = now() - interval '1 minute' WHERE used_at IS NOT NULL"); err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	previous := slog.Default()
	slog.SetDefault(slog.New(slog.NewJSONHandler(&logs, nil)))
	replay := refresh(t, env, first.RefreshToken)
	slog.SetDefault(previous)
	if replay.JSON401 == nil {
		t.Fatalf("replay: %d %s", replay.StatusCode(), replay.Body)
	}
	var sessionID string
	if err := env.DB.QueryRow(context.Background(), "SELECT id::text FROM sessions WHERE revoked_at IS NOT NULL").Scan(&sessionID); err != nil {
		t.Fatalf("session not revoked: %v", err)
	}
	found := false
	for _, line := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
		var entry map[string]any
		if err := json.Unmarshal([]byte(line), &entry); err != nil {
			t.Fatalf("log line is not JSON: %s", line)
		}
		if strings.Contains(line, first.RefreshToken.String()) {
			t.Errorf("the refresh token is in the log: %s", line)
		}
		if entry["level"] == "WARN" && entry["session_id"] == sessionID && entry["user_id"] == first.User.Id.String() {
			found = true
		}
	}
	if !found {
		t.Errorf("no warn line with session_id %s and user_id %s:\n%s", sessionID, first.User.Id, logs.String())
	}
}
