package httpapi_test

import (
	"context"
	"net/http"
	"net/netip"
	"strconv"
	"testing"
	"time"

	"github.com/authd/authd/gen/api"
	"github.com/authd/authd/internal/apitest"
)

// withProductionThrottling puts the throttling defaults back and trusts 127.0.0.1 as a proxy, so that a
// test can speak from several client IPs with X-Forwarded-For.
func withProductionThrottling(trustLoopback bool) apitest.Option {
	return func(c *apitest.Config) {
		c.RateLimitPerIP = apitest.DefaultRateLimitPerIP
		c.LoginMaxFailures = 5
		if trustLoopback {
			c.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}
		}
	}
}

func login(env *apitest.Env, email, password, ip string) apitest.Response {
	env.T.Helper()
	headers := []string{}
	if ip != "" {
		headers = []string{"X-Forwarded-For", ip}
	}
	return env.JSON(http.MethodPost, "/api/login", `{"email":"`+email+`","password":"`+password+`"}`, headers...)
}

func retryAfter(t *testing.T, r apitest.Response) int {
	t.Helper()
	s, err := strconv.Atoi(r.Header.Get("Retry-After"))
	if err != nil {
		t.Fatalf("Retry-After %q on %d %s", r.Header.Get("Retry-After"), r.Status, r.Body)
	}
	return s
}

func TestLoginLockoutPerAccountAndIP(t *testing.T) {
	t.Parallel()
	env := apitest.New(t, withProductionThrottling(true))
	env.Register("locked@example.com")
	for _, email := range []string{"locked@example.com", "nobody@example.com"} {
		for i := 1; i <= 5; i++ {
			if r := login(env, email, "wrong password!", "203.0.113.7"); r.Status != http.StatusUnauthorized {
				t.Fatalf("%s failure %d: %d %s, want 401", email, i, r.Status, r.Body)
			}
		}
		// Locked now, even with the right password; unknown emails exactly like known ones.
		r := login(env, email, apitest.Password, "203.0.113.7")
		if r.Status != http.StatusTooManyRequests || r.Error(t).Error != api.ErrorCodeRateLimited {
			t.Fatalf("%s after 5 failures: %d %s, want 429 rate_limited", email, r.Status, r.Body)
		}
		if s := retryAfter(t, r); s < 25 || s > 30 {
			t.Errorf("%s: Retry-After %d, want about 30", email, s)
		}
		// Another IP is not locked out of the account.
		if r := login(env, email, "wrong password!", "198.51.100.9"); r.Status != http.StatusUnauthorized {
			t.Errorf("%s from another IP: %d, want 401", email, r.Status)
		}
	}
	if r := login(env, "locked@example.com", apitest.Password, "198.51.100.9"); r.Status != http.StatusOK {
		t.Errorf("right password from another IP: %d %s", r.Status, r.Body)
	}

	// The delay doubles with each further failure after a lock ends, up to 15 minutes.
	ctx := context.Background()
	expire := func() {
		if _, err := env.DB.Exec(ctx, "UPDATE login_failures SET locked_until = now() - interval '1 second' WHERE ip = '203.0.113.7'"); err != nil {
			t.Fatal(err)
		}
	}
	expire()
	if r := login(env, "locked@example.com", "wrong password!", "203.0.113.7"); r.Status != http.StatusUnauthorized {
		t.Fatalf("first attempt after the lock: %d", r.Status)
	}
	if s := retryAfter(t, login(env, "locked@example.com", apitest.Password, "203.0.113.7")); s < 55 || s > 60 {
		t.Errorf("second lock: Retry-After %d, want about 60", s)
	}
	if _, err := env.DB.Exec(ctx, "UPDATE login_failures SET failures = 40 WHERE ip = '203.0.113.7'"); err != nil {
		t.Fatal(err)
	}
	expire()
	login(env, "locked@example.com", "wrong password!", "203.0.113.7")
	if s := retryAfter(t, login(env, "locked@example.com", apitest.Password, "203.0.113.7")); s < 890 || s > 900 {
		t.Errorf("capped lock: Retry-After %d, want 900", s)
	}
}

