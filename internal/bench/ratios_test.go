package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/authd/authd/internal/apitest"
	"github.com/authd/authd/internal/auth"
)

// ratioWindow is how long each load of BenchmarkRatios runs in each of ratioRounds rounds.
const (
	ratioWindow = time.Second
	ratioRounds = 4
)

// measure runs do from workers goroutines for d and returns the successful requests per second.
func measure(d time.Duration, workers int, do func(worker int) error) (float64, error) {
	var ok atomic.Int64
	var firstErr atomic.Value
	deadline := time.Now().Add(d)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for time.Now().Before(deadline) {
				if err := do(w); err != nil {
					firstErr.CompareAndSwap(nil, err)
					return
				}
				ok.Add(1)
			}
		})
	}
	wg.Wait()
	if err, _ := firstErr.Load().(error); err != nil {
		return 0, err
	}
	return float64(ok.Load()) / d.Seconds(), nil
}

// ceilingServer is the least any server answering GET /api/me could do: net/http, an HS256 check and one
// pgx SELECT on the same database. authd's figures are read against it.
func ceilingServer(b *testing.B, databaseURL string) *httptest.Server {
	b.Helper()
	pool, err := pgxpool.New(context.Background(), databaseURL)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(pool.Close)
	parser := jwt.NewParser(jwt.WithValidMethods([]string{"HS256"}))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var claims jwt.RegisteredClaims
		_, err := parser.ParseWithClaims(strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer "), &claims,
			func(*jwt.Token) (any, error) { return []byte(apitest.Secret), nil })
		if err != nil {
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		var email string
		if err := pool.QueryRow(r.Context(), "SELECT email FROM users WHERE id = $1", claims.Subject).Scan(&email); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]string{"id": claims.Subject, "email": email})
	}))
	b.Cleanup(srv.Close)
	return srv
}

func get(c *http.Client, url, token string) error {
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %d", url, resp.StatusCode)
	}
	return nil
}

// tokenChains is each worker's current refresh token: every worker rotates its own session's token, as a
// client does.
type tokenChains struct {
	mu      sync.Mutex
	current map[int]string
	first   func(worker int) string
}

func newTokenChains(first func(worker int) string) *tokenChains {
	return &tokenChains{current: map[int]string{}, first: first}
}

// rotate hands worker's token to do and keeps the one do returns.
func (c *tokenChains) rotate(worker int, do func(token string) (next string, err error)) error {
	c.mu.Lock()
	token, ok := c.current[worker]
	c.mu.Unlock()
	if !ok {
		token = c.first(worker)
	}
	next, err := do(token)
	c.mu.Lock()
	c.current[worker] = next
	c.mu.Unlock()
	return err
}

// BenchmarkRatios puts authd's throughput next to its ceilings, in one run on one machine: GET /api/me
// and refresh against a bare net/http + HS256 + one SELECT server, login against NumCPU / (the time of
// one argon2id hash). The ratios are what to compare between runs and machines. Refresh is also put next
// to its rotation statement run straight on the store, the database's share of it.
func BenchmarkRatios(b *testing.B) {
	for b.Loop() {
		env, c := setupWith(b, apitest.WithHS256)
		workers := concurrency * runtime.GOMAXPROCS(0)
		session := register(b, env, c, "ratios@example.com")
		ceiling := ceilingServer(b, env.Config.DatabaseURL)

		refreshes := newTokenChains(func(w int) string {
			return register(b, env, c, fmt.Sprintf("ratio-refresh%d@example.com", w)).RefreshToken
		})
		refreshOnce := func(w int) error {
			return refreshes.rotate(w, func(token string) (string, error) {
				var t tokens
				status, err := post(c, env.Server.URL+"/api/refresh", map[string]string{"refresh_token": token}, &t)
				if err == nil && status != http.StatusOK {
					err = fmt.Errorf("refresh: %d", status)
				}
				return t.RefreshToken, err
			})
		}
		// rotateOnce is refresh without HTTP, JSON or signing: the store's one rotation statement and its
		// durable commit. It is the most a refresh could do on this machine's database, so that a low refresh
		// ratio can be read as the server's overhead or the write's.
		rotations := newTokenChains(func(w int) string {
			return register(b, env, c, fmt.Sprintf("ratio-rotate%d@example.com", w)).RefreshToken
		})
		rotateOnce := func(w int) error {
			return rotations.rotate(w, func(token string) (string, error) {
				next, nextHash := auth.NewRefreshToken()
				_, err := env.Store.RotateRefreshToken(context.Background(), auth.Rotation{OldHash: auth.HashRefreshToken(token),
					NewHash: nextHash, TTL: time.Hour, MaxLifetime: 24 * time.Hour})
				return next, err
			})
		}
		loginOnce := func(int) error {
			status, err := post(c, env.Server.URL+"/api/login", map[string]string{"email": "ratios@example.com", "password": apitest.Password}, nil)
			if err == nil && status != http.StatusOK {
				err = fmt.Errorf("login: %d", status)
			}
			return err
		}
		hasher := auth.NewHasher(auth.DefaultArgon2Params, 1, time.Second)
		hashRate := func(d time.Duration) float64 {
			hashes, start := 0, time.Now()
			for time.Since(start) < d {
				if _, err := hasher.Hash(context.Background(), apitest.Password); err != nil {
					b.Fatal(err)
				}
				hashes++
			}
			return float64(hashes) / time.Since(start).Seconds()
		}
		// The machine's speed drifts (other tenants, frequency scaling): each load and its ceiling are
		// measured in alternation, in short windows, and the ratios are of the sums.
		var ceilingRate, meRate, refreshRate, rotationRate, loginRate, loginCeiling float64
		for range ratioRounds {
			for _, load := range []struct {
				total *float64
				do    func(int) error
			}{
				{&ceilingRate, func(int) error { return get(c, ceiling.URL, session.AccessToken) }},
				{&meRate, func(int) error { return get(c, env.Server.URL+"/api/me", session.AccessToken) }},
				{&refreshRate, refreshOnce},
				{&rotationRate, rotateOnce},
				{&loginRate, loginOnce},
			} {
				rate, err := measure(ratioWindow, workers, load.do)
				if err != nil {
					b.Fatal(err)
				}
				*load.total += rate / ratioRounds
			}
			loginCeiling += float64(runtime.NumCPU()) * hashRate(ratioWindow) / ratioRounds
		}
		hashTime := time.Duration(float64(time.Second) * float64(runtime.NumCPU()) / loginCeiling)

		b.ReportMetric(ceilingRate, "ceiling-req/s")
		b.ReportMetric(meRate/ceilingRate, "me/ceiling")
		b.ReportMetric(refreshRate/ceilingRate, "refresh/ceiling")
		b.ReportMetric(rotationRate/ceilingRate, "rotation-sql/ceiling")
		b.ReportMetric(loginRate/loginCeiling, "login/argon2-bound")
		b.ReportMetric(0, "ns/op")
		b.Logf("ceiling %.0f req/s; GET /api/me %.0f req/s = %.2fx (target 0.85); refresh %.0f req/s = %.2fx (target 0.35), "+
			"its rotation statement alone %.0f/s = %.2fx; login %.1f req/s vs %d CPUs / %s per argon2id hash = %.1f/s: %.2fx (target 0.9)",
			ceilingRate, meRate, meRate/ceilingRate, refreshRate, refreshRate/ceilingRate, rotationRate, rotationRate/ceilingRate, loginRate, runtime.NumCPU(), hashTime,
			loginCeiling, loginRate/loginCeiling)
	}
}
