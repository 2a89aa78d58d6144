// Package metrics holds authd's Prometheus metrics: one registry, served on its own listener
// (AUTHD_METRICS_ADDR) so that it is never exposed with the API.
package metrics

import (
	"net/http"
	"runtime"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/authd/authd/internal/auth"
	"github.com/authd/authd/internal/mail"
)

// Metrics are authd's collectors. A nil *Metrics records nothing, so callers need no checks.
type Metrics struct {
	registry        *prometheus.Registry
	requests        *prometheus.CounterVec
	duration        *prometheus.HistogramVec
	logins          *prometheus.CounterVec
	refreshes       *prometheus.CounterVec
	settingsReloads prometheus.Counter
	janitorRemoved  *prometheus.CounterVec
	mail            *prometheus.CounterVec
}

// Sources are what the gauges read when scraped.
type Sources struct {
	Version string
	Hasher  *auth.Hasher
	// PoolStat reads the database pool's statistics.
	PoolStat func() *pgxpool.Stat
}

// New registers every metric.
func New(src Sources) *Metrics {
	r := prometheus.NewRegistry()
	m := &Metrics{
		registry: r,
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "authd_http_requests_total",
			Help: "API requests answered, by operation (operationId in openapi.yaml) and status class."}, []string{"operation", "status_class"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "authd_http_request_duration_seconds",
			Help:    "Time to answer an API request, by operation.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10}}, []string{"operation"}),
		logins: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "authd_logins_total",
			Help: "Login attempts by outcome: success, invalid_credentials, throttled, busy (503: hashing saturated), unavailable (503: an outage), disabled, unverified, invalid_request, method_disabled, error."}, []string{"outcome"}),
		refreshes: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "authd_refreshes_total",
			Help: "Refresh-token rotations by outcome: rotated, reused_revoked, invalid, unverified, unavailable (503), error."}, []string{"outcome"}),
		settingsReloads: prometheus.NewCounter(prometheus.CounterOpts{Name: "authd_settings_reloads_total",
			Help: "Reloads of the runtime settings from PostgreSQL (on NOTIFY and by polling)."}),
		janitorRemoved: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "authd_janitor_rows_removed_total",
			Help: "Rows the janitor removed, by kind."}, []string{"kind"}),
		mail: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "authd_mail_deliveries_total",
			Help: "Attempts to deliver outbox messages, by outcome: sent, retried (will be tried again), failed (given up)."},
			[]string{"outcome"}),
	}
	// Every outcome and kind is exported from the start, at zero, so that rates and alerts see it.
	for _, outcome := range []string{"success", "invalid_credentials", "throttled", "busy", "unavailable", "disabled", "unverified", "invalid_request",
		"method_disabled", "error"} {
		m.logins.WithLabelValues(outcome)
	}
	for _, outcome := range []string{"rotated", "reused_revoked", "invalid", "unverified", "unavailable", "error"} {
		m.refreshes.WithLabelValues(outcome)
	}
	m.JanitorRemoved(auth.CleanupReport{})
	for _, outcome := range []mail.Outcome{mail.OutcomeSent, mail.OutcomeRetried, mail.OutcomeFailed} {
		m.mail.WithLabelValues(string(outcome))
	}
	r.MustRegister(m.requests, m.duration, m.logins, m.refreshes, m.settingsReloads, m.janitorRemoved, m.mail,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	buildInfo := prometheus.NewGauge(prometheus.GaugeOpts{Name: "authd_build_info", Help: "Always 1; the labels say which build runs.",
		ConstLabels: prometheus.Labels{"version": src.Version, "goversion": runtime.Version()}})
	buildInfo.Set(1)
	r.MustRegister(buildInfo)
	if h := src.Hasher; h != nil {
		r.MustRegister(
			prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "authd_password_hashing_slots_in_use",
				Help: "Password hashes running now (at most one per CPU)."}, func() float64 { return float64(h.InUse()) }),
			prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "authd_password_hashing_waiters",
				Help: "Requests waiting for a hashing slot."}, func() float64 { return float64(h.Waiting()) }),
			prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "authd_password_hashing_slots",
				Help: "Hashing slots."}, func() float64 { return float64(h.Slots()) }),
			prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "authd_password_failure_floor_seconds",
				Help: "How long every failed password check lasts at least, so that imported hashes slower than argon2id do not tell which accounts exist (0 without such hashes)."},
				func() float64 { return h.FailureFloor().Seconds() }),
		)
		for _, scheme := range auth.LegacySchemes {
			r.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "authd_password_hash_upgrades_total",
				Help:        "Imported password hashes replaced by argon2id at a successful login, by source scheme.",
				ConstLabels: prometheus.Labels{"from": scheme}}, func() float64 { return float64(h.Upgrades()[scheme]) }))
		}
	}
	if poolStat := src.PoolStat; poolStat != nil {
		stat := func(f func(*pgxpool.Stat) float64) func() float64 { return func() float64 { return f(poolStat()) } }
		r.MustRegister(
			prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "authd_db_pool_connections", Help: "Connections in the pool."},
				stat(func(s *pgxpool.Stat) float64 { return float64(s.TotalConns()) })),
			prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "authd_db_pool_acquired_connections", Help: "Connections in use."},
				stat(func(s *pgxpool.Stat) float64 { return float64(s.AcquiredConns()) })),
			prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "authd_db_pool_idle_connections", Help: "Idle connections."},
				stat(func(s *pgxpool.Stat) float64 { return float64(s.IdleConns()) })),
			prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "authd_db_pool_max_connections", Help: "The pool's size."},
				stat(func(s *pgxpool.Stat) float64 { return float64(s.MaxConns()) })),
			prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "authd_db_pool_acquires_total", Help: "Connections taken from the pool."},
				stat(func(s *pgxpool.Stat) float64 { return float64(s.AcquireCount()) })),
			prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "authd_db_pool_empty_acquires_total",
				Help: "Acquires that had to wait for a connection."}, stat(func(s *pgxpool.Stat) float64 { return float64(s.EmptyAcquireCount()) })),
			prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "authd_db_pool_acquire_wait_seconds_total",
				Help: "Time spent waiting for connections."}, stat(func(s *pgxpool.Stat) float64 { return s.AcquireDuration().Seconds() })),
		)
	}
	return m
}

