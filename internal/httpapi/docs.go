package httpapi

import (
	"net/http"

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
	mux.Handle("GET /docs/", v5emb.New(spec.Info.Title+" API", "/openapi.json", "/docs/"))
	toDocs := http.RedirectHandler("/docs/", http.StatusMovedPermanently)
	mux.Handle("GET /docs", toDocs)
	mux.Handle("GET /api-doc/", toDocs)
	mux.Handle("GET /api-doc", toDocs)
}
