package httpapi

import (
	"time"

	"github.com/oapi-codegen/nullable"

	"github.com/authd/authd/gen/api"
	"github.com/authd/authd/internal/auth"
)

// toAPIUser is the public view of a user: never a hash or a token.
func toAPIUser(u auth.User) api.User {
	out := api.User{
		Id:           u.ID,
		Email:        u.Email,
		FirstName:    u.FirstName,
		LastName:     u.LastName,
		LanguageCode: u.LanguageCode,
		IsAdmin:      u.IsAdmin,
		CreatedAt:    u.CreatedAt.UTC(),
		UpdatedAt:    u.UpdatedAt.UTC(),
		Username:     nullableOf(u.Username),
		PhoneNumber:  nullableOf(u.PhoneNumber),
		AvatarUrl:    avatarURL(u.Avatar),
	}
	out.LastLoginAt = nullableTime(u.LastLoginAt)
	out.EmailVerified = u.EmailVerifiedAt != nil
	out.EmailVerifiedAt = nullableTime(u.EmailVerifiedAt)
	out.HasPassword = u.HasPassword()
	return out
}

func nullableTime(t *time.Time) nullable.Nullable[time.Time] {
	if t == nil {
		return nullable.NewNullNullable[time.Time]()
	}
	return nullable.NewNullableWithValue(t.UTC())
}

// avatarPath is where GetAvatar serves avatars; the database keeps only the file name.
const avatarPath = "/media/avatars/"

func avatarURL(name *string) nullable.Nullable[string] {
	if name == nil {
		return nullable.NewNullNullable[string]()
	}
	return nullable.NewNullableWithValue(avatarPath + *name)
}

func nullableOf[T any](v *T) nullable.Nullable[T] {
	if v == nil {
		return nullable.NewNullNullable[T]()
	}
	return nullable.NewNullableWithValue(*v)
}

// defaultPageSize is the page size when a request names none (openapi.yaml says the same).
const defaultPageSize = 20

func pageSize(limit *api.Limit) int {
	if limit == nil {
		return defaultPageSize
	}
	return int(*limit)
}

func toAPISettings(s auth.Settings) api.Settings {
	return api.Settings{
		AccessTokenTtlSeconds:       s[auth.SettingAccessTokenTTL],
		RefreshTokenTtlSeconds:      s[auth.SettingRefreshTokenTTL],
		LoginMaxFailures:            s[auth.SettingLoginMaxFailures],
		RateLimitPerIp:              s[auth.SettingRateLimitPerIP],
		KeyPublishAheadSeconds:      s[auth.SettingKeyPublishAhead],
		KeyRotationDays:             s[auth.SettingKeyRotationDays],
		ReuseDetectionSeconds:       s[auth.SettingReuseDetection],
		SessionRetentionSeconds:     s[auth.SettingSessionRetention],
		SessionMaxLifetimeSeconds:   s[auth.SettingSessionMaxLifetime],
		AuditRetentionDays:          s[auth.SettingAuditRetentionDays],
		RequireVerifiedEmail:        s[auth.SettingRequireVerifiedEmail] == 1,
		VerificationTokenTtlSeconds: s[auth.SettingVerificationTTL],
		ResetTokenTtlSeconds:        s[auth.SettingResetTTL],
		InvitationTokenTtlSeconds:   s[auth.SettingInvitationTTL],

		ReauthenticationMaxAgeSeconds: s[auth.SettingReauthenticationMaxAge],
		EmailCodeTtlSeconds:           s[auth.SettingEmailCodeTTL],
		EmailCodeLogin:                s[auth.SettingEmailCodeLogin] == 1,
		EmailCodeSignup:               s[auth.SettingEmailCodeSignup] == 1,
	}
}

func toAPIAdminUser(u auth.AdminUser) api.AdminUser {
	pub := toAPIUser(u.User)
	return api.AdminUser{
		Id: pub.Id, Email: pub.Email, Username: pub.Username, FirstName: pub.FirstName, LastName: pub.LastName,
		PhoneNumber: pub.PhoneNumber, AvatarUrl: pub.AvatarUrl, LanguageCode: pub.LanguageCode, IsAdmin: pub.IsAdmin,
		CreatedAt: pub.CreatedAt, UpdatedAt: pub.UpdatedAt, LastLoginAt: pub.LastLoginAt,
		IsActive: u.IsActive, ActiveSessions: int32(u.ActiveSessions), ExternalId: nullableOf(u.ExternalID),
		EmailVerified: pub.EmailVerified, EmailVerifiedAt: pub.EmailVerifiedAt, HasPassword: pub.HasPassword,
	}
}

func cursorOf(next string) nullable.Nullable[string] {
	if next == "" {
		return nullable.NewNullNullable[string]()
	}
	return nullable.NewNullableWithValue(next)
}
