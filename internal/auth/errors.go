package auth

import (
	"errors"
	"maps"
	"slices"
	"strings"
)

// Sentinel domain errors. The store translates driver errors into these; handlers map them to responses.
var (
	ErrNotFound           = errors.New("not found")
	ErrEmailTaken         = errors.New("email is already registered")
	ErrUsernameTaken      = errors.New("username is already taken")
	ErrInvalidCredentials = errors.New("invalid email or password")
	ErrAccountDisabled    = errors.New("account is disabled")
	ErrInvalidToken       = errors.New("token is invalid or expired")
	ErrTokenReused        = errors.New("refresh token was already used")
	ErrForbidden          = errors.New("forbidden")
	ErrValidation         = errors.New("validation failed")
	// ErrConflict means the account changed between reading and writing it (a concurrent password or
	// email change); the caller may reload and retry.
	ErrConflict = errors.New("the account changed concurrently")
	// ErrUnavailable means the database cannot be reached; callers should retry later.
	ErrUnavailable = errors.New("service unavailable")
	// ErrBusy means too many password hashes are running; callers should retry shortly.
	ErrBusy = errors.New("too many concurrent password operations")
)

// ValidationError names each bad field and what is wrong with it. errors.Is(err, ErrValidation) holds.
type ValidationError struct {
	Fields map[string]string
}

// Invalid returns a ValidationError for one field.
func Invalid(field, message string) *ValidationError {
	return &ValidationError{Fields: map[string]string{field: message}}
}

func (e *ValidationError) Error() string {
	parts := make([]string, 0, len(e.Fields))
	for _, k := range slices.Sorted(maps.Keys(e.Fields)) {
		parts = append(parts, k+": "+e.Fields[k])
	}
	return "validation failed: " + strings.Join(parts, "; ")
}

// Is makes errors.Is(err, ErrValidation) true.
func (e *ValidationError) Is(target error) bool { return target == ErrValidation }

// validationErrors collects field errors; its err is nil when nothing was added.
type validationErrors map[string]string

func (v validationErrors) add(field, message string) {
	if _, seen := v[field]; !seen {
		v[field] = message
	}
}

// merge adds the fields of a *ValidationError; other errors name the body.
func (v validationErrors) merge(err error) {
	var verr *ValidationError
	if !errors.As(err, &verr) {
		v.add("body", err.Error())
		return
	}
	for field, message := range verr.Fields {
		v.add(field, message)
	}
}

func (v validationErrors) err() error {
	if len(v) == 0 {
		return nil
	}
	return &ValidationError{Fields: v}
}

// InvalidTokenError is an ErrInvalidToken that says why (RFC 6750's error_description): expired, signed
// by an unknown key, a session that has ended, a malformed header.
type InvalidTokenError struct{ Reason string }

func (e *InvalidTokenError) Error() string { return "invalid token: " + e.Reason }

// Is makes errors.Is(err, ErrInvalidToken) true.
func (e *InvalidTokenError) Is(target error) bool { return target == ErrInvalidToken }
