package config

import (
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net"
	"net/netip"
	"net/url"
	"os"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/caarlos0/env/v11"

	"github.com/authd/authd/internal/auth"
	"github.com/authd/authd/internal/mail"
	"github.com/authd/authd/internal/signing"
	"github.com/authd/authd/internal/store"
)

// Config is every setting authd reads from the environment. Secrets are masked by LogValue.
type Config struct {
	DatabaseURL string `env:"DATABASE_URL"`
	Addr        string `env:"AUTHD_ADDR" envDefault:"127.0.0.1:8080"`
	// JWTAlg signs access tokens: ES256, EdDSA and RS256 publish their keys; HS256 shares JWTSecret.
	JWTAlg    string `env:"AUTHD_JWT_ALG" envDefault:"ES256"`
	JWTSecret string `env:"AUTHD_JWT_SECRET"`
	// SecretKey seals the private signing keys stored in the database (asymmetric algorithms).
	SecretKey string `env:"AUTHD_SECRET_KEY"`
	// PublicURL is where clients and resource servers reach authd; the default is http:// + Addr.
	PublicURL       string        `env:"AUTHD_PUBLIC_URL"`
	ClientID        string        `env:"AUTHD_CLIENT_ID" envDefault:"authd"`
	AccessTokenTTL  time.Duration `env:"AUTHD_ACCESS_TOKEN_TTL" envDefault:"30s"`
	RefreshTokenTTL time.Duration `env:"AUTHD_REFRESH_TOKEN_TTL" envDefault:"720h"`
	// Issuer is the iss of access tokens and of the metadata; the default is PublicURL.
	Issuer          string        `env:"AUTHD_ISSUER"`
	Audience        string        `env:"AUTHD_AUDIENCE" envDefault:"authd"`
	LogLevel        slog.Level    `env:"AUTHD_LOG_LEVEL" envDefault:"info"`
	ShutdownTimeout time.Duration `env:"AUTHD_SHUTDOWN_TIMEOUT" envDefault:"15s"`
	// RequestTimeout is the deadline of every request's work.
	RequestTimeout time.Duration `env:"AUTHD_REQUEST_TIMEOUT" envDefault:"10s"`
	// DBStatementTimeout is PostgreSQL's statement_timeout on every connection of the pool.
	DBStatementTimeout time.Duration `env:"AUTHD_DB_STATEMENT_TIMEOUT" envDefault:"5s"`
	// DBTimeout bounds, on authd's side, each wait for PostgreSQL: a pool connection and a statement's
	// answer, or a whole transaction; past it the request is answered 503.
	DBTimeout time.Duration `env:"AUTHD_DB_TIMEOUT" envDefault:"3s"`
	// OTLPEndpoint and OTLPTracesEndpoint are the standard OpenTelemetry variables; when either is set,
	// authd exports traces (configured by the other OTEL_* variables), and when neither is, it traces nothing.
	OTLPEndpoint       string `env:"OTEL_EXPORTER_OTLP_ENDPOINT"`
	OTLPTracesEndpoint string `env:"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"`
	// MetricsAddr is where Prometheus metrics are served (/metrics); empty serves none.
	MetricsAddr string `env:"AUTHD_METRICS_ADDR"`
	// CleanupInterval is how often the janitor runs in authd serve.
	CleanupInterval time.Duration `env:"AUTHD_CLEANUP_INTERVAL" envDefault:"10m"`
	// ReadHeaderTimeout cuts off clients that send their request headers too slowly (slowloris).
	ReadHeaderTimeout time.Duration `env:"AUTHD_READ_HEADER_TIMEOUT" envDefault:"5s"`
	MediaDir          string        `env:"AUTHD_MEDIA_DIR" envDefault:".data/media"`
	// SMTPURL is where mail goes (smtp:// with STARTTLS, smtps://); empty writes it to MailDir instead.
	SMTPURL  string `env:"AUTHD_SMTP_URL"`
	MailFrom string `env:"AUTHD_MAIL_FROM" envDefault:"authd <no-reply@localhost>"`
	// MailDir is the development outbox, used without AUTHD_SMTP_URL.
	MailDir      string `env:"AUTHD_MAIL_DIR" envDefault:".data/mail"`
	TemplatesDir string `env:"AUTHD_TEMPLATES_DIR"`
	// MailDelivery runs the outbox sender in this instance; any number of instances may run it.
	MailDelivery    bool          `env:"AUTHD_MAIL_DELIVERY" envDefault:"true"`
	MailRetryBase   time.Duration `env:"AUTHD_MAIL_RETRY_BASE" envDefault:"10s"`
	MailMaxAttempts int           `env:"AUTHD_MAIL_MAX_ATTEMPTS" envDefault:"10"`
	// The emailed links' templates; empty ones are auth.DefaultLinks'.
	LinkVerify string `env:"AUTHD_LINK_TEMPLATE_VERIFY"`
	LinkReset  string `env:"AUTHD_LINK_TEMPLATE_RESET"`
	LinkInvite string `env:"AUTHD_LINK_TEMPLATE_INVITE"`
	// LinkLogin is the sign-in link of an emailed code: a page of the application, which posts the token to
	// POST /api/login/code/verify and keeps the tokens. Unset, the message carries only the code.
	LinkLogin string `env:"AUTHD_LINK_TEMPLATE_LOGIN"`
	// The next two seed runtime settings the first time; afterwards the admin API changes them.
	LoginMaxFailures int `env:"AUTHD_LOGIN_MAX_FAILURES" envDefault:"5"`
	RateLimitPerIP   int `env:"AUTHD_RATE_LIMIT_PER_IP" envDefault:"60"`
	// TrustedProxies are the CIDRs whose X-Forwarded-For is believed; empty trusts none.
	TrustedProxies []netip.Prefix `env:"AUTHD_TRUSTED_PROXIES" envSeparator:","`
	// CORSOrigins are the exact browser origins allowed to call the API; empty allows none.
	CORSOrigins []string `env:"AUTHD_CORS_ORIGINS" envSeparator:","`
	// CompatRoutes serves the seed systems' paths and shapes (openapi.yaml's compat tag).
	CompatRoutes bool `env:"AUTHD_COMPAT_ROUTES" envDefault:"true"`
}

