package httpapi

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"

	"github.com/authd/authd/gen/api"
)

func init() {
	// kin-openapi knows no "email" format by default; this one only rejects what is clearly not an
	// address, the domain does the full check.
	openapi3.DefineStringFormatValidator("email", openapi3.NewRegexpFormatValidator(openapi3.FormatOfStringForEmail))
}

// errMissingBearer is the security failure of a request that reached the validator unauthenticated,
// which withAuthentication prevents.
var errMissingBearer = errors.New("missing bearer token")

// validationOptions make kin-openapi report every problem of a request at once, without schema dumps.
// Authentication already happened in withAuthentication; the validator only confirms it did.
var validationOptions = &openapi3filter.Options{
	MultiError: true,
	AuthenticationFunc: func(ctx context.Context, _ *openapi3filter.AuthenticationInput) error {
		if _, err := caller(ctx); err != nil {
			return errMissingBearer
		}
		return nil
	},
	SchemaValidationOptions: []openapi3.SchemaValidationOption{openapi3.DisableSchemaErrorDetails()},
}

// withValidation validates every request against its operation in openapi.yaml (parameters, body,
// security) before it reaches a handler.
func withValidation(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		m := routeFrom(r.Context())
		err := openapi3filter.ValidateRequest(r.Context(), &openapi3filter.RequestValidationInput{
			Request:     r,
			PathParams:  m.params,
			QueryParams: r.URL.Query(),
			Route:       m.route,
			Options:     validationOptions,
		})
		if err != nil {
			writeProblem(w, r, problemForValidation(err))
			return
		}
		next.ServeHTTP(w, r)
	})
}

// problemForValidation translates what the validator reports. A failed security requirement wins over
// everything else: an unauthenticated caller learns nothing about the body it sent.
func problemForValidation(err error) problem {
	var errs []error
	var multi openapi3.MultiError
	if errors.As(err, &multi) {
		errs = multi
	} else {
		errs = []error{err}
	}
	if p, ok := routingProblem(err); ok {
		return p
	}
	for _, e := range errs {
		var secErr *openapi3filter.SecurityRequirementsError
		if errors.As(e, &secErr) {
			return securityProblem(secErr)
		}
	}
	fields := map[string]string{}
	for _, e := range errs {
		var reqErr *openapi3filter.RequestError
		if !errors.As(e, &reqErr) {
			return problem{status: http.StatusInternalServerError, code: api.ErrorCodeInternalError,
				message: "An unexpected error occurred.", cause: e}
		}
		if p, ok := bodyProblem(reqErr); ok {
			return p
		}
		collectFields(reqErr, fields)
	}
	return problem{status: http.StatusBadRequest, code: api.ErrorCodeValidationError,
		message: "The request has invalid fields.", fields: fields, cause: err}
}

func routingProblem(err error) (problem, bool) {
	var routeErr *routers.RouteError
	switch {
	case errors.Is(err, routers.ErrMethodNotAllowed):
		return problem{status: http.StatusMethodNotAllowed, code: api.ErrorCodeMethodNotAllowed,
			message: "This method is not allowed on this path."}, true
	case errors.Is(err, routers.ErrPathNotFound), errors.As(err, &routeErr):
		return problem{status: http.StatusNotFound, code: api.ErrorCodeNotFound, message: "No such route."}, true
	}
	return problem{}, false
}

// securityProblem answers a security failure found by the validator. withAuthentication runs first, so
// this means a request skipped it; it fails closed.
func securityProblem(secErr *openapi3filter.SecurityRequirementsError) problem {
	p := authenticationRequired()
	p.cause = secErr
	return p
}

