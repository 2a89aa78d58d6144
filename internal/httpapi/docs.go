package httpapi

import (
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"

	"github.com/authd/authd/internal/linkpages"

	"github.com/swaggest/swgui"
	"github.com/swaggest/swgui/v5emb"

	"github.com/authd/authd/gen/api"
)

// mountDocs serves the spec (openapi.yaml byte for byte, and the same document as JSON) and Swagger UI,
// whose assets are embedded in the binary.
func mountDocs(mux *http.ServeMux, title string, specYAML, specJSON []byte) {
	serve := func(contentType string, body []byte) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", contentType)
			w.Header().Set("Cache-Control", "no-cache")
			_, _ = w.Write(body)
		}
	}
	mux.HandleFunc("GET /openapi.json", serve("application/json", specJSON))
	mux.HandleFunc("GET /openapi.yaml", serve("application/yaml", specYAML))
	// persistAuthorization keeps what was pasted in Authorize across reloads (authd's access tokens are
	// short-lived, so that matters most for the refresh token flow in Try it out).
	ui := v5emb.NewWithConfig(swgui.Config{Title: title + " API", SwaggerJSON: "/openapi.json", BasePath: "/docs/",
		SettingsUI: map[string]string{"persistAuthorization": "true"}})
	mux.Handle("GET /docs/", withDocsCSP(ui("", "", "")))
	toDocs := redirectTo("/docs/")
	mux.Handle("GET /docs", toDocs)
	mux.Handle("GET /api-doc/", toDocs)
	mux.Handle("GET /api-doc", toDocs)
}

// pagePrefixes are the paths of the documentation and the admin page; everything else is the API.
var pagePrefixes = append([]string{"/docs", "/docs/", "/api-doc", "/api-doc/", "/openapi.json", "/openapi.yaml", "/admin", "/admin/"},
	linkpages.Paths...)

// redirectTo answers 301 to location with no body (http.Redirect would write an HTML one).
func redirectTo(location string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Location", location)
		w.WriteHeader(http.StatusMovedPermanently)
	})
}

// withJSONErrors makes the pages' error answers (a missing file, a wrong method) the same JSON error body
// as the API's, and drops the HTML bodies of redirects.
func withJSONErrors(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next.ServeHTTP(&errorBodyWriter{ResponseWriter: w, r: r}, r)
	})
}

type errorBodyWriter struct {
	http.ResponseWriter
	r       *http.Request
	replace bool
}

func (e *errorBodyWriter) WriteHeader(code int) {
	if code < 300 || e.replace {
		e.ResponseWriter.WriteHeader(code)
		return
	}
	e.replace = true
	h := e.Header()
	for _, name := range []string{"Content-Type", "Content-Length", "Content-Encoding", "Content-Security-Policy", "Cache-Control"} {
		h.Del(name)
	}
	if code < 400 {
		e.ResponseWriter.WriteHeader(code)
		return
	}
	writeProblem(e.ResponseWriter, e.r, problemForStatus(code))
}

func (e *errorBodyWriter) Write(b []byte) (int, error) {
	if e.replace {
		return len(b), nil
	}
	return e.ResponseWriter.Write(b)
}

func (e *errorBodyWriter) Unwrap() http.ResponseWriter { return e.ResponseWriter }

// problemForStatus is the error body of a status a page handler chose.
func problemForStatus(status int) problem {
	switch status {
	case http.StatusNotFound:
		return problem{status: status, code: api.ErrorCodeNotFound, message: "No such page."}
	case http.StatusMethodNotAllowed:
		return problem{status: status, code: api.ErrorCodeMethodNotAllowed, message: "This method is not allowed on this path."}
	case http.StatusForbidden:
		return problem{status: status, code: api.ErrorCodeForbidden, message: "This page may not be read."}
	}
	if status >= 500 {
		return problem{status: status, code: api.ErrorCodeInternalError, message: "An unexpected error occurred."}
	}
	return problem{status: status, code: api.ErrorCodeValidationError, message: http.StatusText(status) + "."}
}

var inlineBlock = regexp.MustCompile(`(?s)<(script)>(.*?)</script>`)

// withDocsCSP serves Swagger UI under a Content-Security-Policy that allows its own files and exactly the
// inline scripts and styles of its page, by hash, and nothing from other origins.
func withDocsCSP(ui http.Handler) http.Handler {
	rec := httptest.NewRecorder()
	ui.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/docs/", nil))
	scripts := []string{"'self'"}
	for _, m := range inlineBlock.FindAllStringSubmatch(rec.Body.String(), -1) {
		if m[1] == "script" {
			sum := sha256.Sum256([]byte(m[2]))
			scripts = append(scripts, "'sha256-"+base64.StdEncoding.EncodeToString(sum[:])+"'")
		}
	}
	// Swagger UI sets style attributes from its scripts, which only 'unsafe-inline' allows (and a hash
	// in the same directive would disable it); styles cannot run code, scripts stay pinned by hash.
	csp := "default-src 'none'; script-src " + strings.Join(scripts, " ") + "; style-src 'self' 'unsafe-inline'" +
		"; img-src 'self' data:; font-src 'self' data:; connect-src 'self'; form-action 'none'; frame-ancestors 'none'; base-uri 'none'"
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Security-Policy", csp)
		ui.ServeHTTP(w, r)
	})
}
