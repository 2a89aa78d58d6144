// Package bench measures authd end to end: a real HTTP server on loopback, the full handler chain and a
// real PostgreSQL database. Each benchmark reports requests/s and p50/p99 latency; run with `make bench`.
package bench

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/netip"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/authd/authd/internal/apitest"
)

// concurrency is the number of clients per benchmark, per GOMAXPROCS.
const concurrency = 4

type tokens struct {
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token"`
}

// recorder collects per-request latencies from parallel clients.
type recorder struct {
	mu        sync.Mutex
	latencies []time.Duration
	failures  atomic.Int64
}

func (r *recorder) add(d time.Duration) {
	r.mu.Lock()
	r.latencies = append(r.latencies, d)
	r.mu.Unlock()
}

func (r *recorder) report(b *testing.B, elapsed time.Duration) {
	b.Helper()
	if f := r.failures.Load(); f > 0 {
		b.Fatalf("%d requests failed", f)
	}
	if len(r.latencies) == 0 {
		return
	}
	slices.Sort(r.latencies)
	pct := func(p float64) float64 {
		return float64(r.latencies[int(float64(len(r.latencies)-1)*p)].Microseconds()) / 1000
	}
	b.ReportMetric(float64(len(r.latencies))/elapsed.Seconds(), "req/s")
	b.ReportMetric(pct(0.50), "p50-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
	b.ReportMetric(0, "ns/op")
}

func newClient() *http.Client {
	return &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64, MaxConnsPerHost: 64}, Timeout: 30 * time.Second}
}

func post(c *http.Client, url string, body any, out any) (int, error) {
	b, _ := json.Marshal(body)
	resp, err := c.Post(url, "application/json", bytes.NewReader(b))
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	if out != nil && resp.StatusCode < 300 {
		return resp.StatusCode, json.NewDecoder(resp.Body).Decode(out)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode, nil
}

func setupWith(b *testing.B, opt apitest.Option) (*apitest.Env, *http.Client) {
	b.Helper()
	env := apitest.New(b, func(c *apitest.Config) {
		c.AccessTokenTTL = time.Hour
		if opt != nil {
			opt(c)
		}
	})
	return env, newClient()
}

func register(b *testing.B, env *apitest.Env, c *http.Client, email string) tokens {
	b.Helper()
	var t tokens
	status, err := post(c, env.Server.URL+"/api/register", map[string]string{"email": email, "password": apitest.Password}, &t)
	if err != nil || status != http.StatusCreated {
		b.Fatalf("register: %d %v", status, err)
	}
	return t
}

// run calls do from concurrency*GOMAXPROCS goroutines b.N times in all and reports the figures.
func run(b *testing.B, do func(worker int) (int, error), want int) {
	var rec recorder
	var worker atomic.Int64
	b.SetParallelism(concurrency)
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		id := int(worker.Add(1))
		for pb.Next() {
			t0 := time.Now()
			status, err := do(id)
			rec.add(time.Since(t0))
			if err != nil || status != want {
				rec.failures.Add(1)
			}
		}
	})
	elapsed := time.Since(start)
	b.StopTimer()
	rec.report(b, elapsed)
}

// algs are the signing algorithms the token benchmarks compare: the default ES256 and the shared secret.
var algs = []string{"ES256", "HS256"}

func withAlg(alg string) apitest.Option { return func(c *apitest.Config) { c.JWTAlg = alg } }

func BenchmarkGetMe(b *testing.B) {
	for _, alg := range algs {
		b.Run(alg, func(b *testing.B) { benchmarkGetMe(b, alg) })
	}
}

func benchmarkGetMe(b *testing.B, alg string) {
	env, c := setupWith(b, withAlg(alg))
	access := register(b, env, c, "me@example.com").AccessToken
	run(b, func(int) (int, error) {
		req, _ := http.NewRequest(http.MethodGet, env.Server.URL+"/api/me", nil)
		req.Header.Set("Authorization", "Bearer "+access)
		resp, err := c.Do(req)
		if err != nil {
			return 0, err
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode, nil
	}, http.StatusOK)
}

func BenchmarkRefresh(b *testing.B) {
	for _, alg := range algs {
		b.Run(alg, func(b *testing.B) { benchmarkRefresh(b, alg) })
	}
}

func benchmarkRefresh(b *testing.B, alg string) {
	env, c := setupWith(b, withAlg(alg))
	chains := newTokenChains(func(worker int) string {
		return register(b, env, c, fmt.Sprintf("refresh%d@example.com", worker)).RefreshToken
	})
	run(b, func(worker int) (status int, err error) {
		err = chains.rotate(worker, func(token string) (string, error) {
			var t tokens
			status, err = post(c, env.Server.URL+"/api/refresh", map[string]string{"refresh_token": token}, &t)
			return t.RefreshToken, err
		})
		return status, err
	}, http.StatusOK)
}

// loginAccounts spreads failed logins over accounts and client addresses so that the benchmark measures
// login itself, not the throttling that would lock one account from one address after a few failures.
const loginAccounts = 32

func benchmarkLogin(b *testing.B, emailFormat, password string, want int, opts ...apitest.Option) {
	env, c := setupWith(b, func(cfg *apitest.Config) {
		cfg.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}
		for _, o := range opts {
			o(cfg)
		}
	})
	for i := range loginAccounts {
		register(b, env, c, fmt.Sprintf("login%d@example.com", i))
	}
	var n atomic.Int64
	run(b, func(int) (int, error) {
		i := n.Add(1)
		body, _ := json.Marshal(map[string]string{"email": fmt.Sprintf(emailFormat, i%loginAccounts), "password": password})
		req, _ := http.NewRequest(http.MethodPost, env.Server.URL+"/api/login", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Forwarded-For", fmt.Sprintf("10.%d.%d.%d", i>>16&255, i>>8&255, i&255))
		resp, err := c.Do(req)
		if err != nil {
			return 0, err
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode, nil
	}, want)
}

func BenchmarkLogin(b *testing.B) {
	for _, alg := range algs {
		b.Run(alg, func(b *testing.B) {
			benchmarkLogin(b, "login%d@example.com", apitest.Password, http.StatusOK, withAlg(alg))
		})
	}
}

// The two failing logins below must cost the same: compare their p50s to see that login timing does not
// reveal whether an email is registered.
func BenchmarkLoginWrongPassword(b *testing.B) {
	benchmarkLogin(b, "login%d@example.com", "wrong password!", http.StatusUnauthorized)
}

func BenchmarkLoginUnknownEmail(b *testing.B) {
	benchmarkLogin(b, "nobody%d@example.com", "wrong password!", http.StatusUnauthorized)
}
