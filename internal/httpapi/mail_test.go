package httpapi_test

import (
	"context"
	"crypto/sha256"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/authd/authd/gen/api"
	"github.com/authd/authd/internal/apitest"
)

// Every flow is followed from the mail the in-test SMTP server actually received: parse it, take its link.

func verify(env *apitest.Env, token string) apitest.Response {
	return env.JSON(http.MethodPost, "/api/email/verify", `{"token":"`+token+`"}`)
}

func resetPassword(env *apitest.Env, token, password string) apitest.Response {
	return env.JSON(http.MethodPost, "/api/password/reset", `{"token":"`+token+`","new_password":"`+password+`"}`)
}

func forgot(env *apitest.Env, email string) apitest.Response {
	return env.JSON(http.MethodPost, "/api/password/forgot", `{"email":"`+email+`"}`)
}

func TestRegistrationMailsAVerificationLink(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	ctx := context.Background()
	session := env.Register("ada@example.com")
	if session.User.EmailVerified {
		t.Fatal("a new account's email is verified before any link was used")
	}
	mail := env.Mail.Wait("ada@example.com", "Confirm your email address", 1)
	if !strings.HasPrefix(mail.Link, env.Server.URL+"/verify-email#token=") || len(mail.Token) < 43 {
		t.Fatalf("link %q: want the verify page with a 256-bit token in the fragment", mail.Link)
	}
	if !strings.Contains(mail.HTML, `href="`+strings.ReplaceAll(mail.Link, "&", "&amp;")+`"`) {
		t.Errorf("the HTML part does not link to %s:\n%s", mail.Link, mail.HTML)
	}
	// Only the token's hash is stored.
	sum := sha256.Sum256([]byte(mail.Token))
	var stored int
	if err := env.DB.QueryRow(ctx, "SELECT count(*) FROM email_tokens WHERE token_hash = $1", sum[:]).Scan(&stored); err != nil || stored != 1 {
		t.Fatalf("tokens stored by hash: %d %v", stored, err)
	}

	r := verify(env, mail.Token)
	if r.Status != http.StatusOK || !strings.Contains(string(r.Body), `"email":"ada@example.com"`) {
		t.Fatalf("verify: %d %s", r.Status, r.Body)
	}
	me, _ := env.Client.GetMeWithResponse(ctx, apitest.Bearer(session.AccessToken))
	if me.JSON200 == nil || !me.JSON200.EmailVerified || me.JSON200.EmailVerifiedAt.IsNull() {
		t.Errorf("after the link: %s", me.Body)
	}
	if e := verify(env, mail.Token).Error(t); e.Error != api.ErrorCodeInvalidLink {
		t.Errorf("a second use: %s, want invalid_link", e.Error)
	}
	if r, _ := env.Client.SendVerificationWithResponse(ctx, apitest.Bearer(session.AccessToken)); r.JSON409 == nil {
		t.Errorf("verification mail for a verified address: %d", r.StatusCode())
	}
}

func TestMailIsInTheUsersLanguage(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	pt := "pt-BR"
	if r, _ := env.Client.RegisterWithResponse(context.Background(), api.RegisterRequest{Email: "lucia@example.com",
		Password: apitest.Password, LanguageCode: ptr("es-MX")}); r.JSON201 == nil {
		t.Fatalf("register: %s", r.Body)
	}
	mail := env.Mail.Wait("lucia@example.com", "Confirma tu dirección de correo", 1)
	if !strings.Contains(mail.Text, "2 días") {
		t.Errorf("Spanish text without the link's lifetime in Spanish:\n%s", mail.Text)
	}
	if r, _ := env.Client.RegisterWithResponse(context.Background(), api.RegisterRequest{Email: "joao@example.com",
		Password: apitest.Password, LanguageCode: &pt}); r.JSON201 == nil {
		t.Fatalf("register: %s", r.Body)
	}
	env.Mail.Wait("joao@example.com", "Confirm your email address", 1) // no Portuguese templates: English
}