// MinJWTSecretLen is the shortest HS256 key accepted: RFC 7518 asks for a key at least as long as the hash.
const MinJWTSecretLen = 32

// Load reads the environment and reports every bad value in one error: values that do not parse and
// values out of range, together.
func Load() (Config, error) {
	c, parseErrs, unparsed := parse()
	errs := parseErrs
	for _, err := range c.validate() {
		// A variable that did not parse holds its zero value; its range error would only repeat it.
		if !unparsed[strings.SplitN(err.Error(), " ", 2)[0]] {
			errs = append(errs, err)
		}
	}
	if len(errs) > 0 {
		return Config{}, fmt.Errorf("configuration: %w", errors.Join(errs...))
	}
	return c, nil
}

// LoadDatabase reads only what the migrate and admin subcommands need: DATABASE_URL.
func LoadDatabase() (Config, error) {
	c, errs, _ := parse()
	if err := c.validateDatabaseURL(); err != nil {
		errs = append(errs, err)
	}
	if len(errs) > 0 {
		return Config{}, fmt.Errorf("configuration: %w", errors.Join(errs...))
	}
	return c, nil
}

// parse reads the environment. An unparsable value is reported under its variable's name, and that name
// is in unparsed; the other fields are filled.
func parse() (c Config, errs []error, unparsed map[string]bool) {
	err := env.Parse(&c)
	unparsed = map[string]bool{}
	var agg env.AggregateError
	if !errors.As(err, &agg) {
		if err != nil {
			errs = append(errs, err)
		}
		return c, errs, unparsed
	}
	for _, e := range agg.Errors {
		var pe env.ParseError
		if errors.As(e, &pe) {
			field, _ := reflect.TypeFor[Config]().FieldByName(pe.Name)
			name := field.Tag.Get("env")
			unparsed[name], unparsed[name+":"] = true, true
			e = fmt.Errorf("%s: %w", name, pe.Err)
			if field.Type == reflect.TypeFor[slog.Level]() {
				e = fmt.Errorf("%s: %q is not a level: use debug, info, warn or error", name, os.Getenv(name))
			}
		}
		errs = append(errs, e)
	}
	return c, errs, unparsed
}

