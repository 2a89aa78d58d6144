package httpapi

import (
	"context"
	"math/rand/v2"
	"time"

	"github.com/authd/authd/gen/api"
	"github.com/authd/authd/internal/auth"
)

func (s *Server) VerifyEmail(ctx context.Context, req api.VerifyEmailRequestObject) (api.VerifyEmailResponseObject, error) {
	email, err := s.auth.UseEmailLink(ctx, req.Body.Token)
	if err != nil {
		return nil, err
	}
	return api.VerifyEmail200JSONResponse{Success: true, Email: email, Message: "Your email address is verified."}, nil
}

func (s *Server) SendVerification(ctx context.Context, _ api.SendVerificationRequestObject) (api.SendVerificationResponseObject, error) {
	id, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	err = s.auth.SendVerification(ctx, id)
	if err != nil {
		return nil, err
	}
	return api.SendVerification202JSONResponse{Success: true, Message: "A verification link was sent to your email address."}, nil
}

// forgotPasswordFloor is the least time a forgot-password answer takes. The work differs between an
// address with an account (a reset link is written to the outbox) and one without (nothing is); answering
// no sooner than this, plus jitter, hides which it was. The work takes a few milliseconds.
const forgotPasswordFloor = 150 * time.Millisecond

func (s *Server) ForgotPassword(ctx context.Context, req api.ForgotPasswordRequestObject) (api.ForgotPasswordResponseObject, error) {
	deadline := time.Now().Add(forgotPasswordFloor + rand.N(20*time.Millisecond))
	err := s.auth.ForgotPassword(ctx, req.Body.Email)
	if err != nil {
		return nil, err
	}
	select {
	case <-time.After(time.Until(deadline)):
	case <-ctx.Done():
	}
	return api.ForgotPassword202JSONResponse{Success: true,
		Message: "If an account has this address, a link to reset its password is on its way."}, nil
}

func (s *Server) ResetPassword(ctx context.Context, req api.ResetPasswordRequestObject) (api.ResetPasswordResponseObject, error) {
	err := s.auth.ResetPassword(ctx, req.Body.Token, req.Body.NewPassword)
	if err != nil {
		return nil, err
	}
	return api.ResetPassword200JSONResponse{Success: true, Message: "Your password is set; sign in with it."}, nil
}

func (s *Server) CreateUser(ctx context.Context, req api.CreateUserRequestObject) (api.CreateUserResponseObject, error) {
	id, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	b := req.Body
	profile := auth.Profile{Username: b.Username, FirstName: b.FirstName, LastName: b.LastName, PhoneNumber: b.PhoneNumber,
		LanguageCode: b.LanguageCode}
	user, err := s.admin.CreateUser(ctx, id.User, b.Email, profile, b.IsAdmin != nil && *b.IsAdmin)
	if err != nil {
		return nil, err
	}
	return api.CreateUser201JSONResponse{AdminUserCreatedJSONResponse: api.AdminUserCreatedJSONResponse(toAPIAdminUser(user))}, nil
}

func (s *Server) SendUserPasswordReset(ctx context.Context, req api.SendUserPasswordResetRequestObject) (api.SendUserPasswordResetResponseObject, error) {
	id, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	err = s.admin.SendPasswordReset(ctx, id.User, req.Id)
	if err != nil {
		return nil, userNotFound(err)
	}
	return api.SendUserPasswordReset202JSONResponse{Success: true, Message: "A password reset link was sent to the user."}, nil
}
