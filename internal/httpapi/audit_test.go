package httpapi_test

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/authd/authd/gen/api"
	"github.com/authd/authd/internal/apitest"
)

// Every security event lands in the audit log with who, whom, which session, from where and the request
// id, and never a password or token; admins page through it by user and event.
func TestAuditLog(t *testing.T) {
	t.Parallel()
	env := apitest.New(t, withProductionThrottling(true))
	ctx := context.Background()
	admin := env.NewAdmin(apitest.UniqueEmail("auditor"))
	adminBearer := apitest.Bearer(admin.AccessToken)
	email := apitest.UniqueEmail("audited")
	user := env.Register(email)
	userID := user.User.Id

	for range 5 { // five failures from one client: the fifth starts a lockout
		login(env, email, "wrong password!", "198.51.100.40")
	}
	session := env.Login(email, apitest.Password)
	rotated := refresh(t, env, session.RefreshToken).JSON200
	if _, err := env.DB.Exec(ctx, "UPDATE refresh_tokens SET used_at = now() - interval '1 minute' WHERE used_at IS NOT NULL"); err != nil {
		t.Fatal(err)
	}
	refresh(t, env, session.RefreshToken) // reuse: revokes that session
	_ = rotated
	current := env.Login(email, apitest.Password)
	bearer := []string{"Authorization", "Bearer " + current.AccessToken, "X-Request-Id", "req-email-change", "User-Agent", "audit-test/1.0"}
	newPassword := "a brand new passphrase"
	if r := env.JSON(http.MethodPost, "/api/me/password", `{"current_password":"`+apitest.Password+`","new_password":"`+newPassword+`"}`, bearer...); r.Status != http.StatusOK {
		t.Fatalf("password change: %d %s", r.Status, r.Body)
	}
	if r := env.JSON(http.MethodPut, "/api/me/email", `{"email":"moved-`+email+`","password":"`+newPassword+`"}`, bearer...); r.Status != http.StatusAccepted {
		t.Fatalf("email change: %d %s", r.Status, r.Body)
	}
	// The change happens, and is audited, when the link mailed to the new address is used.
	link := env.Mail.Wait("moved-"+email, "Confirm your new email", 1)
	if r := env.JSON(http.MethodPost, "/api/email/verify", `{"token":"`+link.Token+`"}`, "X-Request-Id", "req-email-change",
		"User-Agent", "audit-test/1.0"); r.Status != http.StatusOK {
		t.Fatalf("email change confirmation: %d %s", r.Status, r.Body)
	}
	if r, _ := env.Client.UpdateUserWithResponse(ctx, userID, api.AdminUserUpdate{FirstName: ptr("Audited")}, adminBearer); r.JSON200 == nil {
		t.Fatalf("admin update: %s", r.Body)
	}
	if r, _ := env.Client.RevokeUserSessionsWithResponse(ctx, userID, adminBearer); r.JSON200 == nil {
		t.Fatalf("admin revoke: %s", r.Body)
	}
	if r, _ := env.Client.UpdateSettingsWithResponse(ctx, api.SettingsUpdate{LoginMaxFailures: ptr[int64](7)}, adminBearer); r.JSON200 == nil {
		t.Fatalf("settings: %s", r.Body)
	}

	all := auditPages(t, env, admin.AccessToken, &userID, nil)
	var events []string
	for _, e := range all {
		events = append(events, string(e.Event))
	}
	for _, want := range []string{"register", "login_failed", "lockout", "login_succeeded", "refresh_token_reused",
		"password_changed", "email_changed", "user_updated", "user_sessions_revoked"} {
		if !slices.Contains(events, want) {
			t.Errorf("no %s event for the user; got %v", want, events)
		}
	}
	for _, e := range all {
		if e.Event == "email_changed" {
			if e.RequestId != "req-email-change" || e.UserAgent != "audit-test/1.0" || e.Ip != "127.0.0.1" ||
				e.ActorId.MustGet() != userID || e.Details["to"] != "moved-"+email {
				t.Errorf("email_changed event: %+v", e)
			}
		}
		if e.Event == "user_updated" && (e.ActorId.MustGet() != admin.User.Id || e.SubjectId.MustGet() != userID) {
			t.Errorf("user_updated actor/subject: %+v", e)
		}
		if e.Event == "login_failed" && e.Details["reason"] != "invalid_credentials" && e.Details["reason"] != "throttled" {
			t.Errorf("login_failed without a reason: %+v", e)
		}
	}
	// A filter by event, and an admin action without a subject.
	settings := auditPages(t, env, admin.AccessToken, nil, ptr(api.AuditEventName("settings_changed")))
	if len(settings) != 1 || settings[0].ActorId.MustGet() != admin.User.Id {
		t.Errorf("settings_changed events: %+v", settings)
	}
	// Nothing secret is in the log.
	var dump strings.Builder
	rows, err := env.DB.Query(ctx, "SELECT details::text || user_agent FROM audit_events")
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var s string
		_ = rows.Scan(&s)
		dump.WriteString(s)
	}
	rows.Close()
	for _, secret := range []string{apitest.Password, newPassword, "wrong password!", session.RefreshToken.String(), current.AccessToken[:40], "argon2id"} {
		if strings.Contains(dump.String(), secret) {
			t.Errorf("the audit log holds a secret: %q", secret)
		}
	}
	// Unknown cursors are 400.
	if r := env.Do(http.MethodGet, "/api/admin/audit?before=bm9wZQ", "", nil, "Authorization", "Bearer "+admin.AccessToken); r.Status != http.StatusBadRequest {
		t.Errorf("bad cursor: %d", r.Status)
	}
}

