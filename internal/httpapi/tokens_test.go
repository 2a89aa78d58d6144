package httpapi_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"

	"github.com/authd/authd/gen/api"
	"github.com/authd/authd/internal/apitest"
)

// forge signs claims with method and key, with the given typ header.
func forge(t *testing.T, method jwt.SigningMethod, key any, typ string, claims jwt.MapClaims) string {
	t.Helper()
	token := jwt.NewWithClaims(method, claims)
	if typ != "" {
		token.Header["typ"] = typ
	} else {
		delete(token.Header, "typ")
	}
	s, err := token.SignedString(key)
	if err != nil {
		t.Fatalf("sign: %v", err)
	}
	return s
}

func TestForgedHS256AccessTokensAreRefused(t *testing.T) {
	t.Parallel()
	env := apitest.New(t, apitest.WithHS256)
	session := env.Register(apitest.UniqueEmail("victim"))
	other := env.Register(apitest.UniqueEmail("other"))
	secret := []byte(apitest.Secret)

	// Valid claims for the victim's real session; each case breaks one thing.
	parser := jwt.NewParser()
	var real jwt.MapClaims
	if _, _, err := parser.ParseUnverified(session.AccessToken, &real); err != nil {
		t.Fatal(err)
	}
	claims := func(change func(jwt.MapClaims)) jwt.MapClaims {
		c := jwt.MapClaims{}
		for k, v := range real {
			c[k] = v
		}
		c["iat"] = time.Now().Unix()
		c["exp"] = time.Now().Add(time.Minute).Unix()
		c["nbf"] = time.Now().Unix()
		if change != nil {
			change(c)
		}
		return c
	}
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	var otherReal jwt.MapClaims
	if _, _, err := parser.ParseUnverified(other.AccessToken, &otherReal); err != nil {
		t.Fatal(err)
	}

	// The control: correctly forged with the real key, it works, so each refusal below is for its one flaw.
	control := forge(t, jwt.SigningMethodHS256, secret, "at+jwt", claims(nil))
	if me, _ := env.Client.GetMeWithResponse(context.Background(), apitest.Bearer(control)); me.JSON200 == nil {
		t.Fatalf("control token refused: %d %s", me.StatusCode(), me.Body)
	}

	cases := map[string]string{
		"alg none":            forge(t, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, "at+jwt", claims(nil)),
		"other key":           forge(t, jwt.SigningMethodHS256, []byte("another-secret-another-secret-123"), "at+jwt", claims(nil)),
		"HS512 same key":      forge(t, jwt.SigningMethodHS512, secret, "at+jwt", claims(nil)),
		"RS256":               forge(t, jwt.SigningMethodRS256, rsaKey, "at+jwt", claims(nil)),
		"expired":             forge(t, jwt.SigningMethodHS256, secret, "at+jwt", claims(func(c jwt.MapClaims) { c["exp"] = time.Now().Add(-time.Minute).Unix() })),
		"no exp":              forge(t, jwt.SigningMethodHS256, secret, "at+jwt", claims(func(c jwt.MapClaims) { delete(c, "exp") })),
		"not yet valid":       forge(t, jwt.SigningMethodHS256, secret, "at+jwt", claims(func(c jwt.MapClaims) { c["nbf"] = time.Now().Add(time.Hour).Unix() })),
		"issued in future":    forge(t, jwt.SigningMethodHS256, secret, "at+jwt", claims(func(c jwt.MapClaims) { c["iat"] = time.Now().Add(time.Hour).Unix() })),
		"wrong issuer":        forge(t, jwt.SigningMethodHS256, secret, "at+jwt", claims(func(c jwt.MapClaims) { c["iss"] = "evil" })),
		"no issuer":           forge(t, jwt.SigningMethodHS256, secret, "at+jwt", claims(func(c jwt.MapClaims) { delete(c, "iss") })),
		"wrong audience":      forge(t, jwt.SigningMethodHS256, secret, "at+jwt", claims(func(c jwt.MapClaims) { c["aud"] = []string{"other-app"} })),
		"wrong typ":           forge(t, jwt.SigningMethodHS256, secret, "JWT", claims(nil)),
		"no typ":              forge(t, jwt.SigningMethodHS256, secret, "", claims(nil)),
		"unknown session":     forge(t, jwt.SigningMethodHS256, secret, "at+jwt", claims(func(c jwt.MapClaims) { c["sid"] = uuid.NewString() })),
		"other user's sid":    forge(t, jwt.SigningMethodHS256, secret, "at+jwt", claims(func(c jwt.MapClaims) { c["sid"] = otherReal["sid"] })),
		"other sub":           forge(t, jwt.SigningMethodHS256, secret, "at+jwt", claims(func(c jwt.MapClaims) { c["sub"] = otherReal["sub"] })),
		"sub not a uuid":      forge(t, jwt.SigningMethodHS256, secret, "at+jwt", claims(func(c jwt.MapClaims) { c["sub"] = "admin" })),
		"tampered payload":    tamper(session.AccessToken),
		"garbage":             "not.a.jwt",
		"refresh token":       session.RefreshToken.String(),
		"truncated signature": session.AccessToken[:len(session.AccessToken)-4],
	}
	for name, token := range cases {
		me, err := env.Client.GetMeWithResponse(context.Background(), apitest.Bearer(token))
		if err != nil {
			t.Fatal(err)
		}
		if me.JSON401 == nil || me.JSON401.Error != api.ErrorCodeInvalidToken {
			t.Errorf("%s: %d %s, want 401 invalid_token", name, me.StatusCode(), me.Body)
			continue
		}
		if !strings.Contains(me.HTTPResponse.Header.Get("WWW-Authenticate"), "Bearer") {
			t.Errorf("%s: WWW-Authenticate = %q", name, me.HTTPResponse.Header.Get("WWW-Authenticate"))
		}
	}
}

