package auth

import (
	"context"

	"github.com/google/uuid"
)

// Identity is the authenticated caller of a request.
type Identity struct {
	User      User
	SessionID uuid.UUID
}

type identityKey struct{}

// identitySlot is filled by authentication after the context was created: the request validator
// authenticates inside its own call, on the request whose context the handlers receive.
type identitySlot struct{ identity *Identity }

// WithIdentitySlot returns a context in which SetIdentity can record the caller.
func WithIdentitySlot(ctx context.Context) context.Context {
	return context.WithValue(ctx, identityKey{}, &identitySlot{})
}

// SetIdentity records the authenticated caller in a context made by WithIdentitySlot.
func SetIdentity(ctx context.Context, id Identity) {
	if slot, ok := ctx.Value(identityKey{}).(*identitySlot); ok {
		slot.identity = &id
	}
}

// IdentityFrom returns the authenticated caller, if any.
func IdentityFrom(ctx context.Context) (Identity, bool) {
	slot, ok := ctx.Value(identityKey{}).(*identitySlot)
	if !ok || slot.identity == nil {
		return Identity{}, false
	}
	return *slot.identity, true
}