// bodyProblem recognises the failures that are about the body as a whole rather than a field.
func bodyProblem(reqErr *openapi3filter.RequestError) (problem, bool) {
	var tooLarge *http.MaxBytesError
	var parseErr *openapi3filter.ParseError
	switch {
	case errors.As(reqErr.Err, &tooLarge):
		return problem{status: http.StatusRequestEntityTooLarge, code: api.ErrorCodePayloadTooLarge,
			message: fmt.Sprintf("The body is larger than %d bytes.", tooLarge.Limit)}, true
	case reqErr.RequestBody != nil && reqErr.Err == nil && strings.HasPrefix(reqErr.Reason, "header Content-Type has unexpected value"):
		return problem{status: http.StatusUnsupportedMediaType, code: api.ErrorCodeUnsupportedMediaType,
			message: "The body has the wrong media type for this operation."}, true
	case reqErr.Parameter == nil && errors.As(reqErr.Err, &parseErr):
		reason := parseErr.Reason
		if reason == "" {
			reason = "invalid JSON"
		}
		return problem{status: http.StatusBadRequest, code: api.ErrorCodeMalformedJson,
			message: "The body is not valid JSON.", fields: map[string]string{"body": reason}, cause: reqErr}, true
	case reqErr.RequestBody != nil && reqErr.Reason == "failed to decode request body":
		return problem{status: http.StatusBadRequest, code: api.ErrorCodeMalformedJson,
			message: "The body is not valid JSON.", cause: reqErr}, true
	case reqErr.RequestBody != nil && errors.Is(reqErr.Err, openapi3filter.ErrInvalidRequired):
		return problem{status: http.StatusBadRequest, code: api.ErrorCodeValidationError,
			message: "A JSON body is required.", fields: map[string]string{"body": "is required"}}, true
	}
	return problem{}, false
}

var unsupportedProperty = regexp.MustCompile(`^property "(.*)" is unsupported$`)

// collectFields adds the field errors of one RequestError to fields, named by JSON property path,
// parameter or header name. Messages come from kin-openapi's reasons, which never contain values.
func collectFields(reqErr *openapi3filter.RequestError, fields map[string]string) {
	if reqErr.Parameter != nil {
		fields[reqErr.Parameter.Name] = parameterMessage(reqErr)
		return
	}
	var schemaErrs []error
	var multi openapi3.MultiError
	if errors.As(reqErr.Err, &multi) {
		schemaErrs = multi
	} else {
		schemaErrs = []error{reqErr.Err}
	}
	for _, e := range schemaErrs {
		var schemaErr *openapi3.SchemaError
		if !errors.As(e, &schemaErr) {
			fields["body"] = "is invalid"
			continue
		}
		field := strings.Join(schemaErr.JSONPointer(), ".")
		var message string
		if m := unsupportedProperty.FindStringSubmatch(schemaErr.Reason); m != nil {
			field = joinField(field, m[1])
			message = "is not an allowed property"
		} else {
			message = schemaMessage(schemaErr)
		}
		if field == "" {
			field = "body"
		}
		if _, seen := fields[field]; !seen {
			fields[field] = message
		}
	}
}

func joinField(prefix, name string) string {
	if prefix == "" {
		return name
	}
	return prefix + "." + name
}

func parameterMessage(reqErr *openapi3filter.RequestError) string {
	var schemaErr *openapi3.SchemaError
	if errors.As(reqErr.Err, &schemaErr) {
		return schemaErr.Reason
	}
	var parseErr *openapi3filter.ParseError
	switch {
	case errors.Is(reqErr.Err, openapi3filter.ErrInvalidRequired):
		return "is required"
	case errors.As(reqErr.Err, &parseErr) && reqErr.Parameter.Schema != nil && reqErr.Parameter.Schema.Value != nil &&
		reqErr.Parameter.Schema.Value.Type != nil && len(*reqErr.Parameter.Schema.Value.Type) == 1:
		return "must be a valid " + (*reqErr.Parameter.Schema.Value.Type)[0]
	}
	return "is invalid"
}

// schemaMessage words a schema failure for people; kin-openapi's reasons for formats and patterns
// quote the regular expression.
func schemaMessage(e *openapi3.SchemaError) string {
	switch e.SchemaField {
	case "required":
		return "is required"
	case "format":
		if e.Schema != nil && e.Schema.Format != "" {
			return "must be a valid " + e.Schema.Format
		}
	case "pattern":
		return "has an invalid format"
	}
	return e.Reason
}
