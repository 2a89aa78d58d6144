package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"mime"
	"net/http"
	"reflect"
	"regexp"
	"slices"
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

// errMissingBearer is the failure of a request without an Authorization header.
var errMissingBearer = errors.New("missing bearer token")

// validationOptions make kin-openapi report every problem of a request at once, without schema dumps.
// The validator sees operations without their security requirements (operationPolicy.validated):
// withAuthentication enforced them before the body. Should one ever reach it, it fails closed.
var validationOptions = &openapi3filter.Options{
	MultiError: true,
	AuthenticationFunc: func(context.Context, *openapi3filter.AuthenticationInput) error {
		return errors.New("the validator does not authenticate; withAuthentication does")
	},
	SchemaValidationOptions: []openapi3.SchemaValidationOption{openapi3.DisableSchemaErrorDetails()},
}

// withValidation validates every request against its operation in openapi.yaml (parameters, body,
// security) before it reaches a handler.
func withValidation(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		m := routeFrom(r.Context())
		if m.policy.unvalidated {
			next.ServeHTTP(w, r)
			return
		}
		route := *m.route
		route.Operation = m.policy.validated
		err := openapi3filter.ValidateRequest(r.Context(), &openapi3filter.RequestValidationInput{
			Request:     r,
			PathParams:  m.params,
			QueryParams: r.URL.Query(),
			Route:       &route,
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

// expectedMediaType names the media types an operation's body may have.
func expectedMediaType(body *openapi3.RequestBody) string {
	types := slices.Sorted(maps.Keys(body.Content))
	if len(types) == 0 {
		return "no body"
	}
	return strings.Join(types, " or ")
}

// mediaTypeOf is a request's Content-Type as sent, shortened for an answer.
func mediaTypeOf(r *http.Request) string {
	ct := r.Header.Get("Content-Type")
	if ct == "" {
		return "none"
	}
	if len(ct) > 100 {
		ct = ct[:100] + "…"
	}
	return strings.ToValidUTF8(ct, "")
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
	case reqErr.Reason == "reading failed":
		// bad chunk sizes, over-long chunk extensions, a connection cut mid-body
		return problem{status: http.StatusBadRequest, code: api.ErrorCodeValidationError,
			message: "The body could not be read: its framing is invalid.", fields: map[string]string{"body": "could not be read"},
			cause: reqErr}, true
	case reqErr.RequestBody != nil && reqErr.Err == nil && strings.HasPrefix(reqErr.Reason, "header Content-Type has unexpected value"):
		return problem{status: http.StatusUnsupportedMediaType, code: api.ErrorCodeUnsupportedMediaType,
			message: fmt.Sprintf("Send Content-Type: %s (got %s).", expectedMediaType(reqErr.RequestBody), mediaTypeOf(reqErr.Input.Request))}, true
	case reqErr.Parameter == nil && errors.As(reqErr.Err, &parseErr),
		reqErr.RequestBody != nil && reqErr.Reason == "failed to decode request body":
		return undecodableBody(reqErr.Input.Request, reqErr), true
	case reqErr.RequestBody != nil && errors.Is(reqErr.Err, openapi3filter.ErrInvalidRequired):
		return problem{status: http.StatusBadRequest, code: api.ErrorCodeValidationError,
			message: "A JSON body is required.", fields: map[string]string{"body": "is required"}}, true
	}
	return problem{}, false
}

// undecodableBody answers a body that could not be decoded, by the validator or by a strict handler. Valid
// JSON with a value of the wrong type (120.0 for an integer) is validation_error naming the field; text
// that is not JSON is malformed_json; a multipart body that cannot be parsed is validation_error.
func undecodableBody(r *http.Request, err error) problem {
	var typeErr *json.UnmarshalTypeError
	if errors.As(err, &typeErr) {
		field := typeErr.Field
		if field == "" {
			field = "body"
		}
		return problem{status: http.StatusBadRequest, code: api.ErrorCodeValidationError, message: "The request has invalid fields.",
			fields: map[string]string{field: "must be a " + jsonTypeName(typeErr.Type.Kind())}, cause: err}
	}
	if mediaType, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); strings.HasPrefix(mediaType, "multipart/") {
		return problem{status: http.StatusBadRequest, code: api.ErrorCodeValidationError, message: "The multipart body is malformed.",
			fields: map[string]string{"body": "is not valid multipart/form-data"}, cause: err}
	}
	reason := "invalid JSON"
	var parseErr *openapi3filter.ParseError
	if errors.As(err, &parseErr) && parseErr.Reason != "" {
		reason = parseErr.Reason
	}
	return problem{status: http.StatusBadRequest, code: api.ErrorCodeMalformedJson, message: "The body is not valid JSON.",
		fields: map[string]string{"body": reason}, cause: err}
}

func jsonTypeName(k reflect.Kind) string {
	switch k {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "whole number written without a fraction or exponent"
	case reflect.Float32, reflect.Float64:
		return "number"
	case reflect.Bool:
		return "boolean"
	case reflect.String:
		return "string"
	case reflect.Slice, reflect.Array:
		return "list"
	}
	return "value of the documented type"
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
	case "minLength":
		if e.Schema != nil {
			return fmt.Sprintf("must be at least %d characters", e.Schema.MinLength)
		}
	case "maxLength":
		if e.Schema != nil && e.Schema.MaxLength != nil {
			return fmt.Sprintf("must be at most %d characters", *e.Schema.MaxLength)
		}
	}
	return e.Reason
}
