package verify_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/authd/authd/verify"
)

// A resource server protects its API with authd's published keys. Here a stand-in for authd serves a key
// set and signs a token the way authd does; in a real service Issuer is authd's AUTHD_PUBLIC_URL.
func Example() {
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	authd := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		raw, _ := key.PublicKey.ECDH()
		b := raw.Bytes()
		_ = json.NewEncoder(w).Encode(map[string]any{"keys": []map[string]string{{"kty": "EC", "crv": "P-256", "use": "sig",
			"alg": "ES256", "kid": "k1", "x": base64.RawURLEncoding.EncodeToString(b[1:33]), "y": base64.RawURLEncoding.EncodeToString(b[33:])}}})
	}))
	defer authd.Close()

	v, err := verify.New(context.Background(), verify.Config{Issuer: authd.URL, Audience: "my-api", JWKSURL: authd.URL + "/.well-known/jwks.json"})
	if err != nil {
		panic(err)
	}
	api := v.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		claims, _ := verify.ClaimsFrom(r.Context())
		fmt.Fprintf(w, "hello %s", claims.Subject)
	}))

	token := jwt.NewWithClaims(jwt.SigningMethodES256, jwt.MapClaims{"iss": authd.URL, "aud": "my-api", "sub": "user-42",
		"iat": time.Now().Unix(), "exp": time.Now().Add(time.Minute).Unix()})
	token.Header["typ"], token.Header["kid"] = "at+jwt", "k1"
	signed, _ := token.SignedString(key)

	for _, authorization := range []string{"Bearer " + signed, "Bearer not-a-token"} {
		var resp *httptest.ResponseRecorder
		for range 50 { // the key set is fetched in the background at first
			resp = httptest.NewRecorder()
			req := httptest.NewRequest(http.MethodGet, "/orders", nil)
			req.Header.Set("Authorization", authorization)
			api.ServeHTTP(resp, req)
			if resp.Code == http.StatusOK || authorization != "Bearer "+signed {
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
		if resp.Code == http.StatusOK {
			fmt.Println(resp.Code, resp.Body.String())
		} else {
			fmt.Println(resp.Code, resp.Header().Get("WWW-Authenticate"))
		}
	}
	// Output:
	// 200 hello user-42
	// 401 Bearer realm="authd", error="invalid_token"
}