func tamper(token string) string {
	parts := strings.Split(token, ".")
	payload := []byte(parts[1])
	payload[len(payload)/2] ^= 1
	parts[1] = string(payload)
	return strings.Join(parts, ".")
}

func TestMissingOrMalformedAuthorization(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	session := env.Register(apitest.UniqueEmail("header"))
	for name, header := range map[string]string{
		"none":         "",
		"basic":        "Basic dXNlcjpwYXNz",
		"bearer empty": "Bearer ",
		"token only":   session.AccessToken,
	} {
		var headers []string
		if header != "" {
			headers = []string{"Authorization", header}
		}
		resp := env.Do(http.MethodGet, "/api/me", "", nil, headers...)
		if resp.Status != http.StatusUnauthorized || resp.Header.Get("WWW-Authenticate") == "" {
			t.Errorf("%s: %d %s, want 401 with WWW-Authenticate", name, resp.Status, resp.Body)
		}
	}
	lower := env.Do(http.MethodGet, "/api/me", "", nil, "Authorization", "bearer "+session.AccessToken)
	if lower.Status != http.StatusOK {
		t.Errorf("lower-case scheme: %d, want 200 (RFC 7235 schemes are case-insensitive)", lower.Status)
	}
}

// The access token carries the documented claims and header, and expires_in matches exp - iat.
func TestAccessTokenShape(t *testing.T) {
	t.Parallel()
	env := apitest.New(t, func(c *apitest.Config) {
		c.AccessTokenTTL = 90 * time.Second
		c.Issuer = "https://auth.example"
		c.Audience = "my-app"
	})
	session := env.Register(apitest.UniqueEmail("shape"))
	var claims jwt.MapClaims
	token, _, err := jwt.NewParser().ParseUnverified(session.AccessToken, &claims)
	if err != nil {
		t.Fatal(err)
	}
	if token.Header["alg"] != "ES256" || token.Header["typ"] != "at+jwt" || token.Header["kid"] == "" {
		t.Errorf("header = %v", token.Header)
	}
	for _, claim := range []string{"iss", "aud", "sub", "iat", "exp", "jti", "sid", "client_id"} {
		if _, ok := claims[claim]; !ok {
			t.Errorf("claim %s missing: %v", claim, claims)
		}
	}
	if claims["iss"] != "https://auth.example" || claims["sub"] != session.User.Id.String() || claims["client_id"] != "authd" {
		t.Errorf("claims = %v", claims)
	}
	exp, _ := claims.GetExpirationTime()
	iat, _ := claims.GetIssuedAt()
	if got := exp.Sub(iat.Time); got != 90*time.Second || session.ExpiresIn != 90 {
		t.Errorf("exp - iat = %s, expires_in = %d, want 90s", got, session.ExpiresIn)
	}
}
