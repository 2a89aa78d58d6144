package apitest

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/authd/authd/gen/api"
	"github.com/authd/authd/internal/app"
	"github.com/authd/authd/internal/config"
	"github.com/authd/authd/internal/httpapi"
	"github.com/authd/authd/internal/store"
	"github.com/authd/authd/internal/testdb"
)

// Secret is the HS256 secret of test servers that sign with it (WithHS256).
const Secret = "test-secret-test-secret-test-secret!"

// SecretKey seals the signing keys of test servers.
const SecretKey = "test-sealing-key-test-sealing-key-test!"

// WithHS256 makes a test server sign with the shared secret Secret instead of published keys.
func WithHS256(c *Config) { c.JWTAlg = "HS256" }

// Env is one authd server on its own database.
type Env struct {
	T      testing.TB
	Config config.Config
	Store  *store.Store
	// DB is a pool of its own on the server's database, for tests that look at or arrange rows directly.
	DB     *pgxpool.Pool
	App    *app.App
	Server *httptest.Server
	// Client is the generated client; every response it receives is checked against the spec.
	Client *api.ClientWithResponses
	// HTTP sends raw requests, with the same response checks, for what the generated client cannot send.
	HTTP *http.Client
	// Mail is the SMTP server the test server sends its mail to.
	Mail *Mailbox
}

// Option adjusts the configuration of a test server.
type Option func(*Config)

// Config is the server configuration tests adjust.
type Config = config.Config

// New starts a server on a fresh database.
func New(t testing.TB, opts ...Option) *Env {
	t.Helper()
	cfg := DefaultConfig()
	cfg.DatabaseURL = testdb.URL(t)
	cfg.MediaDir = t.TempDir()
	cfg.MailDir = t.TempDir()
	mailbox := NewMailbox(t)
	cfg.SMTPURL = mailbox.URL()
	for _, o := range opts {
		o(&cfg)
	}
	st, err := store.Open(context.Background(), cfg.DatabaseURL, cfg.DBOptions())
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(st.Close)
	env := NewOnStore(t, cfg, st)
	env.Mail = mailbox
	return env
}

// NewBehindProxy starts a server whose database connections go through a Proxy the test can cut or stall.
func NewBehindProxy(t testing.TB) (*Env, *Proxy) {
	t.Helper()
	proxy, viaProxy := NewProxy(t, testdb.URL(t))
	cfg := DefaultConfig()
	cfg.DatabaseURL = viaProxy
	cfg.MediaDir = t.TempDir()
	st, err := store.Open(context.Background(), viaProxy, cfg.DBOptions())
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(st.Close)
	return NewOnStore(t, cfg, st), proxy
}

// SecondInstance starts another server on the same database and configuration, as a second authd
// instance of one deployment.
func (e *Env) SecondInstance() *Env {
	e.T.Helper()
	st, err := store.Open(context.Background(), e.Config.DatabaseURL, e.Config.DBOptions())
	if err != nil {
		e.T.Fatalf("open store: %v", err)
	}
	e.T.Cleanup(st.Close)
	second := NewOnStore(e.T, e.Config, st)
	second.Mail = e.Mail
	return second
}

// DefaultConfig is the configuration test servers start from.
func DefaultConfig() config.Config {
	return config.Config{
		Addr:            "127.0.0.1:0",
		JWTAlg:          "ES256",
		JWTSecret:       Secret,
		SecretKey:       SecretKey,
		ClientID:        "authd",
		AccessTokenTTL:  30 * time.Second,
		RefreshTokenTTL: 720 * time.Hour,
		Audience:        "authd",
		ShutdownTimeout: 5 * time.Second,
		RequestTimeout:  10 * time.Second,
		// The store's defaults, written out because tests build configurations by hand.
		DBStatementTimeout: 5 * time.Second,
		DBTimeout:          3 * time.Second,
		ReadHeaderTimeout:  5 * time.Second,
		MediaDir:           filepath.Join(os.TempDir(), "authd-test-media"),
		// Functional tests send many requests from 127.0.0.1 and so turn the per-IP limit off; the
		// throttling tests set the production defaults back (DefaultRateLimitPerIP).
		LoginMaxFailures: 5,
		RateLimitPerIP:   0,
		CompatRoutes:     true,
		MailFrom:         "authd <no-reply@example.com>",
		MailDir:          filepath.Join(os.TempDir(), "authd-test-mail"),
		MailDelivery:     true,
		MailRetryBase:    100 * time.Millisecond,
		MailMaxAttempts:  10,
	}
}

