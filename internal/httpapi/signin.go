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
	session, p, err := s.register(ctx, auth.Registration{
		Email:    b.Email,
		Password: b.Password,
		Profile: auth.Profile{
			Username:     b.Username,
			FirstName:    b.FirstName,
			LastName:     b.LastName,
			PhoneNumber:  b.PhoneNumber,
			LanguageCode: b.LanguageCode,
		},
	})
	switch {
	case err != nil:
		return nil, err
	case p.status == http.StatusBadRequest:
		return api.Register400JSONResponse{BadRequestJSONResponse: api.BadRequestJSONResponse(p.body(""))}, nil
	case p.status == http.StatusConflict:
		return api.Register409JSONResponse{ConflictJSONResponse: api.ConflictJSONResponse(p.body(""))}, nil
	}
	return api.Register201JSONResponse{Body: authResponse(session), Headers: api.Register201ResponseHeaders{CacheControl: &noStore}}, nil
}

// register creates an account and signs it in. A refusal the operations document (400, 409) comes back
// as a problem; anything else as an error.
func (s *Server) register(ctx context.Context, r auth.Registration) (auth.Session, problem, error) {
	session, err := s.auth.Register(ctx, r, clientFrom(ctx))
	if err != nil {
		if p := problemFor(err); p.status == http.StatusBadRequest || p.status == http.StatusConflict {
			return auth.Session{}, p, nil
		}
		return auth.Session{}, problem{}, err
	}
	return session, problem{}, nil
}

func (s *Server) Login(ctx context.Context, req api.LoginRequestObject) (api.LoginResponseObject, error) {
	session, p, err := s.signIn(ctx, req.Body.Email, req.Body.Password)
	switch {
	case err != nil:
		return nil, err
	case p.status == http.StatusTooManyRequests:
		return api.Login429JSONResponse{TooManyRequestsJSONResponse: tooManyRequests(p)}, nil
	case p.status == http.StatusUnauthorized:
		return api.Login401JSONResponse{UnauthorizedJSONResponse: unauthorized(p)}, nil
	case p.status == http.StatusForbidden:
		return api.Login403JSONResponse{ForbiddenJSONResponse: api.ForbiddenJSONResponse(p.body(""))}, nil
	}
	return api.Login200JSONResponse{Body: authResponse(session), Headers: api.Login200ResponseHeaders{CacheControl: &noStore}}, nil
}

// signIn is every email and password login, counted by outcome. Bad credentials (401), a disabled
// account (403) and throttling (429) come back as a problem; anything else as an error.
func (s *Server) signIn(ctx context.Context, email, password string) (auth.Session, problem, error) {
	client, err := credentialCheckClient(ctx, auth.MethodPassword)
	if err != nil {
		return auth.Session{}, problem{}, err
	}
	session, err := s.auth.Login(ctx, email, password, client)
	s.metrics.Login(loginOutcome(err))
	if err != nil {
		switch p := problemFor(err); p.status {
		case http.StatusTooManyRequests, http.StatusUnauthorized, http.StatusForbidden:
			return auth.Session{}, p, nil
		}
		return auth.Session{}, problem{}, err
	}
	return session, problem{}, nil
}

func (s *Server) Refresh(ctx context.Context, req api.RefreshRequestObject) (api.RefreshResponseObject, error) {
	session, p, err := s.refresh(ctx, req.Body.RefreshToken)
	switch {
	case err != nil:
		return nil, err
	case p.status == http.StatusForbidden:
		return api.Refresh403JSONResponse{ForbiddenJSONResponse: api.ForbiddenJSONResponse(p.body(""))}, nil
	case p.status != 0:
		return api.Refresh401JSONResponse{UnauthorizedJSONResponse: unauthorized(p)}, nil
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

// refresh rotates a refresh token, counted by outcome; a refused token (401) or an unverified account
// (403) comes back as a problem.
func (s *Server) refresh(ctx context.Context, token string) (auth.Session, problem, error) {
	session, err := s.auth.Refresh(ctx, token)
	s.metrics.Refresh(refreshOutcome(err))
	if err != nil {
		if p := problemFor(err); p.status == http.StatusUnauthorized || p.status == http.StatusForbidden {
			return auth.Session{}, p, nil
		}
		return auth.Session{}, problem{}, err
	}
	return session, problem{}, nil
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
