package httpapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/authd/authd/gen/api"
	"github.com/authd/authd/internal/auth"
)

// problem is an error response before it is written: the public part (status, code, message, fields)
// and the internal cause, which is only logged.
type problem struct {
	status     int
	code       api.ErrorCode
	message    string
	fields     map[string]string
	retryAfter int // seconds; set for 429 and 503
	maxAge     int // seconds; the age of authentication a reauthentication_required asks for
	// reason says why a token was refused (details.reason, and error_description in the challenge).
	reason string
	cause  error
}

// Error makes a problem an error, for the refusals the HTTP layer decides itself (a malformed multipart
// body): a handler returns it like any other, and problemFor answers it as it is.
func (p problem) Error() string { return p.message }

// retryAfterSeconds is what a 503 asks clients to wait.
const retryAfterSeconds = 5

// bearerChallenge is the WWW-Authenticate value of every 401 (RFC 6750).
const bearerChallenge = `Bearer realm="authd"`

func invalidTokenChallenge() string { return bearerChallenge + `, error="invalid_token"` }

// problemFor maps an error from the domain (or anywhere below it) to its response. This table is the only
// place that decides which status and code an error gets.
func problemFor(err error) problem {
	var decided problem
	if errors.As(err, &decided) {
		return decided
	}
	var told messageError
	if errors.As(err, &told) {
		p := problemFor(told.error)
		p.message = told.message
		return p
	}
	var verr *auth.ValidationError
	var limited *auth.RateLimitedError
	var reauth *auth.ReauthenticationError
	switch {
	case errors.As(err, &limited):
		return problem{status: http.StatusTooManyRequests, code: api.ErrorCodeRateLimited,
			message: "Too many attempts; wait before trying again.", retryAfter: limited.RetryAfterSeconds()}
	case errors.As(err, &reauth):
		return problem{status: http.StatusUnauthorized, code: api.ErrorCodeReauthenticationRequired,
			message: "Confirm it is you: sign in again (POST /api/me/reauthenticate) or send your password.",
			maxAge:  int(reauth.MaxAge.Seconds())}
	case errors.As(err, &verr):
		return problem{status: http.StatusBadRequest, code: api.ErrorCodeValidationError,
			message: "The request has invalid fields.", fields: verr.Fields, cause: err}
	case errors.Is(err, auth.ErrEmailTaken):
		return problem{status: http.StatusConflict, code: api.ErrorCodeEmailTaken,
			message: "An account with this email already exists.", fields: map[string]string{"email": "is already registered"}}
	case errors.Is(err, auth.ErrUsernameTaken):
		return problem{status: http.StatusConflict, code: api.ErrorCodeUsernameTaken,
			message: "This username is already taken.", fields: map[string]string{"username": "is already taken"}}
	case errors.Is(err, auth.ErrInvalidLoginCode):
		return problem{status: http.StatusUnauthorized, code: api.ErrorCodeInvalidCredentials, message: "The email or code is wrong, or the code expired."}
	case errors.Is(err, auth.ErrInvalidCredentials):
		return problem{status: http.StatusUnauthorized, code: api.ErrorCodeInvalidCredentials, message: "Invalid email or password."}
	case errors.Is(err, auth.ErrWrongPassword):
		// 403, not 401: the caller is authenticated; the password only confirms the change.
		return problem{status: http.StatusForbidden, code: api.ErrorCodeInvalidCredentials, message: "The current password is wrong."}
	case errors.Is(err, auth.ErrWrongCode):
		return problem{status: http.StatusForbidden, code: api.ErrorCodeInvalidCredentials, message: "The code is wrong, expired or used; ask for a new one."}
	case errors.Is(err, auth.ErrMethodDisabled):
		return problem{status: http.StatusForbidden, code: api.ErrorCodeForbidden, message: "Sign-in by emailed code is turned off."}
	case errors.Is(err, auth.ErrEmailNotVerified):
		return problem{status: http.StatusForbidden, code: api.ErrorCodeEmailNotVerified,
			message: "Verify your email address first: a link was sent to it."}
	case errors.Is(err, auth.ErrInvalidLink):
		return problem{status: http.StatusBadRequest, code: api.ErrorCodeInvalidLink,
			message: "The link is invalid, expired or already used; ask for a new one.", fields: map[string]string{"token": "is invalid, expired or used"}}
	case errors.Is(err, auth.ErrAlreadyVerified):
		return problem{status: http.StatusConflict, code: api.ErrorCodeConflict, message: "Your email address is already verified."}
	case errors.Is(err, auth.ErrAccountDisabled):
		return problem{status: http.StatusForbidden, code: api.ErrorCodeAccountDisabled, message: "This account is disabled."}
	case errors.Is(err, auth.ErrTokenReused):
		return problem{status: http.StatusUnauthorized, code: api.ErrorCodeInvalidToken, message: "The token is invalid, expired or revoked.",
			reason: "the refresh token was used before: its session is revoked", cause: err}
	case errors.Is(err, auth.ErrInvalidToken):
		p := problem{status: http.StatusUnauthorized, code: api.ErrorCodeInvalidToken, message: "The token is invalid, expired or revoked.", cause: err}
		var why *auth.InvalidTokenError
		if errors.As(err, &why) {
			p.reason = why.Reason
		}
		return p
	case errors.Is(err, auth.ErrConflict):
		return problem{status: http.StatusConflict, code: api.ErrorCodeConflict,
			message: "The account changed while this request ran; reload and try again.", cause: err}
	case errors.Is(err, auth.ErrLastAdmin):
		return problem{status: http.StatusConflict, code: api.ErrorCodeLastAdmin,
			message: "This is the last active admin: make another admin first."}
	case errors.Is(err, auth.ErrForbidden):
		return problem{status: http.StatusForbidden, code: api.ErrorCodeForbidden, message: "You are not allowed to do this: it needs an admin."}
	case errors.Is(err, auth.ErrNotFound):
		return problem{status: http.StatusNotFound, code: api.ErrorCodeNotFound, message: "Not found."}
	case errors.Is(err, auth.ErrUnavailable):
		return problem{status: http.StatusServiceUnavailable, code: api.ErrorCodeServiceUnavailable,
			message: "The service is temporarily unavailable; try again shortly.", retryAfter: retryAfterSeconds, cause: err}
	case errors.Is(err, auth.ErrBusy):
		return problem{status: http.StatusServiceUnavailable, code: api.ErrorCodeServiceUnavailable,
			message: "The server is busy; try again shortly.", retryAfter: 1, cause: err}
	}
	return problem{status: http.StatusInternalServerError, code: api.ErrorCodeInternalError,
		message: "An unexpected error occurred.", cause: err}
}

