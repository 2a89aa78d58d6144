package store_test

import (
	"context"
	"database/sql"
	"errors"
	"io/fs"
	"strings"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/pressly/goose/v3"

	"github.com/authd/authd/internal/store"
	"github.com/authd/authd/internal/testdb"
	"github.com/authd/authd/migrations"
)

// Several instances starting at once all migrate without error, and the schema is applied once.
func TestConcurrentMigrationsAreSafe(t *testing.T) {
	t.Parallel()
	url := testdb.EmptyURL(t)
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			m, err := store.NewMigrator(url)
			if err != nil {
				errs <- err
				return
			}
			defer m.Close()
			errs <- m.Up(context.Background(), discard{})
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("migrate: %v", err)
		}
	}
	conn, err := pgx.Connect(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	var applied, distinct int
	if err := conn.QueryRow(context.Background(),
		"SELECT count(*), count(DISTINCT version_id) FROM goose_db_version WHERE version_id > 0").Scan(&applied, &distinct); err != nil {
		t.Fatal(err)
	}
	files, err := fs.Glob(migrations.FS, "*.sql")
	if err != nil {
		t.Fatal(err)
	}
	const goMigrations = 1 // normalize_emails.go
	if want := len(files) + goMigrations; applied != want || distinct != want {
		t.Errorf("migration rows = %d (%d distinct), want each of the %d migrations applied once", applied, distinct, want)
	}
}

// migrationProvider is an empty database and a goose provider over authd's migrations, for tests that
// step through them one by one.
func migrationProvider(t *testing.T) (*sql.DB, *goose.Provider) {
	t.Helper()
	sqlDB, err := sql.Open("pgx", testdb.EmptyURL(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sqlDB.Close() })
	provider, err := goose.NewProvider(goose.DialectPostgres, sqlDB, migrations.FS, goose.WithDisableGlobalRegistry(true))
	if err != nil {
		t.Fatal(err)
	}
	return sqlDB, provider
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }

// Migration 00004 keeps only the avatar's file name of rows that held its URL, and 00004's Down restores it.
func TestAvatarMigrationKeepsFileNames(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	sqlDB, provider := migrationProvider(t)
	if _, err := provider.UpTo(ctx, 3); err != nil {
		t.Fatal(err)
	}
	if _, err := sqlDB.ExecContext(ctx, `INSERT INTO users (email, password_hash, avatar_url) VALUES
		('a@example.com', 'x', '/media/avatars/0123456789abcdef0123456789abcdef.png'), ('b@example.com', 'x', NULL)`); err != nil {
		t.Fatal(err)
	}
	if _, err := provider.UpTo(ctx, 4); err != nil {
		t.Fatal(err)
	}
	var a, b sql.NullString
	if err := sqlDB.QueryRowContext(ctx, "SELECT (SELECT avatar FROM users WHERE email = 'a@example.com'), (SELECT avatar FROM users WHERE email = 'b@example.com')").Scan(&a, &b); err != nil {
		t.Fatal(err)
	}
	if a.String != "0123456789abcdef0123456789abcdef.png" || b.Valid {
		t.Fatalf("after 00004: %v %v", a, b)
	}
	if _, err := provider.DownTo(ctx, 3); err != nil {
		t.Fatal(err)
	}
	if err := sqlDB.QueryRowContext(ctx, "SELECT avatar_url FROM users WHERE email = 'a@example.com'").Scan(&a); err != nil ||
		a.String != "/media/avatars/0123456789abcdef0123456789abcdef.png" {
		t.Fatalf("after rolling 00004 back: %v %v", a, err)
	}
}

