package httpapi_test

import (
	"context"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/authd/authd/gen/api"
	"github.com/authd/authd/internal/apitest"
	"github.com/authd/authd/internal/httpapi"
)

// recordedLogs keeps the log records of the requests whose id starts with a prefix.
type recordedLogs struct {
	next   slog.Handler
	prefix string

	mu      sync.Mutex
	records map[string][]map[string]string // by request id
}

func (h *recordedLogs) Enabled(context.Context, slog.Level) bool { return true }
func (h *recordedLogs) WithAttrs([]slog.Attr) slog.Handler       { return h }
func (h *recordedLogs) WithGroup(string) slog.Handler            { return h }

func (h *recordedLogs) Handle(ctx context.Context, r slog.Record) error {
	attrs := map[string]string{"msg": r.Message, "level": r.Level.String()}
	r.Attrs(func(a slog.Attr) bool {
		attrs[a.Key] = a.Value.String()
		return true
	})
	if id := attrs["request_id"]; strings.HasPrefix(id, h.prefix) {
		h.mu.Lock()
		h.records[id] = append(h.records[id], attrs)
		h.mu.Unlock()
	}
	if h.next.Enabled(ctx, r.Level) {
		return h.next.Handle(ctx, r)
	}
	return nil
}

// answers are the "request rejected" and "request failed" records of a request.
func (h *recordedLogs) answers(id string) []map[string]string {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []map[string]string
	for _, r := range h.records[id] {
		if r["msg"] == "request rejected" || r["msg"] == "request failed" {
			out = append(out, r)
		}
	}
	return out
}

