package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/authd/authd/internal/auth"
	"github.com/authd/authd/internal/avatar"
	"github.com/authd/authd/internal/config"
	"github.com/authd/authd/internal/httpapi"
	"github.com/authd/authd/internal/importer"
	"github.com/authd/authd/internal/mail"
	"github.com/authd/authd/internal/metrics"
	"github.com/authd/authd/internal/signing"
	"github.com/authd/authd/internal/store"
)

// Version is set at build time with -ldflags "-X github.com/authd/authd/internal/app.Version=...".
var Version = "dev"

// hashWait is how long a login waits for a free hashing slot before it is answered 503.
const hashWait = 2 * time.Second

// NewLogger returns the JSON logger authd logs with. Durations are written as people read them ("1.5s",
// "250ms"), not as nanoseconds.
func NewLogger(w io.Writer, level slog.Level) *slog.Logger {
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: level, ReplaceAttr: readableDurations}))
}

func readableDurations(_ []string, a slog.Attr) slog.Attr {
	if a.Value.Kind() == slog.KindDuration {
		return slog.String(a.Key, a.Value.Duration().String())
	}
	return a
}

// Serve applies pending migrations, then serves until ctx is cancelled, then shuts down gracefully:
// in-flight requests get up to cfg.ShutdownTimeout to finish.
func Serve(ctx context.Context, cfg config.Config, ready func(addr string)) error {
	slog.Info("starting authd", slog.String("version", Version), slog.Any("config", cfg))
	if cfg.Tracing() {
		shutdown, err := startTracing(ctx)
		if err != nil {
			return err
		}
		defer shutdown()
	}
	if err := migrateUp(ctx, cfg.DatabaseURL); err != nil {
		return err
	}
	st, err := store.Open(ctx, cfg.DatabaseURL, cfg.DBOptions())
	if err != nil {
		return err
	}
	defer st.Close()

	a, err := New(ctx, cfg, st)
	if err != nil {
		return err
	}
	defer a.Close()
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", cfg.Addr, err)
	}
	srv := &http.Server{
		Handler:           a.Handler,
		ReadHeaderTimeout: cfg.ReadHeaderTimeout,
		ReadTimeout:       15 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    32 << 10,
		ErrorLog:          slog.NewLogLogger(slog.Default().Handler(), slog.LevelWarn),
	}
	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(ln) }()
	if cfg.MetricsAddr != "" {
		metricsLn, err := net.Listen("tcp", cfg.MetricsAddr)
		if err != nil {
			return fmt.Errorf("listen on AUTHD_METRICS_ADDR %s: %w", cfg.MetricsAddr, err)
		}
		mux := http.NewServeMux()
		mux.Handle("GET /metrics", a.Metrics)
		metricsSrv := &http.Server{Handler: mux, ReadHeaderTimeout: cfg.ReadHeaderTimeout, ReadTimeout: 10 * time.Second,
			WriteTimeout: 30 * time.Second, IdleTimeout: 120 * time.Second}
		go func() { _ = metricsSrv.Serve(metricsLn) }()
		defer metricsSrv.Close()
		slog.Info("serving metrics", slog.String("addr", metricsLn.Addr().String()))
	}
	addr := ln.Addr().String()
	slog.Info("serving", slog.String("addr", addr), slog.String("docs", "http://"+addr+"/docs/"))
	if ready != nil {
		ready(addr)
	}

	select {
	case err := <-serveErr:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	slog.Info("shutting down", slog.Duration("timeout", cfg.ShutdownTimeout))
	shutdownCtx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-serveErr; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	slog.Info("stopped")
	return nil
}

// avatarDecodes is how many avatar images may be decoded at once; each may take 64 MiB.
const avatarDecodes = 2

// settingsPoll is how often settings are reloaded even without a notification, in case one is lost.
const settingsPoll = 5 * time.Second

