package store_test

import (
	"context"
	"io/fs"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"

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