func TestLoginSuccessResetsFailures(t *testing.T) {
	t.Parallel()
	env := apitest.New(t, withProductionThrottling(false))
	env.Register("reset@example.com")
	for range 4 {
		login(env, "reset@example.com", "wrong password!", "")
	}
	if r := login(env, "reset@example.com", apitest.Password, ""); r.Status != http.StatusOK {
		t.Fatalf("success: %d", r.Status)
	}
	for i := range 4 {
		if r := login(env, "reset@example.com", "wrong password!", ""); r.Status != http.StatusUnauthorized {
			t.Fatalf("failure %d after the reset: %d, want 401", i+1, r.Status)
		}
	}
	if r := login(env, "reset@example.com", apitest.Password, ""); r.Status != http.StatusOK {
		t.Errorf("4 failures after a success locked the account: %d", r.Status)
	}
}

// Without trusted proxies, X-Forwarded-For is ignored: spoofing it does not escape a lock.
func TestSpoofedForwardedForChangesNothing(t *testing.T) {
	t.Parallel()
	env := apitest.New(t, withProductionThrottling(false))
	env.Register("spoof@example.com")
	for i := range 5 {
		login(env, "spoof@example.com", "wrong password!", "10.0.0."+strconv.Itoa(i))
	}
	if r := login(env, "spoof@example.com", apitest.Password, "10.9.9.9"); r.Status != http.StatusTooManyRequests {
		t.Errorf("spoofed X-Forwarded-For escaped the lock: %d", r.Status)
	}
}

// The hourly cap is the account's, across methods: 100 failures of any mix of methods (here half of them
// emailed codes) stop a password login from a new client too.
func TestHourlyAccountCap(t *testing.T) {
	t.Parallel()
	env := apitest.New(t, withProductionThrottling(true))
	env.Register("popular@example.com")
	if _, err := env.DB.Exec(context.Background(),
		`INSERT INTO login_failure_events (method, email, failed_at)
		 SELECT CASE WHEN g % 2 = 0 THEN 'email_code' ELSE 'password' END, 'popular@example.com', now() - interval '59 minutes' + g * interval '1 second'
		 FROM generate_series(1, 100) g`); err != nil {
		t.Fatal(err)
	}
	r := login(env, "popular@example.com", apitest.Password, "192.0.2.200")
	if r.Status != http.StatusTooManyRequests {
		t.Fatalf("101st attempt in the hour from a new IP: %d %s, want 429", r.Status, r.Body)
	}
	if s := retryAfter(t, r); s < 1 || s > 120 {
		t.Errorf("Retry-After %d, want until the oldest counted failure is an hour old (about 61 s)", s)
	}
}

