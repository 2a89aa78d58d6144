// Package httpapi is authd's HTTP layer: the strict handlers generated from openapi.yaml, request
// validation, middleware and the one error writer.
package httpapi

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/netip"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/authd/authd/gen/api"
	"github.com/authd/authd/internal/adminui"
	"github.com/authd/authd/internal/auth"
)

// Pinger reports whether the database answers.
type Pinger interface {
	Ping(ctx context.Context) error
}

// Server implements the generated strict server interface on top of the domain.
type Server struct {
	auth    *auth.Service
	admin   *auth.Admin
	db      Pinger
	clients clientResolver
}

var _ api.StrictServerInterface = (*Server)(nil)

// Deps are what the HTTP layer needs.
type Deps struct {
	Auth  *auth.Service
	Admin *auth.Admin
	DB    Pinger
	// TrustedProxies are the networks whose X-Forwarded-For is believed.
	TrustedProxies []netip.Prefix
	// CORSOrigins are the exact origins browsers may call the API from.
	CORSOrigins []string
}

// NewHandler returns the complete handler chain: request id, access log, panic recovery, security
// headers, body limit, docs, and for the API the validator in front of the strict handlers.
func NewHandler(d Deps) (http.Handler, error) {
	spec, err := api.GetSwagger()
	if err != nil {
		return nil, fmt.Errorf("load embedded spec: %w", err)
	}
	specJSON, err := spec.MarshalJSON()
	if err != nil {
		return nil, fmt.Errorf("encode spec: %w", err)
	}
	srv := &Server{auth: d.Auth, admin: d.Admin, db: d.DB, clients: clientResolver{trusted: d.TrustedProxies}}
	strict := api.NewStrictHandlerWithOptions(srv, nil, api.StrictHTTPServerOptions{
		RequestErrorHandlerFunc: func(w http.ResponseWriter, r *http.Request, err error) {
			writeProblem(w, r, problem{status: http.StatusBadRequest, code: api.ErrorCodeMalformedJson,
				message: "The body is not valid JSON.", cause: err})
		},
		ResponseErrorHandlerFunc: func(w http.ResponseWriter, r *http.Request, err error) {
			writeProblem(w, r, problemFor(err))
		},
	})
	apiMux := http.NewServeMux()
	apiHandler := api.HandlerWithOptions(strict, api.StdHTTPServerOptions{
		BaseRouter: apiMux,
		ErrorHandlerFunc: func(w http.ResponseWriter, r *http.Request, err error) {
			writeProblem(w, r, problem{status: http.StatusBadRequest, code: api.ErrorCodeValidationError,
				message: "The request has invalid parameters.", cause: err})
		},
	})
	validated := withoutTrailingSlash(srv.withRequestContext(srv.withRateLimit(requestValidator(specCopy(spec), srv.auth)(apiHandler))))

	root := http.NewServeMux()
	mountDocs(root, spec, specJSON)
	adminui.Mount(root)
	root.Handle("/", validated)

	var h http.Handler = root
	h = withBodyLimit(h)
	h = withCORS(d.CORSOrigins)(h)
	h = withSecurityHeaders(h)
	h = withRecovery(h)
	h = withAccessLog(h)
	h = withRequestID(h)
	return h, nil
}

// specCopy gives the validator its own copy: it clears Servers on the spec it is given.
func specCopy(spec *openapi3.T) *openapi3.T {
	c := *spec
	return &c
}

// caller returns the identity that the validator authenticated. Its absence on a secured operation is a
// wiring bug, not a client error.
func caller(ctx context.Context) (auth.Identity, error) {
	id, ok := auth.IdentityFrom(ctx)
	if !ok {
		return auth.Identity{}, errors.New("secured operation reached without an authenticated caller")
	}
	return id, nil
}
