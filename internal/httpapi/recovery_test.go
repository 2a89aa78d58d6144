package httpapi

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/authd/authd/gen/api"
)

// A panic anywhere below the recovery middleware answers a 500 that says nothing internal but carries
// the request id under which the panic was logged.
func TestPanicAnswers500WithoutInternals(t *testing.T) {
	h := withRequestID(withRecovery(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {
		panic("secret internal detail: db password hunter2")
	})))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/api/me", nil))
	if rec.Code != http.StatusInternalServerError {
		t.Fatalf("status %d", rec.Code)
	}
	body := rec.Body.String()
	if strings.Contains(body, "hunter2") || strings.Contains(body, "secret") || strings.Contains(body, "goroutine") {
		t.Errorf("500 body leaks internals: %s", body)
	}
	var e api.ErrorResponse
	if err := json.Unmarshal(rec.Body.Bytes(), &e); err != nil || e.Error != api.ErrorCodeInternalError {
		t.Fatalf("body %s: %v", body, err)
	}
	if e.Details.RequestId == nil || *e.Details.RequestId != rec.Header().Get("X-Request-Id") {
		t.Errorf("request id in body %v, header %q", e.Details.RequestId, rec.Header().Get("X-Request-Id"))
	}
}