func TestPerIPRateLimit(t *testing.T) {
	t.Parallel()
	env := apitest.New(t, withProductionThrottling(true))
	// A window boundary in the middle would reset the count; start early in a minute.
	var secondInMinute float64
	if err := env.DB.QueryRow(context.Background(), "SELECT extract(second FROM now())").Scan(&secondInMinute); err != nil {
		t.Fatal(err)
	}
	if secondInMinute > 45 {
		time.Sleep(time.Duration(61-secondInMinute) * time.Second)
	}
	ip := "192.0.2.50"
	limited := []struct{ method, path string }{{http.MethodPost, "/api/login"}, {http.MethodPost, "/api/register"},
		{http.MethodPost, "/api/refresh"}, {http.MethodPost, "/api/me/password"}, {http.MethodPut, "/api/me/email"},
		{http.MethodDelete, "/api/me"}}
	for i := range apitest.DefaultRateLimitPerIP {
		op := limited[i%len(limited)]
		if r := env.JSON(op.method, op.path, `{}`, "X-Forwarded-For", ip); r.Status == http.StatusTooManyRequests {
			t.Fatalf("request %d limited early", i+1)
		}
	}
	for _, op := range limited {
		if r := env.JSON(op.method, op.path, `{}`, "X-Forwarded-For", ip); r.Status != http.StatusTooManyRequests {
			t.Errorf("%s %s over the limit: %d, want 429", op.method, op.path, r.Status)
		}
	}
	r := env.JSON(http.MethodPost, "/api/login", `{"email":"a@example.com","password":"x"}`, "X-Forwarded-For", ip)
	if r.Status != http.StatusTooManyRequests || r.Error(t).Error != api.ErrorCodeRateLimited {
		t.Fatalf("request 61: %d %s, want 429", r.Status, r.Body)
	}
	if s := retryAfter(t, r); s < 1 || s > 60 {
		t.Errorf("Retry-After %d", s)
	}
	if r := env.JSON(http.MethodPost, "/api/login", `{}`, "X-Forwarded-For", "192.0.2.51"); r.Status == http.StatusTooManyRequests {
		t.Error("another IP was limited")
	}
	if r := env.Do(http.MethodGet, "/healthz", "", nil, "X-Forwarded-For", ip); r.Status != http.StatusOK {
		t.Errorf("healthz is limited: %d", r.Status)
	}
}

// An IPv6 client is its /64: taking a new address from it for every request does not escape the limit.
func TestPerIPRateLimitCountsIPv6By64(t *testing.T) {
	t.Parallel()
	env := apitest.New(t, withProductionThrottling(true))
	var secondInMinute float64
	if err := env.DB.QueryRow(context.Background(), "SELECT extract(second FROM now())").Scan(&secondInMinute); err != nil {
		t.Fatal(err)
	}
	if secondInMinute > 50 {
		time.Sleep(time.Duration(61-secondInMinute) * time.Second)
	}
	for i := range apitest.DefaultRateLimitPerIP {
		ip := "2001:db8:77:1:" + strconv.FormatInt(int64(i+1), 16) + "::1"
		if r := env.JSON(http.MethodPost, "/api/login", `{}`, "X-Forwarded-For", ip); r.Status == http.StatusTooManyRequests {
			t.Fatalf("request %d limited early", i+1)
		}
	}
	if r := env.JSON(http.MethodPost, "/api/login", `{}`, "X-Forwarded-For", "2001:db8:77:1:ffff:ffff:ffff:ffff"); r.Status != http.StatusTooManyRequests {
		t.Fatalf("a new address in the same /64: %d, want 429", r.Status)
	}
	if r := env.JSON(http.MethodPost, "/api/login", `{}`, "X-Forwarded-For", "2001:db8:77:2::1"); r.Status == http.StatusTooManyRequests {
		t.Error("the next /64 was limited")
	}
}

