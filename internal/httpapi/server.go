package httpapi

import (
	"context"
	"fmt"
	"net/http"
	"net/netip"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/oasdiff/yaml"
	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"

	"github.com/authd/authd"
	"github.com/authd/authd/gen/api"
	"github.com/authd/authd/internal/adminui"
	"github.com/authd/authd/internal/auth"
	"github.com/authd/authd/internal/importer"
	"github.com/authd/authd/internal/linkpages"
	"github.com/authd/authd/internal/metrics"
)

// Pinger reports whether the database answers.
type Pinger interface {
	Ping(ctx context.Context) error
}

// LoadSpec parses the embedded openapi.yaml, the file in the repository.
func LoadSpec() (*openapi3.T, error) {
	spec, err := openapi3.NewLoader().LoadFromData(authd.OpenAPI)
	if err != nil {
		return nil, fmt.Errorf("load openapi.yaml: %w", err)
	}
	if err := spec.Validate(context.Background()); err != nil {
		return nil, fmt.Errorf("openapi.yaml is not a valid OpenAPI document: %w", err)
	}
	return spec, nil
}

// Server implements the generated strict server interface on top of the domain.
type Server struct {
	auth      *auth.Service
	admin     *auth.Admin
	db        Pinger
	keys      *auth.KeyManager // nil with HS256
	discovery Discovery
	metrics   *metrics.Metrics
	importer  *importer.Importer
}

var _ api.StrictServerInterface = (*Server)(nil)

// Deps are what the HTTP layer needs.
type Deps struct {
	Auth  *auth.Service
	Admin *auth.Admin
	DB    Pinger
	// Keys are the asymmetric signing keys; nil with HS256.
	Keys      *auth.KeyManager
	Discovery Discovery
	// RequestTimeout is the deadline of each API request's work; zero means none.
	RequestTimeout time.Duration
	// Metrics count requests and outcomes; nil counts nothing.
	Metrics *metrics.Metrics
	// Tracing makes every request a span of the global tracer provider, named by operationId.
	Tracing bool
	// TrustedProxies are the networks whose X-Forwarded-For is believed.
	TrustedProxies []netip.Prefix
	// CORSOrigins are the exact origins browsers may call the API from.
	CORSOrigins []string
	// CompatRoutesOff answers the compat operations (the seed systems' paths) 404.
	CompatRoutesOff bool
	// Importer runs POST /api/admin/users/import.
	Importer *importer.Importer
}

// NewHandler returns the complete handler chain: request id, access log, panic recovery, security
// headers, CORS, docs and admin page, and for the API, in this order: routing to the operation, metrics,
// the request's deadline, then the policies openapi.yaml declares for it (client address, rate limit,
// authentication, which reads only headers, body limit), then validation, then the strict handler. Every
// error answer, from any of them or from a handler's returned error, is written by writeProblem.
func NewHandler(d Deps) (http.Handler, error) {
	spec, err := LoadSpec()
	if err != nil {
		return nil, err
	}
	specJSON, err := yaml.YAMLToJSON(authd.OpenAPI)
	if err != nil {
		return nil, fmt.Errorf("convert openapi.yaml to JSON: %w", err)
	}
	// Routing ignores the servers list: authd answers on whatever host it is reached by.
	routed := *spec
	routed.Servers = nil
	policies, err := newPolicyTable(&routed)
	if err != nil {
		return nil, err
	}
	policies.compatOff = d.CompatRoutesOff
	clients := clientResolver{trusted: d.TrustedProxies}
	srv := &Server{auth: d.Auth, admin: d.Admin, db: d.DB, keys: d.Keys, discovery: d.Discovery, metrics: d.Metrics,
		importer: d.Importer}
	strict := api.NewStrictHandlerWithOptions(srv, nil, api.StrictHTTPServerOptions{
		RequestErrorHandlerFunc: func(w http.ResponseWriter, r *http.Request, err error) {
			writeProblem(w, r, undecodableBody(r, err))
		},
		ResponseErrorHandlerFunc: func(w http.ResponseWriter, r *http.Request, err error) {
			writeProblem(w, r, problemFor(err))
		},
	})
	apiHandler := api.HandlerWithOptions(strict, api.StdHTTPServerOptions{
		BaseRouter: http.NewServeMux(),
		ErrorHandlerFunc: func(w http.ResponseWriter, r *http.Request, err error) {
			writeProblem(w, r, problem{status: http.StatusBadRequest, code: api.ErrorCodeValidationError,
				message: "The request has invalid parameters.", cause: err})
		},
	})
	var apiChain http.Handler = apiHandler
	apiChain = withValidation(apiChain)
	apiChain = withBodyLimit(apiChain)
	apiChain = withAuthentication(d.Auth)(apiChain)
	apiChain = srv.withRateLimit(apiChain)
	apiChain = clients.withClient(apiChain)
	apiChain = withDeadline(d.RequestTimeout)(apiChain)
	apiChain = withMetrics(d.Metrics)(apiChain)
	apiChain = policies.withRoute(apiChain)
	apiChain = withoutTrailingSlash(apiChain)

	pages := http.NewServeMux()
	mountDocs(pages, spec.Info.Title, authd.OpenAPI, specJSON)
	adminui.Mount(pages)
	linkpages.Mount(pages)
	pagesHandler := withJSONErrors(pages)
	root := http.NewServeMux()
	for _, prefix := range pagePrefixes {
		root.Handle(prefix, pagesHandler)
	}
	root.Handle("/", apiChain)

	var h http.Handler = root
	h = withCORS(d.CORSOrigins)(h)
	h = withSecurityHeaders(h)
	h = withChunkedClose(h)
	h = withRecovery(h)
	h = withAccessLog(h)
	h = withRequestID(h)
	if d.Tracing {
		h = otelhttp.NewHandler(h, "authd", otelhttp.WithSpanNameFormatter(func(_ string, r *http.Request) string {
			return r.Method + " " + r.URL.Path
		}))
	}
	return h, nil
}
