package httpapi_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/authd/authd/gen/api"
	"github.com/authd/authd/internal/apitest"
)

// accessClaims decodes an access token's payload (its signature is other tests' business).
type accessClaims struct {
	AMR      []string `json:"amr"`
	AAL      string   `json:"aal"`
	AuthTime int64    `json:"auth_time"`
	IssuedAt int64    `json:"iat"`
	SID      string   `json:"sid"`
}

func claimsOf(t *testing.T, token string) accessClaims {
	t.Helper()
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		t.Fatalf("not a JWT: %q", token)
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var c accessClaims
	if err := json.Unmarshal(payload, &c); err != nil {
		t.Fatal(err)
	}
	return c
}

// A password login's tokens and session say how it was authenticated; a refresh, which is not an
// authentication, keeps amr, aal and auth_time.
func TestPasswordSessionAssurance(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	email := apitest.UniqueEmail("assurance")
	env.Register(email)
	login := env.Login(email, apitest.Password)
	claims := claimsOf(t, login.AccessToken)
	if !slices.Equal(claims.AMR, []string{"pwd"}) || claims.AAL != "aal1" || claims.AuthTime == 0 || claims.AuthTime > claims.IssuedAt ||
		time.Since(time.Unix(claims.AuthTime, 0)) > time.Minute {
		t.Fatalf("login claims %+v", claims)
	}
	var stored time.Time
	if err := env.DB.QueryRow(context.Background(), "SELECT auth_time FROM sessions WHERE id = $1", claims.SID).Scan(&stored); err != nil ||
		stored.Unix() != claims.AuthTime {
		t.Fatalf("sessions.auth_time %v (%v), token's %d", stored, err, claims.AuthTime)
	}

	time.Sleep(1100 * time.Millisecond) // a refresh a second later would show a new auth_time
	refreshed, err := env.Client.RefreshWithResponse(context.Background(), api.RefreshRequest{RefreshToken: login.RefreshToken.String()})
	if err != nil || refreshed.JSON200 == nil {
		t.Fatalf("refresh: %v %s", err, refreshed.Body)
	}
	after := claimsOf(t, refreshed.JSON200.AccessToken)
	if !slices.Equal(after.AMR, claims.AMR) || after.AAL != claims.AAL || after.AuthTime != claims.AuthTime || after.IssuedAt <= claims.IssuedAt {
		t.Fatalf("refreshed claims %+v, login's %+v", after, claims)
	}

	sessions, err := env.Client.ListMySessionsWithResponse(context.Background(), apitest.Bearer(refreshed.JSON200.AccessToken))
	if err != nil || sessions.JSON200 == nil {
		t.Fatalf("sessions: %v %s", err, sessions.Body)
	}
	var current *api.Session
	for i, s := range sessions.JSON200.Sessions {
		if s.Aal != api.Aal1 || !slices.Equal(s.Methods, []api.AuthenticationMethod{"password"}) || s.AuthTime.IsZero() {
			t.Errorf("session %+v", s)
		}
		if s.Current {
			current = &sessions.JSON200.Sessions[i]
		}
	}
	if current == nil || current.AuthTime.Unix() != claims.AuthTime {
		t.Fatalf("current session %+v, want auth_time %d", current, claims.AuthTime)
	}
}

// ageSessions moves the auth_time of every session of email back by age, as if the user had signed in
// that long ago.
func ageSessions(t *testing.T, env *apitest.Env, email string, age time.Duration) {
	t.Helper()
	if _, err := env.DB.Exec(context.Background(),
		"UPDATE sessions SET auth_time = auth_time - make_interval(secs => $2) WHERE user_id = (SELECT id FROM users WHERE email = $1)",
		email, age.Seconds()); err != nil {
		t.Fatal(err)
	}
}