func TestLinksExpireAndServeOnlyTheirPurpose(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	env.Register("bo@example.com")
	verification := env.Mail.Wait("bo@example.com", "Confirm your email address", 1)
	if r := forgot(env, "bo@example.com"); r.Status != http.StatusAccepted {
		t.Fatalf("forgot: %d %s", r.Status, r.Body)
	}
	reset := env.Mail.Wait("bo@example.com", "Reset your password", 1)

	if e := resetPassword(env, verification.Token, "a fresh passphrase").Error(t); e.Error != api.ErrorCodeInvalidLink {
		t.Errorf("a verification token resets the password: %s", e.Error)
	}
	if e := verify(env, reset.Token).Error(t); e.Error != api.ErrorCodeInvalidLink {
		t.Errorf("a reset token verifies the email: %s", e.Error)
	}
	if _, err := env.DB.Exec(context.Background(), "UPDATE email_tokens SET expires_at = now() - interval '1 second'"); err != nil {
		t.Fatal(err)
	}
	if e := verify(env, verification.Token).Error(t); e.Error != api.ErrorCodeInvalidLink {
		t.Errorf("an expired verification link: %s", e.Error)
	}
	if e := resetPassword(env, reset.Token, "a fresh passphrase").Error(t); e.Error != api.ErrorCodeInvalidLink {
		t.Errorf("an expired reset link: %s", e.Error)
	}
	if e := verify(env, "not-a-token").Error(t); e.Error != api.ErrorCodeInvalidLink {
		t.Errorf("an unknown token: %s", e.Error)
	}
}

func TestVerificationMailAgain(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	session := env.Register("again@example.com")
	bearer := []string{"Authorization", "Bearer " + session.AccessToken}
	env.Mail.Wait("again@example.com", "Confirm your email address", 1)
	if _, err := env.DB.Exec(context.Background(), "UPDATE email_tokens SET created_at = now() - interval '2 minutes'"); err != nil {
		t.Fatal(err)
	}
	if r := env.Do(http.MethodPost, "/api/me/verification", "", nil, bearer...); r.Status != http.StatusAccepted {
		t.Fatalf("again: %d %s", r.Status, r.Body)
	}
	second := env.Mail.Wait("again@example.com", "Confirm your email address", 2)
	if r := env.Do(http.MethodPost, "/api/me/verification", "", nil, bearer...); r.Status != http.StatusTooManyRequests || r.Header.Get("Retry-After") == "" {
		t.Errorf("a third within a minute: %d, want 429 with Retry-After", r.Status)
	}
	if r := verify(env, second.Token); r.Status != http.StatusOK {
		t.Errorf("the second link: %d %s", r.Status, r.Body)
	}
}

func TestForgotAndResetPassword(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	ctx := context.Background()
	env.Register("cy@example.com")
	session := env.Login("cy@example.com", apitest.Password)
	if r := forgot(env, "CY@Example.com"); r.Status != http.StatusAccepted {
		t.Fatalf("forgot: %d %s", r.Status, r.Body)
	}
	mail := env.Mail.Wait("cy@example.com", "Reset your password", 1)
	if !strings.HasPrefix(mail.Link, env.Server.URL+"/reset-password#token=") {
		t.Errorf("reset link %q", mail.Link)
	}
	if e := resetPassword(env, mail.Token, "12345678").Error(t); e.Error != api.ErrorCodeValidationError {
		t.Errorf("a weak password: %s", e.Error)
	}
	if r := resetPassword(env, mail.Token, "a fresh passphrase"); r.Status != http.StatusOK {
		t.Fatalf("reset: %d %s", r.Status, r.Body)
	}
	if r := refresh(t, env, session.RefreshToken); r.JSON401 == nil {
		t.Errorf("a session from before the reset still refreshes: %d", r.StatusCode())
	}
	if r, _ := env.Client.LoginWithResponse(ctx, api.LoginRequest{Email: "cy@example.com", Password: apitest.Password}); r.JSON401 == nil {
		t.Errorf("the old password still signs in: %d", r.StatusCode())
	}
	if !env.Login("cy@example.com", "a fresh passphrase").User.EmailVerified {
		t.Error("a used reset link does not count as a verified address")
	}
	env.Mail.Wait("cy@example.com", "Your password was changed", 1)
	// A password change through the API is announced the same way.
	current := env.Login("cy@example.com", "a fresh passphrase")
	if r := env.JSON(http.MethodPost, "/api/me/password", `{"current_password":"a fresh passphrase","new_password":"a third passphrase"}`,
		"Authorization", "Bearer "+current.AccessToken); r.Status != http.StatusOK {
		t.Fatalf("change: %d %s", r.Status, r.Body)
	}
	env.Mail.Wait("cy@example.com", "Your password was changed", 2)
	if e := resetPassword(env, mail.Token, "another passphrase").Error(t); e.Error != api.ErrorCodeInvalidLink {
		t.Errorf("a reset link used twice: %s", e.Error)
	}
	var audited int
	if err := env.DB.QueryRow(ctx, "SELECT count(*) FROM audit_events WHERE event = 'password_reset'").Scan(&audited); err != nil || audited != 1 {
		t.Errorf("password_reset audit events: %d %v", audited, err)
	}
}

