package client_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"time"
)

// newStandIn answers register, login and me the way authd does, for the example.
func newStandIn() *httptest.Server {
	write := func(w http.ResponseWriter, status int, body any) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_ = json.NewEncoder(w).Encode(body)
	}
	user := map[string]any{"id": "5b0c0c84-6d55-4f0a-a0a4-7a3b7c4e2d11", "email": "ada@example.com", "username": nil,
		"first_name": "", "last_name": "", "phone_number": nil, "avatar_url": nil, "language_code": "en", "is_admin": false,
		"created_at": time.Unix(0, 0).UTC(), "updated_at": time.Unix(0, 0).UTC(), "last_login_at": nil}
	session := map[string]any{"access_token": "a.b.c", "refresh_token": "0f8fad5b-d9cb-469f-a165-70867728950e",
		"token_type": "Bearer", "expires_in": 30, "user": user}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/register", func(w http.ResponseWriter, _ *http.Request) { write(w, http.StatusCreated, session) })
	mux.HandleFunc("POST /api/login", func(w http.ResponseWriter, r *http.Request) {
		var body struct{ Password string }
		_ = json.NewDecoder(r.Body).Decode(&body)
		if body.Password != "correct horse battery staple" {
			write(w, http.StatusUnauthorized, map[string]any{"error": "invalid_credentials", "message": "Invalid email or password.",
				"timestamp": time.Unix(0, 0).UTC(), "success": false, "details": map[string]any{}})
			return
		}
		write(w, http.StatusOK, session)
	})
	mux.HandleFunc("GET /api/me", func(w http.ResponseWriter, _ *http.Request) { write(w, http.StatusOK, user) })
	return httptest.NewServer(mux)
}
