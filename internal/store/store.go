package store

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/exaring/otelpgx"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/authd/authd/gen/db"
	"github.com/authd/authd/internal/auth"
)

// Store is the PostgreSQL implementation of auth.Store.
type Store struct {
	pool    *pgxpool.Pool
	q       *db.Queries
	timeout time.Duration
}

// Options bound how long authd waits for PostgreSQL, and say whether statements are traced.
type Options struct {
	// Trace makes every statement an OpenTelemetry span (otelpgx), with the global tracer provider.
	Trace bool
	// StatementTimeout is set as statement_timeout on every connection: the server ends a statement that
	// runs longer. Zero means DefaultStatementTimeout.
	StatementTimeout time.Duration
	// OperationTimeout bounds each operation on the client side: a connection from the pool and the answer
	// to a statement, or a whole transaction. Zero means DefaultOperationTimeout.
	OperationTimeout time.Duration
}

// Default limits: a request that needs the database gets its answer, or a 503, within a few seconds.
const (
	DefaultStatementTimeout = 5 * time.Second
	DefaultOperationTimeout = 3 * time.Second
)

func (l Options) withDefaults() Options {
	if l.StatementTimeout <= 0 {
		l.StatementTimeout = DefaultStatementTimeout
	}
	if l.OperationTimeout <= 0 {
		l.OperationTimeout = DefaultOperationTimeout
	}
	return l
}

var _ auth.Store = (*Store)(nil)

// defaultMaxConns is the pool size unless DATABASE_URL sets pool_max_conns.
const defaultMaxConns = 20

// Open connects a pool to databaseURL. It does not wait for the database: authd starts, answers 503 while
// PostgreSQL is away or does not answer, and recovers by itself when it returns.
func Open(ctx context.Context, databaseURL string, limits Options) (*Store, error) {
	limits = limits.withDefaults()
	cfg, err := pgxpool.ParseConfig(databaseURL)
	if err != nil {
		return nil, fmt.Errorf("parse DATABASE_URL: %w", err)
	}
	if limits.Trace {
		cfg.ConnConfig.Tracer = otelpgx.NewTracer()
	}
	cfg.AfterConnect = func(_ context.Context, conn *pgx.Conn) error {
		registerUUID(conn.TypeMap())
		return nil
	}
	if _, set := cfg.ConnConfig.RuntimeParams["statement_timeout"]; !set {
		cfg.ConnConfig.RuntimeParams["statement_timeout"] = strconv.FormatInt(limits.StatementTimeout.Milliseconds(), 10)
	}
	// A short connect timeout turns an outage into a quick 503 rather than a hanging request.
	cfg.ConnConfig.ConnectTimeout = 3 * time.Second
	cfg.HealthCheckPeriod = 5 * time.Second
	// pgx's default (max(4, CPUs)) makes every request queue behind a login flood's queries; a larger
	// pool keeps cheap requests such as GET /api/me moving. pool_max_conns in DATABASE_URL still wins.
	if !strings.Contains(databaseURL, "pool_max_conns") {
		cfg.MaxConns = defaultMaxConns
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("open pool: %w", err)
	}
	return newStore(pool, limits.OperationTimeout), nil
}

// New wraps an existing pool with the default limits.
func New(pool *pgxpool.Pool) *Store { return newStore(pool, DefaultOperationTimeout) }

func newStore(pool *pgxpool.Pool, timeout time.Duration) *Store {
	return &Store{pool: pool, q: db.New(boundedPool{pool: pool, timeout: timeout}), timeout: timeout}
}

// Stat returns the pool's statistics, for metrics.
func (s *Store) Stat() *pgxpool.Stat { return s.pool.Stat() }

// Close closes the pool.
func (s *Store) Close() { s.pool.Close() }

// errReadOnly is a database that answers but cannot take writes: a standby, or one set read-only.
var errReadOnly = errors.New("the database is read-only (a standby, or default_transaction_read_only is on)")

// Ping checks that the database answers and accepts writes: authd cannot sign anyone in otherwise, so
// /readyz says 503 on a standby or a read-only database.
func (s *Store) Ping(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	var writable bool
	err := s.pool.QueryRow(ctx, "SELECT NOT pg_is_in_recovery() AND current_setting('transaction_read_only') = 'off'").Scan(&writable)
	if err == nil && !writable {
		return fmt.Errorf("%w: %w", auth.ErrUnavailable, errReadOnly)
	}
	return wrap("ping", err)
}

// txKey carries the transaction Atomically opened, so that every store method called with its context
// runs in it.
type txKey struct{}

// queries are the queries of ctx's transaction, if Atomically opened one, and the pool's otherwise.
func (s *Store) queries(ctx context.Context) *db.Queries {
	if tx, ok := ctx.Value(txKey{}).(pgx.Tx); ok {
		return s.q.WithTx(tx)
	}
	return s.q
}

