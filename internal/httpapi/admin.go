package httpapi

import (
	"context"

	"github.com/oapi-codegen/nullable"

	"github.com/authd/authd/gen/api"
	"github.com/authd/authd/internal/auth"
)

func (s *Server) GetSettings(context.Context, api.GetSettingsRequestObject) (api.GetSettingsResponseObject, error) {
	return api.GetSettings200JSONResponse{SettingsResponseJSONResponse: api.SettingsResponseJSONResponse(toAPISettings(s.admin.Settings()))}, nil
}

func (s *Server) UpdateSettings(ctx context.Context, req api.UpdateSettingsRequestObject) (api.UpdateSettingsResponseObject, error) {
	id, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	changes := auth.Settings{}
	b := req.Body
	for key, value := range map[string]*int64{
		auth.SettingAccessTokenTTL: b.AccessTokenTtlSeconds, auth.SettingRefreshTokenTTL: b.RefreshTokenTtlSeconds,
		auth.SettingLoginMaxFailures: b.LoginMaxFailures, auth.SettingRateLimitPerIP: b.RateLimitPerIp,
		auth.SettingKeyPublishAhead: b.KeyPublishAheadSeconds, auth.SettingKeyRotationDays: b.KeyRotationDays,
		auth.SettingReuseDetection: b.ReuseDetectionSeconds, auth.SettingSessionRetention: b.SessionRetentionSeconds,
		auth.SettingSessionMaxLifetime: b.SessionMaxLifetimeSeconds, auth.SettingAuditRetentionDays: b.AuditRetentionDays,
		auth.SettingVerificationTTL: b.VerificationTokenTtlSeconds, auth.SettingResetTTL: b.ResetTokenTtlSeconds,
		auth.SettingInvitationTTL: b.InvitationTokenTtlSeconds, auth.SettingReauthenticationMaxAge: b.ReauthenticationMaxAgeSeconds,
		auth.SettingEmailCodeTTL: b.EmailCodeTtlSeconds,
	} {
		if value != nil {
			changes[key] = *value
		}
	}
	for key, value := range map[string]*bool{
		auth.SettingRequireVerifiedEmail: b.RequireVerifiedEmail, auth.SettingEmailCodeLogin: b.EmailCodeLogin,
		auth.SettingEmailCodeSignup: b.EmailCodeSignup,
	} {
		if value != nil {
			changes[key] = 0
			if *value {
				changes[key] = 1
			}
		}
	}
	updated, err := s.admin.UpdateSettings(ctx, id.User, changes)
	if err != nil {
		return nil, err
	}
	return api.UpdateSettings200JSONResponse{SettingsResponseJSONResponse: api.SettingsResponseJSONResponse(toAPISettings(updated))}, nil
}

func (s *Server) GetSettingsHistory(ctx context.Context, req api.GetSettingsHistoryRequestObject) (api.GetSettingsHistoryResponseObject, error) {
	changes, next, err := s.admin.SettingsHistory(ctx, pageSize(req.Params.Limit), req.Params.Cursor)
	if err != nil {
		return nil, err
	}
	page := api.GetSettingsHistory200JSONResponse{Changes: make([]api.SettingChange, len(changes)), NextCursor: cursorOf(next)}
	for i, c := range changes {
		actor := api.Actor{Email: c.ChangedByEmail, Id: nullable.NewNullNullable[api.UserID]()}
		if c.ChangedBy != nil {
			actor.Id = nullable.NewNullableWithValue(c.ChangedBy.ID)
		}
		page.Changes[i] = api.SettingChange{Setting: c.Key, OldValue: c.OldValue, NewValue: c.NewValue,
			ChangedBy: actor, ChangedAt: c.ChangedAt.UTC()}
	}
	return page, nil
}

func (s *Server) ListUsers(ctx context.Context, req api.ListUsersRequestObject) (api.ListUsersResponseObject, error) {
	page, err := s.admin.ListUsers(ctx, req.Params.Search, pageSize(req.Params.Limit), req.Params.Cursor)
	if err != nil {
		return nil, err
	}
	out := api.ListUsers200JSONResponse{Users: make([]api.AdminUser, len(page.Users)), NextCursor: cursorOf(page.Next)}
	for i, u := range page.Users {
		out.Users[i] = toAPIAdminUser(u)
	}
	return out, nil
}

func (s *Server) GetUser(ctx context.Context, req api.GetUserRequestObject) (api.GetUserResponseObject, error) {
	u, err := s.admin.User(ctx, req.Id)
	if err != nil {
		return nil, userNotFound(err)
	}
	return api.GetUser200JSONResponse{AdminUserResponseJSONResponse: api.AdminUserResponseJSONResponse(toAPIAdminUser(u))}, nil
}

// userNotFound gives a missing user's 404 its message.
func userNotFound(err error) error { return withMessage(err, auth.ErrNotFound, "No user has this id.") }

func (s *Server) UpdateUser(ctx context.Context, req api.UpdateUserRequestObject) (api.UpdateUserResponseObject, error) {
	b := req.Body
	changes := auth.UserChanges{IsActive: b.IsActive, IsAdmin: b.IsAdmin,
		Profile: auth.Profile{FirstName: b.FirstName, LastName: b.LastName, LanguageCode: b.LanguageCode}}
	changes.Profile.Username, changes.Profile.ClearUsername = presence(b.Username)
	changes.Profile.PhoneNumber, changes.Profile.ClearPhone = presence(b.PhoneNumber)
	id, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	u, err := s.admin.UpdateUser(ctx, id.User, req.Id, changes)
	if err != nil {
		return nil, userNotFound(err)
	}
	return api.UpdateUser200JSONResponse{AdminUserResponseJSONResponse: api.AdminUserResponseJSONResponse(toAPIAdminUser(u))}, nil
}

func (s *Server) DeleteUser(ctx context.Context, req api.DeleteUserRequestObject) (api.DeleteUserResponseObject, error) {
	id, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	if err := s.admin.DeleteUser(ctx, id.User, req.Id); err != nil {
		return nil, userNotFound(err)
	}
	return api.DeleteUser204Response{}, nil
}

func (s *Server) RevokeUserSessions(ctx context.Context, req api.RevokeUserSessionsRequestObject) (api.RevokeUserSessionsResponseObject, error) {
	id, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	u, err := s.admin.RevokeSessions(ctx, id.User, req.Id)
	if err != nil {
		return nil, userNotFound(err)
	}
	return api.RevokeUserSessions200JSONResponse{AdminUserResponseJSONResponse: api.AdminUserResponseJSONResponse(toAPIAdminUser(u))}, nil
}