// Migration 5 rewrites emails into their normalised form, and refuses (listing them) accounts whose
// emails become one address, rather than merging them.
func TestEmailNormalisationMigration(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	url := testdb.EmptyURL(t)
	m, err := store.NewMigrator(url)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if err := m.UpTo(ctx, 4); err != nil {
		t.Fatal(err)
	}
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	for id, email := range map[string]string{
		"00000000-0000-4000-8000-000000000001": "jos\u00e9@example.com",
		"00000000-0000-4000-8000-000000000002": "jose\u0301@example.com",
		"00000000-0000-4000-8000-000000000003": "ada@b\u00fccher.example",
		"00000000-0000-4000-8000-000000000004": "ada@xn--bcher-kva.example",
		"00000000-0000-4000-8000-000000000005": "grace@b\u00fccher.example",
		"00000000-0000-4000-8000-000000000006": "plain@example.com",
	} {
		if _, err := conn.Exec(ctx, "INSERT INTO users (id, email, password_hash) VALUES ($1, $2, 'x')", id, email); err != nil {
			t.Fatal(err)
		}
	}
	err = m.Up(ctx, discard{})
	var collision *store.EmailCollisionError
	if !errors.As(err, &collision) || len(collision.Groups) != 2 {
		t.Fatalf("migrate up with collisions: %v", err)
	}
	for _, id := range []string{"0001", "0002", "0003", "0004"} {
		if !strings.Contains(err.Error(), "00000000-0000-4000-8000-00000000"+id) {
			t.Errorf("the error does not list account ...%s:\n%v", id, err)
		}
	}
	// Nothing changed, and nothing was merged.
	var n int
	if err := conn.QueryRow(ctx, "SELECT count(*) FROM users WHERE email = $1", "grace@b\u00fccher.example").Scan(&n); err != nil || n != 1 {
		t.Fatalf("a failed migration changed rows: %d %v", n, err)
	}
	// The operator resolves the collisions; the migration then normalises every email.
	if _, err := conn.Exec(ctx, "DELETE FROM users WHERE id IN ('00000000-0000-4000-8000-000000000002', '00000000-0000-4000-8000-000000000004')"); err != nil {
		t.Fatal(err)
	}
	if err := m.Up(ctx, discard{}); err != nil {
		t.Fatalf("migrate up after resolving: %v", err)
	}
	want := map[string]string{
		"00000000-0000-4000-8000-000000000001": "jos\u00e9@example.com",
		"00000000-0000-4000-8000-000000000003": "ada@xn--bcher-kva.example",
		"00000000-0000-4000-8000-000000000005": "grace@xn--bcher-kva.example",
		"00000000-0000-4000-8000-000000000006": "plain@example.com",
	}
	for id, email := range want {
		var got string
		if err := conn.QueryRow(ctx, "SELECT email FROM users WHERE id = $1", id).Scan(&got); err != nil || got != email {
			t.Errorf("%s: %q %v, want %q", id, got, err, email)
		}
	}
}

// Migration 14 turns the unusable-password sentinels ("!..." and "") into NULL and forbids them; its Down
// gives every account without a password an unusable hash again. Migration 13 makes every earlier session
// a password login at its creation.
func TestOptionalPasswordMigration(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	sqlDB, provider := migrationProvider(t)
	if _, err := provider.UpTo(ctx, 12); err != nil {
		t.Fatal(err)
	}
	if _, err := sqlDB.ExecContext(ctx, `INSERT INTO users (email, password_hash) VALUES
		('django@example.com', '!Xk2r9ZmQpL4vT7yB1nC8dF3gH6jK0sW5eR2tY9uI'), ('empty@example.com', ''),
		('real@example.com', '$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA')`); err != nil {
		t.Fatal(err)
	}
	if _, err := sqlDB.ExecContext(ctx, `INSERT INTO sessions (user_id, expires_at, created_at)
		SELECT id, now() + interval '1 day', now() - interval '2 hours' FROM users WHERE email = 'real@example.com'`); err != nil {
		t.Fatal(err)
	}
	if _, err := provider.UpTo(ctx, 14); err != nil {
		t.Fatal(err)
	}
	var nulls int
	var real sql.NullString
	if err := sqlDB.QueryRowContext(ctx, `SELECT count(*) FILTER (WHERE password_hash IS NULL),
		max(password_hash) FILTER (WHERE email = 'real@example.com') FROM users`).Scan(&nulls, &real); err != nil {
		t.Fatal(err)
	}
	if nulls != 2 || !strings.HasPrefix(real.String, "$argon2id$") {
		t.Fatalf("after 14: %d NULL hashes, real %q", nulls, real.String)
	}
	var methods, amr string
	var authTimeIsCreation bool
	if err := sqlDB.QueryRowContext(ctx, "SELECT methods::text, amr::text, auth_time = created_at FROM sessions").Scan(&methods, &amr, &authTimeIsCreation); err != nil ||
		methods != "{password}" || amr != "{pwd}" || !authTimeIsCreation {
		t.Fatalf("an earlier session after 13: %s %s %v %v", methods, amr, authTimeIsCreation, err)
	}
	for _, sentinel := range []string{"!again", ""} {
		if _, err := sqlDB.ExecContext(ctx, "UPDATE users SET password_hash = $1 WHERE email = 'real@example.com'", sentinel); err == nil {
			t.Errorf("a sentinel %q was stored after 14", sentinel)
		}
	}
	if _, err := provider.DownTo(ctx, 12); err != nil {
		t.Fatal(err)
	}
	rows, err := sqlDB.QueryContext(ctx, "SELECT password_hash FROM users WHERE email <> 'real@example.com'")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var hash string
		if err := rows.Scan(&hash); err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(hash, "!") || len(hash) != 41 {
			t.Errorf("after rolling 14 back: %q, want ! and 40 characters", hash)
		}
	}
}

// Every migration is named in what Up reports, the Go one too.
func TestMigrationsAreNamedInTheLog(t *testing.T) {
	t.Parallel()
	m, err := store.NewMigrator(testdb.EmptyURL(t))
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	var out strings.Builder
	if err := m.Up(context.Background(), &out); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "applied 00005_normalize_emails (Go) in") || strings.Contains(out.String(), "applied  in") {
		t.Errorf("migration log:\n%s", out.String())
	}
}
