package auth

import (
	"time"

	"github.com/google/uuid"
)

// Method is a way of proving who one is. Each method lives in its own file group (password.go,
// emailcode.go) and produces an Assertion; only the session code (sessions.go) turns assertions into
// sessions and tokens.
type Method string

// The methods authd accepts. Their names are stored (sessions.methods, login_failures.method) and shown
// (GET /api/me/sessions, the audit log): they never change.
const (
	MethodPassword  Method = "password"
	MethodEmailCode Method = "email_code"
)

// CheckedMethods are the methods whose credentials an operation can take in its request, and so must
// declare (x-authd-credential-check in openapi.yaml).
var CheckedMethods = []Method{MethodPassword, MethodEmailCode}

// Assurance levels (NIST SP 800-63B-4): one factor, or two.
const (
	AAL1 = 1
	AAL2 = 2
)

// methodAMR is each method's RFC 8176 "amr" value.
var methodAMR = map[Method]string{
	MethodPassword:  "pwd",
	MethodEmailCode: "otp",
}

// Assertion is what a method proved: which user, by which method, with which factor if the method has
// several per user, worth which amr value and assurance level.
type Assertion struct {
	UserID   uuid.UUID
	Method   Method
	FactorID uuid.UUID
	AMR      string
	AAL      int
}

// assert is the assertion of one factor of method for user.
func assert(user uuid.UUID, method Method) Assertion {
	return Assertion{UserID: user, Method: method, AMR: methodAMR[method], AAL: AAL1}
}

// Assurance is how a session was authenticated, as its database row records it.
type Assurance struct {
	AAL int
	// AuthTime is when the user last proved a credential in this session (OpenID Connect auth_time).
	AuthTime time.Time
	// Methods are the authd methods used, in order; AMR their RFC 8176 values.
	Methods []string
	AMR     []string
	// AuthAge is how long ago AuthTime was, by the database's clock, when the session was loaded; it is
	// what recent-authentication checks compare, so that no second clock decides.
	AuthAge time.Duration
}

// ACR is the "aal" claim value: "aal1" or "aal2".
func (a Assurance) ACR() string {
	if a.AAL >= AAL2 {
		return "aal2"
	}
	return "aal1"
}
