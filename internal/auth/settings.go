package auth

import (
	"context"
	"log/slog"
	"maps"
	"slices"
	"strconv"
	"sync/atomic"
	"time"
)

// Runtime setting keys. Values are integers; their ranges are in settingRanges and openapi.yaml.
const (
	SettingAccessTokenTTL   = "access_token_ttl_seconds"
	SettingRefreshTokenTTL  = "refresh_token_ttl_seconds"
	SettingLoginMaxFailures = "login_max_failures"
	SettingRateLimitPerIP   = "rate_limit_per_ip"
	SettingKeyPublishAhead  = "key_publish_ahead_seconds"
	SettingKeyRotationDays  = "key_rotation_days"
	// SettingReuseDetection is how long a used refresh token is kept: replaying it within that time revokes
	// its session; after it the token is gone and a replay is an ordinary 401.
	SettingReuseDetection     = "reuse_detection_seconds"
	SettingSessionRetention   = "session_retention_seconds"
	SettingSessionMaxLifetime = "session_max_lifetime_seconds"
	SettingAuditRetentionDays = "audit_retention_days"
	// SettingRequireVerifiedEmail (0 or 1; a boolean in the API) refuses login and refresh to accounts
	// whose email is not verified.
	SettingRequireVerifiedEmail = "require_verified_email"
	SettingVerificationTTL      = "verification_token_ttl_seconds"
	SettingResetTTL             = "reset_token_ttl_seconds"
	SettingInvitationTTL        = "invitation_token_ttl_seconds"
	// SettingReauthenticationMaxAge is how recent a session's authentication (auth_time) must be for a
	// sensitive change made without the credential in the request.
	SettingReauthenticationMaxAge = "reauthentication_max_age_seconds"
	// SettingEmailCodeTTL is how long an emailed sign-in code works (NIST SP 800-63B-4 section 3.1.3.2:
	// at most 10 minutes).
	SettingEmailCodeTTL = "email_code_ttl_seconds"
	// SettingEmailCodeLogin (0 or 1) turns sign-in by emailed code on.
	SettingEmailCodeLogin = "email_code_login"
	// SettingEmailCodeSignup (0 or 1) lets a verified code for an address without an account create a
	// password-less account.
	SettingEmailCodeSignup = "email_code_signup"
)

type valueRange struct{ min, max int64 }

var settingRanges = map[string]valueRange{
	SettingAccessTokenTTL:       {5, 86400},
	SettingRefreshTokenTTL:      {60, 31536000},
	SettingLoginMaxFailures:     {1, 100},
	SettingRateLimitPerIP:       {0, 1000000},
	SettingKeyPublishAhead:      {0, 604800},
	SettingKeyRotationDays:      {0, 3650},
	SettingReuseDetection:       {60, 31536000},
	SettingSessionRetention:     {60, 31536000},
	SettingSessionMaxLifetime:   {3600, 31536000},
	SettingAuditRetentionDays:   {1, 3650},
	SettingRequireVerifiedEmail: {0, 1},
	SettingVerificationTTL:      {3600, 2592000},
	SettingResetTTL:             {300, 86400},
	SettingInvitationTTL:        {3600, 2592000},

	SettingReauthenticationMaxAge: {60, 3600},
	SettingEmailCodeTTL:           {60, 600},
	SettingEmailCodeLogin:         {0, 1},
	SettingEmailCodeSignup:        {0, 1},
}

// Settings maps setting keys to values.
type Settings map[string]int64

// Defaults are the first values of the settings, taken from the environment.
type Defaults struct {
	AccessTokenTTL   time.Duration
	RefreshTokenTTL  time.Duration
	LoginMaxFailures int
	RateLimitPerIP   int
}

// Defaults of the settings the environment does not seed.
const (
	DefaultKeyPublishAhead = time.Hour
	DefaultKeyRotationDays = 90
)