// Forgot-password answers the same, in about the same time, whether or not the address has an account.
func TestForgotPasswordRevealsNothing(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	env.Register("known@example.com")
	timings := map[string][]time.Duration{}
	var bodies []string
	// Three rounds stay under the per-address limit. The account gets one reset link; later requests within
	// the minute send none, and answer the same.
	for range 3 {
		for _, email := range []string{"known@example.com", "nobody@example.com"} {
			start := time.Now()
			r := forgot(env, email)
			timings[email] = append(timings[email], time.Since(start))
			if r.Status != http.StatusAccepted {
				t.Fatalf("%s: %d %s", email, r.Status, r.Body)
			}
			bodies = append(bodies, string(r.Body))
		}
	}
	for _, b := range bodies[1:] {
		if b != bodies[0] {
			t.Errorf("answers differ: %s and %s", bodies[0], b)
		}
	}
	median := func(d []time.Duration) time.Duration {
		s := slices.Clone(d)
		slices.Sort(s)
		return s[len(s)/2]
	}
	known, unknown := median(timings["known@example.com"]), median(timings["nobody@example.com"])
	t.Logf("median answer: %s for a known address, %s for an unknown one", known, unknown)
	if diff := (known - unknown).Abs(); diff > 60*time.Millisecond {
		t.Errorf("median answer %s for a known address, %s for an unknown one", known, unknown)
	}
	for email, ds := range timings {
		for _, d := range ds {
			if d < 150*time.Millisecond {
				t.Errorf("%s answered in %s, under the floor", email, d)
			}
		}
	}
	if got := env.Mail.To("nobody@example.com", ""); len(got) != 0 {
		t.Errorf("mail to an address without an account: %v", got)
	}
	env.Mail.Wait("known@example.com", "Reset your password", 1)

	// Throttled per address, account or not, the same way.
	for _, email := range []string{"known@example.com", "nobody@example.com"} {
		var last apitest.Response
		for range 8 {
			last = forgot(env, email)
		}
		if last.Status != http.StatusTooManyRequests {
			t.Errorf("%s: %d after many requests, want 429", email, last.Status)
		}
	}
}

func TestRequireVerifiedEmail(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	ctx := context.Background()
	admin := env.NewAdmin("root@example.com")
	if r, _ := env.Client.UpdateSettingsWithResponse(ctx, api.SettingsUpdate{RequireVerifiedEmail: ptr(true)}, apitest.Bearer(admin.AccessToken)); r.JSON200 == nil || !r.JSON200.RequireVerifiedEmail {
		t.Fatalf("settings: %s", r.Body)
	}
	session := env.Register("dee@example.com")
	r, _ := env.Client.LoginWithResponse(ctx, api.LoginRequest{Email: "dee@example.com", Password: apitest.Password})
	if r.JSON403 == nil || r.JSON403.Error != api.ErrorCodeEmailNotVerified {
		t.Fatalf("login of an unverified account: %d %s", r.StatusCode(), r.Body)
	}
	if rr := refresh(t, env, session.RefreshToken); rr.JSON403 == nil || rr.JSON403.Error != api.ErrorCodeEmailNotVerified {
		t.Fatalf("refresh of an unverified account: %d %s", rr.StatusCode(), rr.Body)
	}
	env.Mail.Wait("dee@example.com", "Confirm your email address", 1)
	// A login with the right password mails a new link once the last one is 5 minutes old.
	if _, err := env.DB.Exec(ctx, "UPDATE email_tokens SET created_at = now() - interval '6 minutes'"); err != nil {
		t.Fatal(err)
	}
	if r, _ := env.Client.LoginWithResponse(ctx, api.LoginRequest{Email: "dee@example.com", Password: apitest.Password}); r.JSON403 == nil {
		t.Fatalf("second login: %d", r.StatusCode())
	}
	mail := env.Mail.Wait("dee@example.com", "Confirm your email address", 2)
	if r, _ := env.Client.LoginWithResponse(ctx, api.LoginRequest{Email: "dee@example.com", Password: "wrong password!"}); r.JSON401 == nil {
		t.Fatalf("a wrong password: %d", r.StatusCode())
	}
	if r := verify(env, mail.Token); r.Status != http.StatusOK {
		t.Fatal(string(r.Body))
	}
	env.Login("dee@example.com", apitest.Password)
	if rr := refresh(t, env, session.RefreshToken); rr.JSON200 == nil {
		t.Errorf("refresh after verification: %d %s", rr.StatusCode(), rr.Body)
	}
}

