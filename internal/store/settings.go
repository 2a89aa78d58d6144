package store

import (
	"context"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/authd/authd/gen/db"
	"github.com/authd/authd/internal/auth"
)

// settingsChannel is the NOTIFY channel on which settings changes are announced.
const settingsChannel = "authd_settings"

var _ auth.AdminStore = (*Store)(nil)

// SeedSettings stores defaults for settings that have no value yet; existing values win.
func (s *Store) SeedSettings(ctx context.Context, defaults auth.Settings) error {
	return wrap("seed settings", s.InTx(ctx, func(q *db.Queries) error {
		for key, value := range defaults {
			if err := q.SeedSetting(ctx, db.SeedSettingParams{Key: key, Value: value}); err != nil {
				return err
			}
		}
		return nil
	}))
}

// LoadSettings returns every stored setting.
func (s *Store) LoadSettings(ctx context.Context) (auth.Settings, error) {
	rows, err := s.queries(ctx).ListSettings(ctx)
	if err != nil {
		return nil, wrap("load settings", err)
	}
	out := auth.Settings{}
	for _, r := range rows {
		out[r.Key] = r.Value
	}
	return out, nil
}

// UpdateSettings implements auth.AdminStore. Each changed row is locked, so concurrent changes record a
// consistent history; the NOTIFY is delivered when the transaction commits.
func (s *Store) UpdateSettings(ctx context.Context, changes auth.Settings, actor auth.User) (auth.Settings, error) {
	err := s.InTx(ctx, func(q *db.Queries) error {
		for key, value := range changes {
			old, err := q.LockSetting(ctx, key)
			if err != nil {
				return err
			}
			if old == value {
				continue
			}
			if err := q.SetSetting(ctx, db.SetSettingParams{Key: key, Value: value}); err != nil {
				return err
			}
			if err := q.RecordSettingChange(ctx, db.RecordSettingChangeParams{
				Key: key, OldValue: old, NewValue: value, ChangedBy: &actor.ID, ChangedByEmail: actor.Email,
			}); err != nil {
				return err
			}
		}
		return q.NotifySettingsChanged(ctx)
	})
	if err != nil {
		return nil, wrap("update settings", err)
	}
	return s.LoadSettings(ctx)
}

// SettingsHistory returns up to limit changes older than beforeID (all when 0), newest first.
func (s *Store) SettingsHistory(ctx context.Context, limit int, beforeID int64) ([]auth.SettingChange, error) {
	var before *int64
	if beforeID > 0 {
		before = &beforeID
	}
	rows, err := s.queries(ctx).ListSettingsHistory(ctx, db.ListSettingsHistoryParams{Limit: int32(limit), BeforeID: before})
	if err != nil {
		return nil, wrap("settings history", err)
	}
	out := make([]auth.SettingChange, len(rows))
	for i, r := range rows {
		out[i] = auth.SettingChange{ID: r.ID, Key: r.Key, OldValue: r.OldValue, NewValue: r.NewValue,
			ChangedByEmail: r.ChangedByEmail, ChangedAt: r.ChangedAt}
		if r.ChangedBy != nil {
			out[i].ChangedBy = &auth.User{ID: *r.ChangedBy, Email: r.ChangedByEmail}
		}
	}
	return out, nil
}

// ListenSettings implements auth.SettingsSource.
func (s *Store) ListenSettings(ctx context.Context, changed func()) {
	s.listen(ctx, settingsChannel, changed)
}

// listen calls changed on every notification on channel, and after every (re)connection, until ctx ends.
// It holds a connection of its own (not one of the pool's) and reconnects after failures with a capped
// backoff.
func (s *Store) listen(ctx context.Context, channel string, changed func()) {
	backoff := 100 * time.Millisecond
	for ctx.Err() == nil {
		err := s.listenOnce(ctx, channel, changed)
		if ctx.Err() != nil {
			return
		}
		slog.Warn("listener disconnected", slog.String("channel", channel), slog.String("error", err.Error()), slog.Duration("retry_in", backoff))
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
		backoff = min(backoff*2, 5*time.Second)
	}
}

func (s *Store) listenOnce(ctx context.Context, channel string, changed func()) error {
	conn, err := pgx.ConnectConfig(ctx, s.pool.Config().ConnConfig.Copy())
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if _, err := conn.Exec(ctx, "LISTEN "+pgx.Identifier{channel}.Sanitize()); err != nil {
		return err
	}
	// Anything may have changed while we were not listening.
	changed()
	for {
		if _, err := conn.WaitForNotification(ctx); err != nil {
			return err
		}
		changed()
	}
}