// Every error answer, whatever decides it (validation, routing, the middleware, a handler's domain error,
// a compat override, an outage), is logged exactly once with its request id, status and code: one case
// per code of the ErrorCode enum. 4xx log at INFO, 5xx at ERROR. Not parallel: it swaps the process's
// logger for the length of the test.
func TestEveryErrorAnswerIsLoggedOnceWithItsCode(t *testing.T) {
	logs := &recordedLogs{next: slog.Default().Handler(), prefix: "codes-", records: map[string][]map[string]string{}}
	previous := slog.Default()
	slog.SetDefault(slog.New(logs))
	t.Cleanup(func() { slog.SetDefault(previous) })

	env := apitest.New(t, withProductionThrottling(false))
	outage, proxy := apitest.NewBehindProxy(t)
	ctx := context.Background()
	admin := env.NewAdmin("codes-admin@example.com")
	user := env.Register("codes-user@example.com")
	if _, err := env.DB.Exec(ctx, "UPDATE users SET username = 'taken' WHERE email = 'codes-user@example.com'"); err != nil {
		t.Fatal(err)
	}
	env.Register("codes-disabled@example.com")
	if _, err := env.DB.Exec(ctx, "UPDATE users SET is_active = false WHERE email = 'codes-disabled@example.com'"); err != nil {
		t.Fatal(err)
	}
	verified := env.Register("codes-verified@example.com")
	if _, err := env.DB.Exec(ctx, "UPDATE users SET email_verified_at = now() WHERE email = 'codes-verified@example.com'"); err != nil {
		t.Fatal(err)
	}
	stale := env.Register("codes-stale@example.com")
	ageSessions(t, env, "codes-stale@example.com", time.Hour)
	unverifiedOutage := outage.Register("codes-outage@example.com")
	bearer := func(s *api.AuthResponse) []string { return []string{"Authorization", "Bearer " + s.AccessToken} }

	type request struct {
		env                       *apitest.Env
		method, path, ctype, body string
		headers                   []string
	}
	jsonReq := func(method, path, body string, headers ...string) request {
		return request{env: env, method: method, path: path, ctype: "application/json", body: body, headers: headers}
	}
	cases := []struct {
		code   api.ErrorCode
		status int
		before func()
		req    request
	}{
		{code: api.ErrorCodeValidationError, status: 400, req: jsonReq(http.MethodPost, "/api/register", `{"email":"not an email","password":"x"}`)},
		{code: api.ErrorCodeMalformedJson, status: 400, req: jsonReq(http.MethodPost, "/api/login", `{"email":`)},
		{code: api.ErrorCodeUnsupportedMediaType, status: 415, req: request{env: env, method: http.MethodPost, path: "/api/login", ctype: "text/plain", body: "hello"}},
		{code: api.ErrorCodePayloadTooLarge, status: 413, req: jsonReq(http.MethodPost, "/api/login/code", `{"email":"`+strings.Repeat("a", 5000)+`"}`)},
		{code: api.ErrorCodeInvalidCredentials, status: 401, req: jsonReq(http.MethodPost, "/api/login", `{"email":"codes-user@example.com","password":"wrong"}`)},
		{code: api.ErrorCodeInvalidToken, status: 401, req: jsonReq(http.MethodGet, "/api/me", "", "Authorization", "Bearer nope")},
		{code: api.ErrorCodeUnauthorized, status: 401, req: jsonReq(http.MethodGet, "/api/me", "")},
		{code: api.ErrorCodeForbidden, status: 403, req: jsonReq(http.MethodGet, "/api/admin/settings", "", bearer(user)...)},
		{code: api.ErrorCodeAccountDisabled, status: 403, req: jsonReq(http.MethodPost, "/api/login", `{"email":"codes-disabled@example.com","password":"`+apitest.Password+`"}`)},
		{code: api.ErrorCodeNotFound, status: 404, req: jsonReq(http.MethodGet, "/api/nothing-here", "")},
		{code: api.ErrorCodeMethodNotAllowed, status: 405, req: jsonReq(http.MethodDelete, "/api/login", "")},
		{code: api.ErrorCodeEmailTaken, status: 409, req: jsonReq(http.MethodPost, "/api/register", `{"email":"codes-user@example.com","password":"`+apitest.Password+`"}`)},
		{code: api.ErrorCodeUsernameTaken, status: 409, req: jsonReq(http.MethodPost, "/api/register", `{"email":"codes-new@example.com","password":"`+apitest.Password+`","username":"taken"}`)},
		{code: api.ErrorCodeLastAdmin, status: 409, req: jsonReq(http.MethodPatch, "/api/admin/users/"+admin.User.Id.String(), `{"is_admin":false}`, bearer(admin)...)},
		{code: api.ErrorCodeConflict, status: 409, req: jsonReq(http.MethodPost, "/api/me/verification", "", bearer(verified)...)},
		{code: api.ErrorCodeRateLimited, status: 429, before: func() {
			for range 5 {
				forgot(env, "codes-user@example.com")
			}
		}, req: jsonReq(http.MethodPost, "/api/password/forgot", `{"email":"codes-user@example.com"}`)},
		{code: api.ErrorCodeServiceUnavailable, status: 503, before: func() { proxy.SetDown(true) },
			req: request{env: outage, method: http.MethodGet, path: "/api/me", headers: bearer(unverifiedOutage)}},
		{code: api.ErrorCodeInternalError, status: 500, before: func() {
			// An error no layer expects: the table the code goes to is gone from this test's database.
			if _, err := env.DB.Exec(ctx, "ALTER TABLE login_codes RENAME TO login_codes_gone"); err != nil {
				t.Fatal(err)
			}
		}, req: jsonReq(http.MethodPost, "/api/login/code", `{"email":"codes-user@example.com"}`)},
		{code: api.ErrorCodeEmailNotVerified, status: 403, before: func() {
			r, _ := env.Client.UpdateSettingsWithResponse(ctx, api.SettingsUpdate{RequireVerifiedEmail: ptr(true)}, apitest.Bearer(admin.AccessToken))
			if r.JSON200 == nil {
				t.Fatalf("require_verified_email: %s", r.Body)
			}
		}, req: jsonReq(http.MethodPost, "/api/login", `{"email":"codes-user@example.com","password":"`+apitest.Password+`"}`)},
		{code: api.ErrorCodeInvalidLink, status: 400, req: jsonReq(http.MethodPost, "/api/email/verify", `{"token":"no-such-token"}`)},
		{code: api.ErrorCodeReauthenticationRequired, status: 401, req: jsonReq(http.MethodPut, "/api/me/email", `{"email":"codes-moved@example.com"}`, bearer(stale)...)},
	}
	var covered []api.ErrorCode
	for _, c := range cases {
		if c.before != nil {
			c.before()
		}
		id := "codes-" + string(c.code)
		headers := append([]string{"X-Request-Id", id}, c.req.headers...)
		r := c.req.env.Do(c.req.method, c.req.path, c.req.ctype, strings.NewReader(c.req.body), headers...)
		if r.Status != c.status || r.Error(t).Error != c.code {
			t.Errorf("%s: answered %d %s, want %d", c.code, r.Status, r.Body, c.status)
			continue
		}
		covered = append(covered, c.code)
		answers := logs.answers(id)
		if len(answers) != 1 {
			t.Errorf("%s: logged %d times: %v", c.code, len(answers), answers)
			continue
		}
		want := "INFO"
		if c.status >= 500 {
			want = "ERROR"
		}
		if a := answers[0]; a["code"] != string(c.code) || a["status"] != strconv.Itoa(c.status) || a["level"] != want {
			t.Errorf("%s: logged %v", c.code, a)
		}
	}
	proxy.SetDown(false)
	for _, code := range allErrorCodes(t) {
		if !slices.Contains(covered, code) {
			t.Errorf("no case answers %s", code)
		}
	}
	// The outcomes of authd_logins_total come from the same decision: a disabled account, an unverified
	// one and an outage are counted as such, not as "error".
	metrics := env.Metrics()
	for _, line := range []string{`authd_logins_total{outcome="disabled"} 1`, `authd_logins_total{outcome="unverified"} 1`,
		`authd_logins_total{outcome="error"} 0`} {
		if !strings.Contains(metrics, line) {
			t.Errorf("metrics lack %s", line)
		}
	}
	proxy.SetDown(true)
	outage.JSON(http.MethodPost, "/api/login", `{"email":"codes-outage@example.com","password":"`+apitest.Password+`"}`)
	proxy.SetDown(false)
	if m := outage.Metrics(); !strings.Contains(m, `authd_logins_total{outcome="unavailable"} 1`) || !strings.Contains(m, `authd_logins_total{outcome="error"} 0`) {
		t.Errorf("a login during an outage is not counted as unavailable:\n%s", m)
	}
}

// allErrorCodes is the ErrorCode enum of openapi.yaml.
func allErrorCodes(t *testing.T) []api.ErrorCode {
	t.Helper()
	spec, err := httpapi.LoadSpec()
	if err != nil {
		t.Fatal(err)
	}
	var codes []api.ErrorCode
	for _, v := range spec.Components.Schemas["ErrorCode"].Value.Enum {
		codes = append(codes, api.ErrorCode(v.(string)))
	}
	return codes
}