func TestAdminCreatesUserWithInvitation(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	ctx := context.Background()
	admin := apitest.Bearer(env.NewAdmin("root@example.com").AccessToken)
	created, _ := env.Client.CreateUserWithResponse(ctx, api.AdminUserCreate{Email: "Eve@Example.com", Username: ptr("eve"),
		LanguageCode: ptr("es")}, admin)
	if created.JSON201 == nil || created.JSON201.Email != "eve@example.com" || created.JSON201.EmailVerified || created.JSON201.IsAdmin {
		t.Fatalf("create: %d %s", created.StatusCode(), created.Body)
	}
	invitation := env.Mail.Wait("eve@example.com", "Te han invitado", 1)
	if !strings.Contains(invitation.Link, "invitation=1") || !strings.Contains(invitation.Text, "7 días") {
		t.Errorf("invitation: %s\n%s", invitation.Link, invitation.Text)
	}
	if r, _ := env.Client.LoginWithResponse(ctx, api.LoginRequest{Email: "eve@example.com", Password: "!"}); r.JSON401 == nil {
		t.Errorf("an invited account signs in before choosing a password: %d", r.StatusCode())
	}
	if r := resetPassword(env, invitation.Token, "eve's own passphrase"); r.Status != http.StatusOK {
		t.Fatalf("accept invitation: %d %s", r.Status, r.Body)
	}
	if !env.Login("eve@example.com", "eve's own passphrase").User.EmailVerified {
		t.Error("an accepted invitation does not verify the address")
	}
	if len(env.Mail.To("eve@example.com", "")) != 1 {
		t.Errorf("an invitation's acceptance is not a password change to announce: %v", env.Mail.To("eve@example.com", ""))
	}
	if r, _ := env.Client.CreateUserWithResponse(ctx, api.AdminUserCreate{Email: "eve@example.com"}, admin); r.JSON409 == nil {
		t.Errorf("a taken address: %d", r.StatusCode())
	}
	user := env.Register(apitest.UniqueEmail("user"))
	if r, _ := env.Client.CreateUserWithResponse(ctx, api.AdminUserCreate{Email: "x@example.com"}, apitest.Bearer(user.AccessToken)); r.JSON403 == nil {
		t.Errorf("a user creates users: %d", r.StatusCode())
	}

	// And an admin can mail anyone a reset link.
	if r, _ := env.Client.SendUserPasswordResetWithResponse(ctx, created.JSON201.Id, admin); r.JSON202 == nil {
		t.Fatalf("reset link: %d %s", r.StatusCode(), r.Body)
	}
	reset := env.Mail.Wait("eve@example.com", "Restablece tu contraseña", 1)
	if r := resetPassword(env, reset.Token, "eve's second passphrase"); r.Status != http.StatusOK {
		t.Fatalf("reset: %d %s", r.Status, r.Body)
	}
	env.Login("eve@example.com", "eve's second passphrase")
	if r, _ := env.Client.SendUserPasswordResetWithResponse(ctx, user.User.Id, apitest.Bearer(user.AccessToken)); r.JSON403 == nil {
		t.Errorf("a user sends reset links: %d", r.StatusCode())
	}
}
