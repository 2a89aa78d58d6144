package store_test

import (
	"context"
	"database/sql"
	"io/fs"
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
	if applied != len(files) || distinct != len(files) {
		t.Errorf("migration rows = %d (%d distinct), want each of the %d migrations applied once", applied, distinct, len(files))
	}
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }

// Migration 00004 keeps only the avatar's file name of rows that held its URL, and 00004's Down restores it.
func TestAvatarMigrationKeepsFileNames(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	url := testdb.EmptyURL(t)
	sqlDB, err := sql.Open("pgx", url)
	if err != nil {
		t.Fatal(err)
	}
	defer sqlDB.Close()
	provider, err := goose.NewProvider(goose.DialectPostgres, sqlDB, migrations.FS, goose.WithDisableGlobalRegistry(true))
	if err != nil {
		t.Fatal(err)
	}
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
