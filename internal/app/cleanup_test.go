package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/authd/authd/internal/apitest"
	"github.com/authd/authd/internal/app"
	"github.com/authd/authd/internal/auth"
	"github.com/authd/authd/internal/config"
	"github.com/authd/authd/internal/store"
	"github.com/authd/authd/internal/testdb"
)

// 10,000 rotations of one session, then `authd cleanup` with short retention: the used tokens past the
// reuse-detection window and the ended sessions past their retention go, everything in use stays.
// cleanupDatabase is a migrated database with a store and a pool of its own, for the cleanup tests.
func cleanupDatabase(t *testing.T) (config.Config, *store.Store, *pgxpool.Pool) {
	t.Helper()
	cfg := apitest.DefaultConfig()
	cfg.DatabaseURL = testdb.URL(t)
	st, err := store.Open(context.Background(), cfg.DatabaseURL, cfg.DBOptions())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(st.Close)
	pool, err := pgxpool.New(context.Background(), cfg.DatabaseURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	return cfg, st, pool
}

// cleanupOutput is what `authd cleanup` prints.
type cleanupOutput struct {
	Removed auth.CleanupReport `json:"removed"`
	Total   int64              `json:"total"`
}

// runCleanup runs `authd cleanup` and reads what it printed.
func runCleanup(t *testing.T, cfg config.Config) (cleanupOutput, string) {
	t.Helper()
	var out bytes.Buffer
	if err := app.Cleanup(context.Background(), cfg, &out); err != nil {
		t.Fatal(err)
	}
	var printed cleanupOutput
	if err := json.Unmarshal(out.Bytes(), &printed); err != nil {
		t.Fatalf("output %q: %v", out.String(), err)
	}
	return printed, strings.TrimSpace(out.String())
}

func TestCleanupAfterTenThousandRotations(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	cfg, st, pool := cleanupDatabase(t)

	user, err := st.CreateUser(ctx, auth.NewUser{Email: "rotator@example.com", PasswordHash: "x", LanguageCode: "en"})
	if err != nil {
		t.Fatal(err)
	}
	newSession := func(token string) {
		if _, err := st.CreateSession(ctx, auth.NewSession{Assertion: auth.Assertion{UserID: user.ID, Method: auth.MethodPassword, AMR: "pwd", AAL: auth.AAL1}, RefreshHash: auth.HashRefreshToken(token), Lifetime: time.Hour}); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.SeedSettings(ctx, cfg.SettingDefaults()); err != nil {
		t.Fatal(err)
	}
	newSession("r0")
	start := time.Now()
	for i := range 10000 {
		_, err := st.RotateRefreshToken(ctx, auth.Rotation{OldHash: auth.HashRefreshToken(fmt.Sprint("r", i)),
			NewHash: auth.HashRefreshToken(fmt.Sprint("r", i+1)), TTL: time.Hour, MaxLifetime: 24 * time.Hour, ReuseGrace: 2 * time.Second})
		if err != nil {
			t.Fatalf("rotation %d: %v", i, err)
		}
	}
	t.Logf("10,000 rotations in %s", time.Since(start))
	newSession("logged-out")
	if _, _, err := st.RevokeSessionByRefreshToken(ctx, auth.HashRefreshToken("logged-out")); err != nil {
		t.Fatal(err)
	}
	// Short retention: a minute for both, and every used token and ended session is two minutes old.
	for _, q := range []string{
		"UPDATE settings SET value = 60 WHERE key IN ('reuse_detection_seconds', 'session_retention_seconds')",
		"UPDATE refresh_tokens SET created_at = now() - interval '3 minutes', used_at = now() - interval '2 minutes' WHERE used_at IS NOT NULL",
		"UPDATE sessions SET created_at = now() - interval '3 minutes', revoked_at = now() - interval '2 minutes' WHERE revoked_at IS NOT NULL",
	} {
		if _, err := pool.Exec(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	printed, out := runCleanup(t, cfg)
	var tokens, sessions int
	if err := pool.QueryRow(ctx, "SELECT (SELECT count(*) FROM refresh_tokens), (SELECT count(*) FROM sessions)").Scan(&tokens, &sessions); err != nil {
		t.Fatal(err)
	}
	t.Logf("authd cleanup printed %s; left %d refresh tokens and %d sessions", out, tokens, sessions)
	// 10,001 tokens of the rotated session: 10,000 used (removed), 1 live. The logged-out session goes
	// with its token.
	if printed.Removed.RefreshTokens != 10000 || printed.Removed.Sessions != 1 || tokens != 1 || sessions != 1 {
		t.Errorf("removed %+v, left %d tokens and %d sessions; want 10000 tokens and 1 session removed, 1 and 1 left", printed.Removed, tokens, sessions)
	}
	// The session still works: its live token rotates.
	if _, err := st.RotateRefreshToken(ctx, auth.Rotation{OldHash: auth.HashRefreshToken("r10000"), NewHash: auth.HashRefreshToken("after"),
		TTL: time.Hour, MaxLifetime: 24 * time.Hour, ReuseGrace: 2 * time.Second}); err != nil {
		t.Errorf("the live token after cleanup: %v", err)
	}
	// A replay of a removed token is now an ordinary 401, not a reuse alarm.
	if _, err := st.RotateRefreshToken(ctx, auth.Rotation{OldHash: auth.HashRefreshToken("r5"), NewHash: auth.HashRefreshToken("x"),
		TTL: time.Hour, MaxLifetime: 24 * time.Hour}); !errors.Is(err, auth.ErrInvalidToken) {
		t.Errorf("replay of a removed token: %v, want ErrInvalidToken", err)
	}
}

// Delivered and given-up mail goes a week after it was queued, link tokens a day after they expired; what
// is pending or still usable stays.
func TestCleanupRemovesOldMailAndLinkTokens(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	cfg, st, pool := cleanupDatabase(t)
	if err := st.SeedSettings(ctx, cfg.SettingDefaults()); err != nil {
		t.Fatal(err)
	}
	user, err := st.CreateUser(ctx, auth.NewUser{Email: "mailed@example.com", PasswordHash: "x", LanguageCode: "en"})
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		`INSERT INTO mail_outbox (kind, recipient, subject, text_body, html_body, created_at, sent_at, failed_at) VALUES
		   ('k', 'a@example.com', 's', '', '', now() - interval '8 days', now() - interval '8 days', NULL),  -- old, sent: goes
		   ('k', 'a@example.com', 's', '', '', now() - interval '8 days', NULL, now() - interval '8 days'),  -- old, failed: goes
		   ('k', 'a@example.com', 's', 't', 'h', now() - interval '8 days', NULL, NULL),                   -- old, pending: stays
		   ('k', 'a@example.com', 's', '', '', now() - interval '1 day', now(), NULL)`, // recent, sent: stays
		`INSERT INTO email_tokens (token_hash, user_id, purpose, email, expires_at) VALUES
		   ('\x01', '` + user.ID.String() + `', 'verify_email', 'mailed@example.com', now() - interval '2 days'),
		   ('\x02', '` + user.ID.String() + `', 'verify_email', 'mailed@example.com', now() - interval '1 hour'),
		   ('\x03', '` + user.ID.String() + `', 'reset_password', 'mailed@example.com', now() + interval '1 hour')`,
	} {
		if _, err := pool.Exec(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	printed, _ := runCleanup(t, cfg)
	var mail, tokens int
	if err := pool.QueryRow(ctx, "SELECT (SELECT count(*) FROM mail_outbox), (SELECT count(*) FROM email_tokens)").Scan(&mail, &tokens); err != nil {
		t.Fatal(err)
	}
	if printed.Removed.MailMessages != 2 || printed.Removed.EmailTokens != 1 || mail != 2 || tokens != 2 {
		t.Errorf("removed %+v; left %d messages and %d tokens; want 2 and 1 removed, 2 and 2 left", printed.Removed, mail, tokens)
	}
}
