package httpapi_test

import (
	"context"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/authd/authd/internal/apitest"
)

// The metrics count requests by operation and status class, logins and refreshes by outcome, and show
// the hashing slots and the pool; promtool accepts them.
func TestMetrics(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	email := apitest.UniqueEmail("metrics")
	first := env.Register(email)
	env.Login(email, apitest.Password)
	login(env, email, "wrong password!", "")
	refresh(t, env, first.RefreshToken)
	env.Do(http.MethodGet, "/api/me", "", nil)

	body := env.Metrics()
	for _, want := range []string{
		`authd_http_requests_total{operation="register",status_class="2xx"} 1`,
		`authd_http_requests_total{operation="login",status_class="4xx"} 1`,
		`authd_http_requests_total{operation="getMe",status_class="4xx"} 1`,
		`authd_http_request_duration_seconds_count{operation="login"} 2`,
		`authd_logins_total{outcome="success"} 1`,
		`authd_logins_total{outcome="invalid_credentials"} 1`,
		`authd_refreshes_total{outcome="rotated"} 1`,
		`authd_password_hashing_slots_in_use 0`,
		"authd_password_hashing_waiters 0",
		"authd_db_pool_max_connections",
		"authd_build_info{",
		"authd_settings_reloads_total",
		"authd_janitor_rows_removed_total",
	} {
		if !strings.Contains(body, want) && !strings.Contains(body, strings.Replace(want, `"getMe"`, `"GetMe"`, 1)) {
			t.Errorf("metrics lack %s", want)
		}
	}
	if strings.Contains(body, apitest.Password) || strings.Contains(body, email) {
		t.Error("metrics hold personal data")
	}

	promtool, err := exec.LookPath("promtool")
	if err != nil {
		if os.Getenv("AUTHD_REQUIRE_PROMTOOL") != "" {
			t.Fatal("promtool is required (AUTHD_REQUIRE_PROMTOOL is set) but not installed")
		}
		t.Skip("promtool is not installed (Debian package prometheus)")
	}
	cmd := exec.CommandContext(context.Background(), promtool, "check", "metrics")
	cmd.Stdin = strings.NewReader(body)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Errorf("promtool check metrics: %v\n%s", err, out)
	}
}
