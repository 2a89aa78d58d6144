package httpapi

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strings"
	"time"

	"github.com/rs/cors"

	"github.com/authd/authd/gen/api"
	"github.com/authd/authd/internal/metrics"
)

type requestIDKey struct{}

func requestIDFrom(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey{}).(string)
	return id
}

func newRequestID() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// withRequestID gives every request an id, returned as X-Request-Id and present in every log line.
// A client's own X-Request-Id is kept when it is short and printable, so that logs can be correlated.
func withRequestID(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get("X-Request-Id")
		if !validRequestID(id) {
			id = newRequestID()
		}
		w.Header().Set("X-Request-Id", id)
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), requestIDKey{}, id)))
	})
}

func validRequestID(id string) bool {
	if id == "" || len(id) > 64 {
		return false
	}
	for _, c := range id {
		if !(c == '-' || c == '_' || c == '.' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
			return false
		}
	}
	return true
}

// statusRecorder remembers the status a handler wrote, for the access log and for recovery.
type statusRecorder struct {
	http.ResponseWriter
	status int
	bytes  int
}

func (s *statusRecorder) WriteHeader(code int) {
	if s.status == 0 {
		s.status = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Write(b []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	n, err := s.ResponseWriter.Write(b)
	s.bytes += n
	return n, err
}

func (s *statusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }

// withAccessLog logs one line per request. It never logs bodies or headers, so no password or token.
func withAccessLog(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w}
		next.ServeHTTP(rec, r)
		slog.LogAttrs(r.Context(), slog.LevelInfo, "request",
			slog.String("request_id", requestIDFrom(r.Context())),
			slog.String("method", r.Method),
			slog.String("path", r.URL.Path),
			slog.Int("status", rec.status),
			slog.Int("bytes", rec.bytes),
			slog.Duration("duration", time.Since(start)),
			slog.String("remote", r.RemoteAddr),
		)
	})
}

// withRecovery turns a panic into a 500 that says nothing internal; the panic and stack are logged.
func withRecovery(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := &statusRecorder{ResponseWriter: w}
		defer func() {
			v := recover()
			if v == nil {
				return
			}
			if v == http.ErrAbortHandler {
				panic(v)
			}
			slog.ErrorContext(r.Context(), "panic", slog.String("request_id", requestIDFrom(r.Context())),
				slog.String("panic", fmt.Sprint(v)), slog.String("stack", string(debug.Stack())))
			if rec.status == 0 {
				writeProblem(w, r, problem{status: http.StatusInternalServerError, code: api.ErrorCodeInternalError,
					message: "An unexpected error occurred.", cause: fmt.Errorf("panic: %v", v)})
			}
		}()
		next.ServeHTTP(rec, r)
	})
}

// withSecurityHeaders sets the headers every response carries.
func withSecurityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "no-referrer")
		next.ServeHTTP(w, r)
	})
}

// withBodyLimit stops reading bodies at the operation's x-authd-body-limit; the validator or handler then
// reports 413. A body announced larger is refused before a byte of it is read.
func withBodyLimit(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		limit := routeFrom(r.Context()).policy.bodyLimit
		if r.ContentLength > limit {
			writeProblem(w, r, problem{status: http.StatusRequestEntityTooLarge, code: api.ErrorCodePayloadTooLarge,
				message: fmt.Sprintf("The body is larger than %d bytes.", limit)})
			return
		}
		if r.Body != nil {
			r.Body = http.MaxBytesReader(w, r.Body, limit)
		}
		next.ServeHTTP(w, r)
	})
}

// withMetrics counts every API answer by operation and status class, with its duration.
func withMetrics(m *metrics.Metrics) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		if m == nil {
			return next
		}
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			start := time.Now()
			rec := &statusRecorder{ResponseWriter: w}
			next.ServeHTTP(rec, r)
			m.Request(routeFrom(r.Context()).policy.operationID, rec.status, time.Since(start))
		})
	}
}

// withDeadline bounds each request's work: past the deadline, waits for the database or a hashing slot
// end, and the request is answered 503 rather than hanging.
func withDeadline(timeout time.Duration) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		if timeout <= 0 {
			return next
		}
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			ctx, cancel := context.WithTimeout(r.Context(), timeout)
			defer cancel()
			next.ServeHTTP(w, r.WithContext(ctx))
		})
	}
}

// withChunkedClose closes the connection after every request with a Transfer-Encoding. net/http lets
// Transfer-Encoding override a Content-Length sent with it and drops the Content-Length before a handler
// can see it; a proxy in front that believed the Content-Length would frame the rest of the bytes as
// another request. Closing the connection leaves no place for one to be smuggled.
func withChunkedClose(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if len(r.TransferEncoding) > 0 {
			w.Header().Set("Connection", "close")
		}
		next.ServeHTTP(w, r)
	})
}

// withoutTrailingSlash serves /api/login/ as /api/login, as Django clients send it; one route per path
// keeps ServeMux and the validator simple.
func withoutTrailingSlash(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if p := r.URL.Path; len(p) > 1 && strings.HasSuffix(p, "/") {
			r.URL.Path = strings.TrimRight(p, "/")
			if r.URL.Path == "" {
				r.URL.Path = "/"
			}
			r.URL.RawPath = ""
			r.RequestURI = r.URL.RequestURI()
		}
		next.ServeHTTP(w, r)
	})
}

// withRateLimit counts the operations that declare x-authd-rate-limit against the per-IP limit, before
// authentication and validation, so that malformed and unauthenticated requests count too.
func (s *Server) withRateLimit(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if routeFrom(r.Context()).policy.rateLimited {
			if err := s.auth.CheckRate(r.Context(), clientFrom(r.Context()).IP); err != nil {
				writeProblem(w, r, problemFor(err))
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

// withCORS lets the configured browser origins call the API (rs/cors). An origin not on the list is never
// echoed and its preflight is refused with 403; credentials are never allowed: authd uses bearer tokens,
// not cookies.
func withCORS(origins []string) func(http.Handler) http.Handler {
	allowed := map[string]bool{}
	for _, o := range origins {
		allowed[o] = true
	}
	c := cors.New(cors.Options{
		// A function rather than AllowedOrigins: an empty list there would allow every origin.
		AllowOriginFunc:    func(origin string) bool { return allowed[origin] },
		AllowedMethods:     []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete},
		AllowedHeaders:     []string{"Authorization", "Content-Type", "X-Request-Id"},
		ExposedHeaders:     []string{"Retry-After", "WWW-Authenticate", "X-Request-Id"},
		MaxAge:             600,
		OptionsPassthrough: true,
	})
	return func(next http.Handler) http.Handler {
		return c.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method != http.MethodOptions || r.Header.Get("Access-Control-Request-Method") == "" {
				next.ServeHTTP(w, r)
				return
			}
			if w.Header().Get("Access-Control-Allow-Origin") == "" {
				writeProblem(w, r, problem{status: http.StatusForbidden, code: api.ErrorCodeForbidden,
					message: "This origin may not call the API."})
				return
			}
			w.WriteHeader(http.StatusNoContent)
		}))
	}
}
