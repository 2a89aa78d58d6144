package httpapi_test

import (
	"context"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/authd/authd/gen/api"
	"github.com/authd/authd/internal/apitest"
)

// Sign-in by emailed code, followed from the message the in-test SMTP server received.

const codeSubject = "Your sign-in code"

var codePattern = regexp.MustCompile(`(?m)^([0-9]{6})\r?$`)

// codeOf is the code of the n-th sign-in message to email.
func codeOf(t *testing.T, env *apitest.Env, email string, n int) string {
	t.Helper()
	m := env.Mail.Wait(email, codeSubject, n)
	match := codePattern.FindStringSubmatch(m.Text)
	if match == nil {
		t.Fatalf("no code in %q", m.Text)
	}
	return match[1]
}

func requestCode(env *apitest.Env, email string) apitest.Response {
	return env.JSON(http.MethodPost, "/api/login/code", `{"email":"`+email+`"}`)
}

func verifyCode(env *apitest.Env, email, code string) apitest.Response {
	return env.JSON(http.MethodPost, "/api/login/code/verify", `{"email":"`+email+`","code":"`+code+`"}`)
}

// settle lets a test ask for another code at once, as if the earlier one had been sent a minute ago.
func settle(t *testing.T, env *apitest.Env, email string) {
	t.Helper()
	if _, err := env.DB.Exec(context.Background(), "UPDATE login_codes SET created_at = now() - interval '1 minute' WHERE email = $1", email); err != nil {
		t.Fatal(err)
	}
}

func enableCodeSignup(t *testing.T, env *apitest.Env) {
	t.Helper()
	admin := env.NewAdmin(apitest.UniqueEmail("admin"))
	r, err := env.Client.UpdateSettingsWithResponse(context.Background(), api.SettingsUpdate{EmailCodeSignup: ptr(true)}, apitest.Bearer(admin.AccessToken))
	if err != nil || r.JSON200 == nil || !r.JSON200.EmailCodeSignup {
		t.Fatalf("turn email_code_signup on: %v %s", err, r.Body)
	}
}

// A code signs in once, as amr ["otp"] at aal1, and verifies the address; it is stored only as a salted
// hash. An unknown address gets the same 202 (no sooner than 150 ms) and no mail, and its "code" the same
// 401 as a wrong one.
func TestEmailCodeSignIn(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	email := apitest.UniqueEmail("code")
	env.Register(email)
	start := time.Now()
	if r := requestCode(env, email); r.Status != http.StatusAccepted {
		t.Fatalf("request: %d %s", r.Status, r.Body)
	}
	if took := time.Since(start); took < 150*time.Millisecond {
		t.Errorf("answered in %s, before the 150 ms floor", took)
	}
	code := codeOf(t, env, email, 1)
	var plain int
	if err := env.DB.QueryRow(context.Background(), "SELECT count(*) FROM login_codes WHERE convert_to($1, 'UTF8') IN (code_hash, code_salt)", code).Scan(&plain); err != nil || plain != 0 {
		t.Fatalf("the code is stored as it is: %d %v", plain, err)
	}

	r := verifyCode(env, email, code)
	if r.Status != http.StatusOK {
		t.Fatalf("verify: %d %s", r.Status, r.Body)
	}
	var auth api.AuthResponse
	r.Decode(t, &auth)
	claims := claimsOf(t, auth.AccessToken)
	if !slices.Equal(claims.AMR, []string{"otp"}) || claims.AAL != "aal1" || claims.AuthTime == 0 {
		t.Errorf("claims %+v", claims)
	}
	if !auth.User.EmailVerified || auth.User.LastLoginAt.IsNull() {
		t.Errorf("user after a code sign-in: %+v", auth.User)
	}
	sessions, _ := env.Client.ListMySessionsWithResponse(context.Background(), apitest.Bearer(auth.AccessToken))
	if sessions.JSON200 == nil || !slices.ContainsFunc(sessions.JSON200.Sessions, func(s api.Session) bool {
		return s.Current && slices.Equal(s.Methods, []api.AuthenticationMethod{"email_code"}) && s.Aal == api.Aal1
	}) {
		t.Errorf("sessions %s", sessions.Body)
	}

	again := verifyCode(env, email, code)
	wrong := verifyCode(env, email, "000000")
	unknownEmail := apitest.UniqueEmail("nobody")
	if r := requestCode(env, unknownEmail); r.Status != http.StatusAccepted {
		t.Fatalf("request for an unknown address: %d %s", r.Status, r.Body)
	}
	unknown := verifyCode(env, unknownEmail, code)
	for name, r := range map[string]apitest.Response{"used code": again, "wrong code": wrong, "unknown address": unknown} {
		e := r.Error(t)
		if r.Status != http.StatusUnauthorized || e.Error != api.ErrorCodeInvalidCredentials || e.Message != unknown.Error(t).Message {
			t.Errorf("%s: %d %s", name, r.Status, r.Body)
		}
	}
	time.Sleep(300 * time.Millisecond)
	if got := env.Mail.To(unknownEmail, ""); len(got) != 0 {
		t.Errorf("mail to an address without an account: %v", got)
	}
	// The failures and the success are in the audit log with their method.
	var failed, succeeded int
	if err := env.DB.QueryRow(context.Background(), `SELECT
		count(*) FILTER (WHERE event = 'login_failed' AND details->>'method' = 'email_code' AND details->>'reason' = 'invalid_credentials'),
		count(*) FILTER (WHERE event = 'login_succeeded' AND details->>'method' = 'email_code')
		FROM audit_events`).Scan(&failed, &succeeded); err != nil || failed != 3 || succeeded != 1 {
		t.Errorf("audit: %d failures, %d successes (%v); want 3 and 1", failed, succeeded, err)
	}
}

