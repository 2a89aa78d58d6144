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
	Authenticate(ctx context.Context, accessToken string) (auth.Principal, error)
}

type identityKey struct{}

// caller returns the identity that withAuthentication recorded. Its absence on a secured operation is a
// wiring bug, not a client error.
func caller(ctx context.Context) (auth.Principal, error) {
	id, ok := ctx.Value(identityKey{}).(auth.Principal)
	if !ok {
		return auth.Principal{}, errors.New("secured operation reached without an authenticated caller")
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

func authenticate(r *http.Request, authn Authenticator, scheme string) (auth.Principal, problem, bool) {
	token, err := bearerToken(r)
	if errors.Is(err, errMissingBearer) {
		return auth.Principal{}, authenticationRequired(), false
	}
	if err != nil {
		return auth.Principal{}, problemFor(err), false
	}
	identity, err := authn.Authenticate(r.Context(), token)
	if err != nil {
		// an invalid token is 401, an outage 503, anything else 500
		return auth.Principal{}, problemFor(err), false
	}
	// is_admin comes from the row just loaded with the session, never from a token claim, so a demoted
	// admin is refused at their next request.
	if scheme == adminScheme && !identity.User.IsAdmin {
		return auth.Principal{}, problemFor(auth.ErrForbidden), false
	}
	return identity, problem{}, true
}

func authenticationRequired() problem {
	return problem{status: http.StatusUnauthorized, code: api.ErrorCodeUnauthorized,
		message: "Authentication is required: send an access token as Authorization: Bearer <token>."}
}

// bearerToken reads the request's one Authorization header. Without one it is errMissingBearer; anything
// but exactly "Bearer <token>" (the scheme in any case, one space, a token of JWT characters) is
// ErrInvalidToken, and so is a second header, which proxies and servers might otherwise pick differently.
func bearerToken(r *http.Request) (string, error) {
	values := r.Header.Values("Authorization")
	switch {
	case len(values) == 0:
		return "", errMissingBearer
	case len(values) > 1:
		return "", &auth.InvalidTokenError{Reason: "more than one Authorization header"}
	}
	scheme, token, ok := strings.Cut(values[0], " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || token == "" || strings.IndexFunc(token, notTokenChar) >= 0 {
		return "", &auth.InvalidTokenError{Reason: "malformed Authorization header: send \"Bearer <token>\""}
	}
	return token, nil
}

// notTokenChar reports a character that no access token has: they are base64url segments joined by dots.
func notTokenChar(c rune) bool {
	return !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.')
}