// App is authd's domain and HTTP handler on an open store, with the settings follower running.
type App struct {
	Handler http.Handler
	// Metrics serves the Prometheus metrics, on a listener of its own (AUTHD_METRICS_ADDR).
	Metrics  http.Handler
	Admin    *auth.Admin
	Accounts *auth.Accounts
	Keys     *auth.KeyManager // nil with HS256
	stop     context.CancelFunc
	done     chan struct{}
}

// New seeds the runtime settings from cfg where the database has none, loads them, follows their changes
// and builds the handler. Close stops following.
func New(ctx context.Context, cfg config.Config, st *store.Store) (*App, error) {
	live, err := loadSettings(ctx, cfg, st)
	if err != nil {
		return nil, err
	}
	hasher := auth.NewHasher(auth.DefaultArgon2Params, 0, hashWait)
	keySource, keys, err := signingKeys(ctx, cfg, st, live)
	if err != nil {
		return nil, err
	}
	tokens := auth.NewTokens(keySource, cfg.IssuerValue(), cfg.Audience, cfg.ClientID)
	media, err := avatar.NewDir(cfg.MediaDir)
	if err != nil {
		return nil, err
	}
	m := metrics.New(metrics.Sources{Version: Version, Hasher: hasher, PoolStat: st.Stat})
	templates, err := mail.LoadTemplates(cfg.TemplatesDir)
	if err != nil {
		return nil, err
	}
	sender, err := mailSender(cfg)
	if err != nil {
		return nil, err
	}
	mailer := auth.NewMailer(templates, cfg.Links(), live)
	accounts := auth.NewAccounts(st, hasher, media, mailer)
	audit := auth.NewAuditor(st)
	processor := avatar.NewProcessor(avatarDecodes)
	svc := auth.NewService(st, accounts, hasher, tokens, live, auth.Media{Processor: processor, Storage: media}, audit)
	admin := auth.NewAdmin(st, live, accounts, keys, audit)
	handler, err := httpapi.NewHandler(httpapi.Deps{Auth: svc, Admin: admin, DB: st, Keys: keys, RequestTimeout: cfg.RequestTimeout, Metrics: m,
		Tracing: cfg.Tracing(),
		Discovery: httpapi.Discovery{Issuer: cfg.IssuerValue(), PublicURL: cfg.PublicURLValue(), Alg: cfg.Alg(),
			PublishAhead: live.Seconds(auth.SettingKeyPublishAhead)},
		TrustedProxies: cfg.TrustedProxies, CORSOrigins: cfg.CORSOrigins, CompatRoutesOff: !cfg.CompatRoutes,
		Importer: importer.New(st, accounts, processor)})
	if err != nil {
		return nil, err
	}
	followCtx, stop := context.WithCancel(context.WithoutCancel(ctx))
	janitor := auth.NewJanitor(st, live, m.JanitorRemoved)
	a := &App{Handler: handler, Metrics: m.Handler(), Admin: admin, Accounts: accounts, Keys: keys, stop: stop,
		done: make(chan struct{})}
	var followers sync.WaitGroup
	followers.Go(func() { live.Follow(followCtx, st, settingsPoll, m.SettingsReloaded) })
	imported := make(chan struct{}, 1)
	followers.Go(func() { st.ListenImports(followCtx, func() { notify(imported) }) })
	followers.Go(func() { svc.FollowLegacyHashes(followCtx, imported) })
	if keys != nil {
		followers.Go(func() { keys.Follow(followCtx, settingsPoll, keyMaintenance) })
	}
	if cfg.CleanupInterval > 0 {
		followers.Go(func() { janitor.Every(followCtx, cfg.CleanupInterval) })
	}
	if cfg.MailDelivery {
		wake := make(chan struct{}, 1)
		followers.Go(func() { st.ListenMail(followCtx, func() { notify(wake) }) })
		deliverer := mail.NewDeliverer(st, sender, cfg.Delivery(), m.Mail)
		followers.Go(func() { deliverer.Run(followCtx, wake) })
	}
	go func() {
		followers.Wait()
		close(a.done)
	}()
	return a, nil
}

// notify wakes the reader of wake, or leaves it awake if it has not woken yet.
func notify(wake chan<- struct{}) {
	select {
	case wake <- struct{}{}:
	default:
	}
}