// Handler serves the metrics in the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{Registry: m.registry})
}

// Request counts one API answer.
func (m *Metrics) Request(operation string, status int, took time.Duration) {
	if m == nil {
		return
	}
	m.requests.WithLabelValues(operation, strconv.Itoa(status/100)+"xx").Inc()
	m.duration.WithLabelValues(operation).Observe(took.Seconds())
}

// Login counts a login by outcome.
func (m *Metrics) Login(outcome string) {
	if m != nil {
		m.logins.WithLabelValues(outcome).Inc()
	}
}

// Refresh counts a refresh by outcome.
func (m *Metrics) Refresh(outcome string) {
	if m != nil {
		m.refreshes.WithLabelValues(outcome).Inc()
	}
}

// SettingsReloaded counts a reload of the runtime settings.
func (m *Metrics) SettingsReloaded() {
	if m != nil {
		m.settingsReloads.Inc()
	}
}

// JanitorRemoved counts what one janitor run removed.
func (m *Metrics) JanitorRemoved(r auth.CleanupReport) {
	if m == nil {
		return
	}
	for kind, n := range map[string]int64{"refresh_tokens": r.RefreshTokens, "sessions": r.Sessions, "login_failures": r.LoginFailures,
		"login_failure_events": r.LoginFailureEvents, "rate_windows": r.RateWindows, "audit_events": r.AuditEvents,
		"mail_messages": r.MailMessages, "email_tokens": r.EmailTokens, "login_codes": r.LoginCodes} {
		m.janitorRemoved.WithLabelValues(kind).Add(float64(n))
	}
}

// Mail counts one delivery attempt by outcome.
func (m *Metrics) Mail(outcome mail.Outcome) {
	if m != nil {
		m.mail.WithLabelValues(string(outcome)).Inc()
	}
}
