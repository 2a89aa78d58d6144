package httpapi

import (
	"context"
	"math/rand/v2"
	"time"

	"github.com/authd/authd/gen/api"
	"github.com/authd/authd/internal/auth"
)

// loginCodeFloor is the least time a sign-in code request takes, for the reason forgotPasswordFloor says:
// an address with an account has a code and a message written, one without has nothing.
const loginCodeFloor = forgotPasswordFloor

func (s *Server) RequestLoginCode(ctx context.Context, req api.RequestLoginCodeRequestObject) (api.RequestLoginCodeResponseObject, error) {
	deadline := time.Now().Add(loginCodeFloor + rand.N(20*time.Millisecond))
	if err := s.auth.RequestLoginCode(ctx, req.Body.Email); err != nil {
		return nil, err
	}
	select {
	case <-time.After(time.Until(deadline)):
	case <-ctx.Done():
	}
	return api.RequestLoginCode202JSONResponse{Success: true, Message: "If an account has this address, a sign-in code is on its way."}, nil
}

func (s *Server) LoginWithCode(ctx context.Context, req api.LoginWithCodeRequestObject) (api.LoginWithCodeResponseObject, error) {
	client, err := credentialCheckClient(ctx, auth.MethodEmailCode)
	if err != nil {
		return nil, err
	}
	var session auth.Grant
	switch b := req.Body; {
	case b.Token != nil && b.Email == nil && b.Code == nil:
		session, err = s.auth.LoginWithLink(ctx, *b.Token, client)
	case b.Token == nil && b.Email != nil && b.Code != nil:
		session, err = s.auth.LoginWithCode(ctx, *b.Email, *b.Code, client)
	default:
		return nil, auth.Invalid("body", "needs email and code, or token alone")
	}
	s.metrics.Login(loginOutcome(err))
	if err != nil {
		return nil, err
	}
	return api.LoginWithCode200JSONResponse{Body: authResponse(session), Headers: api.LoginWithCode200ResponseHeaders{CacheControl: &noStore}}, nil
}

func (s *Server) SendReauthenticationCode(ctx context.Context, _ api.SendReauthenticationCodeRequestObject) (api.SendReauthenticationCodeResponseObject, error) {
	id, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	if err := s.auth.SendReauthenticationCode(ctx, id); err != nil {
		return nil, err
	}
	return api.SendReauthenticationCode202JSONResponse{Success: true, Message: "A code is on its way to your address."}, nil
}
