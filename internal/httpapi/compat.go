package httpapi

import (
	"context"
	"maps"
	"net/http"

	"github.com/google/uuid"

	"github.com/authd/authd/gen/api"
	"github.com/authd/authd/internal/auth"
)

// The compat operations serve the seed systems' paths and shapes (openapi.yaml, tag compat) with the
// canonical operations' domain calls: signIn, auth.Service.Register and auth.Service.SignUp. Only the
// shapes differ, and the status of a few refusals, which compatOverrides changes in the one error answer.

// compatOverrides adjust the answer problemFor chose, per compat operation, to what the seed's clients
// expect. writeError applies them; nothing else writes an error.
var compatOverrides = map[string]func(problem) problem{
	// Django REST framework answered every refusal of its serializer, a taken email too, with 400, and
	// named the fields as its clients send them.
	"compatSignUp": func(p problem) problem {
		if p.status == http.StatusConflict {
			p.status = http.StatusBadRequest
		}
		if msg, ok := p.fields["phone_number"]; ok {
			p.fields = maps.Clone(p.fields)
			delete(p.fields, "phone_number")
			p.fields["number_phone"] = msg
		}
		return p
	},
	// The seed's clients expect 400 for bad credentials; the body is the same for a wrong password and an
	// unknown email.
	"compatSignIn": func(p problem) problem {
		if p.status == http.StatusUnauthorized {
			p.status = http.StatusBadRequest
		}
		return p
	},
	// The seed answered a taken username or email with 400 and a message, like any other refusal.
	"compatRegister": func(p problem) problem {
		if p.status == http.StatusConflict {
			p.status = http.StatusBadRequest
		}
		return p
	},
}

// compatCreated is the message every seed answered a registration with.
const compatCreated = "User created successfully"

func (s *Server) CompatSignUp(ctx context.Context, req api.CompatSignUpRequestObject) (api.CompatSignUpResponseObject, error) {
	b := req.Body
	profile := auth.Profile{Username: &b.Username, FirstName: b.FirstName, LastName: b.LastName}
	if phone, err := b.NumberPhone.Get(); err == nil && phone != "" {
		profile.PhoneNumber = &phone
	}
	session, err := s.auth.Register(ctx, auth.Registration{Email: b.Email, Password: b.Password, Profile: profile}, clientFrom(ctx))
	if err != nil {
		return nil, err
	}
	return api.CompatSignUp201JSONResponse{Body: compatAuthResponse(session), Headers: api.CompatSignUp201ResponseHeaders{CacheControl: &noStore}}, nil
}

func (s *Server) CompatSignIn(ctx context.Context, req api.CompatSignInRequestObject) (api.CompatSignInResponseObject, error) {
	session, err := s.signIn(ctx, req.Body.Email, req.Body.Password)
	if err != nil {
		return nil, err
	}
	return api.CompatSignIn200JSONResponse{Body: compatAuthResponse(session), Headers: api.CompatSignIn200ResponseHeaders{CacheControl: &noStore}}, nil
}

func (s *Server) CompatProfile(ctx context.Context, _ api.CompatProfileRequestObject) (api.CompatProfileResponseObject, error) {
	id, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	return api.CompatProfile200JSONResponse(toCompatUser(id.User)), nil
}

func (s *Server) CompatTokenRefresh(ctx context.Context, req api.CompatTokenRefreshRequestObject) (api.CompatTokenRefreshResponseObject, error) {
	session, err := s.refresh(ctx, req.Body.Refresh)
	if err != nil {
		return nil, err
	}
	return api.CompatTokenRefresh200JSONResponse{
		Body:    api.CompatTokenPair{Access: session.AccessToken, Refresh: uuid.MustParse(session.RefreshToken)},
		Headers: api.CompatTokenRefresh200ResponseHeaders{CacheControl: &noStore},
	}, nil
}

func (s *Server) CompatAuthSignup(ctx context.Context, req api.CompatAuthSignupRequestObject) (api.CompatAuthSignupResponseObject, error) {
	b := req.Body
	user, err := s.auth.SignUp(ctx, auth.Registration{Email: b.Email, Password: b.Password,
		Profile: auth.Profile{Username: &b.Username, FirstName: &b.FirstName, LastName: &b.LastName}})
	if err != nil {
		return nil, err
	}
	return api.CompatAuthSignup201JSONResponse(compatCreatedBody(user)), nil
}

func (s *Server) CompatRegister(ctx context.Context, req api.CompatRegisterRequestObject) (api.CompatRegisterResponseObject, error) {
	b := req.Body
	user, err := s.auth.SignUp(ctx, auth.Registration{Email: b.Email, Password: b.Password,
		Profile: auth.Profile{Username: &b.Username, LanguageCode: b.LanguageCode}})
	if err != nil {
		return nil, err
	}
	return api.CompatRegister201JSONResponse(compatCreatedBody(user)), nil
}

func (s *Server) CompatLogin(ctx context.Context, req api.CompatLoginRequestObject) (api.CompatLoginResponseObject, error) {
	session, err := s.signIn(ctx, req.Body.Email, req.Body.Password)
	if err != nil {
		return nil, err
	}
	return api.CompatLogin200JSONResponse{Body: authResponse(session), Headers: api.CompatLogin200ResponseHeaders{CacheControl: &noStore}}, nil
}

func compatCreatedBody(u auth.User) api.CompatCreated {
	return api.CompatCreated{Message: compatCreated, Success: true, User: toAPIUser(u)}
}

func compatAuthResponse(s auth.Grant) api.CompatAuthResponse {
	return api.CompatAuthResponse{Access: s.AccessToken, Refresh: uuid.MustParse(s.RefreshToken), User: toCompatUser(s.User)}
}

func toCompatUser(u auth.User) api.CompatUser {
	return api.CompatUser{
		Id:          u.ID,
		Username:    nullableOf(u.Username),
		Email:       u.Email,
		FirstName:   u.FirstName,
		LastName:    u.LastName,
		NumberPhone: nullableOf(u.PhoneNumber),
		Avatar:      avatarURL(u.Avatar),
	}
}
