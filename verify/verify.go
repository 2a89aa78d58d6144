// Package verify checks authd access tokens in another Go service, with the public keys authd publishes:
//
//	v, err := verify.New(ctx, verify.Config{Issuer: "https://auth.example.com", Audience: "my-api",
//		JWKSURL: "https://auth.example.com/.well-known/jwks.json"})
//	mux.Handle("/api/", v.Middleware(api))
//	// in a handler: claims, _ := verify.ClaimsFrom(r.Context()); claims.Subject is the user id
//	mux.Handle("/api/transfer", v.Middleware(verify.RequireAAL("aal2")(transfer)))
//	mux.Handle("/api/close-account", v.Middleware(verify.RequireRecentAuth(5*time.Minute)(closeAccount)))
//
// The key set is cached and refreshed in the background; a token signed by a key the cache does not know
// (a rotation that skipped the publish-ahead time) triggers one rate-limited refresh. Verification is
// local: a token stays valid until it expires even if its session is revoked, which is why authd's access
// tokens are short-lived.
package verify

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/MicahParks/keyfunc/v3"
	"github.com/golang-jwt/jwt/v5"
	"golang.org/x/time/rate"
)

// ErrInvalidToken is every reason a token does not verify.
var ErrInvalidToken = errors.New("verify: the token is invalid, expired or not signed by a published key")

// Config says whose tokens to accept.
type Config struct {
	// Issuer is authd's issuer: the iss of its tokens and of its metadata (AUTHD_PUBLIC_URL by default).
	Issuer string
	// Audience is the aud tokens must carry (AUTHD_AUDIENCE).
	Audience string
	// JWKSURL is authd's key set; empty means Issuer + "/.well-known/jwks.json".
	JWKSURL string
	// Algorithms are the accepted algorithms; empty means ES256, EdDSA and RS256. Set it to the one
	// authd signs with (AUTHD_JWT_ALG) to pin it.
	Algorithms []string
	// HTTPClient fetches the key set; nil means a client with a 10 s timeout.
	HTTPClient *http.Client
	// RefreshInterval is how often the key set is fetched again; zero means 5 minutes.
	RefreshInterval time.Duration
	// Leeway is the clock skew allowed on exp, nbf and iat; zero means none.
	Leeway time.Duration
	// Logger gets, at debug, why each token was rejected (issuer, audience, expiry, unknown kid, ...), so
	// that a misconfigured service is not a wall of silent 401s; nil means slog.Default().
	Logger *slog.Logger
}

// Claims are the claims of an authd access token (RFC 9068), with how its session was authenticated.
type Claims struct {
	jwt.RegisteredClaims
	ClientID  string `json:"client_id"`
	SessionID string `json:"sid"`
	// AMR are the RFC 8176 values of the methods used in the session, in order: "pwd" for a password,
	// "otp" for a one-time code (emailed or TOTP).
	AMR []string `json:"amr"`
	// AAL is "aal1" (one factor) or "aal2" (two), NIST SP 800-63B-4.
	AAL string `json:"aal"`
	// AuthTime is the last time the user proved a credential in the session; refreshing keeps it.
	AuthTime *jwt.NumericDate `json:"auth_time"`
}

// AtLeast says whether the session's assurance level is level ("aal1" or "aal2") or higher.
func (c *Claims) AtLeast(level string) bool {
	return aalRank(c.AAL) >= aalRank(level) && aalRank(level) > 0
}

func aalRank(level string) int {
	switch level {
	case "aal1":
		return 1
	case "aal2":
		return 2
	}
	return 0
}

// AuthenticatedWithin says whether the user proved a credential at most maxAge before now.
func (c *Claims) AuthenticatedWithin(maxAge time.Duration, now time.Time) bool {
	return c.AuthTime != nil && !c.AuthTime.After(now.Add(time.Minute)) && now.Sub(c.AuthTime.Time) <= maxAge
}