// auditPages reads every page of the audit log, two events at a time, checking that pages do not overlap.
func auditPages(t *testing.T, env *apitest.Env, token string, user *api.UserID, event *api.AuditEventName) []api.AuditEvent {
	t.Helper()
	var all []api.AuditEvent
	var cursor *string
	seen := map[int64]bool{}
	for page := 0; page < 100; page++ {
		r, err := env.Client.ListAuditEventsWithResponse(context.Background(), &api.ListAuditEventsParams{UserId: user, Event: event,
			Before: cursor, Limit: ptr[api.Limit](2)}, apitest.Bearer(token))
		if err != nil || r.JSON200 == nil {
			t.Fatalf("audit page: %v %s", err, r.Body)
		}
		for _, e := range r.JSON200.Events {
			if seen[e.Id] {
				t.Fatalf("event %d on two pages", e.Id)
			}
			seen[e.Id] = true
			if time.Since(e.OccurredAt) > time.Minute {
				t.Errorf("occurred_at %s", e.OccurredAt)
			}
		}
		all = append(all, r.JSON200.Events...)
		if r.JSON200.NextCursor.IsNull() {
			return all
		}
		next := r.JSON200.NextCursor.MustGet()
		cursor = &next
	}
	t.Fatal("more than 100 pages")
	return nil
}

// An audit row exists if and only if its change committed. A login whose transaction fails at commit,
// after the session and the login_succeeded row were written (a deferred constraint refuses the session),
// leaves neither; a logout whose audit row is refused (a constraint on the event) revokes nothing.
func TestAuditEventsCommitWithTheirChange(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	ctx := context.Background()
	email := apitest.UniqueEmail("atomic")
	session := env.Register(email)
	count := func(query string) int {
		t.Helper()
		var n int
		if err := env.DB.QueryRow(ctx, query).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	if _, err := env.DB.Exec(ctx, `
		CREATE FUNCTION refuse_session() RETURNS trigger LANGUAGE plpgsql AS $$
		BEGIN RAISE EXCEPTION 'sessions refused at commit'; END $$;
		CREATE CONSTRAINT TRIGGER refuse_sessions AFTER INSERT ON sessions
			DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION refuse_session()`); err != nil {
		t.Fatal(err)
	}
	sessionsBefore := count("SELECT count(*) FROM sessions")
	if r := env.JSON(http.MethodPost, "/api/login", `{"email":"`+email+`","password":"`+apitest.Password+`"}`); r.Status != http.StatusInternalServerError {
		t.Fatalf("login refused at commit: %d %s", r.Status, r.Body)
	}
	if n := count("SELECT count(*) FROM audit_events WHERE event = 'login_succeeded'"); n != 0 {
		t.Errorf("%d login_succeeded events for a login that did not commit", n)
	}
	if n := count("SELECT count(*) FROM sessions"); n != sessionsBefore {
		t.Errorf("sessions %d, want %d", n, sessionsBefore)
	}
	if _, err := env.DB.Exec(ctx, "DROP TRIGGER refuse_sessions ON sessions"); err != nil {
		t.Fatal(err)
	}

	if _, err := env.DB.Exec(ctx, "ALTER TABLE audit_events ADD CONSTRAINT no_logout CHECK (event <> 'logout')"); err != nil {
		t.Fatal(err)
	}
	if r := env.JSON(http.MethodPost, "/api/logout", `{"refresh_token":"`+session.RefreshToken.String()+`"}`); r.Status == http.StatusOK {
		t.Fatalf("logout whose event is refused: %d %s", r.Status, r.Body)
	}
	if n := count("SELECT count(*) FROM sessions WHERE revoked_at IS NOT NULL"); n != 0 {
		t.Errorf("%d sessions revoked by a logout whose event was not written", n)
	}
	if _, err := env.DB.Exec(ctx, "ALTER TABLE audit_events DROP CONSTRAINT no_logout"); err != nil {
		t.Fatal(err)
	}
	if r := env.JSON(http.MethodPost, "/api/logout", `{"refresh_token":"`+session.RefreshToken.String()+`"}`); r.Status != http.StatusOK {
		t.Fatalf("logout: %d %s", r.Status, r.Body)
	}
	if count("SELECT count(*) FROM sessions WHERE revoked_at IS NOT NULL") != 1 || count("SELECT count(*) FROM audit_events WHERE event = 'logout'") != 1 {
		t.Error("the logout and its event did not commit together")
	}
}