// A code dies after 5 wrong tries, the right one included after that, and a new code asked for in the same
// window inherits the count: asking again buys no guesses.
func TestEmailCodeDiesAfterFiveWrongTries(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	email := apitest.UniqueEmail("guess")
	env.Register(email)
	requestCode(env, email)
	code := codeOf(t, env, email, 1)
	wrong := "000000"
	if code == wrong {
		wrong = "111111"
	}
	for i := range 5 {
		if r := verifyCode(env, email, wrong); r.Status != http.StatusUnauthorized {
			t.Fatalf("wrong try %d: %d %s", i+1, r.Status, r.Body)
		}
	}
	// The email_code lock of (address, client) holds now too; lifted, the code is still dead.
	if r := verifyCode(env, email, code); r.Status != http.StatusTooManyRequests {
		t.Fatalf("the right code after 5 wrong tries, locked: %d %s", r.Status, r.Body)
	}
	if _, err := env.DB.Exec(context.Background(), "DELETE FROM login_failures"); err != nil {
		t.Fatal(err)
	}
	if r := verifyCode(env, email, code); r.Status != http.StatusUnauthorized {
		t.Fatalf("the right code after 5 wrong tries: %d %s", r.Status, r.Body)
	}
	settle(t, env, email)
	requestCode(env, email)
	next := codeOf(t, env, email, 2)
	if r := verifyCode(env, email, next); r.Status != http.StatusUnauthorized {
		t.Fatalf("a new code in the same window: %d %s, want 401", r.Status, r.Body)
	}
	if _, err := env.DB.Exec(context.Background(), "DELETE FROM login_failures"); err != nil {
		t.Fatal(err)
	}
	// Once the window is over, a new code works.
	if _, err := env.DB.Exec(context.Background(), "UPDATE login_codes SET window_started_at = now() - interval '1 hour', created_at = now() - interval '1 hour' WHERE email = $1", email); err != nil {
		t.Fatal(err)
	}
	requestCode(env, email)
	if r := verifyCode(env, email, codeOf(t, env, email, 3)); r.Status != http.StatusOK {
		t.Fatalf("a code of a new window: %d %s", r.Status, r.Body)
	}
}

// A code works for email_code_ttl_seconds only, and for its own address only.
func TestEmailCodeExpiresAndIsBoundToItsAddress(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	a, b := apitest.UniqueEmail("a"), apitest.UniqueEmail("b")
	env.Register(a)
	env.Register(b)
	requestCode(env, a)
	codeA := codeOf(t, env, a, 1)
	requestCode(env, b)
	codeOf(t, env, b, 1)
	if r := verifyCode(env, b, codeA); r.Status != http.StatusUnauthorized {
		t.Fatalf("a's code for b: %d", r.Status)
	}
	if _, err := env.DB.Exec(context.Background(), "UPDATE login_codes SET expires_at = now() - interval '1 second' WHERE email = $1", a); err != nil {
		t.Fatal(err)
	}
	if r := verifyCode(env, a, codeA); r.Status != http.StatusUnauthorized {
		t.Fatalf("an expired code: %d", r.Status)
	}
}

