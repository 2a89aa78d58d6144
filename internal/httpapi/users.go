package httpapi

import (
	"time"

	"github.com/oapi-codegen/nullable"

	"github.com/authd/authd/gen/api"
	"github.com/authd/authd/internal/auth"
)

// toAPIUser is the public view of a user: never a hash or a token.
func toAPIUser(u auth.User) api.User {
	out := api.User{
		Id:           u.ID,
		Email:        u.Email,
		FirstName:    u.FirstName,
		LastName:     u.LastName,
		LanguageCode: u.LanguageCode,
		IsAdmin:      u.IsAdmin,
		CreatedAt:    u.CreatedAt.UTC(),
		UpdatedAt:    u.UpdatedAt.UTC(),
		Username:     nullableOf(u.Username),
		PhoneNumber:  nullableOf(u.PhoneNumber),
		AvatarUrl:    nullableOf(u.AvatarURL),
	}
	if u.LastLoginAt != nil {
		out.LastLoginAt = nullable.NewNullableWithValue(u.LastLoginAt.UTC())
	} else {
		out.LastLoginAt = nullable.NewNullNullable[time.Time]()
	}
	return out
}

func nullableOf[T any](v *T) nullable.Nullable[T] {
	if v == nil {
		return nullable.NewNullNullable[T]()
	}
	return nullable.NewNullableWithValue(*v)
}
