package httpapi_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/authd/authd/gen/api"
	"github.com/authd/authd/internal/apitest"
)

func TestEveryLayerAnswersWithTheErrorBody(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	huge := `{"email":"a@example.com","password":"` + strings.Repeat("x", 2<<20) + `"}`
	tests := []struct {
		name        string
		method      string
		path        string
		contentType string
		body        string
		status      int
		code        api.ErrorCode
	}{
		{"unknown route", http.MethodGet, "/api/nope", "", "", http.StatusNotFound, api.ErrorCodeNotFound},
		{"unknown top-level route", http.MethodGet, "/wp-admin.php", "", "", http.StatusNotFound, api.ErrorCodeNotFound},
		{"wrong method", http.MethodDelete, "/api/login", "", "", http.StatusMethodNotAllowed, api.ErrorCodeMethodNotAllowed},
		{"GET on register", http.MethodGet, "/api/register", "", "", http.StatusMethodNotAllowed, api.ErrorCodeMethodNotAllowed},
		{"body over 1 MiB", http.MethodPost, "/api/register", "application/json", huge, http.StatusRequestEntityTooLarge, api.ErrorCodePayloadTooLarge},
		{"form body", http.MethodPost, "/api/login", "application/x-www-form-urlencoded", "email=a&password=b", http.StatusUnsupportedMediaType, api.ErrorCodeUnsupportedMediaType},
		{"text body", http.MethodPost, "/api/login", "text/plain", `{"email":"a@example.com","password":"x"}`, http.StatusUnsupportedMediaType, api.ErrorCodeUnsupportedMediaType},
		{"malformed JSON", http.MethodPost, "/api/login", "application/json", `{"email": "a@example.com",`, http.StatusBadRequest, api.ErrorCodeMalformedJson},
		{"JSON array", http.MethodPost, "/api/login", "application/json", `[1,2]`, http.StatusBadRequest, api.ErrorCodeValidationError},
		{"empty body", http.MethodPost, "/api/login", "application/json", ``, http.StatusBadRequest, api.ErrorCodeValidationError},
		{"invalid UTF-8", http.MethodPost, "/api/register", "application/json", "{\"email\":\"a@example.com\",\"password\":\"correct horse\xff\xfe battery\"}", http.StatusBadRequest, api.ErrorCodeMalformedJson},
		{"duplicate key", http.MethodPost, "/api/login", "application/json", `{"email":"a@example.com","email":"b@example.com","password":"x"}`, http.StatusBadRequest, api.ErrorCodeMalformedJson},
		{"trailing data", http.MethodPost, "/api/login", "application/json", `{"email":"a@example.com","password":"x"} {}`, http.StatusBadRequest, api.ErrorCodeMalformedJson},
		{"deep nesting", http.MethodPost, "/api/login", "application/json", strings.Repeat("[", 100) + strings.Repeat("]", 100), http.StatusBadRequest, api.ErrorCodeMalformedJson},
		{"NUL byte raw", http.MethodPost, "/api/login", "application/json", "{\"email\":\"a\x00@example.com\",\"password\":\"x\"}", http.StatusBadRequest, api.ErrorCodeMalformedJson},
		{"charset parameter is fine", http.MethodPost, "/api/login", "application/json; charset=utf-8", `{"email":"a@example.com"}`, http.StatusBadRequest, api.ErrorCodeValidationError},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var body *bytes.Reader
			if tc.body != "" {
				body = bytes.NewReader([]byte(tc.body))
			} else {
				body = bytes.NewReader(nil)
			}
			resp := env.Do(tc.method, tc.path, tc.contentType, body)
			if resp.Status != tc.status {
				t.Fatalf("status %d, want %d: %s", resp.Status, tc.status, resp.Body)
			}
			e := resp.Error(t)
			if tc.code != "" && e.Error != tc.code {
				t.Errorf("code %s, want %s", e.Error, tc.code)
			}
			if bool(e.Success) || e.Message == "" || e.Timestamp.IsZero() {
				t.Errorf("incomplete error body: %s", resp.Body)
			}
			if resp.Header.Get("Content-Type") != "application/json" {
				t.Errorf("Content-Type = %q", resp.Header.Get("Content-Type"))
			}
		})
	}
}