// Validate checks the values a running server depends on.
func (c Config) Validate() error {
	if errs := c.validate(); len(errs) > 0 {
		return fmt.Errorf("configuration: %w", errors.Join(errs...))
	}
	return nil
}

// validate returns one error per bad value, each starting with the name of its variable.
func (c Config) validate() []error {
	var errs []error
	if err := c.validateDatabaseURL(); err != nil {
		errs = append(errs, err)
	}
	switch alg, err := signing.ParseAlg(c.JWTAlg); {
	case err != nil:
		errs = append(errs, fmt.Errorf("AUTHD_JWT_ALG: %w", err))
	case !alg.Asymmetric() && len(c.JWTSecret) < MinJWTSecretLen:
		errs = append(errs, fmt.Errorf("AUTHD_JWT_SECRET is required with HS256 and must be at least %d bytes (got %d)", MinJWTSecretLen, len(c.JWTSecret)))
	case alg.Asymmetric() && len(c.SecretKey) < signing.MinSecretLen:
		errs = append(errs, fmt.Errorf("AUTHD_SECRET_KEY is required with %s (it seals the signing keys) and must be at least %d bytes (got %d)",
			alg, signing.MinSecretLen, len(c.SecretKey)))
	}
	if u, err := url.Parse(c.PublicURLValue()); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" ||
		u.RawQuery != "" || u.Fragment != "" || strings.HasSuffix(u.Path, "/") {
		errs = append(errs, fmt.Errorf("AUTHD_PUBLIC_URL: %q is not a URL such as https://auth.example.com", c.PublicURLValue()))
	}
	if strings.TrimSpace(c.ClientID) == "" {
		errs = append(errs, errors.New("AUTHD_CLIENT_ID must not be empty"))
	}
	errs = append(errs, c.validateSettingDefaults()...)
	if strings.TrimSpace(c.Audience) == "" {
		errs = append(errs, errors.New("AUTHD_AUDIENCE must not be empty"))
	}
	if _, _, err := net.SplitHostPort(c.Addr); err != nil {
		errs = append(errs, fmt.Errorf("AUTHD_ADDR: %q is not host:port, such as 127.0.0.1:8080 or :8080", c.Addr))
	}
	if _, _, err := net.SplitHostPort(c.MetricsAddr); c.MetricsAddr != "" && err != nil {
		errs = append(errs, fmt.Errorf("AUTHD_METRICS_ADDR: %q is not host:port, such as 127.0.0.1:9090", c.MetricsAddr))
	}
	for _, origin := range c.CORSOrigins {
		if u, err := url.Parse(origin); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" ||
			u.Path != "" || u.RawQuery != "" || origin == "*" {
			errs = append(errs, fmt.Errorf("AUTHD_CORS_ORIGINS: %q is not an origin such as https://app.example.com", origin))
		}
	}
	if strings.TrimSpace(c.MediaDir) == "" {
		errs = append(errs, errors.New("AUTHD_MEDIA_DIR must not be empty"))
	}
	if err := c.Links().Validate(); err != nil {
		errs = append(errs, err)
	}
	if c.SMTPURL != "" {
		if _, err := mail.NewSMTP(c.SMTPURL, c.MailFrom); err != nil {
			errs = append(errs, err)
		}
	} else if strings.TrimSpace(c.MailDir) == "" {
		errs = append(errs, errors.New("AUTHD_MAIL_DIR must not be empty without AUTHD_SMTP_URL"))
	}
	if c.MailMaxAttempts < 1 || c.MailMaxAttempts > 100 {
		errs = append(errs, fmt.Errorf("AUTHD_MAIL_MAX_ATTEMPTS must be between 1 and 100 (got %d)", c.MailMaxAttempts))
	}
	for name, d := range map[string]time.Duration{"AUTHD_SHUTDOWN_TIMEOUT": c.ShutdownTimeout, "AUTHD_REQUEST_TIMEOUT": c.RequestTimeout,
		"AUTHD_DB_STATEMENT_TIMEOUT": c.DBStatementTimeout, "AUTHD_DB_TIMEOUT": c.DBTimeout, "AUTHD_READ_HEADER_TIMEOUT": c.ReadHeaderTimeout,
		"AUTHD_CLEANUP_INTERVAL": c.CleanupInterval, "AUTHD_MAIL_RETRY_BASE": c.MailRetryBase} {
		if d <= 0 {
			errs = append(errs, fmt.Errorf("%s must be positive (got %s)", name, d))
		}
	}
	return errs
}