// Atomically runs fn in one transaction: every store method fn calls with the context it is given runs in
// it, and all of it commits when fn returns nil, or none of it. It is how the domain writes a change and
// its audit event together. Called within another Atomically, it joins that transaction.
func (s *Store) Atomically(ctx context.Context, fn func(ctx context.Context) error) error {
	if _, ok := ctx.Value(txKey{}).(pgx.Tx); ok {
		return fn(ctx)
	}
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return translate(err)
	}
	defer tx.Rollback(ctx) //nolint:errcheck // a no-op after Commit
	if err := fn(context.WithValue(ctx, txKey{}, tx)); err != nil {
		return translate(err)
	}
	return translate(tx.Commit(ctx))
}

// InTx runs fn in a transaction, committing when it returns nil and rolling back otherwise; within
// Atomically it joins that transaction. The whole transaction, from getting a connection to the commit,
// is bounded by the operation timeout.
func (s *Store) InTx(ctx context.Context, fn func(q *db.Queries) error) error {
	return s.Atomically(ctx, func(ctx context.Context) error { return fn(s.queries(ctx)) })
}

// PostgreSQL error codes translated into domain errors.
const (
	uniqueViolation           = "23505"
	checkViolation            = "23514"
	characterNotInRepertoire  = "22021"
	untranslatableCharacter   = "22P05"
	stringDataRightTruncation = "22001"
	invalidTextRepresentation = "22P02"
)

// The database states a request can meet that are the database's, not the request's: each is answered
// 503 with Retry-After (auth.ErrUnavailable), never 500, and goes away by itself or by an operator.
var (
	unavailableClasses = map[string]bool{
		"08": true, // connection exceptions
		"53": true, // insufficient resources: too many connections, disk full, out of memory
		"58": true, // system errors: I/O
	}
	unavailableStates = map[string]bool{
		"57014": true, // query_canceled: statement_timeout cut the statement (a lock held too long)
		"57P01": true, // admin_shutdown
		"57P02": true, // crash_shutdown
		"57P03": true, // cannot_connect_now: starting up or in recovery
		"57P04": true, // database_dropped
		"25006": true, // read_only_sql_transaction: a standby, or default_transaction_read_only
		"40001": true, // serialization_failure
		"40P01": true, // deadlock_detected
		"55P03": true, // lock_not_available
		"26000": true, // invalid_sql_statement_name: a prepared statement lost by a pooler
		"42P05": true, // duplicate_prepared_statement: one a pooler's server connection already has
	}
)

// wrap translates err and names the operation that failed, so that a logged 500 says which step it was.
// Sentinels survive: errors.Is(wrap("x", pgx.ErrNoRows), auth.ErrNotFound) holds.
func wrap(op string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("%s: %w", op, translate(err))
}

// translate turns a driver error into a domain error, keeping the original for the logs.
func translate(err error) error {
	if err == nil {
		return nil
	}
	var domainErr *auth.ValidationError
	if errors.As(err, &domainErr) || isDomain(err) {
		return err
	}
	if errors.Is(err, pgx.ErrNoRows) {
		return auth.ErrNotFound
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch {
		case pgErr.Code == uniqueViolation && pgErr.ConstraintName == "users_email_key":
			return fmt.Errorf("%w: %w", auth.ErrEmailTaken, err)
		case pgErr.Code == uniqueViolation && pgErr.ConstraintName == "users_username_key":
			return fmt.Errorf("%w: %w", auth.ErrUsernameTaken, err)
		case pgErr.Code == characterNotInRepertoire || pgErr.Code == untranslatableCharacter:
			return fmt.Errorf("%w: %w", auth.Invalid("body", "text must not contain NUL characters"), err)
		case pgErr.Code == stringDataRightTruncation || pgErr.Code == checkViolation || pgErr.Code == invalidTextRepresentation:
			return fmt.Errorf("%w: %w", auth.Invalid("body", "a value is out of range"), err)
		case unavailableStates[pgErr.Code] || unavailableClasses[pgErr.Code[:2]]:
			return fmt.Errorf("%w: %w", auth.ErrUnavailable, err)
		}
		return err
	}
	if isConnectionError(err) {
		return fmt.Errorf("%w: %w", auth.ErrUnavailable, err)
	}
	return err
}

func isDomain(err error) bool {
	for _, target := range []error{auth.ErrNotFound, auth.ErrEmailTaken, auth.ErrUsernameTaken, auth.ErrInvalidToken,
		auth.ErrTokenReused, auth.ErrUnavailable, auth.ErrForbidden, auth.ErrLastAdmin, auth.ErrConflict} {
		if errors.Is(err, target) {
			return true
		}
	}
	return false
}

// isConnectionError reports errors that mean the database is unreachable rather than that the query is wrong.
func isConnectionError(err error) bool {
	var connectErr *pgconn.ConnectError
	var netErr net.Error
	switch {
	case errors.As(err, &connectErr), errors.As(err, &netErr):
		return true
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, syscall.ECONNREFUSED),
		errors.Is(err, syscall.ECONNRESET), errors.Is(err, net.ErrClosed):
		return true
	case errors.Is(err, context.DeadlineExceeded), pgconn.Timeout(err), pgconn.SafeToRetry(err):
		return true
	}
	return false
}