func TestCommonHeaders(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	for _, path := range []string{"/api/me", "/healthz", "/api/nope", "/docs/"} {
		resp := env.Do(http.MethodGet, path, "", nil)
		if resp.Header.Get("X-Content-Type-Options") != "nosniff" || resp.Header.Get("X-Request-Id") == "" ||
			resp.Header.Get("X-Frame-Options") != "DENY" {
			t.Errorf("%s: headers %v", path, resp.Header)
		}
		if strings.HasPrefix(path, "/api/") && resp.Header.Get("Cache-Control") != "no-store" {
			t.Errorf("%s: Cache-Control = %q", path, resp.Header.Get("Cache-Control"))
		}
	}
	given := env.Do(http.MethodGet, "/healthz", "", nil, "X-Request-Id", "trace-123")
	if given.Header.Get("X-Request-Id") != "trace-123" {
		t.Errorf("client request id not kept: %q", given.Header.Get("X-Request-Id"))
	}
	hostile := env.Do(http.MethodGet, "/healthz", "", nil, "X-Request-Id", "bad id\twith spaces")
	if hostile.Header.Get("X-Request-Id") == "bad id\twith spaces" {
		t.Error("unsafe request id echoed")
	}
}

func TestHealthAndDocs(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	ctx := context.Background()
	if h, _ := env.Client.HealthzWithResponse(ctx); h.JSON200 == nil {
		t.Errorf("healthz: %d", h.StatusCode())
	}
	if r, _ := env.Client.ReadyzWithResponse(ctx); r.JSON200 == nil {
		t.Errorf("readyz: %d", r.StatusCode())
	}
	for path, want := range map[string]string{
		"/openapi.json": `"openapi"`,
		"/openapi.yaml": "openapi: 3.0.3",
		"/docs/":        "swagger",
	} {
		resp := env.Do(http.MethodGet, path, "", nil)
		if resp.Status != http.StatusOK || !strings.Contains(strings.ToLower(string(resp.Body)), strings.ToLower(want)) {
			t.Errorf("%s: %d, body lacks %q", path, resp.Status, want)
		}
	}
	for _, path := range []string{"/docs", "/api-doc/", "/api-doc"} {
		resp := env.Do(http.MethodGet, path, "", nil)
		if resp.Status != http.StatusMovedPermanently || resp.Header.Get("Location") != "/docs/" {
			t.Errorf("%s: %d -> %q, want a redirect to /docs/", path, resp.Status, resp.Header.Get("Location"))
		}
	}
}

// When PostgreSQL goes away, requests that need it get a quick 503 with Retry-After, nothing half-done is
// left, and the server recovers by itself when the database returns.
func TestDatabaseOutageAnswers503AndRecovers(t *testing.T) {
	t.Parallel()
	env, proxy := apitest.NewBehindProxy(t)
	session := env.Register(apitest.UniqueEmail("outage"))

	proxy.SetDown(true)
	auth := []string{"Authorization", "Bearer " + session.AccessToken}
	requests := []struct{ method, path, body string }{
		{http.MethodPost, "/api/register", `{"email":"during@example.com","password":"` + apitest.Password + `"}`},
		{http.MethodPost, "/api/login", `{"email":"` + session.User.Email + `","password":"` + apitest.Password + `"}`},
		{http.MethodPost, "/api/refresh", `{"refresh_token":"` + session.RefreshToken.String() + `"}`},
		{http.MethodPost, "/api/logout", `{"refresh_token":"` + session.RefreshToken.String() + `"}`},
		{http.MethodGet, "/api/me", ""},
		{http.MethodPatch, "/api/me", `{"first_name":"Changed"}`},
		{http.MethodGet, "/readyz", ""},
	}
	for _, r := range requests {
		start := time.Now()
		resp := env.JSON(r.method, r.path, r.body, auth...)
		if resp.Status != http.StatusServiceUnavailable || resp.Error(t).Error != api.ErrorCodeServiceUnavailable {
			t.Errorf("%s %s during outage: %d %s, want 503", r.method, r.path, resp.Status, resp.Body)
		}
		if s, err := strconv.Atoi(resp.Header.Get("Retry-After")); err != nil || s < 1 {
			t.Errorf("%s %s: Retry-After = %q", r.method, r.path, resp.Header.Get("Retry-After"))
		}
		if took := time.Since(start); took > 5*time.Second {
			t.Errorf("%s %s took %s during the outage", r.method, r.path, took)
		}
	}
	if h, _ := env.Client.HealthzWithResponse(context.Background()); h.JSON200 == nil {
		t.Errorf("healthz during outage: %d, want 200", h.StatusCode())
	}

	proxy.SetDown(false)
	deadline := time.Now().Add(10 * time.Second)
	for {
		r, _ := env.Client.ReadyzWithResponse(context.Background())
		if r.JSON200 != nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("not ready 10s after the database came back")
		}
		time.Sleep(100 * time.Millisecond)
	}
	// The refresh that got 503 rotated nothing; the logout revoked nothing; the register created nothing.
	if r := refresh(t, env, session.RefreshToken); r.JSON200 == nil {
		t.Errorf("refresh after recovery: %d %s", r.StatusCode(), r.Body)
	}
	var users int
	if err := env.DB.QueryRow(context.Background(), "SELECT count(*) FROM users WHERE email = 'during@example.com'").Scan(&users); err != nil || users != 0 {
		t.Errorf("user registered during the outage exists: %d %v", users, err)
	}
	env.Register("after@example.com")
}

