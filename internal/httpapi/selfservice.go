package httpapi

import (
	"context"

	"github.com/authd/authd/gen/api"
	"github.com/authd/authd/internal/auth"
)

func (s *Server) ListMySessions(ctx context.Context, _ api.ListMySessionsRequestObject) (api.ListMySessionsResponseObject, error) {
	id, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	sessions, err := s.auth.Sessions(ctx, id)
	if err != nil {
		return nil, err
	}
	out := api.ListMySessions200JSONResponse{Sessions: make([]api.Session, len(sessions))}
	for i, ses := range sessions {
		out.Sessions[i] = api.Session{Id: ses.ID, CreatedAt: ses.CreatedAt.UTC(), LastUsedAt: ses.LastUsedAt.UTC(),
			ExpiresAt: ses.ExpiresAt.UTC(), UserAgent: ses.UserAgent, IpAddress: ses.IP, Current: ses.ID == id.SessionID,
			Aal: api.AssuranceLevel(ses.Assurance.ACR()), AuthTime: ses.Assurance.AuthTime.UTC(), Methods: toAPIMethods(ses.Assurance.Methods)}
	}
	return out, nil
}

func (s *Server) EndMySession(ctx context.Context, req api.EndMySessionRequestObject) (api.EndMySessionResponseObject, error) {
	id, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	if err := s.auth.EndSession(ctx, id, req.Id); err != nil {
		return nil, withMessage(err, auth.ErrNotFound, "You have no active session with this id.")
	}
	return api.EndMySession204Response{}, nil
}

func (s *Server) EndOtherSessions(ctx context.Context, _ api.EndOtherSessionsRequestObject) (api.EndOtherSessionsResponseObject, error) {
	id, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	if err := s.auth.EndOtherSessions(ctx, id); err != nil {
		return nil, err
	}
	return api.EndOtherSessions204Response{}, nil
}

func (s *Server) ChangePassword(ctx context.Context, req api.ChangePasswordRequestObject) (api.ChangePasswordResponseObject, error) {
	id, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	client, err := credentialCheckClient(ctx, auth.MethodPassword)
	if err != nil {
		return nil, err
	}
	err = s.auth.ChangePassword(ctx, id, client, req.Body.CurrentPassword, req.Body.NewPassword)
	if err != nil {
		return nil, err
	}
	return api.ChangePassword200JSONResponse{Success: true, Message: "Password changed; your other sessions have ended."}, nil
}

func (s *Server) ChangeEmail(ctx context.Context, req api.ChangeEmailRequestObject) (api.ChangeEmailResponseObject, error) {
	id, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	client, err := credentialCheckClient(ctx, auth.MethodPassword)
	if err != nil {
		return nil, err
	}
	pending, err := s.auth.RequestEmailChange(ctx, id, client, req.Body.Email, req.Body.Password)
	if err != nil {
		return nil, err
	}
	return api.ChangeEmail202JSONResponse{Success: true, PendingEmail: pending,
		Message: "A confirmation link was sent to the new address; the email changes when it is used."}, nil
}

func (s *Server) DeleteMe(ctx context.Context, req api.DeleteMeRequestObject) (api.DeleteMeResponseObject, error) {
	id, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	client, err := credentialCheckClient(ctx, auth.MethodPassword)
	if err != nil {
		return nil, err
	}
	var password *string
	if req.Body != nil {
		password = req.Body.Password
	}
	err = s.auth.DeleteAccount(ctx, id, client, password)
	if err != nil {
		return nil, err
	}
	return api.DeleteMe204Response{}, nil
}

func toAPIMethods(methods []string) []api.AuthenticationMethod {
	out := make([]api.AuthenticationMethod, len(methods))
	for i, m := range methods {
		out[i] = api.AuthenticationMethod(m)
	}
	return out
}

func (s *Server) Reauthenticate(ctx context.Context, req api.ReauthenticateRequestObject) (api.ReauthenticateResponseObject, error) {
	id, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	var session auth.Grant
	switch b := req.Body; {
	case b.Password != nil:
		client, err := credentialCheckClient(ctx, auth.MethodPassword)
		if err != nil {
			return nil, err
		}
		session, err = s.auth.ReauthenticateWithPassword(ctx, id, client, *b.Password)
		if err != nil {
			return nil, err
		}
	case b.Code != nil:
		client, err := credentialCheckClient(ctx, auth.MethodEmailCode)
		if err != nil {
			return nil, err
		}
		session, err = s.auth.ReauthenticateWithCode(ctx, id, client, *b.Code)
		if err != nil {
			return nil, err
		}
	default:
		return nil, auth.Invalid("body", "needs password or code")
	}
	return api.Reauthenticate200JSONResponse{Body: authResponse(session), Headers: api.Reauthenticate200ResponseHeaders{CacheControl: &noStore}}, nil
}