// Sensitive changes need the credential in the request or a recent authentication: a fresh session passes,
// a stale one gets 401 reauthentication_required with RFC 9470's challenge, the credential in the body
// still works, and POST /api/me/reauthenticate (by password, or by an emailed code) makes the session
// recent again with new tokens that say so.
func TestRecentAuthentication(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	email := apitest.UniqueEmail("recent")
	session := env.Register(email)
	bearer := apitest.Bearer(session.AccessToken)
	ctx := context.Background()

	fresh, _ := env.Client.ChangeEmailWithResponse(ctx, api.EmailChange{Email: apitest.UniqueEmail("fresh")}, bearer)
	if fresh.JSON202 == nil {
		t.Fatalf("email change in a fresh session, without the password: %d %s", fresh.StatusCode(), fresh.Body)
	}

	ageSessions(t, env, email, 10*time.Minute)
	stale, _ := env.Client.ChangeEmailWithResponse(ctx, api.EmailChange{Email: apitest.UniqueEmail("stale")}, bearer)
	if stale.JSON401 == nil || stale.JSON401.Error != api.ErrorCodeReauthenticationRequired {
		t.Fatalf("stale session: %d %s", stale.StatusCode(), stale.Body)
	}
	challenge := stale.HTTPResponse.Header.Get("WWW-Authenticate")
	if !strings.Contains(challenge, `error="insufficient_user_authentication"`) || !strings.Contains(challenge, "max_age=300") {
		t.Errorf("challenge %q", challenge)
	}
	withPassword, _ := env.Client.ChangeEmailWithResponse(ctx, api.EmailChange{Email: apitest.UniqueEmail("body"), Password: ptr(apitest.Password)}, bearer)
	if withPassword.JSON202 == nil {
		t.Fatalf("stale session with the password in the body: %d %s", withPassword.StatusCode(), withPassword.Body)
	}
	if r, _ := env.Client.ReauthenticateWithResponse(ctx, api.Reauthentication{Password: ptr("not the password")}, bearer); r.JSON403 == nil ||
		r.JSON403.Error != api.ErrorCodeInvalidCredentials {
		t.Fatalf("reauthenticate with a wrong password: %d %s", r.StatusCode(), r.Body)
	}

	before := claimsOf(t, session.AccessToken)
	re, _ := env.Client.ReauthenticateWithResponse(ctx, api.Reauthentication{Password: ptr(apitest.Password)}, bearer)
	if re.JSON200 == nil {
		t.Fatalf("reauthenticate: %d %s", re.StatusCode(), re.Body)
	}
	after := claimsOf(t, re.JSON200.AccessToken)
	if after.SID != before.SID || after.AuthTime <= before.AuthTime-600 || time.Since(time.Unix(after.AuthTime, 0)) > time.Minute ||
		!slices.Equal(after.AMR, []string{"pwd", "pwd"}) {
		t.Fatalf("claims after reauthentication %+v, before %+v", after, before)
	}
	// The session is recent again: the change goes through without the password, with either token.
	if r, _ := env.Client.DeleteMeWithResponse(ctx, api.PasswordConfirmation{}, apitest.Bearer(re.JSON200.AccessToken)); r.StatusCode() != http.StatusNoContent {
		t.Fatalf("delete after reauthentication: %d %s", r.StatusCode(), r.Body)
	}
}

// An emailed code re-authenticates too: it joins the session's methods and amr, works once, and a wrong
// one is 403.
func TestReauthenticateWithCode(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	email := apitest.UniqueEmail("recode")
	session := env.Register(email)
	bearer := apitest.Bearer(session.AccessToken)
	ctx := context.Background()
	ageSessions(t, env, email, time.Hour)
	if r, _ := env.Client.SendReauthenticationCodeWithResponse(ctx, bearer); r.JSON202 == nil {
		t.Fatalf("send code: %d %s", r.StatusCode(), r.Body)
	}
	code := codeOf(t, env, email, 1)
	if r, _ := env.Client.ReauthenticateWithResponse(ctx, api.Reauthentication{Code: ptr("000000")}, bearer); r.JSON403 == nil && code != "000000" {
		t.Fatalf("wrong code: %d %s", r.StatusCode(), r.Body)
	}
	// A reauthentication code does not sign in.
	if r := verifyCode(env, email, code); r.Status != http.StatusUnauthorized {
		t.Fatalf("a reauthentication code at sign-in: %d", r.Status)
	}
	re, _ := env.Client.ReauthenticateWithResponse(ctx, api.Reauthentication{Code: ptr(code)}, bearer)
	if re.JSON200 == nil {
		t.Fatalf("reauthenticate by code: %d %s", re.StatusCode(), re.Body)
	}
	if c := claimsOf(t, re.JSON200.AccessToken); !slices.Equal(c.AMR, []string{"pwd", "otp"}) || c.AAL != "aal1" {
		t.Errorf("claims %+v", c)
	}
	sessions, _ := env.Client.ListMySessionsWithResponse(ctx, apitest.Bearer(re.JSON200.AccessToken))
	if sessions.JSON200 == nil || len(sessions.JSON200.Sessions) != 1 ||
		!slices.Equal(sessions.JSON200.Sessions[0].Methods, []api.AuthenticationMethod{"password", "email_code"}) {
		t.Errorf("sessions %s", sessions.Body)
	}
	if r, _ := env.Client.ReauthenticateWithResponse(ctx, api.Reauthentication{Code: ptr(code)}, bearer); r.JSON403 == nil {
		t.Errorf("the code again: %d %s", r.StatusCode(), r.Body)
	}
	if r := env.JSON(http.MethodPost, "/api/me/reauthenticate", `{"password":"x","code":"123456"}`, "Authorization", "Bearer "+session.AccessToken); r.Status != http.StatusBadRequest {
		t.Errorf("password and code together: %d", r.Status)
	}
}