// Links are the emailed links' templates.
func (c Config) Links() auth.Links {
	return auth.Links{PublicURL: c.PublicURLValue(), Verify: c.LinkVerify, Reset: c.LinkReset, Invite: c.LinkInvite,
		Login: c.LinkLogin}.WithDefaults()
}

// Delivery tunes the outbox sender.
func (c Config) Delivery() mail.Delivery {
	d := mail.DefaultDelivery
	d.RetryBase, d.MaxAttempts = c.MailRetryBase, c.MailMaxAttempts
	return d
}

// DBOptions are the bounds of waits for PostgreSQL, and whether statements are traced.
func (c Config) DBOptions() store.Options {
	return store.Options{StatementTimeout: c.DBStatementTimeout, OperationTimeout: c.DBTimeout, Trace: c.Tracing()}
}

// mailTarget says where mail goes, without the SMTP password.
func (c Config) mailTarget() string {
	if c.SMTPURL == "" {
		return "development outbox " + c.MailDir
	}
	if u, err := url.Parse(c.SMTPURL); err == nil {
		return u.Redacted()
	}
	return "smtp (unparseable URL)"
}

// Tracing reports whether OpenTelemetry traces are exported.
func (c Config) Tracing() bool { return c.OTLPEndpoint != "" || c.OTLPTracesEndpoint != "" }

// PublicURLValue is AUTHD_PUBLIC_URL, or http:// + AUTHD_ADDR.
func (c Config) PublicURLValue() string {
	if c.PublicURL != "" {
		return c.PublicURL
	}
	return "http://" + c.Addr
}

// IssuerValue is the iss of access tokens and of the metadata: AUTHD_ISSUER, or the public URL.
func (c Config) IssuerValue() string {
	if c.Issuer != "" {
		return c.Issuer
	}
	return c.PublicURLValue()
}

// Alg is the parsed AUTHD_JWT_ALG; Validate has checked it.
func (c Config) Alg() signing.Alg {
	alg, _ := signing.ParseAlg(c.JWTAlg)
	return alg
}

// SettingDefaults are the first values of the runtime settings, which the environment seeds.
func (c Config) SettingDefaults() auth.Settings {
	return auth.Defaults{AccessTokenTTL: c.AccessTokenTTL, RefreshTokenTTL: c.RefreshTokenTTL,
		LoginMaxFailures: c.LoginMaxFailures, RateLimitPerIP: c.RateLimitPerIP}.Settings()
}

// settingVars names the variable that seeds each runtime setting, for error messages.
var settingVars = map[string]string{
	auth.SettingAccessTokenTTL:   "AUTHD_ACCESS_TOKEN_TTL",
	auth.SettingRefreshTokenTTL:  "AUTHD_REFRESH_TOKEN_TTL",
	auth.SettingLoginMaxFailures: "AUTHD_LOGIN_MAX_FAILURES",
	auth.SettingRateLimitPerIP:   "AUTHD_RATE_LIMIT_PER_IP",
}