// mailSender is SMTP when AUTHD_SMTP_URL is set, and the development outbox directory otherwise.
func mailSender(cfg config.Config) (mail.Sender, error) {
	if cfg.SMTPURL != "" {
		return mail.NewSMTP(cfg.SMTPURL, cfg.MailFrom)
	}
	return mail.NewDir(cfg.MailDir, cfg.MailFrom)
}

// loadSettings seeds the runtime settings from cfg where the database has none and returns them.
func loadSettings(ctx context.Context, cfg config.Config, st *store.Store) (*auth.LiveSettings, error) {
	if err := st.SeedSettings(ctx, cfg.SettingDefaults()); err != nil {
		return nil, fmt.Errorf("seed settings: %w", err)
	}
	current, err := st.LoadSettings(ctx)
	if err != nil {
		return nil, fmt.Errorf("load settings: %w", err)
	}
	for _, note := range cfg.SeedsOverridden(current) {
		slog.InfoContext(ctx, note)
	}
	return auth.NewLiveSettings(current), nil
}

// openForCommand migrates the database and opens a store with the settings in force, for the commands
// that work on the database of a running deployment (keys, cleanup). The caller closes the store.
func openForCommand(ctx context.Context, cfg config.Config) (*store.Store, *auth.LiveSettings, error) {
	if err := migrateUp(ctx, cfg.DatabaseURL); err != nil {
		return nil, nil, err
	}
	st, err := store.Open(ctx, cfg.DatabaseURL, cfg.DBOptions())
	if err != nil {
		return nil, nil, err
	}
	live, err := loadSettings(ctx, cfg, st)
	if err != nil {
		st.Close()
		return nil, nil, err
	}
	return st, live, nil
}

// keyMaintenance is how often an instance does due key maintenance (promotion, rotation, retirement).
const keyMaintenance = 10 * time.Second

// signingKeys returns what signs access tokens: the shared secret with HS256, or else the key manager
// over the keys in the database, started (which fails when they do not open with AUTHD_SECRET_KEY).
func signingKeys(ctx context.Context, cfg config.Config, st *store.Store, live *auth.LiveSettings) (auth.KeySource, *auth.KeyManager, error) {
	if !cfg.Alg().Asymmetric() {
		return auth.SharedSecret(cfg.JWTSecret), nil, nil
	}
	sealer, err := signing.NewSealer([]byte(cfg.SecretKey))
	if err != nil {
		return nil, nil, fmt.Errorf("AUTHD_SECRET_KEY: %w", err)
	}
	keys := auth.NewKeyManager(cfg.Alg(), st, sealer, live)
	if err := keys.Start(ctx); err != nil {
		return nil, nil, fmt.Errorf("signing keys: %w", err)
	}
	return keys, keys, nil
}

// Close stops following settings changes.
func (a *App) Close() {
	a.stop()
	<-a.done
}

func migrateUp(ctx context.Context, databaseURL string) error {
	m, err := store.NewMigrator(databaseURL)
	if err != nil {
		return err
	}
	defer m.Close()
	if err := m.Up(ctx, logWriter{}); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	return nil
}

// Migrate runs "migrate up|down|status".
func Migrate(ctx context.Context, databaseURL, direction string, out io.Writer) error {
	m, err := store.NewMigrator(databaseURL)
	if err != nil {
		return err
	}
	defer m.Close()
	switch direction {
	case "up":
		return m.Up(ctx, out)
	case "down":
		return m.Down(ctx, out)
	case "status":
		return m.Status(ctx, out)
	}
	return fmt.Errorf("unknown migrate command %q: use up, down or status", direction)
}

// logWriter sends migration progress to the log.
type logWriter struct{}

func (logWriter) Write(p []byte) (int, error) {
	slog.Info("migration", slog.String("message", string(trimNewline(p))))
	return len(p), nil
}

func trimNewline(p []byte) []byte {
	for len(p) > 0 && p[len(p)-1] == '\n' {
		p = p[:len(p)-1]
	}
	return p
}
