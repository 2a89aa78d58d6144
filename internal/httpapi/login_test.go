package httpapi_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/authd/authd/gen/api"
	"github.com/authd/authd/internal/apitest"
	"github.com/authd/authd/internal/auth"
)

func TestLoginSucceedsAndRecordsLastLogin(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	env.Register("login@example.com")
	resp, err := env.Client.LoginWithResponse(context.Background(), api.LoginRequest{Email: "LOGIN@example.com", Password: apitest.Password})
	if err != nil || resp.JSON200 == nil {
		t.Fatalf("login: %v %d %s", err, resp.StatusCode(), resp.Body)
	}
	if resp.JSON200.User.LastLoginAt.IsNull() {
		t.Error("last_login_at is null after login")
	}
	if got := resp.HTTPResponse.Header.Get("Cache-Control"); got != "no-store" {
		t.Errorf("Cache-Control = %q", got)
	}
	me, _ := env.Client.GetMeWithResponse(context.Background(), apitest.Bearer(resp.JSON200.AccessToken))
	if me.JSON200 == nil || me.JSON200.LastLoginAt.IsNull() {
		t.Errorf("GET /api/me after login: %d %s", me.StatusCode(), me.Body)
	}
}

// Wrong password, unknown email and malformed emails must be indistinguishable: same status, code,
// message and headers.
func TestLoginFailuresAreIndistinguishable(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	env.Register("known@example.com")
	bodies := map[string]string{
		"wrong password":  `{"email":"known@example.com","password":"wrong password!"}`,
		"unknown email":   `{"email":"unknown@example.com","password":"wrong password!"}`,
		"NUL in email":    `{"email":"known\u0000@example.com","password":"wrong password!"}`,
		"not an email":    `{"email":"nobody","password":"wrong password!"}`,
		"empty-ish email": `{"email":" ","password":"wrong password!"}`,
	}
	var reference *api.ErrorResponse
	for name, body := range bodies {
		resp := env.JSON(http.MethodPost, "/api/login", body)
		if resp.Status != http.StatusUnauthorized {
			t.Fatalf("%s: status %d, want 401: %s", name, resp.Status, resp.Body)
		}
		if resp.Header.Get("WWW-Authenticate") == "" {
			t.Errorf("%s: no WWW-Authenticate", name)
		}
		e := resp.Error(t)
		if e.Error != api.ErrorCodeInvalidCredentials {
			t.Errorf("%s: code %s", name, e.Error)
		}
		if reference == nil {
			reference = &e
		} else if e.Message != reference.Message || e.Details.ValidationErrors != nil {
			t.Errorf("%s: message %q differs from %q", name, e.Message, reference.Message)
		}
	}
}

func TestLoginDisabledAccountOnlyAfterCorrectPassword(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	env.Register("disabled@example.com")
	if _, err := env.DB.Exec(context.Background(), "UPDATE users SET is_active = false WHERE email = 'disabled@example.com'"); err != nil {
		t.Fatal(err)
	}
	wrong, _ := env.Client.LoginWithResponse(context.Background(), api.LoginRequest{Email: "disabled@example.com", Password: "wrong password!"})
	if wrong.JSON401 == nil || wrong.JSON401.Error != api.ErrorCodeInvalidCredentials {
		t.Fatalf("wrong password on a disabled account: %d %s, want 401 invalid_credentials", wrong.StatusCode(), wrong.Body)
	}
	right, _ := env.Client.LoginWithResponse(context.Background(), api.LoginRequest{Email: "disabled@example.com", Password: apitest.Password})
	if right.JSON403 == nil || right.JSON403.Error != api.ErrorCodeAccountDisabled {
		t.Fatalf("right password on a disabled account: %d %s, want 403 account_disabled", right.StatusCode(), right.Body)
	}
}

func TestLoginAcceptsTrailingSlash(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	env.Register("slash@example.com")
	resp := env.JSON(http.MethodPost, "/api/login/", `{"email":"slash@example.com","password":"`+apitest.Password+`"}`)
	if resp.Status != http.StatusOK {
		t.Fatalf("POST /api/login/: %d %s", resp.Status, resp.Body)
	}
}

// An old hash made with weaker parameters is replaced at the next successful login.
func TestLoginRehashesOutdatedHash(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	env.Register("rehash@example.com")
	ctx := context.Background()
	weak, err := auth.NewHasher(auth.Argon2Params{Memory: 8192, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}, 1, time.Second).
		Hash(ctx, apitest.Password)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := env.DB.Exec(ctx, "UPDATE users SET password_hash = $1 WHERE email = 'rehash@example.com'", weak); err != nil {
		t.Fatal(err)
	}
	env.Login("rehash@example.com", apitest.Password)
	var hash string
	if err := env.DB.QueryRow(ctx, "SELECT password_hash FROM users WHERE email = 'rehash@example.com'").Scan(&hash); err != nil {
		t.Fatal(err)
	}
	if want := "$argon2id$v=19$m=19456,t=2,p=1$"; hash[:len(want)] != want {
		t.Errorf("hash after login = %q, want current parameters", hash)
	}
	env.Login("rehash@example.com", apitest.Password)
}