// validateSettingDefaults holds the seeds to the rules of runtime changes, so that the ranges live in one
// place (auth.ValidateSettingChanges).
func (c Config) validateSettingDefaults() []error {
	var verr *auth.ValidationError
	if !errors.As(auth.ValidateSettingChanges(c.SettingDefaults()), &verr) {
		return nil
	}
	var errs []error
	for _, key := range slices.Sorted(maps.Keys(verr.Fields)) {
		unit := ""
		if key == auth.SettingAccessTokenTTL || key == auth.SettingRefreshTokenTTL {
			unit = " seconds"
		}
		errs = append(errs, fmt.Errorf("%s %s%s (got %v)", settingVars[key], verr.Fields[key], unit, c.SettingDefaults()[key]))
	}
	return errs
}

func (c Config) validateDatabaseURL() error {
	if c.DatabaseURL == "" {
		return errors.New("DATABASE_URL is required (for example postgres://postgres@127.0.0.1:5432/authd)")
	}
	u, err := url.Parse(c.DatabaseURL)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		return errors.New("DATABASE_URL must be a postgres:// URL")
	}
	return nil
}

// LogValue keeps secrets out of logs.
func (c Config) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("database_url", maskURL(c.DatabaseURL)),
		slog.String("addr", c.Addr),
		slog.String("jwt_alg", c.JWTAlg),
		slog.String("jwt_secret", redacted(c.JWTSecret)),
		slog.String("secret_key", redacted(c.SecretKey)),
		slog.String("public_url", c.PublicURLValue()),
		slog.String("client_id", c.ClientID),
		slog.Duration("access_token_ttl", c.AccessTokenTTL),
		slog.Duration("refresh_token_ttl", c.RefreshTokenTTL),
		slog.String("issuer", c.IssuerValue()),
		slog.String("audience", c.Audience),
		slog.String("log_level", c.LogLevel.String()),
		slog.String("media_dir", c.MediaDir),
		slog.Bool("compat_routes", c.CompatRoutes),
		slog.String("mail", c.mailTarget()),
		slog.String("templates_dir", c.TemplatesDir),
		slog.String("request_timeout", c.RequestTimeout.String()),
		slog.String("db_statement_timeout", c.DBStatementTimeout.String()),
		slog.String("db_timeout", c.DBTimeout.String()),
		slog.Int("login_max_failures", c.LoginMaxFailures),
		slog.Int("rate_limit_per_ip", c.RateLimitPerIP),
		slog.Any("trusted_proxies", c.TrustedProxies),
		slog.Any("cors_origins", c.CORSOrigins),
	)
}

func maskURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "[unparsable]"
	}
	if _, has := u.User.Password(); has {
		u.User = url.UserPassword(u.User.Username(), "xxxxx")
	}
	return u.Redacted()
}

// Variable is one environment variable Load reads, with its default ("" for none).
type Variable struct {
	Name, Default string
}

// Variables lists every environment variable Config reads, with its default, for `authd help env`.
func Variables() []Variable {
	var out []Variable
	t := reflect.TypeOf(Config{})
	for i := range t.NumField() {
		f := t.Field(i)
		name := f.Tag.Get("env")
		if name == "" {
			continue
		}
		name, _, _ = strings.Cut(name, ",")
		out = append(out, Variable{Name: name, Default: f.Tag.Get("envDefault")})
	}
	return out
}

// SeedsOverridden says, for each runtime setting whose seeding variable is set in the environment but
// whose value in force (current, from the database) differs, that the variable only seeded it: an
// operator who changes AUTHD_ACCESS_TOKEN_TTL and restarts would otherwise wonder why nothing changed.
func (c Config) SeedsOverridden(current auth.Settings) []string {
	defaults := c.SettingDefaults()
	var notes []string
	for _, key := range slices.Sorted(maps.Keys(settingVars)) {
		variable := settingVars[key]
		raw, set := os.LookupEnv(variable)
		if !set || current[key] == defaults[key] {
			continue
		}
		notes = append(notes, fmt.Sprintf("the database's %s=%d is in force; %s=%s only seeds it (change it in the admin API or page)",
			key, current[key], variable, raw))
	}
	return notes
}

// redacted is how a secret appears in the log: whether it is set, never what it is.
func redacted(secret string) string {
	if secret == "" {
		return "(not set)"
	}
	return "[redacted]"
}
