package store

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// boundedPool gives every statement sent outside a transaction its own deadline: getting a connection
// from the pool and the statement's answer must both come within it. A database that accepts
// connections but answers nothing then costs a request this long, not forever; statement_timeout, which
// the server enforces, cannot help when the server is not reading.
type boundedPool struct {
	pool    *pgxpool.Pool
	timeout time.Duration
}

func (b boundedPool) Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error) {
	ctx, cancel := context.WithTimeout(ctx, b.timeout)
	defer cancel()
	return b.pool.Exec(ctx, sql, args...)
}

func (b boundedPool) Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error) {
	ctx, cancel := context.WithTimeout(ctx, b.timeout)
	rows, err := b.pool.Query(ctx, sql, args...)
	if err != nil {
		cancel()
		return nil, err
	}
	return boundedRows{Rows: rows, cancel: cancel}, nil
}

func (b boundedPool) QueryRow(ctx context.Context, sql string, args ...any) pgx.Row {
	ctx, cancel := context.WithTimeout(ctx, b.timeout)
	return boundedRow{row: b.pool.QueryRow(ctx, sql, args...), cancel: cancel}
}

// boundedRows releases its deadline when the rows are closed (sqlc's code always closes them).
type boundedRows struct {
	pgx.Rows
	cancel context.CancelFunc
}

func (r boundedRows) Close() {
	r.Rows.Close()
	r.cancel()
}

// boundedRow releases its deadline once scanned (pgx reads the answer during Scan).
type boundedRow struct {
	row    pgx.Row
	cancel context.CancelFunc
}

func (r boundedRow) Scan(dest ...any) error {
	defer r.cancel()
	return r.row.Scan(dest...)
}
