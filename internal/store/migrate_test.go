package store_test

import (
	"context"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/authd/authd/internal/store"
	"github.com/authd/authd/internal/testdb"
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
	var applied int
	if err := conn.QueryRow(context.Background(), "SELECT count(*) FROM goose_db_version WHERE version_id > 0").Scan(&applied); err != nil {
		t.Fatal(err)
	}
	if applied != 1 {
		t.Errorf("migration rows = %d, want each migration applied once", applied)
	}
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }
