package httpapi_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/authd/authd/gen/api"
	"github.com/authd/authd/internal/apitest"
)

// FuzzRequest sends arbitrary requests through the full handler chain (validator, router, strict
// handlers, domain, PostgreSQL): none may answer 500, and every error must be the documented body.
func FuzzRequest(f *testing.F) {
	env := apitest.New(f)
	session := env.Register("fuzz@example.com")
	bearer := "Bearer " + session.AccessToken
	seeds := []struct{ method, path, contentType, auth, body string }{
		{"POST", "/api/register", "application/json", "", `{"email":"new@example.com","password":"correct horse battery staple"}`},
		{"POST", "/api/login", "application/json", "", `{"email":"fuzz@example.com","password":"correct horse battery staple"}`},
		{"POST", "/api/login/", "application/json", "", `{"email":"fuzz@example.com","email":"x","password":"y"}`},
		{"POST", "/api/refresh", "application/json", "", `{"refresh_token":"` + session.RefreshToken.String() + `"}`},
		{"POST", "/api/logout", "application/json; charset=utf-8", "", `{"refresh_token":"x"}`},
		{"PATCH", "/api/me", "application/json", bearer, `{"username":"a\u0000b"}`},
		{"PUT", "/api/me", "application/json", bearer, `{"first_name":"Ada","IS_ADMIN":true}`},
		{"GET", "/api/me", "", bearer, ""},
		{"GET", "/api/admin/users?limit=5&cursor=abc", "", bearer, ""},
		{"DELETE", "/api/me/sessions/not-a-uuid", "", bearer, ""},
		{"PUT", "/api/me/avatar", "multipart/form-data; boundary=x", bearer, "--x\r\nContent-Disposition: form-data; name=\"avatar\"; filename=\"a.png\"\r\n\r\n\x89PNG\r\n--x--\r\n"},
		{"POST", "/api/me/password", "application/json", bearer, `{"current_password":"x","new_password":"` + strings.Repeat("y", 200) + `"}`},
		{"GET", "/media/avatars/..%2f..%2fetc%2fpasswd", "", "", ""},
		{"TRACE", "/api/login", "", "", ""},
		{"POST", "/api/register", "application/json", "", strings.Repeat("[", 1000)},
	}
	for _, s := range seeds {
		f.Add(s.method, s.path, s.contentType, s.auth, []byte(s.body))
	}
	handler := env.App.Handler
	f.Fuzz(func(t *testing.T, method, path, contentType, authorization string, body []byte) {
		if !validMethod(method) || !strings.HasPrefix(path, "/") || strings.ContainsAny(path, " \r\n\t#") || len(path) > 2048 {
			return // not an HTTP request a server could receive
		}
		req, err := http.NewRequest(method, "http://authd.test"+path, bytes.NewReader(body))
		if err != nil {
			return
		}
		if contentType != "" && validHeader(contentType) {
			req.Header.Set("Content-Type", contentType)
		}
		if authorization != "" && validHeader(authorization) {
			req.Header.Set("Authorization", authorization)
		}
		req.RemoteAddr = "192.0.2.1:1234"
		rec := httptest.NewRecorder()
		handler.ServeHTTP(rec, req)
		if rec.Code >= 500 && rec.Code != http.StatusServiceUnavailable {
			t.Fatalf("%s %s -> %d: %s", method, path, rec.Code, rec.Body)
		}
		if rec.Code >= 400 {
			var e api.ErrorResponse
			dec := json.NewDecoder(rec.Body)
			dec.DisallowUnknownFields()
			if err := dec.Decode(&e); err != nil || e.Error == "" || e.Message == "" || bool(e.Success) {
				t.Fatalf("%s %s -> %d with a body that is not an ErrorResponse: %v", method, path, rec.Code, err)
			}
			if !e.Error.Valid() {
				t.Fatalf("%s %s -> unknown error code %q", method, path, e.Error)
			}
		}
	})
}

func validMethod(m string) bool {
	if m == "" || len(m) > 10 {
		return false
	}
	for _, c := range m {
		if c < 'A' || c > 'Z' {
			return false
		}
	}
	return true
}

func validHeader(v string) bool {
	for i := 0; i < len(v); i++ {
		if v[i] < 0x20 || v[i] == 0x7f {
			return false
		}
	}
	return true
}
