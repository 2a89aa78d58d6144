package httpapi_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/authd/authd/gen/api"
	"github.com/authd/authd/internal/apitest"
)

func ptr[T any](v T) *T { return &v }

func TestRegisterCreatesAccountAndSignsIn(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	resp, err := env.Client.RegisterWithResponse(context.Background(), api.RegisterRequest{
		Email:        "Ada.Lovelace@Example.COM",
		Password:     apitest.Password,
		Username:     ptr("Ada Lovelace"),
		FirstName:    ptr("Ada"),
		LastName:     ptr("Lovelace"),
		PhoneNumber:  ptr("+351912345678"),
		LanguageCode: ptr("pt-br"),
	})
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode() != http.StatusCreated {
		t.Fatalf("status %d: %s", resp.StatusCode(), resp.Body)
	}
	body := resp.JSON201
	if got := resp.HTTPResponse.Header.Get("Cache-Control"); got != "no-store" {
		t.Errorf("Cache-Control = %q, want no-store", got)
	}
	u := body.User
	if u.Email != "ada.lovelace@example.com" {
		t.Errorf("email = %q, want it lower-cased", u.Email)
	}
	if u.Username.MustGet() != "Ada Lovelace" || u.FirstName != "Ada" || u.LastName != "Lovelace" ||
		u.PhoneNumber.MustGet() != "+351912345678" || u.LanguageCode != "pt-BR" || u.IsAdmin {
		t.Errorf("user = %+v", u)
	}
	if !u.AvatarUrl.IsNull() || !u.LastLoginAt.IsNull() {
		t.Errorf("avatar_url and last_login_at should be null on a new account: %+v", u)
	}
	if body.TokenType != "Bearer" || body.ExpiresIn != 30 || body.AccessToken == "" {
		t.Errorf("token fields = %+v", body)
	}
	for _, secret := range []string{"password", "hash", "argon2"} {
		if strings.Contains(strings.ToLower(string(resp.Body)), "\""+secret+"\"") || strings.Contains(string(resp.Body), "$argon2") {
			t.Errorf("response mentions %q: %s", secret, resp.Body)
		}
	}

	me, err := env.Client.GetMeWithResponse(context.Background(), apitest.Bearer(body.AccessToken))
	if err != nil || me.JSON200 == nil {
		t.Fatalf("GET /api/me with the new token: %v %d %s", err, me.StatusCode(), me.Body)
	}
	if me.JSON200.Id != u.Id {
		t.Errorf("me.id = %s, want %s", me.JSON200.Id, u.Id)
	}
}

func TestRegisterDefaults(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	u := env.Register(apitest.UniqueEmail("defaults")).User
	if u.LanguageCode != "en" || u.FirstName != "" || u.LastName != "" || !u.Username.IsNull() || !u.PhoneNumber.IsNull() {
		t.Errorf("defaults = %+v", u)
	}
}

func TestRegisterConflicts(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	first, err := env.Client.RegisterWithResponse(context.Background(), api.RegisterRequest{
		Email: "taken@example.com", Password: apitest.Password, Username: ptr("Grace Hopper")})
	if err != nil || first.JSON201 == nil {
		t.Fatalf("first register: %v %s", err, first.Body)
	}
	tests := []struct {
		name     string
		req      api.RegisterRequest
		wantCode api.ErrorCode
		field    string
	}{
		{"same email, other case", api.RegisterRequest{Email: "TAKEN@example.com", Password: apitest.Password}, api.ErrorCodeEmailTaken, "email"},
		{"same username, other case", api.RegisterRequest{Email: "other@example.com", Password: apitest.Password, Username: ptr("grace HOPPER")}, api.ErrorCodeUsernameTaken, "username"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp, err := env.Client.RegisterWithResponse(context.Background(), tc.req)
			if err != nil {
				t.Fatal(err)
			}
			if resp.JSON409 == nil {
				t.Fatalf("status %d, want 409: %s", resp.StatusCode(), resp.Body)
			}
			if resp.JSON409.Error != tc.wantCode || (*resp.JSON409.Details.ValidationErrors)[tc.field] == "" {
				t.Errorf("body = %s", resp.Body)
			}
		})
	}
	var count int
	if err := env.DB.QueryRow(context.Background(), "SELECT count(*) FROM users").Scan(&count); err != nil || count != 1 {
		t.Errorf("users = %d (%v), want 1", count, err)
	}
}

