package store_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/authd/authd/internal/auth"
	"github.com/authd/authd/internal/store"
	"github.com/authd/authd/internal/testdb"
)

// newStore returns a store on a fresh database and a pool of its own on it, for arranging rows.
func newStore(t *testing.T) (*store.Store, *pgxpool.Pool) {
	t.Helper()
	url := testdb.URL(t)
	st, err := store.Open(context.Background(), url, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(st.Close)
	pool, err := pgxpool.New(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	return st, pool
}

func newUser(t *testing.T, st *store.Store, email string, admin bool) auth.User {
	t.Helper()
	u, err := st.CreateUser(context.Background(), auth.NewUser{Email: email, PasswordHash: "x", LanguageCode: "en", IsAdmin: admin})
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func newSession(t *testing.T, st *store.Store, userID uuid.UUID, token string) uuid.UUID {
	t.Helper()
	started, err := st.CreateSession(context.Background(), auth.NewSession{
		Assertion:   auth.Assertion{UserID: userID, Method: auth.MethodPassword, AMR: "pwd", AAL: auth.AAL1},
		RefreshHash: auth.HashRefreshToken(token), Lifetime: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	return started.ID
}

func rotation(old, next string, grace time.Duration) auth.Rotation {
	return auth.Rotation{OldHash: auth.HashRefreshToken(old), NewHash: auth.HashRefreshToken(next),
		TTL: time.Hour, MaxLifetime: 24 * time.Hour, ReuseGrace: grace}
}

func TestRotation(t *testing.T) {
	t.Parallel()
	st, _ := newStore(t)
	ctx := context.Background()
	user := newUser(t, st, "rotate@example.com", false)
	session := newSession(t, st, user.ID, "a")

	got, err := st.RotateRefreshToken(ctx, rotation("a", "b", time.Minute))
	if err != nil || got.UserID != user.ID || got.SessionID != session {
		t.Fatalf("rotate a->b: %+v %v", got, err)
	}
	if got.Assurance.AAL != auth.AAL1 || !slices.Equal(got.Assurance.AMR, []string{"pwd"}) || got.Assurance.AuthTime.IsZero() {
		t.Fatalf("rotation lost the session's assurance: %+v", got.Assurance)
	}
	// Within the grace period a replay is refused but the session lives on.
	if _, err := st.RotateRefreshToken(ctx, rotation("a", "x", time.Minute)); !errors.Is(err, auth.ErrInvalidToken) {
		t.Fatalf("replay within grace: %v, want ErrInvalidToken", err)
	}
	if _, err := st.RotateRefreshToken(ctx, rotation("b", "c", time.Minute)); err != nil {
		t.Fatalf("rotate b->c after a replay within grace: %v", err)
	}
	// After the grace period a replay is reuse: the whole session is revoked, the newest token included.
	if _, err := st.RotateRefreshToken(ctx, rotation("b", "y", 0)); !errors.Is(err, auth.ErrTokenReused) {
		t.Fatalf("replay after grace: %v, want ErrTokenReused", err)
	}
	if _, err := st.RotateRefreshToken(ctx, rotation("c", "d", time.Minute)); !errors.Is(err, auth.ErrInvalidToken) {
		t.Fatalf("newest token of a revoked session: %v, want ErrInvalidToken", err)
	}
	if _, _, err := st.SessionUser(ctx, session, user.ID); !errors.Is(err, auth.ErrNotFound) {
		t.Fatalf("revoked session still answers: %v", err)
	}
	// An unknown token is neither rotated nor reuse.
	if _, err := st.RotateRefreshToken(ctx, rotation("never-issued", "z", 0)); !errors.Is(err, auth.ErrInvalidToken) {
		t.Fatalf("unknown token: %v", err)
	}
}

// Of many concurrent rotations of one token exactly one wins, and none revokes the session.
func TestConcurrentRotationHasOneWinner(t *testing.T) {
	t.Parallel()
	st, _ := newStore(t)
	user := newUser(t, st, "race@example.com", false)
	session := newSession(t, st, user.ID, "seed")
	const racers = 12
	var wg sync.WaitGroup
	results := make(chan error, racers)
	for i := range racers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := st.RotateRefreshToken(context.Background(), rotation("seed", "next-"+string(rune('a'+i)), time.Minute))
			results <- err
		}()
	}
	wg.Wait()
	close(results)
	wins := 0
	for err := range results {
		switch {
		case err == nil:
			wins++
		case !errors.Is(err, auth.ErrInvalidToken):
			t.Errorf("loser: %v, want ErrInvalidToken", err)
		}
	}
	if wins != 1 {
		t.Fatalf("%d winners, want 1", wins)
	}
	if _, _, err := st.SessionUser(context.Background(), session, user.ID); err != nil {
		t.Fatalf("session revoked by a race within grace: %v", err)
	}
}

// Two admins demoting each other at once: one succeeds, the other gets ErrLastAdmin, and one admin remains.
func TestLastAdminRace(t *testing.T) {
	t.Parallel()
	st, pool := newStore(t)
	for round := range 5 {
		a := newUser(t, st, "a"+string(rune('0'+round))+"@example.com", true)
		b := newUser(t, st, "b"+string(rune('0'+round))+"@example.com", true)
		demote := false
		var wg sync.WaitGroup
		errs := make([]error, 2)
		for i, id := range []uuid.UUID{a.ID, b.ID} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, errs[i] = st.UpdateUser(context.Background(), id, auth.UserChanges{IsAdmin: &demote})
			}()
		}
		wg.Wait()
		failed := 0
		for _, err := range errs {
			if err != nil {
				failed++
				if !errors.Is(err, auth.ErrLastAdmin) {
					t.Fatalf("round %d: %v, want ErrLastAdmin", round, err)
				}
			}
		}
		var admins int
		if err := pool.QueryRow(context.Background(), "SELECT count(*) FROM users WHERE is_admin AND is_active").Scan(&admins); err != nil {
			t.Fatal(err)
		}
		if failed != 1 || admins != 1 {
			t.Fatalf("round %d: %d refused, %d admins left; want 1 and 1", round, failed, admins)
		}
		if _, err := pool.Exec(context.Background(), "DELETE FROM users"); err != nil {
			t.Fatal(err)
		}
	}
}

func TestLoginThrottleWindows(t *testing.T) {
	t.Parallel()
	st, pool := newStore(t)
	ctx := context.Background()
	const email, ip, maxFailures = "throttle@example.com", "192.0.2.1", 3
	key := auth.ThrottleKey{Method: auth.MethodPassword, Account: email, Client: ip}
	for i := 1; i <= maxFailures; i++ {
		state, err := st.LoginThrottle(ctx, key, 100)
		if err != nil {
			t.Fatal(err)
		}
		if state.LockedUntil.After(time.Now()) {
			t.Fatalf("locked after %d failures, before reaching %d", i-1, maxFailures)
		}
		if _, err := st.RecordLoginFailure(ctx, key, maxFailures); err != nil {
			t.Fatal(err)
		}
	}
	state, err := st.LoginThrottle(ctx, key, 100)
	if err != nil {
		t.Fatal(err)
	}
	if wait := time.Until(state.LockedUntil); wait < 25*time.Second || wait > 31*time.Second {
		t.Fatalf("locked for %s after %d failures, want about 30s", wait, maxFailures)
	}
	if state.HourlyFailures != maxFailures {
		t.Fatalf("hourly failures %d, want %d", state.HourlyFailures, maxFailures)
	}
	// Each further failure doubles the lock, up to 15 minutes.
	for range 12 {
		if _, err := st.RecordLoginFailure(ctx, key, maxFailures); err != nil {
			t.Fatal(err)
		}
	}
	state, _ = st.LoginThrottle(ctx, key, 100)
	if wait := time.Until(state.LockedUntil); wait < 14*time.Minute || wait > 15*time.Minute+time.Second {
		t.Fatalf("lock after many failures %s, want the 15 minute cap", wait)
	}
	// Another IP is not locked, nor another method from the same IP, but the account's hourly count is
	// shared by all.
	other, _ := st.LoginThrottle(ctx, auth.ThrottleKey{Method: auth.MethodPassword, Account: email, Client: "192.0.2.2"}, 100)
	if other.LockedUntil.After(time.Now()) || other.HourlyFailures != maxFailures+12 {
		t.Fatalf("other IP: %+v", other)
	}
	codeKey := auth.ThrottleKey{Method: auth.MethodEmailCode, Account: email, Client: ip}
	byCode, _ := st.LoginThrottle(ctx, codeKey, 100)
	if byCode.LockedUntil.After(time.Now()) || byCode.HasFailures || byCode.HourlyFailures != maxFailures+12 {
		t.Fatalf("another method from the same IP: %+v", byCode)
	}
	if _, err := st.RecordLoginFailure(ctx, codeKey, maxFailures); err != nil {
		t.Fatal(err)
	}
	if state, _ = st.LoginThrottle(ctx, key, 100); state.HourlyFailures != maxFailures+13 {
		t.Fatalf("a code failure does not count towards the account's hourly cap: %+v", state)
	}
	// Success clears the key's lock; the hourly count stays.
	if err := st.ClearLoginFailures(ctx, key); err != nil {
		t.Fatal(err)
	}
	state, _ = st.LoginThrottle(ctx, key, 100)
	if state.LockedUntil.After(time.Now()) || state.HourlyFailures != maxFailures+13 {
		t.Fatalf("after clearing: %+v", state)
	}
	// Failures older than an hour no longer count.
	if _, err := pool.Exec(ctx, "UPDATE login_failure_events SET failed_at = now() - interval '61 minutes'"); err != nil {
		t.Fatal(err)
	}
	if state, _ = st.LoginThrottle(ctx, key, 100); state.HourlyFailures != 0 {
		t.Fatalf("failures older than an hour still counted: %d", state.HourlyFailures)
	}
	// The janitor removes the events past the hour, and failure rows a day after their last failure once
	// no lock holds; both decide nothing any more.
	if _, err := st.RecordLoginFailure(ctx, auth.ThrottleKey{Method: auth.MethodPassword, Account: email, Client: "192.0.2.9"}, maxFailures); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, "UPDATE login_failure_events SET failed_at = now() - interval '61 minutes'"); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, "UPDATE login_failures SET last_failure_at = now() - interval '25 hours', locked_until = now() - interval '1 hour'"); err != nil {
		t.Fatal(err)
	}
	report, ran, err := st.Cleanup(ctx, auth.Retention{UsedRefreshTokens: time.Hour, EndedSessions: time.Hour, AuditEvents: 24 * time.Hour})
	if err != nil || !ran || report.LoginFailureEvents != maxFailures+14 || report.LoginFailures != 2 {
		t.Fatalf("cleanup: %+v %v %v", report, ran, err)
	}
}

