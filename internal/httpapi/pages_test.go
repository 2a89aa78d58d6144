package httpapi_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/authd/authd"
	"github.com/authd/authd/gen/api"
	"github.com/authd/authd/internal/apitest"
)

// The documentation and the admin page answer their errors with the API's JSON error body, and their
// redirects carry no HTML.
func TestPagesAnswerErrorsWithTheErrorBody(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	for _, c := range []struct {
		method, path string
		status       int
		code         api.ErrorCode
	}{
		{http.MethodGet, "/admin/nope.css", http.StatusNotFound, api.ErrorCodeNotFound},
		{http.MethodGet, "/admin/a/b", http.StatusNotFound, api.ErrorCodeNotFound},
		{http.MethodGet, "/docs/nope.js", http.StatusNotFound, api.ErrorCodeNotFound},
		{http.MethodPost, "/docs/", http.StatusMethodNotAllowed, api.ErrorCodeMethodNotAllowed},
		{http.MethodDelete, "/admin", http.StatusMethodNotAllowed, api.ErrorCodeMethodNotAllowed},
		{http.MethodPut, "/openapi.json", http.StatusMethodNotAllowed, api.ErrorCodeMethodNotAllowed},
	} {
		r := env.Do(c.method, c.path, "", nil)
		if r.Status != c.status || !strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
			t.Errorf("%s %s: %d %q %s, want %d JSON", c.method, c.path, r.Status, r.Header.Get("Content-Type"), r.Body, c.status)
			continue
		}
		if e := r.Error(t); e.Error != c.code || e.Success {
			t.Errorf("%s %s: %s, want %s", c.method, c.path, r.Body, c.code)
		}
	}
	for _, path := range []string{"/docs", "/api-doc", "/api-doc/"} {
		r := env.Do(http.MethodGet, path, "", nil)
		if r.Status != http.StatusMovedPermanently || r.Header.Get("Location") != "/docs/" || len(r.Body) != 0 {
			t.Errorf("GET %s: %d Location %q body %q, want 301 to /docs/ without a body", path, r.Status, r.Header.Get("Location"), r.Body)
		}
	}
	// The pages themselves are still served.
	for _, path := range []string{"/docs/", "/admin", "/admin/admin.js", "/openapi.yaml"} {
		if r := env.Do(http.MethodGet, path, "", nil); r.Status != http.StatusOK || len(r.Body) == 0 {
			t.Errorf("GET %s: %d", path, r.Status)
		}
	}
}

// /openapi.yaml is the repository's file byte for byte, and /openapi.json the same document: a client
// generated from either is the one generated from the repository.
func TestServedSpecIsTheRepositorysFile(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	served := env.Do(http.MethodGet, "/openapi.yaml", "", nil)
	if !bytes.Equal(served.Body, authd.OpenAPI) {
		t.Fatal("/openapi.yaml differs from openapi.yaml")
	}
	var fromYAML, fromJSON any
	if err := yaml.Unmarshal(authd.OpenAPI, &fromYAML); err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(bytes.NewReader(env.Do(http.MethodGet, "/openapi.json", "", nil).Body))
	dec.UseNumber() // int64 bounds must not pass through float64
	if err := dec.Decode(&fromJSON); err != nil {
		t.Fatal(err)
	}
	yamlJSON, _ := json.Marshal(fromYAML)
	servedJSON, _ := json.Marshal(fromJSON)
	if !bytes.Equal(yamlJSON, servedJSON) {
		t.Error("/openapi.json is not openapi.yaml's document")
	}
	if !strings.Contains(string(served.Body), "operationId: register\n") {
		t.Error("operationIds are not the repository's")
	}
}
