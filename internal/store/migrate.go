package store

import (
	"crypto/sha256"

	"context"
	"database/sql"
	"fmt"
	"io"
	"io/fs"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" database/sql driver
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"

	"github.com/authd/authd/migrations"
)

// Migrator applies the embedded migrations. A PostgreSQL advisory lock makes it safe for several authd
// instances to start, and migrate, at once.
type Migrator struct {
	provider *goose.Provider
	db       *sql.DB
}

// NewMigrator opens a migrator on databaseURL.
func NewMigrator(databaseURL string) (*Migrator, error) {
	sqlDB, err := sql.Open("pgx", databaseURL)
	if err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	m, err := newMigrator(sqlDB)
	if err != nil {
		sqlDB.Close()
		return nil, err
	}
	return m, nil
}

func newMigrator(sqlDB *sql.DB) (*Migrator, error) {
	locker, err := lock.NewPostgresSessionLocker()
	if err != nil {
		return nil, fmt.Errorf("migration lock: %w", err)
	}
	provider, err := goose.NewProvider(goose.DialectPostgres, sqlDB, migrationFiles(),
		goose.WithSessionLocker(locker), goose.WithDisableGlobalRegistry(true), goose.WithGoMigrations(normalizeEmailsMigration()))
	if err != nil {
		return nil, fmt.Errorf("migrations: %w", err)
	}
	return &Migrator{provider: provider, db: sqlDB}, nil
}

func migrationFiles() fs.FS { return migrations.FS }

// Up applies every pending migration and reports what it applied to out.
func (m *Migrator) Up(ctx context.Context, out io.Writer) error {
	results, err := m.provider.Up(ctx)
	for _, r := range results {
		fmt.Fprintf(out, "applied %s in %s\n", migrationName(r.Source), r.Duration)
	}
	if err != nil {
		return translate(err)
	}
	return nil
}

// UpTo applies the pending migrations up to and including version.
func (m *Migrator) UpTo(ctx context.Context, version int64) error {
	_, err := m.provider.UpTo(ctx, version)
	return translate(err)
}

// Down rolls back the latest migration.
func (m *Migrator) Down(ctx context.Context, out io.Writer) error {
	r, err := m.provider.Down(ctx)
	if r != nil {
		fmt.Fprintf(out, "rolled back %s in %s\n", migrationName(r.Source), r.Duration)
	}
	if err != nil {
		return translate(err)
	}
	return nil
}

// Status writes each migration and whether it is applied.
func (m *Migrator) Status(ctx context.Context, out io.Writer) error {
	statuses, err := m.provider.Status(ctx)
	if err != nil {
		return translate(err)
	}
	for _, s := range statuses {
		applied := "pending"
		if s.State == goose.StateApplied {
			applied = "applied " + s.AppliedAt.Format("2006-01-02 15:04:05 MST")
		}
		fmt.Fprintf(out, "%-40s %s\n", migrationName(s.Source), applied)
	}
	return nil
}

// Close releases the migrator's connection.
func (m *Migrator) Close() error { return m.db.Close() }

// MigrateDB applies every migration to an open *sql.DB (the test databases use it).
func MigrateDB(ctx context.Context, sqlDB *sql.DB) error {
	m, err := newMigrator(sqlDB)
	if err != nil {
		return err
	}
	_, err = m.provider.Up(ctx)
	return err
}

// MigrationsHash identifies the current set of migrations, so test templates are rebuilt when it changes.
func MigrationsHash() (string, error) {
	h := sha256.New()
	err := fs.WalkDir(migrations.FS, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(migrations.FS, path)
		if err != nil {
			return err
		}
		h.Write([]byte(path))
		h.Write(b)
		return nil
	})
	if err != nil {
		return "", err
	}
	// The Go migrations are part of the set too; bump the name when one changes.
	h.Write([]byte("go:5:normalize-emails-v1"))
	return fmt.Sprintf("%x", h.Sum(nil)), nil
}

// goMigrations names the migrations written in Go, which have no file for goose to name them by.
var goMigrations = map[int64]string{normalizeEmailsVersion: "normalize_emails"}

// migrationName is a migration's file, or for a Go migration its version and name.
func migrationName(source *goose.Source) string {
	if source == nil {
		return "(unknown)"
	}
	if source.Path != "" {
		return source.Path
	}
	return fmt.Sprintf("%05d_%s (Go)", source.Version, goMigrations[source.Version])
}
