package httpapi_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/authd/authd/gen/api"
	"github.com/authd/authd/internal/apitest"
)

func TestSessionsListAndEnd(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	ctx := context.Background()
	first := env.Register("multi@example.com")
	second := env.Login("multi@example.com", apitest.Password)
	third := env.Login("multi@example.com", apitest.Password)
	stranger := env.Register("stranger@example.com")

	list := func(token string) []api.Session {
		t.Helper()
		resp, err := env.Client.ListMySessionsWithResponse(ctx, apitest.Bearer(token))
		if err != nil || resp.JSON200 == nil {
			t.Fatalf("list sessions: %v %d %s", err, resp.StatusCode(), resp.Body)
		}
		return resp.JSON200.Sessions
	}
	sessions := list(second.AccessToken)
	if len(sessions) != 3 {
		t.Fatalf("sessions = %d, want 3", len(sessions))
	}
	var current int
	var secondID uuid.UUID
	for _, s := range sessions {
		if s.Current {
			current++
			secondID = s.Id
		}
		if s.IpAddress != "127.0.0.1" || s.UserAgent == "" || !s.ExpiresAt.After(s.CreatedAt) {
			t.Errorf("session fields: %+v", s)
		}
	}
	if current != 1 {
		t.Errorf("%d sessions marked current, want 1", current)
	}

	// BOLA: another user's session id is 404, and that session lives on.
	strangerSessions := list(stranger.AccessToken)
	if r, _ := env.Client.EndMySessionWithResponse(ctx, strangerSessions[0].Id, apitest.Bearer(first.AccessToken)); r.JSON404 == nil {
		t.Errorf("ending another user's session: %d, want 404", r.StatusCode())
	}
	if me, _ := env.Client.GetMeWithResponse(ctx, apitest.Bearer(stranger.AccessToken)); me.JSON200 == nil {
		t.Errorf("the stranger's session was ended: %d", me.StatusCode())
	}
	if r, _ := env.Client.EndMySessionWithResponse(ctx, uuid.New(), apitest.Bearer(first.AccessToken)); r.JSON404 == nil {
		t.Errorf("unknown session: %d, want 404", r.StatusCode())
	}

	// Ending one session from another: its tokens stop at once.
	if r, _ := env.Client.EndMySessionWithResponse(ctx, secondID, apitest.Bearer(first.AccessToken)); r.StatusCode() != http.StatusNoContent {
		t.Fatalf("end session: %d %s", r.StatusCode(), r.Body)
	}
	if me, _ := env.Client.GetMeWithResponse(ctx, apitest.Bearer(second.AccessToken)); me.JSON401 == nil {
		t.Errorf("ended session's access token: %d, want 401", me.StatusCode())
	}
	if r := refresh(t, env, second.RefreshToken); r.JSON401 == nil {
		t.Errorf("ended session's refresh token: %d, want 401", r.StatusCode())
	}
	if got := len(list(first.AccessToken)); got != 2 {
		t.Errorf("sessions after ending one: %d, want 2", got)
	}
	if r, _ := env.Client.EndMySessionWithResponse(ctx, secondID, apitest.Bearer(first.AccessToken)); r.JSON404 == nil {
		t.Errorf("ending an ended session: %d, want 404", r.StatusCode())
	}

	// Ending every other session keeps the caller's.
	if r, _ := env.Client.EndOtherSessionsWithResponse(ctx, apitest.Bearer(third.AccessToken)); r.StatusCode() != http.StatusNoContent {
		t.Fatalf("end others: %d", r.StatusCode())
	}
	remaining := list(third.AccessToken)
	if len(remaining) != 1 || !remaining[0].Current {
		t.Errorf("after ending the others: %+v", remaining)
	}
	if me, _ := env.Client.GetMeWithResponse(ctx, apitest.Bearer(first.AccessToken)); me.JSON401 == nil {
		t.Errorf("another session survived: %d", me.StatusCode())
	}
	if r := env.Do(http.MethodDelete, "/api/me/sessions/not-a-uuid", "", nil, "Authorization", "Bearer "+third.AccessToken); r.Status != http.StatusBadRequest {
		t.Errorf("malformed session id: %d, want 400", r.Status)
	}
}

func TestChangePassword(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	ctx := context.Background()
	current := env.Register("pw@example.com")
	other := env.Login("pw@example.com", apitest.Password)
	bearer := apitest.Bearer(current.AccessToken)

	wrong, _ := env.Client.ChangePasswordWithResponse(ctx, api.PasswordChange{CurrentPassword: ptr("not my password"), NewPassword: "a brand new passphrase"}, bearer)
	if wrong.JSON403 == nil || wrong.JSON403.Error != api.ErrorCodeInvalidCredentials {
		t.Fatalf("wrong current password: %d %s, want 403 invalid_credentials", wrong.StatusCode(), wrong.Body)
	}
	for _, weak := range []string{"short", "12345678901", "password123", "qwertyuiop"} {
		resp := env.JSON(http.MethodPost, "/api/me/password", `{"current_password":"`+apitest.Password+`","new_password":"`+weak+`"}`,
			"Authorization", "Bearer "+current.AccessToken)
		if resp.Status != http.StatusBadRequest || (*resp.Error(t).Details.ValidationErrors)["new_password"] == "" {
			t.Errorf("weak new password %q: %d %s, want 400 naming new_password", weak, resp.Status, resp.Body)
		}
	}
	ok, _ := env.Client.ChangePasswordWithResponse(ctx, api.PasswordChange{CurrentPassword: ptr(apitest.Password), NewPassword: "a brand new passphrase"}, bearer)
	if ok.JSON200 == nil {
		t.Fatalf("change: %d %s", ok.StatusCode(), ok.Body)
	}
	if me, _ := env.Client.GetMeWithResponse(ctx, bearer); me.JSON200 == nil {
		t.Errorf("the current session did not survive: %d", me.StatusCode())
	}
	if r := refresh(t, env, current.RefreshToken); r.JSON200 == nil {
		t.Errorf("the current session's refresh token: %d", r.StatusCode())
	}
	if me, _ := env.Client.GetMeWithResponse(ctx, apitest.Bearer(other.AccessToken)); me.JSON401 == nil {
		t.Errorf("another session survived the change: %d", me.StatusCode())
	}
	if r := refresh(t, env, other.RefreshToken); r.JSON401 == nil {
		t.Errorf("another session's refresh token: %d", r.StatusCode())
	}
	if old, _ := env.Client.LoginWithResponse(ctx, api.LoginRequest{Email: "pw@example.com", Password: apitest.Password}); old.JSON401 == nil {
		t.Errorf("old password still works: %d", old.StatusCode())
	}
	env.Login("pw@example.com", "a brand new passphrase")
}

func TestChangeEmail(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	ctx := context.Background()
	session := env.Register("old@example.com")
	env.Register("taken@example.com")
	bearer := apitest.Bearer(session.AccessToken)

	if r, _ := env.Client.ChangeEmailWithResponse(ctx, api.EmailChange{Email: "new@example.com", Password: ptr("wrong password")}, bearer); r.JSON403 == nil {
		t.Errorf("wrong password: %d, want 403", r.StatusCode())
	}
	if r, _ := env.Client.ChangeEmailWithResponse(ctx, api.EmailChange{Email: "TAKEN@example.com", Password: ptr(apitest.Password)}, bearer); r.JSON409 == nil || r.JSON409.Error != api.ErrorCodeEmailTaken {
		t.Errorf("taken email: %d %s, want 409 email_taken", r.StatusCode(), r.Body)
	}
	if r, _ := env.Client.ChangeEmailWithResponse(ctx, api.EmailChange{Email: "not-an-email", Password: ptr(apitest.Password)}, bearer); r.JSON400 == nil {
		t.Errorf("invalid email: %d, want 400", r.StatusCode())
	}
	if r, _ := env.Client.ChangeEmailWithResponse(ctx, api.EmailChange{Email: "a@localhost", Password: ptr(apitest.Password)}, bearer); r.JSON400 == nil {
		t.Errorf("email without a dotted domain: %d, want 400", r.StatusCode())
	}
	changed, _ := env.Client.ChangeEmailWithResponse(ctx, api.EmailChange{Email: "New@Example.com", Password: ptr(apitest.Password)}, bearer)
	if changed.JSON202 == nil || changed.JSON202.PendingEmail != "new@example.com" {
		t.Fatalf("change: %d %s", changed.StatusCode(), changed.Body)
	}
	// Until the link mailed to the new address is used, the account keeps its email.
	env.Login("old@example.com", apitest.Password)
	env.Mail.Wait("old@example.com", "is being changed", 1)
	confirm := env.Mail.Wait("new@example.com", "Confirm your new email", 1)
	if r, _ := env.Client.VerifyEmailWithResponse(ctx, api.LinkTokenRequest{Token: confirm.Token}); r.JSON200 == nil || r.JSON200.Email != "new@example.com" {
		t.Fatalf("confirm: %d %s", r.StatusCode(), r.Body)
	}
	if me := env.Login("new@example.com", apitest.Password); !me.User.EmailVerified {
		t.Error("the confirmed address is not verified")
	}
	if r, _ := env.Client.LoginWithResponse(ctx, api.LoginRequest{Email: "old@example.com", Password: apitest.Password}); r.JSON401 == nil {
		t.Errorf("old email still signs in: %d", r.StatusCode())
	}
	env.Register("old@example.com")
}

