package httpapi

import (
	"context"
	"errors"
	"net/http"

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
		switch p := problemFor(err); p.status {
		case http.StatusBadRequest:
			return api.Register400JSONResponse{BadRequestJSONResponse: api.BadRequestJSONResponse(p.body(""))}, nil
		case http.StatusConflict:
			return api.Register409JSONResponse{ConflictJSONResponse: api.ConflictJSONResponse(p.body(""))}, nil
		}
		return nil, err
	}
	return api.Register201JSONResponse{Body: authResponse(session), Headers: api.Register201ResponseHeaders{CacheControl: &noStore}}, nil
}

func (s *Server) Login(ctx context.Context, req api.LoginRequestObject) (api.LoginResponseObject, error) {
	client, err := passwordCheckClient(ctx)
	if err != nil {
		return nil, err
	}
	session, err := s.auth.Login(ctx, req.Body.Email, req.Body.Password, client)
	s.metrics.Login(loginOutcome(err))
	if err != nil {
		switch p := problemFor(err); p.status {
		case http.StatusTooManyRequests:
			return api.Login429JSONResponse{TooManyRequestsJSONResponse: tooManyRequests(p)}, nil
		case http.StatusUnauthorized:
			return api.Login401JSONResponse{UnauthorizedJSONResponse: unauthorized(p)}, nil
		case http.StatusForbidden:
			return api.Login403JSONResponse{ForbiddenJSONResponse: api.ForbiddenJSONResponse(p.body(""))}, nil
		}
		return nil, err
	}
	return api.Login200JSONResponse{Body: authResponse(session), Headers: api.Login200ResponseHeaders{CacheControl: &noStore}}, nil
}

func (s *Server) Refresh(ctx context.Context, req api.RefreshRequestObject) (api.RefreshResponseObject, error) {
	session, err := s.auth.Refresh(ctx, req.Body.RefreshToken)
	s.metrics.Refresh(refreshOutcome(err))
	if err != nil {
		if p := problemFor(err); p.status == http.StatusUnauthorized {
			return api.Refresh401JSONResponse{UnauthorizedJSONResponse: unauthorized(p)}, nil
		}
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

func (s *Server) Logout(ctx context.Context, req api.LogoutRequestObject) (api.LogoutResponseObject, error) {
	if err := s.auth.Logout(ctx, req.Body.RefreshToken); err != nil {
		return nil, err
	}
	return api.Logout200JSONResponse{Success: true, Message: "Signed out."}, nil
}

func loginOutcome(err error) string {
	switch {
	case err == nil:
		return "success"
	case errors.Is(err, auth.ErrInvalidCredentials):
		return "invalid_credentials"
	case errors.Is(err, auth.ErrRateLimited):
		return "throttled"
	case errors.Is(err, auth.ErrBusy):
		return "busy"
	case errors.Is(err, auth.ErrAccountDisabled):
		return "disabled"
	}
	return "error"
}

func refreshOutcome(err error) string {
	switch {
	case err == nil:
		return "rotated"
	case errors.Is(err, auth.ErrTokenReused):
		return "reused_revoked"
	case errors.Is(err, auth.ErrInvalidToken):
		return "invalid"
	}
	return "error"
}

func authResponse(s auth.Session) api.AuthResponse {
	return api.AuthResponse{
		AccessToken:  s.AccessToken,
		RefreshToken: uuid.MustParse(s.RefreshToken),
		TokenType:    api.AuthResponseTokenType(auth.TokenType),
		ExpiresIn:    int32(s.ExpiresIn.Seconds()),
		User:         toAPIUser(s.User),
	}
}

func unauthorized(p problem) api.UnauthorizedJSONResponse {
	return api.UnauthorizedJSONResponse{Body: p.body(""), Headers: api.UnauthorizedResponseHeaders{WWWAuthenticate: challengeFor(p)}}
}

func tooManyRequests(p problem) api.TooManyRequestsJSONResponse {
	return api.TooManyRequestsJSONResponse{Body: p.body(""), Headers: api.TooManyRequestsResponseHeaders{RetryAfter: int32(p.retryAfter)}}
}