// Verifier checks access tokens against authd's published keys.
type Verifier struct {
	keys    keyfunc.Keyfunc
	parser  *jwt.Parser
	jwksURL string
	client  *http.Client
	log     *slog.Logger
}

// New returns a Verifier whose key set is refreshed until ctx ends. It does not wait for authd: the key
// set is fetched in the background, and tokens fail to verify until it is.
func New(ctx context.Context, c Config) (*Verifier, error) {
	if c.Issuer == "" || c.Audience == "" {
		return nil, errors.New("verify: Config.Issuer and Config.Audience are required")
	}
	if c.JWKSURL == "" {
		c.JWKSURL = strings.TrimRight(c.Issuer, "/") + "/.well-known/jwks.json"
	}
	if len(c.Algorithms) == 0 {
		c.Algorithms = []string{"ES256", "EdDSA", "RS256"}
	}
	for _, alg := range c.Algorithms {
		if alg == "none" || strings.HasPrefix(alg, "HS") {
			return nil, fmt.Errorf("verify: %s cannot be verified with a published key", alg)
		}
	}
	if c.HTTPClient == nil {
		c.HTTPClient = &http.Client{Timeout: 10 * time.Second}
	}
	if c.RefreshInterval == 0 {
		c.RefreshInterval = 5 * time.Minute
	}
	noError := true
	keys, err := keyfunc.NewDefaultOverrideCtx(ctx, []string{c.JWKSURL}, keyfunc.Override{
		Client:                    c.HTTPClient,
		RefreshInterval:           c.RefreshInterval,
		RefreshUnknownKID:         rate.NewLimiter(rate.Every(10*time.Second), 1),
		RateLimitWaitMax:          time.Second,
		NoErrorReturnFirstHTTPReq: &noError,
	})
	if err != nil {
		return nil, fmt.Errorf("verify: key set %s: %w", c.JWKSURL, err)
	}
	parser := jwt.NewParser(
		jwt.WithValidMethods(c.Algorithms),
		jwt.WithIssuer(c.Issuer),
		jwt.WithAudience(c.Audience),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
		jwt.WithStrictDecoding(),
		jwt.WithLeeway(c.Leeway),
	)
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	return &Verifier{keys: keys, parser: parser, jwksURL: c.JWKSURL, client: c.HTTPClient, log: c.Logger}, nil
}

// Ready waits until the key set has been fetched, or ctx ends; then it says why it could not be, so that
// a service can refuse to start with a wrong JWKSURL instead of answering 401 to everyone:
//
//	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
//	defer cancel()
//	if err := v.Ready(ctx); err != nil { log.Fatal(err) }
func (v *Verifier) Ready(ctx context.Context) error {
	ticker := time.NewTicker(50 * time.Millisecond)
	defer ticker.Stop()
	for {
		if keys, err := v.keys.Storage().KeyReadAll(ctx); err == nil && len(keys) > 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("verify: no keys from %s: %w", v.jwksURL, v.probe())
		case <-ticker.C:
		}
	}
}

// probe fetches the key set once to say what is wrong with it.
func (v *Verifier) probe() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, v.jwksURL, nil)
	if err != nil {
		return err
	}
	resp, err := v.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("it answers %s", resp.Status)
	}
	return errors.New("it answers, but with no key this verifier accepts (check Algorithms)")
}