func TestDeleteAccount(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	ctx := context.Background()
	session := env.Register("leaving@example.com")
	other := env.Login("leaving@example.com", apitest.Password)
	bearer := apitest.Bearer(session.AccessToken)
	avatar, contentType := avatarBody(t, "avatar", pngImage(t, 64, 64))
	if _, err := env.Client.PutAvatarWithBodyWithResponse(ctx, contentType, avatar, bearer); err != nil {
		t.Fatal(err)
	}
	if files := mediaFiles(t, env); len(files) != 1 {
		t.Fatalf("avatar files before deletion: %v", files)
	}

	if r, _ := env.Client.DeleteMeWithResponse(ctx, api.PasswordConfirmation{Password: ptr("wrong password")}, bearer); r.JSON403 == nil {
		t.Errorf("wrong password: %d, want 403", r.StatusCode())
	}
	// Without the password the session's sign-in must be recent; this one's is made old.
	ageSessions(t, env, "leaving@example.com", time.Hour)
	if r := env.Do(http.MethodDelete, "/api/me", "", nil, "Authorization", "Bearer "+session.AccessToken); r.Status != http.StatusUnauthorized ||
		!strings.Contains(string(r.Body), `"reauthentication_required"`) {
		t.Errorf("no body, stale session: %d %s, want 401 reauthentication_required", r.Status, r.Body)
	}
	if r, _ := env.Client.DeleteMeWithResponse(ctx, api.PasswordConfirmation{Password: ptr(apitest.Password)}, bearer); r.StatusCode() != http.StatusNoContent {
		t.Fatalf("delete: %d %s", r.StatusCode(), r.Body)
	}
	for _, token := range []string{session.AccessToken, other.AccessToken} {
		if me, _ := env.Client.GetMeWithResponse(ctx, apitest.Bearer(token)); me.JSON401 == nil {
			t.Errorf("token of a deleted account: %d", me.StatusCode())
		}
	}
	if r := refresh(t, env, other.RefreshToken); r.JSON401 == nil {
		t.Errorf("refresh of a deleted account: %d", r.StatusCode())
	}
	var sessions int
	if err := env.DB.QueryRow(ctx, "SELECT count(*) FROM sessions").Scan(&sessions); err != nil || sessions != 0 {
		t.Errorf("sessions left: %d %v", sessions, err)
	}
	if files := mediaFiles(t, env); len(files) != 0 {
		t.Errorf("avatar files left: %v", files)
	}
	env.Register("leaving@example.com")
}

func TestDeleteAccountOfLastAdminIsRefused(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	admin := env.NewAdmin("root@example.com")
	r, _ := env.Client.DeleteMeWithResponse(context.Background(), api.PasswordConfirmation{Password: ptr(apitest.Password)}, apitest.Bearer(admin.AccessToken))
	if r.JSON409 == nil || r.JSON409.Error != api.ErrorCodeLastAdmin {
		t.Errorf("last admin deleting themself: %d %s, want 409 last_admin", r.StatusCode(), r.Body)
	}
}
