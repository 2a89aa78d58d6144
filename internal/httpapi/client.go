package httpapi

import (
	"context"
	"net/http"
	"net/netip"
	"strings"

	"github.com/authd/authd/internal/auth"
)

type clientKey struct{}

func clientFrom(ctx context.Context) auth.ClientInfo {
	c, _ := ctx.Value(clientKey{}).(auth.ClientInfo)
	return c
}

// withClient records where the request came from: for the sessions it may create, and for throttling.
func (c clientResolver) withClient(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		client := auth.ClientInfo{UserAgent: cleanUserAgent(r.UserAgent()), IP: c.IP(r)}
		ctx := context.WithValue(r.Context(), clientKey{}, client)
		ctx = auth.WithRequestInfo(ctx, auth.RequestInfo{ID: requestIDFrom(ctx), Client: client})
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// cleanUserAgent bounds a user agent to 512 bytes of printable UTF-8, as it is stored and shown.
func cleanUserAgent(ua string) string {
	if len(ua) <= 512 && !hasControlBytes(ua) {
		return ua
	}
	ua = strings.ToValidUTF8(ua[:min(len(ua), 512)], "")
	return strings.Map(func(c rune) rune {
		if c < 0x20 || c == 0x7f {
			return -1
		}
		return c
	}, ua)
}

func hasControlBytes(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] == 0x7f || s[i] >= 0x80 {
			return true
		}
	}
	return false
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
