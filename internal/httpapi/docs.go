package httpapi

import (
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/oasdiff/yaml"
	"github.com/swaggest/swgui/v5emb"
)

// mountDocs serves the spec and Swagger UI, whose assets are embedded in the binary.
func mountDocs(mux *http.ServeMux, spec *openapi3.T, specJSON []byte) {
	specYAML, err := yaml.JSONToYAML(specJSON)
	if err != nil {
		specYAML = specJSON // JSON is valid YAML
	}
	serve := func(contentType string, body []byte) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", contentType)
			w.Header().Set("Cache-Control", "no-cache")
			_, _ = w.Write(body)
		}
	}
	mux.HandleFunc("GET /openapi.json", serve("application/json", specJSON))
	mux.HandleFunc("GET /openapi.yaml", serve("application/yaml", specYAML))
	mux.Handle("GET /docs/", withDocsCSP(v5emb.New(spec.Info.Title+" API", "/openapi.json", "/docs/")))
	toDocs := http.RedirectHandler("/docs/", http.StatusMovedPermanently)
	mux.Handle("GET /docs", toDocs)
	mux.Handle("GET /api-doc/", toDocs)
	mux.Handle("GET /api-doc", toDocs)
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