// Every operation that verifies a password shares the login throttle: a wrong password there counts as a
// failed login of the account from that client, and after login_max_failures the operation and login are
// both 429, even with the right password.
func TestEveryPasswordCheckSharesTheLoginThrottle(t *testing.T) {
	t.Parallel()
	checks := []struct {
		name, method, path, wrong, right string
	}{
		{"password change", http.MethodPost, "/api/me/password",
			`{"current_password":"wrong password!","new_password":"a fresh passphrase"}`,
			`{"current_password":"` + apitest.Password + `","new_password":"a fresh passphrase"}`},
		{"email change", http.MethodPut, "/api/me/email",
			`{"email":"elsewhere@example.com","password":"wrong password!"}`,
			`{"email":"elsewhere@example.com","password":"` + apitest.Password + `"}`},
		{"account deletion", http.MethodDelete, "/api/me",
			`{"password":"wrong password!"}`,
			`{"password":"` + apitest.Password + `"}`},
	}
	for _, c := range checks {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			env := apitest.New(t, withProductionThrottling(true))
			email := apitest.UniqueEmail("oracle")
			session := env.Register(email)
			headers := []string{"Authorization", "Bearer " + session.AccessToken, "X-Forwarded-For", "203.0.113.77"}
			for i := range 5 {
				if r := env.JSON(c.method, c.path, c.wrong, headers...); r.Status != http.StatusForbidden ||
					r.Error(t).Error != api.ErrorCodeInvalidCredentials {
					t.Fatalf("wrong password %d: %d %s, want 403 invalid_credentials", i+1, r.Status, r.Body)
				}
			}
			r := env.JSON(c.method, c.path, c.right, headers...)
			if r.Status != http.StatusTooManyRequests || r.Error(t).Error != api.ErrorCodeRateLimited {
				t.Fatalf("right password after 5 wrong ones: %d %s, want 429", r.Status, r.Body)
			}
			if s := retryAfter(t, r); s < 25 || s > 30 {
				t.Errorf("Retry-After %d, want about 30", s)
			}
			if r := login(env, email, apitest.Password, "203.0.113.77"); r.Status != http.StatusTooManyRequests {
				t.Errorf("login from the same client: %d, want 429", r.Status)
			}
			// The lock is the pair's: from another client the account works.
			if r := login(env, email, apitest.Password, "198.51.100.77"); r.Status != http.StatusOK {
				t.Errorf("login from another client: %d %s", r.Status, r.Body)
			}
		})
	}
}

// The threshold is a runtime setting: an admin lowers it and it applies at once.
func TestLoginMaxFailuresIsARuntimeSetting(t *testing.T) {
	t.Parallel()
	env := apitest.New(t, withProductionThrottling(false))
	admin := env.NewAdmin("root@example.com")
	resp, _ := env.Client.UpdateSettingsWithResponse(context.Background(), api.SettingsUpdate{LoginMaxFailures: ptr[int64](2)}, apitest.Bearer(admin.AccessToken))
	if resp.JSON200 == nil || resp.JSON200.LoginMaxFailures != 2 || resp.JSON200.RateLimitPerIp != 60 {
		t.Fatalf("PATCH: %s", resp.Body)
	}
	env.Register("two@example.com")
	login(env, "two@example.com", "wrong password!", "")
	login(env, "two@example.com", "wrong password!", "")
	if r := login(env, "two@example.com", apitest.Password, ""); r.Status != http.StatusTooManyRequests {
		t.Errorf("after 2 failures with the threshold at 2: %d, want 429", r.Status)
	}
}

// Throttling is per method: wrong codes lock the email_code method of (account, client), and the same
// client's password login of that account still works; the failures count towards the account's hourly
// cap all the same.
func TestThrottleIsPerMethod(t *testing.T) {
	t.Parallel()
	env := apitest.New(t, withProductionThrottling(true))
	const email = "methods@example.com"
	env.Register(email)
	codeFrom := func(code, ip string) apitest.Response {
		return env.JSON(http.MethodPost, "/api/login/code/verify", `{"email":"`+email+`","code":"`+code+`"}`, "X-Forwarded-For", ip)
	}
	for i := range 5 {
		if r := codeFrom("000000", "192.0.2.77"); r.Status != http.StatusUnauthorized {
			t.Fatalf("wrong code %d: %d %s", i+1, r.Status, r.Body)
		}
	}
	if r := codeFrom("000000", "192.0.2.77"); r.Status != http.StatusTooManyRequests {
		t.Fatalf("sixth code from the locked client: %d, want 429", r.Status)
	}
	if r := login(env, email, apitest.Password, "192.0.2.77"); r.Status != http.StatusOK {
		t.Fatalf("password login from the client whose codes are locked: %d %s", r.Status, r.Body)
	}
	var counted int
	if err := env.DB.QueryRow(context.Background(), "SELECT count(*) FROM login_failure_events WHERE email = $1 AND method = 'email_code'", email).Scan(&counted); err != nil || counted != 5 {
		t.Fatalf("code failures towards the hourly cap: %d %v", counted, err)
	}
}
