package httpapi

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/authd/authd/gen/api"
	"github.com/authd/authd/internal/auth"
)

// Authenticator checks a bearer token and returns the caller.
type Authenticator interface {
	Authenticate(ctx context.Context, accessToken string) (auth.Identity, error)
}

type identityKey struct{}

// caller returns the identity that withAuthentication recorded. Its absence on a secured operation is a
// wiring bug, not a client error.
func caller(ctx context.Context) (auth.Identity, error) {
	id, ok := ctx.Value(identityKey{}).(auth.Identity)
	if !ok {
		return auth.Identity{}, errors.New("secured operation reached without an authenticated caller")
	}
	return id, nil
}

// withAuthentication authenticates the operations whose security requirement in openapi.yaml asks for a
// bearer token, before anything reads the body: an anonymous or unauthorised caller is answered from the
// headers alone. The caller is put in the context for the handler.
func withAuthentication(authn Authenticator) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			scheme := routeFrom(r.Context()).policy.scheme
			if scheme == "" {
				next.ServeHTTP(w, r)
				return
			}
			identity, p, ok := authenticate(r, authn, scheme)
			if !ok {
				writeProblem(w, r, p)
				return
			}
			next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), identityKey{}, identity)))
		})
	}
}

func authenticate(r *http.Request, authn Authenticator, scheme string) (auth.Identity, problem, bool) {
	token, ok := bearerToken(r)
	if !ok {
		return auth.Identity{}, authenticationRequired(), false
	}
	identity, err := authn.Authenticate(r.Context(), token)
	if err != nil {
		// an invalid token is 401, an outage 503, anything else 500
		return auth.Identity{}, problemFor(err), false
	}
	// is_admin comes from the row just loaded with the session, never from a token claim, so a demoted
	// admin is refused at their next request.
	if scheme == adminScheme && !identity.User.IsAdmin {
		return auth.Identity{}, problemFor(auth.ErrForbidden), false
	}
	return identity, problem{}, true
}

func authenticationRequired() problem {
	return problem{status: http.StatusUnauthorized, code: api.ErrorCodeUnauthorized,
		message: "Authentication is required: send an access token as Authorization: Bearer <token>."}
}

func bearerToken(r *http.Request) (string, bool) {
	scheme, token, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	token = strings.TrimSpace(token)
	return token, token != ""
}