// Verify checks a token's signature (by a published key named by its kid), algorithm, type (at+jwt),
// issuer, audience and times, and returns its claims. Every failure is ErrInvalidToken.
func (v *Verifier) Verify(ctx context.Context, token string) (*Claims, error) {
	var claims Claims
	keyFor := v.keys.KeyfuncCtx(ctx)
	parsed, err := v.parser.ParseWithClaims(token, &claims, func(t *jwt.Token) (any, error) {
		typ, _ := t.Header["typ"].(string)
		if !strings.EqualFold(typ, "at+jwt") && !strings.EqualFold(typ, "application/at+jwt") {
			return nil, errors.New("not an access token")
		}
		if kid, _ := t.Header["kid"].(string); kid == "" {
			return nil, errors.New("no kid")
		}
		return keyFor(t)
	})
	if err != nil || !parsed.Valid || claims.Subject == "" {
		if err == nil {
			err = errors.New("the token has no subject")
		}
		v.log.DebugContext(ctx, "verify: token rejected", slog.String("reason", err.Error()))
		return nil, fmt.Errorf("%w: %v", ErrInvalidToken, err)
	}
	return &claims, nil
}

type claimsKey struct{}

// ClaimsFrom returns the claims Middleware verified.
func ClaimsFrom(ctx context.Context) (*Claims, bool) {
	c, ok := ctx.Value(claimsKey{}).(*Claims)
	return c, ok
}

// Middleware lets through requests with exactly one "Authorization: Bearer <token>" whose token verifies,
// with the claims in the request context (ClaimsFrom). Others get 401 with authd's error body and a
// WWW-Authenticate challenge (RFC 6750).
func (v *Verifier) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		values := r.Header.Values("Authorization")
		if len(values) == 0 {
			unauthorized(w, "unauthorized", `Bearer realm="authd"`, "Authentication is required: send an access token as Authorization: Bearer <token>.")
			return
		}
		scheme, token, ok := strings.Cut(values[0], " ")
		if len(values) > 1 || !ok || !strings.EqualFold(scheme, "Bearer") || token == "" || strings.ContainsAny(token, " \t") {
			unauthorized(w, "invalid_token", `Bearer realm="authd", error="invalid_token"`, "The token is invalid, expired or revoked.")
			return
		}
		claims, err := v.Verify(r.Context(), token)
		if err != nil {
			unauthorized(w, "invalid_token", `Bearer realm="authd", error="invalid_token"`, "The token is invalid, expired or revoked.")
			return
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), claimsKey{}, claims)))
	})
}

// RequireAAL lets through requests whose claims (from Middleware, which must run first) have at least
// level ("aal1" or "aal2"). Others get 401 with error="insufficient_user_authentication" and acr_values
// (RFC 9470 section 3), so that the client can step the user up and retry.
func RequireAAL(level string) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			claims, ok := ClaimsFrom(r.Context())
			if !ok || !claims.AtLeast(level) {
				unauthorized(w, "insufficient_user_authentication",
					fmt.Sprintf(`Bearer realm="authd", error="insufficient_user_authentication", error_description="A stronger authentication is required", acr_values=%q`, level),
					"This needs a stronger sign-in ("+level+").")
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}

// RequireRecentAuth lets through requests whose user proved a credential at most maxAge ago (auth_time).
// Others get 401 with error="insufficient_user_authentication" and max_age (RFC 9470 section 3) and the
// code reauthentication_required, as authd's own endpoints answer; the client re-authenticates
// (POST /api/me/reauthenticate) and retries with the new token.
func RequireRecentAuth(maxAge time.Duration) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			claims, ok := ClaimsFrom(r.Context())
			if !ok || !claims.AuthenticatedWithin(maxAge, time.Now()) {
				unauthorized(w, "reauthentication_required",
					fmt.Sprintf(`Bearer realm="authd", error="insufficient_user_authentication", error_description="A more recent authentication is required", max_age=%d`, int(maxAge.Seconds())),
					"Sign in again to do this: your last sign-in is too old.")
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}

// unauthorized writes authd's error body.
func unauthorized(w http.ResponseWriter, code, challenge, message string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("WWW-Authenticate", challenge)
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusUnauthorized)
	_ = json.NewEncoder(w).Encode(map[string]any{
		"error": code, "message": message, "timestamp": time.Now().UTC().Format(time.RFC3339), "success": false, "details": map[string]any{},
	})
}
