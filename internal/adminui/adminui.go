package adminui

import (
	"embed"
	"io/fs"
	"net/http"
)

//go:embed static
var static embed.FS

// ContentSecurityPolicy allows nothing but the page's own files and API: no inline script or style, no
// other origin, no framing.
const ContentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"connect-src 'self'; form-action 'none'; frame-ancestors 'none'; base-uri 'none'"

// Mount serves the page at /admin and its assets under /admin/.
func Mount(mux *http.ServeMux) {
	files, _ := fs.Sub(static, "static")
	assets := http.StripPrefix("/admin/", http.FileServerFS(files))
	index, _ := fs.ReadFile(files, "index.html")
	withCSP := func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Security-Policy", ContentSecurityPolicy)
			w.Header().Set("Cache-Control", "no-cache")
			h.ServeHTTP(w, r)
		})
	}
	serveIndex := withCSP(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write(index)
	}))
	mux.Handle("GET /admin", serveIndex)
	mux.Handle("GET /admin/{$}", serveIndex)
	mux.Handle("GET /admin/{file}", withCSP(assets))
}
