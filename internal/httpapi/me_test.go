package httpapi_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/oapi-codegen/nullable"

	"github.com/authd/authd/gen/api"
	"github.com/authd/authd/internal/apitest"
)

func TestUpdateProfileBothMethods(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	session := env.Register(apitest.UniqueEmail("profile"))
	bearer := apitest.Bearer(session.AccessToken)
	ctx := context.Background()

	patched, err := env.Client.PatchMeWithResponse(ctx, api.ProfileUpdate{
		Username:    nullable.NewNullableWithValue("Katherine J"),
		FirstName:   ptr("Katherine"),
		PhoneNumber: nullable.NewNullableWithValue("+15551234567"),
	}, bearer)
	if err != nil || patched.JSON200 == nil {
		t.Fatalf("PATCH: %v %d %s", err, patched.StatusCode(), patched.Body)
	}
	u := patched.JSON200
	if u.Username.MustGet() != "Katherine J" || u.FirstName != "Katherine" || u.PhoneNumber.MustGet() != "+15551234567" || u.LastName != "" {
		t.Errorf("after PATCH: %+v", u)
	}
	if !u.UpdatedAt.After(session.User.UpdatedAt) {
		t.Error("updated_at did not move")
	}

	// PUT takes any subset too; absent stays, null clears.
	put, err := env.Client.PutMeWithResponse(ctx, api.ProfileUpdate{
		LastName:     ptr("Johnson"),
		LanguageCode: ptr("en-gb"),
		PhoneNumber:  nullable.NewNullNullable[string](),
	}, bearer)
	if err != nil || put.JSON200 == nil {
		t.Fatalf("PUT: %v %d %s", err, put.StatusCode(), put.Body)
	}
	u2 := put.JSON200
	if u2.Username.MustGet() != "Katherine J" || u2.FirstName != "Katherine" || u2.LastName != "Johnson" ||
		!u2.PhoneNumber.IsNull() || u2.LanguageCode != "en-GB" {
		t.Errorf("after PUT: %+v", u2)
	}

	cleared := env.JSON(http.MethodPatch, "/api/me/", `{"username":null}`, "Authorization", "Bearer "+session.AccessToken)
	if cleared.Status != http.StatusOK {
		t.Fatalf("PATCH /api/me/ username null: %d %s", cleared.Status, cleared.Body)
	}
	me, _ := env.Client.GetMeWithResponse(ctx, bearer)
	if me.JSON200 == nil || !me.JSON200.Username.IsNull() {
		t.Errorf("username not cleared: %s", me.Body)
	}
}

// Mass assignment: properties outside the profile are refused and nothing changes.
func TestUpdateProfileRefusesOtherProperties(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	session := env.Register(apitest.UniqueEmail("mass"))
	auth := []string{"Authorization", "Bearer " + session.AccessToken}
	for _, body := range []string{
		`{"is_admin":true}`,
		`{"IS_ADMIN":true,"first_name":"x"}`,
		`{"Username":"sneaky"}`,
		`{"email":"new@example.com"}`,
		`{"id":"00000000-0000-0000-0000-000000000000"}`,
		`{"password":"another long password"}`,
		`{"is_active":false,"first_name":"x"}`,
		`{"created_at":"2020-01-01T00:00:00Z"}`,
		`{"avatar_url":"https://evil.example/x.png"}`,
	} {
		for _, method := range []string{http.MethodPut, http.MethodPatch} {
			resp := env.JSON(method, "/api/me", body, auth...)
			if resp.Status != http.StatusBadRequest || resp.Error(t).Error != api.ErrorCodeValidationError {
				t.Errorf("%s %s: %d %s, want 400", method, body, resp.Status, resp.Body)
			}
		}
	}
	me, _ := env.Client.GetMeWithResponse(context.Background(), apitest.Bearer(session.AccessToken))
	u := me.JSON200
	if u == nil || u.IsAdmin || u.FirstName != "" || u.Email != session.User.Email || !u.Username.IsNull() || !u.UpdatedAt.Equal(session.User.UpdatedAt) {
		t.Errorf("user changed: %s", me.Body)
	}
	if _, err := env.Client.LoginWithResponse(context.Background(), api.LoginRequest{Email: session.User.Email, Password: apitest.Password}); err != nil {
		t.Error(err)
	}
}