// DefaultRateLimitPerIP is AUTHD_RATE_LIMIT_PER_IP's default, for the throttling tests.
const DefaultRateLimitPerIP = 60

// NewOnStore starts a server on an existing store. Unless the configuration names one, the public URL
// (and so the issuer) is the test server's own.
func NewOnStore(t testing.TB, cfg config.Config, st *store.Store) *Env {
	t.Helper()
	srv := httptest.NewUnstartedServer(nil)
	if cfg.PublicURL == "" {
		cfg.PublicURL = "http://" + srv.Listener.Addr().String()
	}
	a, err := app.New(context.Background(), cfg, st)
	if err != nil {
		srv.Close()
		t.Fatalf("build app: %v", err)
	}
	srv.Config.Handler = a.Handler
	srv.Start()
	pool, err := pgxpool.New(context.Background(), cfg.DatabaseURL)
	if err != nil {
		t.Fatalf("open test pool: %v", err)
	}
	t.Cleanup(pool.Close)
	t.Cleanup(a.Close)
	t.Cleanup(srv.Close)
	httpClient := &http.Client{Transport: &validatingTransport{t: t, router: specRouter(t), next: http.DefaultTransport},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	client, err := api.NewClientWithResponses(srv.URL, api.WithHTTPClient(httpClient))
	if err != nil {
		t.Fatalf("client: %v", err)
	}
	return &Env{T: t, Config: cfg, Store: st, DB: pool, App: a, Server: srv, Client: client, HTTP: httpClient}
}

func specRouter(t testing.TB) routers.Router {
	spec, err := httpapi.LoadSpec()
	if err != nil {
		t.Fatalf("spec: %v", err)
	}
	spec.Servers = nil
	router, err := gorillamux.NewRouter(spec)
	if err != nil {
		t.Fatalf("spec router: %v", err)
	}
	return router
}

// validatingTransport checks every API response against openapi.yaml: status documented, headers and
// body matching their schemas. Routes outside the spec must still answer errors with ErrorResponse.
type validatingTransport struct {
	t      testing.TB
	router routers.Router
	next   http.RoundTripper
}

func (v *validatingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := v.next.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	if err := v.validate(req, resp, body); err != nil {
		v.t.Errorf("response does not match openapi.yaml: %s %s -> %d: %v\nbody: %s", req.Method, req.URL.Path, resp.StatusCode, err, truncate(body))
	}
	return resp, nil
}

func (v *validatingTransport) validate(req *http.Request, resp *http.Response, body []byte) error {
	if !isAPIPath(req.URL.Path) || isPreflight(req) {
		return nil
	}
	lookup := req.Clone(context.Background())
	lookup.URL.Path = strings.TrimRight(req.URL.Path, "/")
	route, params, err := v.router.FindRoute(lookup)
	if err != nil {
		if resp.StatusCode < 400 {
			return fmt.Errorf("a route outside the spec answered %d", resp.StatusCode)
		}
		return validateErrorBody(body)
	}
	return openapi3filter.ValidateResponse(context.Background(), &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{Request: lookup, PathParams: params, Route: route},
		Status:                 resp.StatusCode,
		Header:                 resp.Header,
		Body:                   io.NopCloser(bytes.NewReader(body)),
		Options:                &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true},
	})
}

// isPreflight reports a CORS preflight, which the CORS middleware answers outside the spec by design.
func isPreflight(r *http.Request) bool {
	return r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != ""
}

func isAPIPath(p string) bool {
	return !strings.HasPrefix(p, "/docs") && !strings.HasPrefix(p, "/openapi.") && !strings.HasPrefix(p, "/api-doc") &&
		p != "/admin" && !strings.HasPrefix(p, "/admin/") && p != "/verify-email" && p != "/reset-password" && !strings.HasPrefix(p, "/links/")
}

var errorSchema = func() *openapi3.Schema {
	spec, err := httpapi.LoadSpec()
	if err != nil {
		panic(err)
	}
	return spec.Components.Schemas["ErrorResponse"].Value
}()

func validateErrorBody(body []byte) error {
	value, err := decodeJSON(body)
	if err != nil {
		return fmt.Errorf("error body is not JSON: %w", err)
	}
	return errorSchema.VisitJSON(value)
}

func truncate(b []byte) string {
	if len(b) > 2000 {
		return string(b[:2000]) + "..."
	}
	return string(b)
}

func init() {
	// The server logs every request; tests show them only when asked to.
	if os.Getenv("AUTHD_TEST_LOG") == "" {
		slog.SetDefault(slog.New(slog.NewTextHandler(io.Discard, nil)))
	}
}
