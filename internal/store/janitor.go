package store

import (
	"context"
	"fmt"
	"time"

	"github.com/authd/authd/gen/db"
	"github.com/authd/authd/internal/auth"
)

// janitorBatch is the most rows one DELETE removes, so that no statement holds locks for long.
const janitorBatch = 5000

// janitorStatementTimeout bounds each batch; the janitor is not on a request's path.
const janitorStatementTimeout = 30 * time.Second

var _ auth.JanitorStore = (*Store)(nil)

// Cleanup implements auth.JanitorStore. It holds a session advisory lock on one connection, so that one
// instance at a time cleans, and deletes in batches of janitorBatch rows, each its own transaction.
func (s *Store) Cleanup(ctx context.Context, r auth.Retention) (auth.CleanupReport, bool, error) {
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return auth.CleanupReport{}, false, wrap("janitor connection", err)
	}
	defer conn.Release()
	q := db.New(conn)
	locked, err := q.TryJanitorLock(ctx)
	if err != nil || !locked {
		return auth.CleanupReport{}, false, wrap("janitor lock", err)
	}
	defer func() { _ = q.JanitorUnlock(context.WithoutCancel(ctx)) }()

	var report auth.CleanupReport
	steps := []struct {
		counter *int64
		name    string
		delete  func(ctx context.Context) (int64, error)
	}{
		{&report.RefreshTokens, "used refresh tokens", func(ctx context.Context) (int64, error) {
			return q.DeleteUsedRefreshTokens(ctx, db.DeleteUsedRefreshTokensParams{RetentionSeconds: r.UsedRefreshTokens.Seconds(), Batch: janitorBatch})
		}},
		{&report.Sessions, "ended sessions", func(ctx context.Context) (int64, error) {
			return q.DeleteEndedSessions(ctx, db.DeleteEndedSessionsParams{RetentionSeconds: r.EndedSessions.Seconds(), Batch: janitorBatch})
		}},
		{&report.LoginFailures, "stale login failures", func(ctx context.Context) (int64, error) {
			return q.DeleteStaleLoginFailures(ctx, janitorBatch)
		}},
		{&report.LoginFailureEvents, "old login failure events", func(ctx context.Context) (int64, error) {
			return q.DeleteOldLoginFailureEvents(ctx, janitorBatch)
		}},
		{&report.RateWindows, "old rate windows", func(ctx context.Context) (int64, error) {
			return q.DeleteOldRateWindows(ctx, janitorBatch)
		}},
		{&report.AuditEvents, "old audit events", func(ctx context.Context) (int64, error) {
			return q.DeleteOldAuditEvents(ctx, db.DeleteOldAuditEventsParams{RetentionDays: int32(r.AuditEvents / (24 * time.Hour)), Batch: janitorBatch})
		}},
		{&report.MailMessages, "delivered or failed mail", func(ctx context.Context) (int64, error) {
			return q.DeleteOldOutbox(ctx, db.DeleteOldOutboxParams{Before: time.Now().Add(-auth.MailRetention), Batch: janitorBatch})
		}},
		{&report.EmailTokens, "expired link tokens", func(ctx context.Context) (int64, error) {
			return q.DeleteOldEmailTokens(ctx, db.DeleteOldEmailTokensParams{Before: time.Now().Add(-auth.EmailTokenRetention), Batch: janitorBatch})
		}},
		{&report.LoginCodes, "expired sign-in codes", func(ctx context.Context) (int64, error) {
			return q.DeleteOldLoginCodes(ctx, janitorBatch)
		}},
	}
	for _, step := range steps {
		for {
			stepCtx, cancel := context.WithTimeout(ctx, janitorStatementTimeout)
			n, err := step.delete(stepCtx)
			cancel()
			if err != nil {
				return report, true, wrap(fmt.Sprintf("delete %s", step.name), err)
			}
			*step.counter += n
			if n < janitorBatch {
				break
			}
		}
	}
	return report, true, nil
}