// A database that accepts connections and answers nothing (a hung server, a black-holing network) gives
// 503 with Retry-After within the operation timeout, not a hang; /healthz keeps answering and /readyz says
// 503; when the database answers again, requests succeed again without a restart.
func TestStalledDatabaseAnswers503AndRecovers(t *testing.T) {
	t.Parallel()
	env, proxy := apitest.NewBehindProxy(t)
	session := env.Register(apitest.UniqueEmail("stalled"))

	proxy.SetStalled(true)
	auth := []string{"Authorization", "Bearer " + session.AccessToken}
	var slowest time.Duration
	for _, r := range []struct{ method, path, body string }{
		{http.MethodGet, "/api/me", ""},
		{http.MethodPost, "/api/refresh", `{"refresh_token":"` + session.RefreshToken.String() + `"}`},
		{http.MethodPost, "/api/login", `{"email":"` + session.User.Email + `","password":"` + apitest.Password + `"}`},
		{http.MethodGet, "/readyz", ""},
	} {
		start := time.Now()
		resp := env.JSON(r.method, r.path, r.body, auth...)
		took := time.Since(start)
		slowest = max(slowest, took)
		if resp.Status != http.StatusServiceUnavailable || resp.Error(t).Error != api.ErrorCodeServiceUnavailable || resp.Header.Get("Retry-After") == "" {
			t.Errorf("%s %s with a stalled database: %d %s, want 503 with Retry-After", r.method, r.path, resp.Status, resp.Body)
		}
		if took >= 5*time.Second {
			t.Errorf("%s %s took %s with a stalled database, want under 5 s", r.method, r.path, took)
		}
	}
	t.Logf("slowest answer with a stalled database: %s", slowest)
	start := time.Now()
	if h, _ := env.Client.HealthzWithResponse(context.Background()); h.JSON200 == nil || time.Since(start) > time.Second {
		t.Errorf("healthz with a stalled database: %d after %s", h.StatusCode(), time.Since(start))
	}

	proxy.SetStalled(false)
	deadline := time.Now().Add(15 * time.Second)
	for {
		if me, _ := env.Client.GetMeWithResponse(context.Background(), apitest.Bearer(session.AccessToken)); me.JSON200 != nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("requests still fail 15 s after the database answers again")
		}
		time.Sleep(100 * time.Millisecond)
	}
	if r, _ := env.Client.ReadyzWithResponse(context.Background()); r.JSON200 == nil {
		t.Errorf("readyz after recovery: %d", r.StatusCode())
	}
}

