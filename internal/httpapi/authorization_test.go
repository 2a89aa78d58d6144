package httpapi_test

import (
	"io"
	"net/http"
	"testing"

	"github.com/authd/authd/gen/api"
	"github.com/authd/authd/internal/apitest"
)

// Only one Authorization header of exactly "Bearer <token>" authenticates; every other shape of the
// header is 401 invalid_token, and no header at all is 401 unauthorized.
func TestAuthorizationHeaderShape(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	token := env.Register(apitest.UniqueEmail("header")).AccessToken
	other := env.Register(apitest.UniqueEmail("header")).AccessToken

	send := func(values ...string) apitest.Response {
		t.Helper()
		req, err := http.NewRequest(http.MethodGet, env.Server.URL+"/api/me", nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range values {
			req.Header.Add("Authorization", v)
		}
		resp, err := env.HTTP.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		return apitest.Response{Status: resp.StatusCode, Header: resp.Header, Body: body}
	}

	for _, ok := range []string{"Bearer " + token, "bearer " + token, "BEARER " + token} {
		if r := send(ok); r.Status != http.StatusOK {
			t.Errorf("%.20q: %d %s, want 200", ok, r.Status, r.Body)
		}
	}
	refused := map[string][]string{
		"two headers, both valid":  {"Bearer " + token, "Bearer " + other},
		"two headers, same token":  {"Bearer " + token, "Bearer " + token},
		"two spaces":               {"Bearer  " + token},
		"tab":                      {"Bearer\t" + token},
		"no scheme":                {token},
		"other scheme":             {"Basic " + token},
		"scheme only":              {"Bearer"},
		"token with a space":       {"Bearer " + token + " x"},
		"token with a comma":       {"Bearer " + token + ",Bearer " + other},
		"empty header":             {""},
		"quoted token":             {`Bearer "` + token + `"`},
		"scheme with extra letter": {"Bearers " + token},
	}
	for name, values := range refused {
		r := send(values...)
		if r.Status != http.StatusUnauthorized || r.Error(t).Error != api.ErrorCodeInvalidToken {
			t.Errorf("%s: %d %s, want 401 invalid_token", name, r.Status, r.Body)
		}
	}
	if r := send(); r.Status != http.StatusUnauthorized || r.Error(t).Error != api.ErrorCodeUnauthorized {
		t.Errorf("no header: %d %s, want 401 unauthorized", r.Status, r.Body)
	}
}