// messageError keeps the answer problemFor gives its error, with a handler's more precise message.
type messageError struct {
	error
	message string
}

// withMessage gives err the answer's message when it is target (the whole of the answer stays
// problemFor's); any other err is returned as it is.
func withMessage(err, target error, message string) error {
	if errors.Is(err, target) {
		return messageError{error: err, message: message}
	}
	return err
}

// body is the ErrorResponse of p; typed strict responses and writeProblem both use it.
func (p problem) body(requestID string) api.ErrorResponse {
	details := api.ErrorDetails{}
	if len(p.fields) > 0 {
		fields := p.fields
		details.ValidationErrors = &fields
	}
	if p.status >= 500 && requestID != "" {
		details.RequestId = &requestID
	}
	if p.reason != "" {
		reason := p.reason
		details.Reason = &reason
	}
	return api.ErrorResponse{
		Error:     p.code,
		Message:   p.message,
		Timestamp: time.Now().UTC().Truncate(time.Second),
		Success:   false,
		Details:   details,
	}
}

// writeProblem is the one writer of error answers: handlers return errors (problemFor decides their
// answer), and validation, routing, decoding, authentication, throttling, panics and outages all end here.
// A compat operation's override adjusts the answer; the answer is logged once, with its request id.
func writeProblem(w http.ResponseWriter, r *http.Request, p problem) {
	if m := routeFrom(r.Context()); m != nil {
		if override := compatOverrides[m.policy.operationID]; override != nil {
			p = override(p)
		}
	}
	reqID := requestIDFrom(r.Context())
	logProblem(r, p, reqID)
	h := w.Header()
	h.Set("Content-Type", "application/json")
	if p.status == http.StatusUnauthorized {
		h.Set("WWW-Authenticate", challengeFor(p))
	}
	if p.retryAfter > 0 {
		h.Set("Retry-After", strconv.Itoa(p.retryAfter))
	}
	w.WriteHeader(p.status)
	_ = json.NewEncoder(w).Encode(p.body(reqID))
}

// challengeFor is the WWW-Authenticate of a 401: RFC 6750's invalid_token, or RFC 9470's
// insufficient_user_authentication with the max_age the operation needs.
func challengeFor(p problem) string {
	switch p.code {
	case api.ErrorCodeInvalidToken:
		if p.reason != "" {
			return fmt.Sprintf(`%s, error_description=%q`, invalidTokenChallenge(), p.reason)
		}
		return invalidTokenChallenge()
	case api.ErrorCodeReauthenticationRequired:
		return fmt.Sprintf(`%s, error="insufficient_user_authentication", error_description="A more recent authentication is required", max_age=%d`,
			bearerChallenge, p.maxAge)
	}
	return bearerChallenge
}

func logProblem(r *http.Request, p problem, reqID string) {
	attrs := []any{slog.String("request_id", reqID), slog.Int("status", p.status), slog.String("code", string(p.code)),
		slog.String("method", r.Method), slog.String("path", r.URL.Path)}
	if p.cause != nil {
		attrs = append(attrs, slog.String("cause", p.cause.Error()))
	}
	if p.reason != "" {
		attrs = append(attrs, slog.String("reason", p.reason))
	}
	if p.status >= 500 {
		slog.ErrorContext(r.Context(), "request failed", attrs...)
		return
	}
	slog.InfoContext(r.Context(), "request rejected", attrs...)
}