func TestRateWindows(t *testing.T) {
	t.Parallel()
	st, pool := newStore(t)
	ctx := context.Background()
	for i := 1; i <= 3; i++ {
		hits, end, err := st.HitRate(ctx, "ip:198.51.100.1")
		if err != nil {
			t.Fatal(err)
		}
		if hits != i {
			t.Fatalf("hit %d counted as %d", i, hits)
		}
		if wait := time.Until(end); wait <= 0 || wait > time.Minute {
			t.Fatalf("window ends in %s", wait)
		}
	}
	if hits, _, _ := st.HitRate(ctx, "ip:198.51.100.2"); hits != 1 {
		t.Fatalf("another key shares the count: %d", hits)
	}
	// A new window starts the count again, and the janitor removes the finished ones.
	if _, err := pool.Exec(ctx, "UPDATE rate_windows SET window_start = window_start - interval '10 minutes'"); err != nil {
		t.Fatal(err)
	}
	if hits, _, _ := st.HitRate(ctx, "ip:198.51.100.1"); hits != 1 {
		t.Fatalf("old window still counted: %d", hits)
	}
	report, ran, err := st.Cleanup(ctx, auth.Retention{UsedRefreshTokens: time.Hour, EndedSessions: time.Hour, AuditEvents: 24 * time.Hour})
	if err != nil || !ran || report.RateWindows != 2 {
		t.Fatalf("cleanup: %+v %v %v, want the 2 finished windows removed", report, ran, err)
	}
	var windows int
	if err := pool.QueryRow(ctx, "SELECT count(*) FROM rate_windows").Scan(&windows); err != nil || windows != 1 {
		t.Fatalf("%d windows left (%v), want 1", windows, err)
	}
}

