package bench

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/authd/authd/internal/apitest"
	"github.com/authd/authd/internal/auth"
)

// scaleUsers are the table sizes BenchmarkScale compares; each user has scaleSessions sessions with a
// refresh token each.
var scaleUsers = []int{1000, 1000000}

const scaleSessions = 5

// latencies runs do n times from workers goroutines and returns the p50 and p99.
func latencies(b *testing.B, n, workers int, do func(i int) error) (p50, p99 time.Duration) {
	b.Helper()
	all := make([]time.Duration, n)
	errs := make(chan error, workers)
	next := make(chan int)
	go func() {
		for i := range n {
			next <- i
		}
		close(next)
	}()
	for range workers {
		go func() {
			var firstErr error
			for i := range next {
				start := time.Now()
				if err := do(i); err != nil && firstErr == nil {
					firstErr = err
				}
				all[i] = time.Since(start)
			}
			errs <- firstErr
		}()
	}
	for range workers {
		if err := <-errs; err != nil {
			b.Fatal(err)
		}
	}
	slices.Sort(all)
	return all[n/2], all[n*99/100]
}

type scaleFigures struct{ me, login, refresh, search, searchPage2 time.Duration }

// BenchmarkScale seeds users, sessions and refresh tokens with SQL (generate_series) and measures GET
// /api/me, login, refresh and the admin search at each size (make bench-scale; skipped by make bench).
func BenchmarkScale(b *testing.B) {
	if os.Getenv("AUTHD_BENCH_SCALE") == "" {
		b.Skip("set AUTHD_BENCH_SCALE=1 (make bench-scale): it seeds a million users")
	}
	for b.Loop() {
		figures := map[int]scaleFigures{}
		for _, users := range scaleUsers {
			figures[users] = measureScale(b, users)
		}
		small, large := figures[scaleUsers[0]], figures[scaleUsers[1]]
		ratio := func(l, s time.Duration) float64 { return float64(l) / float64(s) }
		b.ReportMetric(ratio(large.me, small.me), "me-1M/1k")
		b.ReportMetric(ratio(large.login, small.login), "login-1M/1k")
		b.ReportMetric(ratio(large.refresh, small.refresh), "refresh-1M/1k")
		b.ReportMetric(float64(large.search.Microseconds())/1000, "search-1M-p50-ms")
		b.ReportMetric(0, "ns/op")
		for _, users := range scaleUsers {
			f := figures[users]
			b.Logf("%8d users: GET /api/me p50 %s, login p50 %s, refresh p50 %s, admin search p50 %s (page 2: %s)",
				users, f.me, f.login, f.refresh, f.search, f.searchPage2)
		}
		b.Logf("1M / 1k: GET /api/me %.2fx, login %.2fx, refresh %.2fx (target at most 1.2x); search at 1M users %s (target under 50 ms)",
			ratio(large.me, small.me), ratio(large.login, small.login), ratio(large.refresh, small.refresh), large.search)
	}
}

func measureScale(b *testing.B, users int) scaleFigures {
	env, c := setupWith(b, nil)
	ctx := context.Background()
	hash, err := auth.NewHasher(auth.DefaultArgon2Params, 1, time.Second).Hash(ctx, apitest.Password)
	if err != nil {
		b.Fatal(err)
	}
	start := time.Now()
	for _, q := range []string{
		`INSERT INTO users (email, username, password_hash, created_at)
		 SELECT 'user' || g || '@example.com', 'User ' || g, $1, now() - g * interval '1 second' FROM generate_series(1, $2::int) g`,
		`INSERT INTO sessions (user_id, expires_at, created_at, last_used_at)
		 SELECT u.id, now() + interval '30 days', now() - interval '1 hour', now() - interval '1 hour' FROM users u, generate_series(1, ` + fmt.Sprint(scaleSessions) + `)`,
		`INSERT INTO refresh_tokens (session_id, token_hash, expires_at, created_at)
		 SELECT s.id, sha256(s.id::text::bytea), s.expires_at, s.created_at FROM sessions s`,
		`ANALYZE`,
	} {
		var args []any
		if len(q) > 20 && q[:17] == "INSERT INTO users" {
			args = []any{hash, users}
		}
		if _, err := env.DB.Exec(ctx, q, args...); err != nil {
			b.Fatalf("seed: %v", err)
		}
	}
	b.Logf("seeded %d users, %d sessions and refresh tokens in %s", users, users*scaleSessions, time.Since(start))

	admin := env.NewAdmin("scale-admin@example.com")
	session := register(b, env, c, "scale-me@example.com")
	workers := 4
	var f scaleFigures
	f.me, _ = latencies(b, 3000, workers, func(int) error { return get(c, env.Server.URL+"/api/me", session.AccessToken) })
	current := make([]string, workers*2)
	for i := range current {
		current[i] = register(b, env, c, fmt.Sprintf("scale-refresh%d@example.com", i)).RefreshToken
	}
	f.refresh, _ = latencies(b, 3000, 1, func(i int) error {
		var t tokens
		slot := i % len(current)
		status, err := post(c, env.Server.URL+"/api/refresh", map[string]string{"refresh_token": current[slot]}, &t)
		if err == nil && status != http.StatusOK {
			err = fmt.Errorf("refresh: %d", status)
		}
		current[slot] = t.RefreshToken
		return err
	})
	f.login, _ = latencies(b, 60, 1, func(i int) error {
		status, err := post(c, env.Server.URL+"/api/login", map[string]string{"email": fmt.Sprintf("user%d@example.com", 1+i*(users/60)), "password": apitest.Password}, nil)
		if err == nil && status != http.StatusOK {
			err = fmt.Errorf("login: %d", status)
		}
		return err
	})
	terms := []string{"user4242", "er99", "User 77", "4@exa", "nobody-matches"}
	f.search, _ = latencies(b, 200, 1, func(i int) error {
		return get(c, env.Server.URL+"/api/admin/users?limit=20&search="+url.QueryEscape(terms[i%len(terms)]), admin.AccessToken)
	})
	first, err := env.Client.ListUsersWithResponse(ctx, nil, apitest.Bearer(admin.AccessToken))
	if err != nil || first.JSON200 == nil || first.JSON200.NextCursor.IsNull() {
		b.Fatalf("first page: %v", err)
	}
	cursor := first.JSON200.NextCursor.MustGet()
	f.searchPage2, _ = latencies(b, 200, 1, func(int) error {
		return get(c, env.Server.URL+"/api/admin/users?limit=20&search=user&cursor="+url.QueryEscape(cursor), admin.AccessToken)
	})
	return f
}
