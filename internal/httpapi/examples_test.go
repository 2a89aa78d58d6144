package httpapi_test

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/authd/authd/internal/apitest"
	"github.com/authd/authd/internal/httpapi"
)

// Every request example in openapi.yaml (what Swagger UI fills in) is valid for its operation, and the
// register and login examples work as sent against a live authd.
func TestRequestExamplesWork(t *testing.T) {
	spec, err := httpapi.LoadSpec()
	if err != nil {
		t.Fatal(err)
	}
	examples := map[string][]byte{}
	for path, item := range spec.Paths.Map() {
		for method, op := range item.Operations() {
			if op.RequestBody == nil {
				continue
			}
			for mediaType, content := range op.RequestBody.Value.Content {
				if content.Example == nil {
					continue
				}
				if err := content.Schema.Value.VisitJSON(content.Example); err != nil {
					t.Errorf("%s %s (%s) example does not match its schema: %v", method, path, mediaType, err)
				}
				body, err := json.Marshal(content.Example)
				if err != nil {
					t.Fatal(err)
				}
				examples[op.OperationID] = body
			}
		}
	}
	for _, id := range []string{"register", "login", "requestLoginCode", "loginWithCode"} {
		if examples[id] == nil {
			t.Errorf("%s has no request example", id)
		}
	}
	env := apitest.New(t)
	if r := env.JSON(http.MethodPost, "/api/register", string(examples["register"])); r.Status != http.StatusCreated {
		t.Fatalf("register's example: %d %s", r.Status, r.Body)
	}
	if r := env.JSON(http.MethodPost, "/api/login", string(examples["login"])); r.Status != http.StatusOK {
		t.Fatalf("login's example: %d %s", r.Status, r.Body)
	}
}
