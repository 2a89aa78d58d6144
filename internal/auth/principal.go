package auth

import "github.com/google/uuid"

// Principal is the authenticated caller of a request: the user as loaded with the session, so that a
// disabled or demoted user is seen at once, and how the session was authenticated.
type Principal struct {
	User      User
	SessionID uuid.UUID
	Assurance Assurance
}