// Settings returns the defaults as settings.
func (d Defaults) Settings() Settings {
	return Settings{
		SettingAccessTokenTTL:       int64(d.AccessTokenTTL / time.Second),
		SettingRefreshTokenTTL:      int64(d.RefreshTokenTTL / time.Second),
		SettingLoginMaxFailures:     int64(d.LoginMaxFailures),
		SettingRateLimitPerIP:       int64(d.RateLimitPerIP),
		SettingKeyPublishAhead:      int64(DefaultKeyPublishAhead / time.Second),
		SettingKeyRotationDays:      DefaultKeyRotationDays,
		SettingReuseDetection:       7 * 24 * 3600,
		SettingSessionRetention:     7 * 24 * 3600,
		SettingSessionMaxLifetime:   90 * 24 * 3600,
		SettingAuditRetentionDays:   90,
		SettingRequireVerifiedEmail: 0,
		SettingVerificationTTL:      48 * 3600,
		SettingResetTTL:             3600,
		SettingInvitationTTL:        7 * 24 * 3600,

		SettingReauthenticationMaxAge: 300,
		SettingEmailCodeTTL:           600,
		SettingEmailCodeLogin:         1,
		SettingEmailCodeSignup:        0,
	}
}

// SettingRange returns the smallest and largest value a setting may take; ok is false for an unknown key.
func SettingRange(key string) (lo, hi int64, ok bool) {
	r, ok := settingRanges[key]
	return r.min, r.max, ok
}

// SettingKeys returns every setting key.
func SettingKeys() []string { return slices.Sorted(maps.Keys(settingRanges)) }

// ValidateSettingChanges checks that every key is known and every value in range.
func ValidateSettingChanges(changes Settings) error {
	v := validationErrors{}
	if len(changes) == 0 {
		v.add("body", "must change at least one setting")
	}
	for key, value := range changes {
		r, known := settingRanges[key]
		switch {
		case !known:
			v.add(key, "is not a setting")
		case value < r.min || value > r.max:
			v.add(key, "must be between "+strconv.FormatInt(r.min, 10)+" and "+strconv.FormatInt(r.max, 10))
		}
	}
	return v.err()
}

// SettingChange is one entry of the settings history.
type SettingChange struct {
	ID             int64
	Key            string
	OldValue       int64
	NewValue       int64
	ChangedBy      *User // only ID and Email are set; ID is zero once the user is deleted
	ChangedByEmail string
	ChangedAt      time.Time
}

// SettingsSource is where the settings live and how changes are announced.
type SettingsSource interface {
	LoadSettings(ctx context.Context) (Settings, error)
	// ListenSettings calls changed whenever the settings may have changed, including after every
	// (re)connection, until ctx ends.
	ListenSettings(ctx context.Context, changed func())
}

// LiveSettings are the settings in force in this process, replaced as a whole when they change.
// It implements Lifetimes.
type LiveSettings struct {
	current atomic.Pointer[Settings]
}

// NewLiveSettings starts from initial.
func NewLiveSettings(initial Settings) *LiveSettings {
	l := &LiveSettings{}
	l.Set(initial)
	return l
}

// Get returns a copy of the settings in force.
func (l *LiveSettings) Get() Settings { return maps.Clone(*l.current.Load()) }

// value reads one setting without copying the map.
func (l *LiveSettings) value(key string) int64 { return (*l.current.Load())[key] }

// Set replaces the settings in force; keys missing from s keep their value.
func (l *LiveSettings) Set(s Settings) {
	merged := Settings{}
	if cur := l.current.Load(); cur != nil {
		maps.Copy(merged, *cur)
	}
	maps.Copy(merged, s)
	l.current.Store(&merged)
}

// Seconds returns a function reading the setting key, in seconds, as a duration.
func (l *LiveSettings) Seconds(key string) func() time.Duration {
	return func() time.Duration { return l.seconds(key) }
}

func (l *LiveSettings) seconds(key string) time.Duration {
	return time.Duration((*l.current.Load())[key]) * time.Second
}

func (l *LiveSettings) AccessTokenTTL() time.Duration  { return l.seconds(SettingAccessTokenTTL) }
func (l *LiveSettings) RefreshTokenTTL() time.Duration { return l.seconds(SettingRefreshTokenTTL) }

// Follow keeps l up to date with src until ctx ends: at once on every notification, and every poll
// interval in case a notification was lost.
func (l *LiveSettings) Follow(ctx context.Context, src SettingsSource, poll time.Duration, reloaded func()) {
	reload := func() {
		loadCtx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		s, err := src.LoadSettings(loadCtx)
		if err != nil {
			if ctx.Err() == nil {
				slog.Warn("reload settings", slog.String("error", err.Error()))
			}
			return
		}
		l.Set(s)
		if reloaded != nil {
			reloaded()
		}
	}
	go src.ListenSettings(ctx, reload)
	ticker := time.NewTicker(poll)
	defer ticker.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
			reload()
		}
	}
}
