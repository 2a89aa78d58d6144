package auth

import (
	"context"
	"log/slog"
	"time"
)

// Retention says how long each kind of row outlives its use.
type Retention struct {
	UsedRefreshTokens time.Duration
	EndedSessions     time.Duration
	AuditEvents       time.Duration
}

// CleanupReport counts the rows one cleanup removed.
type CleanupReport struct {
	RefreshTokens      int64 `json:"refresh_tokens"`
	Sessions           int64 `json:"sessions"`
	LoginFailures      int64 `json:"login_failures"`
	LoginFailureEvents int64 `json:"login_failure_events"`
	RateWindows        int64 `json:"rate_windows"`
	AuditEvents        int64 `json:"audit_events"`
	MailMessages       int64 `json:"mail_messages"`
	EmailTokens        int64 `json:"email_tokens"`
	LoginCodes         int64 `json:"login_codes"`
}

// Total is every row removed.
func (r CleanupReport) Total() int64 {
	return r.RefreshTokens + r.Sessions + r.LoginFailures + r.LoginFailureEvents + r.RateWindows + r.AuditEvents +
		r.MailMessages + r.EmailTokens + r.LoginCodes
}

// Retention of the mail tables, which no setting changes: a delivered or failed message is kept a week
// for an operator to look into, and a link token a day past its expiry (after which it is answered like
// any unknown token anyway).
const (
	MailRetention       = 7 * 24 * time.Hour
	EmailTokenRetention = 24 * time.Hour
)

// JanitorStore deletes what no decision needs any more.
type JanitorStore interface {
	// Cleanup deletes in small batches; ran is false when another instance holds the janitor lock.
	Cleanup(ctx context.Context, r Retention) (report CleanupReport, ran bool, err error)
}

// Janitor keeps every table bounded: used refresh tokens past the reuse-detection window, ended sessions
// past their retention, throttling rows that no longer decide anything, and old audit events.
type Janitor struct {
	store    JanitorStore
	settings *LiveSettings
	// removed is told how many rows of each kind every run removed (metrics); may be nil.
	removed func(CleanupReport)
}

// NewJanitor returns a janitor that applies the retention settings in force.
func NewJanitor(store JanitorStore, settings *LiveSettings, removed func(CleanupReport)) *Janitor {
	return &Janitor{store: store, settings: settings, removed: removed}
}

// Run cleans once.
func (j *Janitor) Run(ctx context.Context) (CleanupReport, bool, error) {
	s := j.settings.Get()
	report, ran, err := j.store.Cleanup(ctx, Retention{
		UsedRefreshTokens: time.Duration(s[SettingReuseDetection]) * time.Second,
		EndedSessions:     time.Duration(s[SettingSessionRetention]) * time.Second,
		AuditEvents:       time.Duration(s[SettingAuditRetentionDays]) * 24 * time.Hour,
	})
	if ran && j.removed != nil {
		j.removed(report)
	}
	return report, ran, err
}

// Every runs the janitor every interval until ctx ends.
func (j *Janitor) Every(ctx context.Context, interval time.Duration) {
	ticker := time.NewTicker(interval)
	defer ticker.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
			report, ran, err := j.Run(ctx)
			switch {
			case err != nil && ctx.Err() == nil:
				slog.Warn("janitor", slog.String("error", err.Error()))
			case ran && report.Total() > 0:
				slog.Info("janitor removed rows", slog.Any("removed", report))
			}
		}
	}
}