func TestRegisterValidation(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	tests := []struct {
		name  string
		body  string
		field string
	}{
		{"missing email", `{"password":"correct horse battery"}`, "email"},
		{"missing password", `{"email":"a@example.com"}`, "password"},
		{"invalid email", `{"email":"not-an-email","password":"correct horse battery"}`, "email"},
		{"email without dotted domain", `{"email":"a@localhost","password":"correct horse battery"}`, "email"},
		{"email with display name", `{"email":"Ada <a@example.com>","password":"correct horse battery"}`, "email"},
		{"email too long", `{"email":"` + strings.Repeat("a", 250) + `@example.com","password":"correct horse battery"}`, "email"},
		{"password too short", `{"email":"a@example.com","password":"Xy1!abc"}`, "password"},
		{"password too long", `{"email":"a@example.com","password":"` + strings.Repeat("x", 129) + `"}`, "password"},
		{"password all digits", `{"email":"a@example.com","password":"8675309123"}`, "password"},
		{"password has email local part", `{"email":"margaret@example.com","password":"xxMARGARETxx"}`, "password"},
		{"password has username", `{"email":"m@example.com","username":"Hamilton","password":"hamilton-rocks"}`, "password"},
		{"common password", `{"email":"a@example.com","password":"iloveyou123"}`, "password"},
		{"common password any case", `{"email":"a@example.com","password":"PassWord123"}`, "password"},
		{"username empty", `{"email":"a@example.com","password":"correct horse battery","username":""}`, "username"},
		{"username too long", `{"email":"a@example.com","password":"correct horse battery","username":"` + strings.Repeat("u", 51) + `"}`, "username"},
		{"username blank", `{"email":"a@example.com","password":"correct horse battery","username":"   "}`, "username"},
		{"first name too long", `{"email":"a@example.com","password":"correct horse battery","first_name":"` + strings.Repeat("f", 51) + `"}`, "first_name"},
		{"phone with a letter", `{"email":"a@example.com","password":"correct horse battery","phone_number":"+35191234567a"}`, "phone_number"},
		{"phone too short", `{"email":"a@example.com","password":"correct horse battery","phone_number":"+123"}`, "phone_number"},
		{"language not BCP 47", `{"email":"a@example.com","password":"correct horse battery","language_code":"english!"}`, "language_code"},
		{"language unknown tag", `{"email":"a@example.com","password":"correct horse battery","language_code":"xx-YYYYYYYYY"}`, "language_code"},
		{"wrong type", `{"email":"a@example.com","password":12345678}`, "password"},
		{"mass assignment is_admin", `{"email":"a@example.com","password":"correct horse battery","is_admin":true}`, "is_admin"},
		{"mass assignment id", `{"email":"a@example.com","password":"correct horse battery","id":"00000000-0000-0000-0000-000000000000"}`, "id"},
		{"property differing by case", `{"email":"a@example.com","password":"correct horse battery","IS_ADMIN":true}`, "IS_ADMIN"},
		{"NUL in username", `{"email":"a@example.com","password":"correct horse battery","username":"a\u0000b"}`, "username"},
		{"NUL in first name", `{"email":"a@example.com","password":"correct horse battery","first_name":"\u0000"}`, "first_name"},
		{"NUL in email", `{"email":"a\u0000@example.com","password":"correct horse battery"}`, "email"},
		{"NUL in password", `{"email":"a@example.com","password":"correct\u0000horse battery"}`, "password"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp := env.JSON(http.MethodPost, "/api/register", tc.body)
			if resp.Status != http.StatusBadRequest {
				t.Fatalf("status %d, want 400: %s", resp.Status, resp.Body)
			}
			e := resp.Error(t)
			if e.Error != api.ErrorCodeValidationError || e.Details.ValidationErrors == nil || (*e.Details.ValidationErrors)[tc.field] == "" {
				t.Errorf("want validation_error naming %q, got %s", tc.field, resp.Body)
			}
		})
	}
	var count int
	if err := env.DB.QueryRow(context.Background(), "SELECT count(*) FROM users").Scan(&count); err != nil || count != 0 {
		t.Errorf("users = %d (%v), want none created", count, err)
	}
}
