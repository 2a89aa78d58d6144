package httpapi

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/http"
	"net/netip"
	"runtime/debug"
	"strings"
	"time"

	"github.com/authd/authd/gen/api"
	"github.com/authd/authd/internal/auth"
	"github.com/authd/authd/internal/avatar"
)

// MaxBodyBytes is the largest request body accepted (1 MiB); reading stops there.
const MaxBodyBytes = 1 << 20

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

// withSecurityHeaders sets the headers every response carries. API responses are never cached: they
// hold tokens and personal data.
func withSecurityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "no-referrer")
		if strings.HasPrefix(r.URL.Path, "/api/") {
			h.Set("Cache-Control", "no-store")
		}
		next.ServeHTTP(w, r)
	})
}

// maxAvatarBodyBytes leaves room for the multipart framing around a largest allowed avatar.
const maxAvatarBodyBytes = avatar.MaxBytes + 64<<10

// withBodyLimit stops reading bodies at MaxBodyBytes (avatar uploads: maxAvatarBodyBytes); the validator
// or handler then reports 413.
func withBodyLimit(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		limit := int64(MaxBodyBytes)
		if strings.TrimRight(r.URL.Path, "/") == "/api/me/avatar" {
			limit = maxAvatarBodyBytes
		}
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

// withRequestContext prepares the context in which authentication records the caller, and records the
// client the request came from.
func (s *Server) withRequestContext(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next.ServeHTTP(w, r.WithContext(auth.WithIdentitySlot(withClient(r, s.clients.IP(r)))))
	})
}

// rateLimitedRoutes are the operations counted against the per-IP limit: the ones an attacker repeats.
var rateLimitedRoutes = map[string]bool{
	"POST /api/register": true, "POST /api/login": true, "POST /api/refresh": true, "POST /api/me/password": true,
}

// withRateLimit applies the per-IP limit before validation, so that malformed requests count too.
func (s *Server) withRateLimit(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if rateLimitedRoutes[r.Method+" "+r.URL.Path] {
			if err := s.auth.CheckRate(r.Context(), clientFrom(r.Context()).IP); err != nil {
				writeProblem(w, r, problemFor(err))
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

// clientResolver finds the client's IP: the connection's address, or, when the connection comes from a
// trusted proxy, the nearest address in X-Forwarded-For that is not itself a trusted proxy.
type clientResolver struct{ trusted []netip.Prefix }

func (c clientResolver) IP(r *http.Request) string {
	addr := remoteAddr(r)
	if !c.isTrusted(addr) {
		return addr.String()
	}
	hops := strings.Split(strings.Join(r.Header.Values("X-Forwarded-For"), ","), ",")
	for i := len(hops) - 1; i >= 0; i-- {
		hop, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
		if err != nil {
			break // a garbled chain: trust nothing further out
		}
		hop = hop.Unmap()
		if !c.isTrusted(hop) {
			return hop.String()
		}
		addr = hop
	}
	return addr.String()
}

func (c clientResolver) isTrusted(addr netip.Addr) bool {
	for _, p := range c.trusted {
		if p.Contains(addr) {
			return true
		}
	}
	return false
}

func remoteAddr(r *http.Request) netip.Addr {
	ap, err := netip.ParseAddrPort(r.RemoteAddr)
	if err != nil {
		return netip.IPv4Unspecified()
	}
	return ap.Addr().Unmap()
}

// withCORS lets the configured browser origins call the API. An origin not on the list is never echoed,
// and credentials are never allowed: authd uses bearer tokens, not cookies.
func withCORS(origins []string) func(http.Handler) http.Handler {
	allowed := map[string]bool{}
	for _, o := range origins {
		allowed[o] = true
	}
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			origin := r.Header.Get("Origin")
			if origin == "" {
				next.ServeHTTP(w, r)
				return
			}
			h := w.Header()
			h.Add("Vary", "Origin")
			preflight := r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != ""
			if !allowed[origin] {
				if preflight {
					writeProblem(w, r, problem{status: http.StatusForbidden, code: api.ErrorCodeForbidden,
						message: "This origin may not call the API."})
					return
				}
				next.ServeHTTP(w, r)
				return
			}
			h.Set("Access-Control-Allow-Origin", origin)
			h.Set("Access-Control-Expose-Headers", "Retry-After, WWW-Authenticate, X-Request-Id")
			if preflight {
				h.Add("Vary", "Access-Control-Request-Method")
				h.Add("Vary", "Access-Control-Request-Headers")
				h.Set("Access-Control-Allow-Methods", "GET, POST, PUT, PATCH, DELETE")
				h.Set("Access-Control-Allow-Headers", "Authorization, Content-Type, X-Request-Id")
				h.Set("Access-Control-Max-Age", "600")
				w.WriteHeader(http.StatusNoContent)
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}
