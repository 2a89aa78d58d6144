package httpapi_test

import (
	"context"
	"net/http"
	"net/netip"
	"testing"

	"github.com/authd/authd/internal/apitest"
)

func TestCORS(t *testing.T) {
	t.Parallel()
	env := apitest.New(t, func(c *apitest.Config) { c.CORSOrigins = []string{"https://app.example.com"} })
	preflight := func(origin string) apitest.Response {
		return env.Do(http.MethodOptions, "/api/login", "", nil, "Origin", origin,
			"Access-Control-Request-Method", "POST", "Access-Control-Request-Headers", "authorization,content-type") // as browsers send it (Fetch standard)
	}
	ok := preflight("https://app.example.com")
	if ok.Status != http.StatusNoContent || ok.Header.Get("Access-Control-Allow-Origin") != "https://app.example.com" ||
		ok.Header.Get("Access-Control-Allow-Methods") == "" || ok.Header.Get("Access-Control-Allow-Credentials") != "" {
		t.Errorf("allowed preflight: %d %v", ok.Status, ok.Header)
	}
	for _, origin := range []string{"https://evil.example", "https://app.example.com.evil.example", "null"} {
		r := preflight(origin)
		if r.Status == http.StatusNoContent || r.Header.Get("Access-Control-Allow-Origin") != "" {
			t.Errorf("preflight from %s: %d %v", origin, r.Status, r.Header)
		}
		get := env.Do(http.MethodGet, "/healthz", "", nil, "Origin", origin)
		if acao := get.Header.Get("Access-Control-Allow-Origin"); acao != "" {
			t.Errorf("origin %s echoed as %q", origin, acao)
		}
	}
	get := env.Do(http.MethodGet, "/healthz", "", nil, "Origin", "https://app.example.com")
	if get.Header.Get("Access-Control-Allow-Origin") != "https://app.example.com" || get.Header.Get("Vary") == "" {
		t.Errorf("allowed simple request: %v", get.Header)
	}

	none := apitest.New(t)
	if r := none.Do(http.MethodGet, "/healthz", "", nil, "Origin", "https://app.example.com"); r.Header.Get("Access-Control-Allow-Origin") != "" {
		t.Error("CORS allowed with no origins configured")
	}
}

// Behind a trusted proxy, the client's address comes from X-Forwarded-For and is what sessions record.
func TestTrustedProxyClientAddress(t *testing.T) {
	t.Parallel()
	env := apitest.New(t, func(c *apitest.Config) { c.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")} })
	env.Register("proxied@example.com")
	r := env.JSON(http.MethodPost, "/api/login", `{"email":"proxied@example.com","password":"`+apitest.Password+`"}`,
		"X-Forwarded-For", "198.51.100.23, 127.0.0.2")
	if r.Status != http.StatusOK {
		t.Fatalf("login: %d %s", r.Status, r.Body)
	}
	var body struct {
		AccessToken string `json:"access_token"`
	}
	if err := jsonUnmarshal(r.Body, &body); err != nil {
		t.Fatal(err)
	}
	list, _ := env.Client.ListMySessionsWithResponse(context.Background(), apitest.Bearer(body.AccessToken))
	if list.JSON200 == nil {
		t.Fatal(list.StatusCode())
	}
	for _, s := range list.JSON200.Sessions {
		if s.Current && s.IpAddress != "198.51.100.23" {
			t.Errorf("session address %q, want the client's 198.51.100.23", s.IpAddress)
		}
	}
}
