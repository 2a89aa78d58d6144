package httpapi

import (
	"context"
	"errors"

	"github.com/google/uuid"

	"github.com/authd/authd/gen/api"
	"github.com/authd/authd/internal/auth"
)

var noStore = "no-store"

func (s *Server) Register(ctx context.Context, req api.RegisterRequestObject) (api.RegisterResponseObject, error) {
	b := req.Body
	session, err := s.auth.Register(ctx, auth.Registration{
		Email:    b.Email,
		Password: b.Password,
		Profile: auth.Profile{
			Username:     b.Username,
			FirstName:    b.FirstName,
			LastName:     b.LastName,
			PhoneNumber:  b.PhoneNumber,
			LanguageCode: b.LanguageCode,
		},
	}, clientFrom(ctx))
	if err != nil {
		return nil, err
	}
	return api.Register201JSONResponse{Body: authResponse(session), Headers: api.Register201ResponseHeaders{CacheControl: &noStore}}, nil
}

func (s *Server) Login(ctx context.Context, req api.LoginRequestObject) (api.LoginResponseObject, error) {
	session, err := s.signIn(ctx, req.Body.Email, req.Body.Password)
	if err != nil {
		return nil, err
	}
	return api.Login200JSONResponse{Body: authResponse(session), Headers: api.Login200ResponseHeaders{CacheControl: &noStore}}, nil
}

// signIn is every email and password login, counted by the outcome its answer says.
func (s *Server) signIn(ctx context.Context, email, password string) (auth.Grant, error) {
	client, err := credentialCheckClient(ctx, auth.MethodPassword)
	if err != nil {
		return auth.Grant{}, err
	}
	session, err := s.auth.Login(ctx, email, password, client)
	s.metrics.Login(loginOutcome(err))
	return session, err
}

func (s *Server) Refresh(ctx context.Context, req api.RefreshRequestObject) (api.RefreshResponseObject, error) {
	session, err := s.refresh(ctx, req.Body.RefreshToken)
	if err != nil {
		return nil, err
	}
	return api.Refresh200JSONResponse{
		Body: api.TokenPair{
			AccessToken:  session.AccessToken,
			RefreshToken: uuid.MustParse(session.RefreshToken),
			TokenType:    api.TokenPairTokenType(auth.TokenType),
			ExpiresIn:    int32(session.ExpiresIn.Seconds()),
		},
		Headers: api.Refresh200ResponseHeaders{CacheControl: &noStore},
	}, nil
}

// refresh rotates a refresh token, counted by outcome.
func (s *Server) refresh(ctx context.Context, token string) (auth.Grant, error) {
	session, err := s.auth.Refresh(ctx, token)
	s.metrics.Refresh(refreshOutcome(err))
	return session, err
}

func (s *Server) Logout(ctx context.Context, req api.LogoutRequestObject) (api.LogoutResponseObject, error) {
	if err := s.auth.Logout(ctx, req.Body.RefreshToken); err != nil {
		return nil, err
	}
	return api.Logout200JSONResponse{Success: true, Message: "Signed out."}, nil
}

// loginOutcome is the authd_logins_total outcome of a sign-in, taken from the answer problemFor gives its
// error, so that the metric and the response never disagree.
func loginOutcome(err error) string {
	if err == nil {
		return "success"
	}
	switch problemFor(err).code {
	case api.ErrorCodeInvalidCredentials:
		return "invalid_credentials"
	case api.ErrorCodeRateLimited:
		return "throttled"
	case api.ErrorCodeServiceUnavailable:
		if errors.Is(err, auth.ErrBusy) {
			return "busy"
		}
		return "unavailable"
	case api.ErrorCodeAccountDisabled:
		return "disabled"
	case api.ErrorCodeEmailNotVerified:
		return "unverified"
	case api.ErrorCodeValidationError:
		return "invalid_request"
	case api.ErrorCodeForbidden:
		return "method_disabled"
	}
	return "error"
}

// refreshOutcome is the authd_refreshes_total outcome of a refresh, from its answer as loginOutcome.
func refreshOutcome(err error) string {
	if err == nil {
		return "rotated"
	}
	if errors.Is(err, auth.ErrTokenReused) {
		return "reused_revoked"
	}
	switch problemFor(err).code {
	case api.ErrorCodeInvalidToken:
		return "invalid"
	case api.ErrorCodeEmailNotVerified:
		return "unverified"
	case api.ErrorCodeServiceUnavailable:
		return "unavailable"
	}
	return "error"
}

func authResponse(s auth.Grant) api.AuthResponse {
	return api.AuthResponse{
		AccessToken:  s.AccessToken,
		RefreshToken: uuid.MustParse(s.RefreshToken),
		TokenType:    api.AuthResponseTokenType(auth.TokenType),
		ExpiresIn:    int32(s.ExpiresIn.Seconds()),
		User:         toAPIUser(s.User),
	}
}
