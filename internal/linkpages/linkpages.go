// Package linkpages serves the pages the links in authd's mail open when no front end hosts them: verify
// an email address, and choose a password (a reset or an invitation). The token travels in the URL
// fragment, which the browser never sends to a server; the page's script reads it and calls the API.
package linkpages

import (
	"embed"
	"io/fs"
	"net/http"
)

//go:embed static
var static embed.FS

// ContentSecurityPolicy allows the page's own script, style and API only. The referrer policy keeps the
// page's address, fragment aside, out of any request.
const ContentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; " +
	"form-action 'none'; frame-ancestors 'none'; base-uri 'none'"

// Paths are the pages and their assets.
var Paths = []string{"/verify-email", "/reset-password", "/links/"}

// Mount serves the pages.
func Mount(mux *http.ServeMux) {
	files, _ := fs.Sub(static, "static")
	secure := func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Security-Policy", ContentSecurityPolicy)
			w.Header().Set("Referrer-Policy", "no-referrer")
			w.Header().Set("Cache-Control", "no-cache")
			h.ServeHTTP(w, r)
		})
	}
	page := func(name string) http.Handler {
		body, _ := fs.ReadFile(files, name)
		return secure(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			_, _ = w.Write(body)
		}))
	}
	mux.Handle("GET /verify-email", page("verify-email.html"))
	mux.Handle("GET /reset-password", page("reset-password.html"))
	mux.Handle("GET /links/{file}", secure(http.StripPrefix("/links/", http.FileServerFS(files))))
}
