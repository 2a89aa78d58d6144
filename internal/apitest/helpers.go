package apitest

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/authd/authd/client"
	"github.com/authd/authd/gen/api"
	"github.com/authd/authd/internal/auth"
)

// Password is a password every test account can use: it passes the policy.
const Password = "correct horse battery staple"

var emailSeq atomic.Int64

// UniqueEmail returns an email address no other test in this process uses.
func UniqueEmail(prefix string) string {
	return fmt.Sprintf("%s%d@example.com", prefix, emailSeq.Add(1))
}

// Bearer sets the Authorization header (the SDK's editor, so that tests use what users use).
func Bearer(token string) api.RequestEditorFn { return client.Bearer(token) }

// Register creates an account and fails the test unless the answer is 201.
func (e *Env) Register(email string) *api.AuthResponse {
	e.T.Helper()
	resp, err := e.Client.RegisterWithResponse(context.Background(), api.RegisterRequest{Email: email, Password: Password})
	if err != nil {
		e.T.Fatalf("register: %v", err)
	}
	if resp.JSON201 == nil {
		e.T.Fatalf("register %s: status %d: %s", email, resp.StatusCode(), resp.Body)
	}
	return resp.JSON201
}

// Login signs in and fails the test unless the answer is 200.
func (e *Env) Login(email, password string) *api.AuthResponse {
	e.T.Helper()
	resp, err := e.Client.LoginWithResponse(context.Background(), api.LoginRequest{Email: email, Password: password})
	if err != nil {
		e.T.Fatalf("login: %v", err)
	}
	if resp.JSON200 == nil {
		e.T.Fatalf("login %s: status %d: %s", email, resp.StatusCode(), resp.Body)
	}
	return resp.JSON200
}

// Response is a raw response with its body read.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// Error decodes the body as an ErrorResponse.
func (r Response) Error(t testing.TB) api.ErrorResponse {
	t.Helper()
	var e api.ErrorResponse
	if err := json.Unmarshal(r.Body, &e); err != nil {
		t.Fatalf("body is not an ErrorResponse: %v: %s", err, r.Body)
	}
	return e
}

// Do sends a raw request (for bodies the generated client cannot produce) through the validating client.
func (e *Env) Do(method, path, contentType string, body io.Reader, headers ...string) Response {
	e.T.Helper()
	req, err := http.NewRequest(method, e.Server.URL+path, body)
	if err != nil {
		e.T.Fatalf("request: %v", err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := e.HTTP.Do(req)
	if err != nil {
		e.T.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		e.T.Fatalf("read body: %v", err)
	}
	return Response{Status: resp.StatusCode, Header: resp.Header, Body: b}
}

// JSON sends a raw JSON body.
func (e *Env) JSON(method, path, body string, headers ...string) Response {
	e.T.Helper()
	return e.Do(method, path, "application/json", strings.NewReader(body), headers...)
}

func decodeJSON(b []byte) (any, error) {
	var v any
	err := json.Unmarshal(b, &v)
	return v, err
}

// NewAdmin creates an admin as `authd createsuperuser` does and signs them in.
func (e *Env) NewAdmin(email string) *api.AuthResponse {
	e.T.Helper()
	if _, err := e.App.Accounts.Create(context.Background(), auth.Registration{Email: email, Password: Password}, true); err != nil {
		e.T.Fatalf("create admin: %v", err)
	}
	return e.Login(email, Password)
}

// Metrics is what the server's metrics listener answers at /metrics.
func (e *Env) Metrics() string {
	rec := httptest.NewRecorder()
	e.App.Metrics.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	return rec.Body.String()
}

// Decode decodes the body into v.
func (r Response) Decode(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.Body, v); err != nil {
		t.Fatalf("decode %s: %v", r.Body, err)
	}
}