// A failing store call names its operation, and the sentinel still matches.
func TestErrorsNameTheOperation(t *testing.T) {
	t.Parallel()
	st, _ := newStore(t)
	_, err := st.UserByID(context.Background(), uuid.New())
	if !errors.Is(err, auth.ErrNotFound) || !strings.HasPrefix(err.Error(), "user by id: ") {
		t.Fatalf("got %v", err)
	}
	newUser(t, st, "taken@example.com", false)
	_, err = st.CreateUser(context.Background(), auth.NewUser{Email: "taken@example.com", PasswordHash: "x", LanguageCode: "en"})
	if !errors.Is(err, auth.ErrEmailTaken) || !strings.HasPrefix(err.Error(), "create user: ") {
		t.Fatalf("got %v", err)
	}
}

// queryCounter counts the statements a pool sends.
type queryCounter struct{ n atomic.Int64 }

func (c *queryCounter) TraceQueryStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceQueryStartData) context.Context {
	c.n.Add(1)
	return ctx
}

func (c *queryCounter) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}

// A refresh is one round trip: rotation, its reuse decision and the revocation are one statement, with no
// transaction around it.
func TestRotationIsOneStatement(t *testing.T) {
	t.Parallel()
	st, plain := newStore(t)
	user := newUser(t, st, "oneshot@example.com", false)
	newSession(t, st, user.ID, "first")

	cfg, err := pgxpool.ParseConfig(plain.Config().ConnString())
	if err != nil {
		t.Fatal(err)
	}
	counter := &queryCounter{}
	cfg.ConnConfig.Tracer = counter
	pool, err := pgxpool.NewWithConfig(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	traced := store.New(pool)
	for _, step := range []struct {
		old, next string
		grace     time.Duration
		want      error
	}{
		{"first", "second", time.Minute, nil},
		{"first", "x", time.Minute, auth.ErrInvalidToken},
		{"first", "y", 0, auth.ErrTokenReused},
	} {
		before := counter.n.Load()
		_, err := traced.RotateRefreshToken(context.Background(), rotation(step.old, step.next, step.grace))
		if !errors.Is(err, step.want) && !(step.want == nil && err == nil) {
			t.Fatalf("rotate %s: %v, want %v", step.old, err, step.want)
		}
		if n := counter.n.Load() - before; n != 1 {
			t.Errorf("rotate %s (%v) took %d statements, want 1", step.old, step.want, n)
		}
	}
}

// Refreshing never extends a session past its creation plus the maximum lifetime; after that its refresh
// token is refused.
func TestSessionMaxLifetime(t *testing.T) {
	t.Parallel()
	st, pool := newStore(t)
	ctx := context.Background()
	user := newUser(t, st, "lifetime@example.com", false)
	session := newSession(t, st, user.ID, "young")
	if _, err := pool.Exec(ctx, "UPDATE sessions SET created_at = now() - interval '23 hours 30 minutes'"); err != nil {
		t.Fatal(err)
	}
	if _, err := st.RotateRefreshToken(ctx, rotation("young", "capped", time.Minute)); err != nil {
		t.Fatal(err)
	}
	var left time.Duration
	if err := pool.QueryRow(ctx, "SELECT expires_at - now() FROM sessions WHERE id = $1", session).Scan(&left); err != nil {
		t.Fatal(err)
	}
	if left > 31*time.Minute || left < 29*time.Minute {
		t.Errorf("after a refresh the session ends in %s, want its 24 h lifetime's last 30 minutes", left)
	}
	if _, err := pool.Exec(ctx, "UPDATE sessions SET created_at = now() - interval '25 hours', expires_at = now() + interval '1 hour'"); err != nil {
		t.Fatal(err)
	}
	if _, err := st.RotateRefreshToken(ctx, rotation("capped", "too-old", time.Minute)); !errors.Is(err, auth.ErrInvalidToken) {
		t.Errorf("refresh of a session past its lifetime: %v, want ErrInvalidToken", err)
	}
}
