package httpapi

import (
	"context"

	"github.com/authd/authd/gen/api"
	"github.com/authd/authd/internal/auth"
)

func (s *Server) GetMe(ctx context.Context, _ api.GetMeRequestObject) (api.GetMeResponseObject, error) {
	id, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	return api.GetMe200JSONResponse(toAPIUser(id.User)), nil
}

// PutMe is PatchMe: both update any subset of the profile, as the Django services authd replaces did.
func (s *Server) PutMe(ctx context.Context, req api.PutMeRequestObject) (api.PutMeResponseObject, error) {
	user, err := s.updateProfile(ctx, req.Body)
	if err != nil {
		return nil, err
	}
	return api.PutMe200JSONResponse{UserUpdatedJSONResponse: api.UserUpdatedJSONResponse(toAPIUser(user))}, nil
}

func (s *Server) PatchMe(ctx context.Context, req api.PatchMeRequestObject) (api.PatchMeResponseObject, error) {
	user, err := s.updateProfile(ctx, req.Body)
	if err != nil {
		return nil, err
	}
	return api.PatchMe200JSONResponse{UserUpdatedJSONResponse: api.UserUpdatedJSONResponse(toAPIUser(user))}, nil
}

// updateProfile applies a profile update.
func (s *Server) updateProfile(ctx context.Context, body *api.ProfileUpdate) (auth.User, error) {
	id, err := caller(ctx)
	if err != nil {
		return auth.User{}, err
	}
	changes := auth.Profile{FirstName: body.FirstName, LastName: body.LastName, LanguageCode: body.LanguageCode}
	changes.Username, changes.ClearUsername = presence(body.Username)
	changes.PhoneNumber, changes.ClearPhone = presence(body.PhoneNumber)
	return s.auth.UpdateProfile(ctx, id.User.ID, changes)
}

// presence splits a JSON-nullable property into its value and whether it was explicitly null.
func presence[T any](n interface {
	IsSpecified() bool
	IsNull() bool
	Get() (T, error)
}) (*T, bool) {
	if !n.IsSpecified() {
		return nil, false
	}
	if n.IsNull() {
		return nil, true
	}
	v, _ := n.Get()
	return &v, false
}