// A database that answers but cannot take writes (a standby, default_transaction_read_only) gives 503
// with Retry-After on every operation that writes, and /readyz says 503, never a 500; when it takes
// writes again, so does authd, without a restart.
func TestReadOnlyDatabaseAnswers503(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	ctx := context.Background()
	email := apitest.UniqueEmail("readonly")
	session := env.Register(email)
	setReadOnly := func(on bool) {
		t.Helper()
		value := "off"
		if on {
			value = "on"
		}
		var name string
		if err := env.DB.QueryRow(ctx, "SELECT current_database()").Scan(&name); err != nil {
			t.Fatal(err)
		}
		conn, err := env.DB.Acquire(ctx)
		if err != nil {
			t.Fatal(err)
		}
		// This session may itself have started read-only.
		_, err = conn.Exec(ctx, "SET default_transaction_read_only = off")
		if err == nil {
			_, err = conn.Exec(ctx, fmt.Sprintf("ALTER DATABASE %q SET default_transaction_read_only = %s", name, value))
		}
		conn.Release()
		if err != nil {
			t.Fatal(err)
		}
		// Sessions take the setting when they start: end the server's.
		if _, err := env.DB.Exec(ctx, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"); err != nil {
			t.Fatal(err)
		}
		env.DB.Reset()
	}
	setReadOnly(true)
	for _, r := range []struct{ method, path, body string }{
		{http.MethodPost, "/api/register", `{"email":"` + apitest.UniqueEmail("blocked") + `","password":"` + apitest.Password + `"}`},
		{http.MethodPost, "/api/login", `{"email":"` + email + `","password":"` + apitest.Password + `"}`},
		{http.MethodPost, "/api/refresh", `{"refresh_token":"` + session.RefreshToken.String() + `"}`},
		{http.MethodGet, "/readyz", ""},
	} {
		var resp apitest.Response
		for range 3 { // the first statement on a terminated connection may meet the termination itself
			if resp = env.JSON(r.method, r.path, r.body); resp.Status == http.StatusServiceUnavailable {
				break
			}
		}
		if resp.Status != http.StatusServiceUnavailable || resp.Error(t).Error != api.ErrorCodeServiceUnavailable || resp.Header.Get("Retry-After") == "" {
			t.Errorf("%s %s on a read-only database: %d %s", r.method, r.path, resp.Status, resp.Body)
		}
	}
	setReadOnly(false)
	deadline := time.Now().Add(10 * time.Second)
	for {
		if r := env.JSON(http.MethodPost, "/api/login", `{"email":"`+email+`","password":"`+apitest.Password+`"}`); r.Status == http.StatusOK {
			break
		} else if time.Now().After(deadline) {
			t.Fatalf("login once the database takes writes again: %d %s", r.Status, r.Body)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// A statement cut by statement_timeout (a login held behind a lock on the account's row) is 503 with
// Retry-After, not 500.
func TestStatementTimeoutAnswers503(t *testing.T) {
	t.Parallel()
	env := apitest.New(t, func(c *apitest.Config) { c.DBStatementTimeout = 300 * time.Millisecond })
	ctx := context.Background()
	email := apitest.UniqueEmail("locked")
	session := env.Register(email)
	tx, err := env.DB.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx) //nolint:errcheck
	if _, err := tx.Exec(ctx, "SELECT 1 FROM users WHERE email = $1 FOR UPDATE", email); err != nil {
		t.Fatal(err)
	}
	r := env.JSON(http.MethodPatch, "/api/me", `{"first_name":"Held"}`, "Authorization", "Bearer "+session.AccessToken)
	if r.Status != http.StatusServiceUnavailable || r.Error(t).Error != api.ErrorCodeServiceUnavailable || r.Header.Get("Retry-After") == "" {
		t.Fatalf("an update held behind a lock past statement_timeout: %d %s", r.Status, r.Body)
	}
}

// Answers say what to do: a refused token says why (details.reason and the challenge's
// error_description), a 415 names the media type to send, a 405 lists the allowed methods.
func TestAnswersSayWhatToDo(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	session := env.Register(apitest.UniqueEmail("why"))
	if r := env.JSON(http.MethodPost, "/api/logout", `{"refresh_token":"`+session.RefreshToken.String()+`"}`); r.Status != http.StatusOK {
		t.Fatal(r.Status)
	}
	for _, c := range []struct {
		name, authorization, reason string
	}{
		{"malformed header", "Token abc", "malformed Authorization header: send \"Bearer <token>\""},
		{"garbage", "Bearer abc.def.ghi", "the token is malformed"},
		{"ended session", "Bearer " + session.AccessToken, "the token's session has ended or its account is disabled"},
	} {
		r := env.JSON(http.MethodGet, "/api/me", "", "Authorization", c.authorization)
		e := r.Error(t)
		if r.Status != http.StatusUnauthorized || e.Error != api.ErrorCodeInvalidToken || e.Details.Reason == nil || *e.Details.Reason != c.reason {
			t.Errorf("%s: %d %s", c.name, r.Status, r.Body)
		}
		if challenge := r.Header.Get("WWW-Authenticate"); !strings.Contains(challenge, `error="invalid_token"`) ||
			!strings.Contains(challenge, fmt.Sprintf("error_description=%q", c.reason)) {
			t.Errorf("%s: challenge %q", c.name, challenge)
		}
	}
	if r := env.JSON(http.MethodPost, "/api/refresh", `{"refresh_token":"`+session.RefreshToken.String()+`"}`); r.Error(t).Details.Reason == nil {
		t.Errorf("refresh of a revoked session says nothing: %s", r.Body)
	}

	form := env.Do(http.MethodPost, "/api/login", "application/x-www-form-urlencoded", strings.NewReader("email=a&password=b"))
	if e := form.Error(t); form.Status != http.StatusUnsupportedMediaType ||
		e.Message != "Send Content-Type: application/json (got application/x-www-form-urlencoded)." {
		t.Errorf("415: %d %s", form.Status, form.Body)
	}
	wrong := env.Do(http.MethodDelete, "/api/me/sessions/"+session.User.Id.String(), "", nil)
	if wrong.Status == http.StatusMethodNotAllowed {
		t.Errorf("DELETE is a method of that path: %d", wrong.Status)
	}
	if r := env.Do(http.MethodPut, "/api/login", "", nil); r.Status != http.StatusMethodNotAllowed || r.Header.Get("Allow") != "POST" {
		t.Errorf("405 on /api/login: %d Allow %q", r.Status, r.Header.Get("Allow"))
	}
	if r := env.Do(http.MethodPost, "/api/me", "", nil); r.Status != http.StatusMethodNotAllowed || r.Header.Get("Allow") != "GET, PUT, PATCH, DELETE" {
		t.Errorf("405 on /api/me: %d Allow %q", r.Status, r.Header.Get("Allow"))
	}
}
