package httpapi

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
	"go.opentelemetry.io/otel/trace"

	"github.com/authd/authd/internal/auth"
)

// The vendor extensions by which openapi.yaml declares each operation's policies. They are read once, at
// start; a value of the wrong shape stops the server from starting.
const (
	// extBodyLimit is the largest body, in bytes, an operation reads; on the document it is the default.
	extBodyLimit = "x-authd-body-limit"
	// extRateLimit puts an operation under a per-client limit; its only value today is rateLimitPerIP.
	extRateLimit = "x-authd-rate-limit"
	// extCredentialCheck names the sign-in methods whose credentials an operation verifies (a method or a
	// list of them: password, email_code), and so must go through the shared throttle.
	extCredentialCheck = "x-authd-credential-check"
)

// rateLimitPerIP counts requests against the runtime setting rate_limit_per_ip, per client address.
const rateLimitPerIP = "per-ip"

// Security scheme names in openapi.yaml.
const (
	userScheme  = "accessToken"
	adminScheme = "adminBearer"
)

// operationPolicy is what openapi.yaml declares about one operation.
type operationPolicy struct {
	operationID string
	bodyLimit   int64
	rateLimited bool
	// credentialChecks are the methods whose credentials the operation verifies.
	credentialChecks []auth.Method
	// compat marks the operations of the compat tag, which AUTHD_COMPAT_ROUTES=false turns off.
	compat bool
	// unvalidated marks operations with no parameters and no body: the validator would check nothing.
	unvalidated bool
	// scheme is the security scheme the caller must satisfy: userScheme, adminScheme, or "" for public.
	scheme string
	// validated is the operation as the validator sees it: without security requirements, which
	// withAuthentication has enforced from the headers alone. kin-openapi's security check reads the whole
	// body first (for an AuthenticationFunc that might want it), which is what must not happen.
	validated *openapi3.Operation
}

// policyTable finds the operation of a request and its policies.
type policyTable struct {
	router   routers.Router
	policies map[*openapi3.Operation]*operationPolicy
	// compatOff answers the compat operations 404, as if they did not exist.
	compatOff bool
}

// compatTag is the tag of the operations that serve the seed systems' paths and shapes.
const compatTag = "compat"

// newPolicyTable reads every operation's policies from spec.
func newPolicyTable(spec *openapi3.T) (*policyTable, error) {
	router, err := gorillamux.NewRouter(spec)
	if err != nil {
		return nil, fmt.Errorf("route openapi.yaml: %w", err)
	}
	defaultLimit, err := intExtension(spec.Extensions, extBodyLimit)
	if err != nil || defaultLimit <= 0 {
		return nil, fmt.Errorf("openapi.yaml: %s must be set on the document to a positive number of bytes", extBodyLimit)
	}
	t := &policyTable{router: router, policies: map[*openapi3.Operation]*operationPolicy{}}
	for path, item := range spec.Paths.Map() {
		for method, op := range item.Operations() {
			p, err := readPolicy(op, defaultLimit)
			if err != nil {
				return nil, fmt.Errorf("openapi.yaml %s %s: %w", method, path, err)
			}
			p.unvalidated = len(item.Parameters) == 0 && len(op.Parameters) == 0 && op.RequestBody == nil
			t.policies[op] = p
		}
	}
	return t, nil
}

func readPolicy(op *openapi3.Operation, defaultLimit int64) (*operationPolicy, error) {
	validated := *op
	validated.Security = &openapi3.SecurityRequirements{}
	p := &operationPolicy{operationID: op.OperationID, bodyLimit: defaultLimit, validated: &validated,
		compat: slices.Contains(op.Tags, compatTag)}
	if _, ok := op.Extensions[extBodyLimit]; ok {
		limit, err := intExtension(op.Extensions, extBodyLimit)
		if err != nil || limit <= 0 {
			return nil, fmt.Errorf("%s must be a positive number of bytes", extBodyLimit)
		}
		p.bodyLimit = limit
	}
	if v, ok := op.Extensions[extRateLimit]; ok {
		if v != rateLimitPerIP {
			return nil, fmt.Errorf("%s must be %q", extRateLimit, rateLimitPerIP)
		}
		p.rateLimited = true
	}
	if v, ok := op.Extensions[extCredentialCheck]; ok {
		checks, err := readCredentialChecks(v)
		if err != nil {
			return nil, err
		}
		p.credentialChecks = checks
	}
	if op.Security != nil {
		for _, req := range *op.Security {
			for name := range req {
				if name != userScheme && name != adminScheme {
					return nil, fmt.Errorf("unknown security scheme %q", name)
				}
				if p.scheme == "" || name == adminScheme {
					p.scheme = name
				}
			}
		}
	}
	if len(p.credentialChecks) > 0 && !p.rateLimited {
		return nil, fmt.Errorf("%s needs %s: a credential check must be throttled", extCredentialCheck, extRateLimit)
	}
	return p, nil
}