func TestUpdateProfileValidation(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	first := env.Register(apitest.UniqueEmail("owner"))
	if r, _ := env.Client.PatchMeWithResponse(context.Background(), api.ProfileUpdate{Username: nullable.NewNullableWithValue("Owner")},
		apitest.Bearer(first.AccessToken)); r.JSON200 == nil {
		t.Fatalf("set username: %d %s", r.StatusCode(), r.Body)
	}
	session := env.Register(apitest.UniqueEmail("validate"))
	auth := []string{"Authorization", "Bearer " + session.AccessToken}
	tests := []struct {
		body   string
		status int
		field  string
	}{
		{`{"username":"OWNER"}`, http.StatusConflict, "username"},
		{`{"username":""}`, http.StatusBadRequest, "username"},
		{`{"username":"  padded  "}`, http.StatusBadRequest, "username"},
		{`{"username":"nul\u0000"}`, http.StatusBadRequest, "username"},
		{`{"last_name":"tab\there"}`, http.StatusBadRequest, "last_name"},
		{`{"phone_number":"12"}`, http.StatusBadRequest, "phone_number"},
		{`{"language_code":"zz-9999999999"}`, http.StatusBadRequest, "language_code"},
		{`{"first_name":null}`, http.StatusBadRequest, "first_name"},
		{`{"first_name":42}`, http.StatusBadRequest, "first_name"},
	}
	for _, tc := range tests {
		resp := env.JSON(http.MethodPatch, "/api/me", tc.body, auth...)
		if resp.Status != tc.status {
			t.Errorf("%s: %d %s, want %d", tc.body, resp.Status, resp.Body, tc.status)
			continue
		}
		if e := resp.Error(t); e.Details.ValidationErrors == nil || (*e.Details.ValidationErrors)[tc.field] == "" {
			t.Errorf("%s: details do not name %s: %s", tc.body, tc.field, resp.Body)
		}
	}
}

func TestMeRefusesDisabledAndDeletedUsers(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	ctx := context.Background()
	disabled := env.Register(apitest.UniqueEmail("disabled"))
	deleted := env.Register(apitest.UniqueEmail("deleted"))
	if _, err := env.DB.Exec(ctx, "UPDATE users SET is_active = false WHERE id = $1", disabled.User.Id); err != nil {
		t.Fatal(err)
	}
	if _, err := env.DB.Exec(ctx, "DELETE FROM users WHERE id = $1", deleted.User.Id); err != nil {
		t.Fatal(err)
	}
	for name, token := range map[string]string{"disabled": disabled.AccessToken, "deleted": deleted.AccessToken} {
		me, _ := env.Client.GetMeWithResponse(ctx, apitest.Bearer(token))
		if me.JSON401 == nil || me.JSON401.Error != api.ErrorCodeInvalidToken {
			t.Errorf("%s user: %d %s, want 401 invalid_token", name, me.StatusCode(), me.Body)
		}
		patch, _ := env.Client.PatchMeWithResponse(ctx, api.ProfileUpdate{FirstName: ptr("x")}, apitest.Bearer(token))
		if patch.JSON401 == nil {
			t.Errorf("%s user PATCH: %d, want 401", name, patch.StatusCode())
		}
	}
}

// An unauthenticated caller learns nothing about its body: authentication is checked first.
func TestMeWithoutTokenIs401EvenWithBadBody(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	resp := env.JSON(http.MethodPatch, "/api/me", `{"is_admin":true}`)
	if resp.Status != http.StatusUnauthorized || resp.Error(t).Error != api.ErrorCodeUnauthorized {
		t.Fatalf("%d %s, want 401 unauthorized", resp.Status, resp.Body)
	}
	if got := resp.Header.Get("WWW-Authenticate"); got == "" {
		t.Error("no WWW-Authenticate")
	}
}
