package httpapi_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/authd/authd/gen/api"
	"github.com/authd/authd/internal/apitest"
)

// Valid JSON with a value of the wrong type is validation_error naming the field, never malformed_json,
// which is only for text that is not JSON. A multipart body that cannot be parsed is validation_error too.
func TestWrongTypesNameTheField(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	admin := env.NewAdmin(apitest.UniqueEmail("typeadmin")).AccessToken
	user := env.Register(apitest.UniqueEmail("typeuser")).AccessToken
	cases := []struct {
		name, method, path, token, body, field string
	}{
		{"fraction for an integer", http.MethodPatch, "/api/admin/settings", admin, `{"access_token_ttl_seconds":120.0}`, "access_token_ttl_seconds"},
		{"exponent for an integer", http.MethodPatch, "/api/admin/settings", admin, `{"login_max_failures":1e1}`, "login_max_failures"},
		{"real fraction", http.MethodPatch, "/api/admin/settings", admin, `{"access_token_ttl_seconds":120.5}`, "access_token_ttl_seconds"},
		{"string for an integer", http.MethodPatch, "/api/admin/settings", admin, `{"access_token_ttl_seconds":"120"}`, "access_token_ttl_seconds"},
		{"bool for an integer", http.MethodPatch, "/api/admin/settings", admin, `{"rate_limit_per_ip":true}`, "rate_limit_per_ip"},
		{"object for a string", http.MethodPost, "/api/login", "", `{"email":{},"password":"x"}`, "email"},
		{"number for a string", http.MethodPost, "/api/login", "", `{"email":"a@example.com","password":12345678}`, "password"},
		{"array for a string", http.MethodPatch, "/api/me", user, `{"first_name":["Ada"]}`, "first_name"},
		{"string for a bool", http.MethodPatch, "/api/admin/users/00000000-0000-4000-8000-000000000001", admin, `{"is_active":"false"}`, "is_active"},
		{"fraction for a limit", http.MethodGet, "/api/admin/users?limit=2.0", admin, ``, "limit"},
	}
	for _, c := range cases {
		headers := []string{}
		if c.token != "" {
			headers = []string{"Authorization", "Bearer " + c.token}
		}
		var r apitest.Response
		if c.body == "" {
			r = env.Do(c.method, c.path, "", nil, headers...)
		} else {
			r = env.JSON(c.method, c.path, c.body, headers...)
		}
		if r.Status != http.StatusBadRequest {
			t.Errorf("%s: %d %s, want 400", c.name, r.Status, r.Body)
			continue
		}
		e := r.Error(t)
		if e.Error != api.ErrorCodeValidationError || e.Details.ValidationErrors == nil {
			t.Errorf("%s: %s, want validation_error", c.name, r.Body)
			continue
		}
		if _, ok := (*e.Details.ValidationErrors)[c.field]; !ok {
			t.Errorf("%s: the error does not name %s: %s", c.name, c.field, r.Body)
		}
	}

	bad := env.Do(http.MethodPut, "/api/me/avatar", "multipart/form-data; boundary=xyz", strings.NewReader("--xyz\r\nnot a part header\r\n\r\nbody"),
		"Authorization", "Bearer "+user)
	if bad.Status != http.StatusBadRequest || bad.Error(t).Error != api.ErrorCodeValidationError {
		t.Errorf("unparsable multipart: %d %s, want 400 validation_error", bad.Status, bad.Body)
	}
	noBoundary := env.Do(http.MethodPut, "/api/me/avatar", "multipart/form-data", strings.NewReader("whatever"), "Authorization", "Bearer "+user)
	if noBoundary.Status != http.StatusBadRequest || noBoundary.Error(t).Error != api.ErrorCodeValidationError {
		t.Errorf("multipart without a boundary: %d %s, want 400 validation_error", noBoundary.Status, noBoundary.Body)
	}
}