// With AUTHD_LINK_TEMPLATE_LOGIN set, the message carries a link whose token signs in once, like the code,
// and using either kills the other.
func TestEmailCodeLink(t *testing.T) {
	t.Parallel()
	env := apitest.New(t, func(c *apitest.Config) { c.LinkLogin = "https://app.example.com/sign-in#token={token}" })
	email := apitest.UniqueEmail("link")
	env.Register(email)
	requestCode(env, email)
	m := env.Mail.Wait(email, codeSubject, 1)
	if !strings.HasPrefix(m.Link, "https://app.example.com/sign-in#token=") || len(m.Token) < 43 {
		t.Fatalf("link %q", m.Link)
	}
	code := codeOf(t, env, email, 1)
	r := env.JSON(http.MethodPost, "/api/login/code/verify", `{"token":"`+m.Token+`"}`)
	if r.Status != http.StatusOK {
		t.Fatalf("link: %d %s", r.Status, r.Body)
	}
	var auth api.AuthResponse
	r.Decode(t, &auth)
	if c := claimsOf(t, auth.AccessToken); !slices.Equal(c.AMR, []string{"otp"}) {
		t.Errorf("claims %+v", c)
	}
	if e := env.JSON(http.MethodPost, "/api/login/code/verify", `{"token":"`+m.Token+`"}`).Error(t); e.Error != api.ErrorCodeInvalidLink {
		t.Errorf("the link again: %+v", e)
	}
	if r := verifyCode(env, email, code); r.Status != http.StatusUnauthorized {
		t.Errorf("the code after its link: %d", r.Status)
	}
	if r := env.JSON(http.MethodPost, "/api/login/code/verify", `{"token":"x","email":"`+email+`"}`); r.Status != http.StatusBadRequest {
		t.Errorf("token and email together: %d %s", r.Status, r.Body)
	}
}

// A disabled account gets no code, and one disabled after its code came is refused like a password login;
// with email_code_login off the operations answer 403.
func TestEmailCodeRefusals(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	admin := env.NewAdmin(apitest.UniqueEmail("admin"))
	bearer := apitest.Bearer(admin.AccessToken)
	email := apitest.UniqueEmail("disabled")
	user := env.Register(email)
	requestCode(env, email)
	code := codeOf(t, env, email, 1)
	if r, err := env.Client.UpdateUserWithResponse(context.Background(), user.User.Id, api.AdminUserUpdate{IsActive: ptr(false)}, bearer); err != nil || r.JSON200 == nil {
		t.Fatalf("disable: %v %s", err, r.Body)
	}
	if e := verifyCode(env, email, code).Error(t); e.Error != api.ErrorCodeAccountDisabled {
		t.Errorf("a disabled account's code: %+v", e)
	}
	settle(t, env, email)
	requestCode(env, email)
	time.Sleep(300 * time.Millisecond)
	if got := env.Mail.To(email, codeSubject); len(got) != 1 {
		t.Errorf("a disabled account was sent another code: %d messages", len(got))
	}

	if r, _ := env.Client.UpdateSettingsWithResponse(context.Background(), api.SettingsUpdate{EmailCodeLogin: ptr(false)}, bearer); r.JSON200 == nil {
		t.Fatalf("turn email_code_login off: %s", r.Body)
	}
	for name, r := range map[string]apitest.Response{"request": requestCode(env, email), "verify": verifyCode(env, email, code)} {
		if e := r.Error(t); r.Status != http.StatusForbidden || e.Error != api.ErrorCodeForbidden {
			t.Errorf("%s while off: %d %s", name, r.Status, r.Body)
		}
	}
}

// With email_code_signup on, a code for an address without an account creates a password-less, verified
// account; it cannot sign in by password until it sets one, which it does without current_password under
// a recent authentication.
func TestPasswordlessAccount(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	enableCodeSignup(t, env)
	email := apitest.UniqueEmail("passwordless")
	requestCode(env, email)
	r := verifyCode(env, email, codeOf(t, env, email, 1))
	if r.Status != http.StatusOK {
		t.Fatalf("sign up by code: %d %s", r.Status, r.Body)
	}
	var auth api.AuthResponse
	r.Decode(t, &auth)
	if auth.User.HasPassword || !auth.User.EmailVerified {
		t.Fatalf("new account %+v", auth.User)
	}
	var hash *string
	if err := env.DB.QueryRow(context.Background(), "SELECT password_hash FROM users WHERE email = $1", email).Scan(&hash); err != nil || hash != nil {
		t.Fatalf("stored hash %v %v, want NULL", hash, err)
	}
	if r := env.JSON(http.MethodPost, "/api/login", `{"email":"`+email+`","password":"anything at all"}`); r.Status != http.StatusUnauthorized {
		t.Fatalf("password login of an account without one: %d", r.Status)
	}
	bearer := apitest.Bearer(auth.AccessToken)
	set, _ := env.Client.ChangePasswordWithResponse(context.Background(), api.PasswordChange{NewPassword: "my first real passphrase"}, bearer)
	if set.JSON200 == nil {
		t.Fatalf("set the first password: %d %s", set.StatusCode(), set.Body)
	}
	env.Login(email, "my first real passphrase")
	me, _ := env.Client.GetMeWithResponse(context.Background(), bearer)
	if me.JSON200 == nil || !me.JSON200.HasPassword {
		t.Fatalf("after setting a password: %s", me.Body)
	}
	var events int
	if err := env.DB.QueryRow(context.Background(), "SELECT count(*) FROM audit_events WHERE event = 'password_set'").Scan(&events); err != nil || events != 1 {
		t.Errorf("password_set events %d %v", events, err)
	}
}