func intExtension(ext map[string]any, name string) (int64, error) {
	switch v := ext[name].(type) {
	case float64:
		if v != float64(int64(v)) {
			return 0, fmt.Errorf("%s is not an integer", name)
		}
		return int64(v), nil
	case int:
		return int64(v), nil
	case int64:
		return v, nil
	}
	return 0, fmt.Errorf("%s is missing or not a number", name)
}

// matchedRoute is the operation a request was routed to, with its path parameters and policies.
type matchedRoute struct {
	route  *routers.Route
	params map[string]string
	policy *operationPolicy
}

type routeKey struct{}

// routeFrom returns the route withRoute found; handlers behind withRoute always have one.
func routeFrom(ctx context.Context) *matchedRoute {
	m, _ := ctx.Value(routeKey{}).(*matchedRoute)
	return m
}

// withRoute finds the operation of every API request once; the middleware after it reads its policies
// and the validator its route. An unknown path is 404 and a known path with another method 405. API
// answers are never cached, as they hold tokens and personal data; an operation that may be cached (an
// avatar) says so itself.
func (t *policyTable) withRoute(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		route, params, err := t.router.FindRoute(r)
		if err != nil {
			p, ok := routingProblem(err)
			if !ok {
				p = problemFor(err)
			}
			if p.status == http.StatusMethodNotAllowed {
				w.Header().Set("Allow", strings.Join(t.allowed(r), ", "))
			}
			writeProblem(w, r, p)
			return
		}
		m := &matchedRoute{route: route, params: params, policy: t.policies[route.Operation]}
		if m.policy.compat && t.compatOff {
			p, _ := routingProblem(routers.ErrPathNotFound)
			writeProblem(w, r, p)
			return
		}
		// A span (when tracing) is named by the operation, not by the path with its ids.
		trace.SpanFromContext(r.Context()).SetName(m.policy.operationID)
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), routeKey{}, m)))
	})
}

// readCredentialChecks reads x-authd-credential-check: one method name or a list of them.
func readCredentialChecks(v any) ([]auth.Method, error) {
	var names []any
	switch v := v.(type) {
	case string:
		names = []any{v}
	case []any:
		names = v
	}
	if len(names) == 0 {
		return nil, fmt.Errorf("%s must name a sign-in method or a list of them", extCredentialCheck)
	}
	var methods []auth.Method
	for _, n := range names {
		name, _ := n.(string)
		if !slices.Contains(auth.CheckedMethods, auth.Method(name)) {
			return nil, fmt.Errorf("%s: %v is not one of %v", extCredentialCheck, n, auth.CheckedMethods)
		}
		methods = append(methods, auth.Method(name))
	}
	return methods, nil
}

// credentialCheckClient returns the client of an operation that verifies a credential of method. Such an
// operation must declare the method in x-authd-credential-check in openapi.yaml (which requires a rate
// limit), so that no guessing oracle escapes the throttle; one that does not is a wiring bug, answered
// 500 by every test that reaches it.
func credentialCheckClient(ctx context.Context, method auth.Method) (auth.ClientInfo, error) {
	if m := routeFrom(ctx); m == nil || !slices.Contains(m.policy.credentialChecks, method) {
		return auth.ClientInfo{}, fmt.Errorf("this operation verifies a %s credential but openapi.yaml does not declare it in %s", method, extCredentialCheck)
	}
	return clientFrom(ctx), nil
}

// allowed lists the methods openapi.yaml has for the path of r, for the Allow header of a 405 (RFC 9110
// section 15.5.6).
func (t *policyTable) allowed(r *http.Request) []string {
	var methods []string
	for _, method := range []string{http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete} {
		probe := r.Clone(r.Context())
		probe.Method = method
		if _, _, err := t.router.FindRoute(probe); err == nil {
			methods = append(methods, method)
		}
	}
	return methods
}
