package httpapi_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/MicahParks/keyfunc/v3"
	"github.com/golang-jwt/jwt/v5"

	"github.com/authd/authd/gen/api"
	"github.com/authd/authd/internal/apitest"
	"github.com/authd/authd/internal/app"
	"github.com/authd/authd/internal/signing"
)

func withAlg(alg string) apitest.Option { return func(c *apitest.Config) { c.JWTAlg = alg } }

func tokenHeader(t *testing.T, token string) map[string]any {
	t.Helper()
	parsed, _, err := jwt.NewParser().ParseUnverified(token, jwt.MapClaims{})
	if err != nil {
		t.Fatal(err)
	}
	return parsed.Header
}

func jwks(t *testing.T, env *apitest.Env) (apitest.Response, map[string]map[string]any) {
	t.Helper()
	r := env.Do(http.MethodGet, "/.well-known/jwks.json", "", nil)
	if r.Status != http.StatusOK {
		t.Fatalf("JWKS: %d %s", r.Status, r.Body)
	}
	var set struct {
		Keys []map[string]any `json:"keys"`
	}
	if err := json.Unmarshal(r.Body, &set); err != nil {
		t.Fatal(err)
	}
	byKid := map[string]map[string]any{}
	for _, k := range set.Keys {
		byKid[k["kid"].(string)] = k
	}
	return r, byKid
}

// verifyWithJWKS checks a token the way a resource server would: with the published key set only.
func verifyWithJWKS(t *testing.T, body []byte, token, issuer string) error {
	t.Helper()
	kf, err := keyfunc.NewJWKSetJSON(body)
	if err != nil {
		t.Fatal(err)
	}
	_, err = jwt.Parse(token, kf.Keyfunc, jwt.WithValidMethods([]string{"ES256", "EdDSA", "RS256"}), jwt.WithIssuer(issuer),
		jwt.WithAudience("authd"), jwt.WithExpirationRequired())
	return err
}

// Each algorithm signs with a key whose kid is in the published key set, in RFC 7517 shape, and the key set
// alone verifies the token; the metadata points at the key set and names the issuer of the tokens.
func TestEachAlgorithmSignsAndPublishes(t *testing.T) {
	t.Parallel()
	members := map[string][]string{"ES256": {"kty", "use", "alg", "kid", "crv", "x", "y"}, "EdDSA": {"kty", "use", "alg", "kid", "crv", "x"},
		"RS256": {"kty", "use", "alg", "kid", "n", "e"}}
	for alg, want := range members {
		t.Run(alg, func(t *testing.T) {
			t.Parallel()
			env := apitest.New(t, withAlg(alg))
			session := env.Register(apitest.UniqueEmail("alg"))
			header := tokenHeader(t, session.AccessToken)
			if header["alg"] != alg || header["typ"] != "at+jwt" {
				t.Fatalf("header %v", header)
			}
			r, keys := jwks(t, env)
			key, ok := keys[header["kid"].(string)]
			if !ok || len(keys) != 1 {
				t.Fatalf("kid %v not in the key set %s", header["kid"], r.Body)
			}
			if len(key) != len(want) || key["alg"] != alg || key["use"] != "sig" {
				t.Errorf("JWK %v, want exactly the members %v", key, want)
			}
			for _, m := range want {
				if _, ok := key[m]; !ok {
					t.Errorf("JWK lacks %s: %v", m, key)
				}
			}
			for _, private := range []string{"d", "p", "q", "dp", "dq", "qi", "k"} {
				if _, ok := key[private]; ok {
					t.Errorf("JWK has the private member %s", private)
				}
			}
			if err := verifyWithJWKS(t, r.Body, session.AccessToken, env.Config.PublicURL); err != nil {
				t.Errorf("the key set does not verify the token: %v", err)
			}
			tampered := session.AccessToken[:len(session.AccessToken)-6] + "AAAAAA"
			if err := verifyWithJWKS(t, r.Body, tampered, env.Config.PublicURL); err == nil {
				t.Error("the key set verifies a tampered token")
			}
			if me, _ := env.Client.GetMeWithResponse(context.Background(), apitest.Bearer(session.AccessToken)); me.JSON200 == nil {
				t.Errorf("authd refuses its own token: %d", me.StatusCode())
			}
			for _, path := range []string{"/.well-known/oauth-authorization-server", "/.well-known/openid-configuration"} {
				meta := env.Do(http.MethodGet, path, "", nil)
				var m api.ServerMetadata
				if err := json.Unmarshal(meta.Body, &m); err != nil || meta.Status != http.StatusOK {
					t.Fatalf("%s: %d %s", path, meta.Status, meta.Body)
				}
				if m.Issuer != env.Config.PublicURL || m.JwksUri == nil || *m.JwksUri != env.Config.PublicURL+"/.well-known/jwks.json" ||
					len(m.AccessTokenSigningAlgValuesSupported) != 1 || string(m.AccessTokenSigningAlgValuesSupported[0]) != alg {
					t.Errorf("%s: %s", path, meta.Body)
				}
				if strings.Contains(string(meta.Body), "token_endpoint") || strings.Contains(string(meta.Body), "id_token") {
					t.Errorf("%s claims endpoints authd does not serve: %s", path, meta.Body)
				}
			}
		})
	}
}

// The key set may be cached for at most half the publish-ahead time, and answers If-None-Match with 304.
func TestKeySetCaching(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	r, _ := jwks(t, env)
	etag := r.Header.Get("ETag")
	if etag == "" || !strings.HasPrefix(r.Header.Get("Cache-Control"), "public, max-age=") {
		t.Fatalf("headers %v", r.Header)
	}
	age, _ := strconv.Atoi(strings.TrimPrefix(r.Header.Get("Cache-Control"), "public, max-age="))
	if age <= 0 || age > 1800 {
		t.Errorf("max-age %d, want at most half the publish-ahead time (3600 s)", age)
	}
	if again := env.Do(http.MethodGet, "/.well-known/jwks.json", "", nil, "If-None-Match", etag); again.Status != http.StatusNotModified || len(again.Body) != 0 {
		t.Errorf("If-None-Match: %d %s, want 304", again.Status, again.Body)
	}
	admin := env.NewAdmin(apitest.UniqueEmail("cacheadmin"))
	settings, _ := env.Client.UpdateSettingsWithResponse(context.Background(), api.SettingsUpdate{KeyPublishAheadSeconds: ptr[int64](60)}, apitest.Bearer(admin.AccessToken))
	if settings.JSON200 == nil {
		t.Fatal(string(settings.Body))
	}
	if got := env.Do(http.MethodGet, "/.well-known/jwks.json", "", nil).Header.Get("Cache-Control"); got != "public, max-age=30" {
		t.Errorf("Cache-Control %q with a 60 s publish-ahead time, want public, max-age=30", got)
	}
	rotated, _ := env.Client.RotateSigningKeysWithResponse(context.Background(), api.RotateSigningKeysJSONRequestBody{Now: ptr(true)}, apitest.Bearer(admin.AccessToken))
	if rotated.JSON200 == nil {
		t.Fatal(string(rotated.Body))
	}
	if r := env.Do(http.MethodGet, "/.well-known/jwks.json", "", nil, "If-None-Match", etag); r.Status != http.StatusOK || r.Header.Get("ETag") == etag {
		t.Errorf("after a rotation: %d, ETag %s (was %s)", r.Status, r.Header.Get("ETag"), etag)
	}
}

// With HS256 nothing is published, and the metadata has no jwks_uri.
func TestSharedSecretPublishesNoKeys(t *testing.T) {
	t.Parallel()
	env := apitest.New(t, apitest.WithHS256)
	if r := env.Do(http.MethodGet, "/.well-known/jwks.json", "", nil); r.Status != http.StatusNotFound || r.Error(t).Error != api.ErrorCodeNotFound {
		t.Errorf("JWKS with HS256: %d %s", r.Status, r.Body)
	}
	meta := env.Do(http.MethodGet, "/.well-known/oauth-authorization-server", "", nil)
	if meta.Status != http.StatusOK || strings.Contains(string(meta.Body), "jwks_uri") || !strings.Contains(string(meta.Body), `"HS256"`) {
		t.Errorf("metadata with HS256: %s", meta.Body)
	}
	admin := env.NewAdmin(apitest.UniqueEmail("hsadmin"))
	if r, _ := env.Client.RotateSigningKeysWithResponse(context.Background(), api.RotateSigningKeysJSONRequestBody{}, apitest.Bearer(admin.AccessToken)); r.JSON409 == nil {
		t.Errorf("rotation with HS256: %d %s, want 409", r.StatusCode(), r.Body)
	}
	if r, _ := env.Client.ListSigningKeysWithResponse(context.Background(), apitest.Bearer(admin.AccessToken)); r.JSON200 == nil || len(r.JSON200.Keys) != 0 || r.JSON200.Alg != "HS256" {
		t.Errorf("key list with HS256: %s", r.Body)
	}
}

// forgeWith signs claims copied from a real token with another key or algorithm.
func forgeWith(t *testing.T, real string, method jwt.SigningMethod, key any, header map[string]any) string {
	t.Helper()
	claims := jwt.MapClaims{}
	if _, _, err := jwt.NewParser().ParseUnverified(real, claims); err != nil {
		t.Fatal(err)
	}
	token := jwt.NewWithClaims(method, claims)
	for k, v := range header {
		token.Header[k] = v
	}
	s, err := token.SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// Tokens not signed by a published key of the configured algorithm are refused: another key under the
// real kid, an unknown or missing kid, algorithm confusion with the public key as an HMAC secret, none.
func TestForgedES256TokensAreRefused(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	session := env.Register(apitest.UniqueEmail("es256victim"))
	kid := tokenHeader(t, session.AccessToken)["kid"].(string)
	_, keys := jwks(t, env)
	publicJSON, _ := json.Marshal(keys[kid])
	x, _ := base64.RawURLEncoding.DecodeString(keys[kid]["x"].(string))
	y, _ := base64.RawURLEncoding.DecodeString(keys[kid]["y"].(string))
	public, err := ecdsa.ParseUncompressedPublicKey(elliptic.P256(), append(append([]byte{4}, x...), y...))
	if err != nil {
		t.Fatal(err)
	}
	publicDER, err := x509.MarshalPKIXPublicKey(public)
	if err != nil {
		t.Fatal(err)
	}
	attacker, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	at := map[string]any{"typ": "at+jwt"}
	with := func(extra map[string]any) map[string]any {
		h := map[string]any{"typ": "at+jwt"}
		for k, v := range extra {
			h[k] = v
		}
		return h
	}
	cases := map[string]string{
		"attacker key, real kid":         forgeWith(t, session.AccessToken, jwt.SigningMethodES256, attacker, with(map[string]any{"kid": kid})),
		"attacker key, unknown kid":      forgeWith(t, session.AccessToken, jwt.SigningMethodES256, attacker, with(map[string]any{"kid": "attacker"})),
		"attacker key, no kid":           forgeWith(t, session.AccessToken, jwt.SigningMethodES256, attacker, at),
		"HS256 with the JWK as secret":   forgeWith(t, session.AccessToken, jwt.SigningMethodHS256, publicJSON, with(map[string]any{"kid": kid})),
		"HS256 with the DER as secret":   forgeWith(t, session.AccessToken, jwt.SigningMethodHS256, publicDER, with(map[string]any{"kid": kid})),
		"HS256 with the test secret":     forgeWith(t, session.AccessToken, jwt.SigningMethodHS256, []byte(apitest.Secret), at),
		"alg none":                       forgeWith(t, session.AccessToken, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, with(map[string]any{"kid": kid})),
		"kid not a string":               forgeWith(t, session.AccessToken, jwt.SigningMethodES256, attacker, with(map[string]any{"kid": 7})),
		"real token, header kid swapped": swapKid(t, session.AccessToken, "attacker"),
	}
	for name, token := range cases {
		if me, _ := env.Client.GetMeWithResponse(context.Background(), apitest.Bearer(token)); me.JSON401 == nil {
			t.Errorf("%s: %d, want 401", name, me.StatusCode())
		}
	}
	if me, _ := env.Client.GetMeWithResponse(context.Background(), apitest.Bearer(session.AccessToken)); me.JSON200 == nil {
		t.Errorf("the real token: %d", me.StatusCode())
	}
}

func swapKid(t *testing.T, token, kid string) string {
	t.Helper()
	parts := strings.SplitN(token, ".", 3)
	header, _ := base64.RawURLEncoding.DecodeString(parts[0])
	var h map[string]any
	_ = json.Unmarshal(header, &h)
	h["kid"] = kid
	b, _ := json.Marshal(h)
	return base64.RawURLEncoding.EncodeToString(b) + "." + parts[1] + "." + parts[2]
}

func keyStates(t *testing.T, env *apitest.Env) map[string]string {
	t.Helper()
	rows, err := env.DB.Query(context.Background(), "SELECT kid, state FROM signing_keys")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	states := map[string]string{}
	for rows.Next() {
		var kid, state string
		if err := rows.Scan(&kid, &state); err != nil {
			t.Fatal(err)
		}
		states[kid] = state
	}
	return states
}

// Rotation without downtime: the new key is published as next before it signs; once it signs, tokens of
// the old key keep working until they expire; then the old key is retired and its tokens are refused.
func TestKeyRotationLifecycle(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	ctx := context.Background()
	admin := env.NewAdmin(apitest.UniqueEmail("rotator"))
	bearer := apitest.Bearer(admin.AccessToken)
	oldKid := tokenHeader(t, admin.AccessToken)["kid"].(string)

	rotated, _ := env.Client.RotateSigningKeysWithResponse(ctx, api.RotateSigningKeysJSONRequestBody{}, bearer)
	if rotated.JSON200 == nil || len(rotated.JSON200.Keys) != 2 {
		t.Fatalf("rotate: %d %s", rotated.StatusCode(), rotated.Body)
	}
	var newKid string
	for kid, state := range keyStates(t, env) {
		if state == "next" {
			newKid = kid
		}
	}
	if newKid == "" {
		t.Fatalf("no next key: %v", keyStates(t, env))
	}
	if _, keys := jwks(t, env); keys[newKid] == nil || keys[oldKid] == nil {
		t.Fatalf("the next key is not published ahead: %v", keys)
	}
	if kid := tokenHeader(t, env.Login(admin.User.Email, apitest.Password).AccessToken)["kid"]; kid != oldKid {
		t.Fatalf("a next key signed before its publish-ahead time: %v", kid)
	}

	// The publish-ahead time passes.
	if _, err := env.DB.Exec(ctx, "UPDATE signing_keys SET created_at = now() - interval '2 hours' WHERE kid = $1", newKid); err != nil {
		t.Fatal(err)
	}
	if err := env.App.Keys.Maintain(ctx); err != nil {
		t.Fatal(err)
	}
	if states := keyStates(t, env); states[newKid] != "current" || states[oldKid] != "previous" {
		t.Fatalf("after the publish-ahead time: %v", states)
	}
	fresh := env.Login(admin.User.Email, apitest.Password)
	if kid := tokenHeader(t, fresh.AccessToken)["kid"]; kid != newKid {
		t.Fatalf("new tokens signed by %v, want %s", kid, newKid)
	}
	if me, _ := env.Client.GetMeWithResponse(ctx, bearer); me.JSON200 == nil {
		t.Fatalf("a token of the previous key was refused before it expired: %d", me.StatusCode())
	}
	var retireIn float64
	if err := env.DB.QueryRow(ctx, "SELECT extract(epoch FROM retire_at - deactivated_at) FROM signing_keys WHERE kid = $1", oldKid).Scan(&retireIn); err != nil {
		t.Fatal(err)
	}
	if retireIn != 30+60 {
		t.Errorf("the previous key retires %v s after it stopped signing, want the 30 s access TTL plus 60 s leeway", retireIn)
	}

	// Every token of the old key has expired: it is retired, unpublished, and verifies nothing.
	if _, err := env.DB.Exec(ctx, "UPDATE signing_keys SET retire_at = now() - interval '1 second' WHERE kid = $1", oldKid); err != nil {
		t.Fatal(err)
	}
	if err := env.App.Keys.Maintain(ctx); err != nil {
		t.Fatal(err)
	}
	if states := keyStates(t, env); states[oldKid] != "retired" {
		t.Fatalf("after its tokens expired: %v", states)
	}
	if _, keys := jwks(t, env); keys[oldKid] != nil || keys[newKid] == nil {
		t.Errorf("key set after retirement: %v", keys)
	}
	if me, _ := env.Client.GetMeWithResponse(ctx, bearer); me.JSON401 == nil {
		t.Errorf("a token of a retired key: %d, want 401", me.StatusCode())
	}
	if me, _ := env.Client.GetMeWithResponse(ctx, apitest.Bearer(fresh.AccessToken)); me.JSON200 == nil {
		t.Errorf("a token of the current key: %d", me.StatusCode())
	}
}

// A raised access-token lifetime keeps the previous key published long enough for the longest tokens it
// signed.
func TestPreviousKeyOutlivesTheLongestTokenItSigned(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	ctx := context.Background()
	admin := env.NewAdmin(apitest.UniqueEmail("ttladmin"))
	bearer := apitest.Bearer(admin.AccessToken)
	for _, ttl := range []int64{3600, 60} { // raised, then lowered again while the key signs
		if r, _ := env.Client.UpdateSettingsWithResponse(ctx, api.SettingsUpdate{AccessTokenTtlSeconds: ptr(ttl)}, bearer); r.JSON200 == nil {
			t.Fatal(string(r.Body))
		}
	}
	if r, _ := env.Client.RotateSigningKeysWithResponse(ctx, api.RotateSigningKeysJSONRequestBody{Now: ptr(true)}, bearer); r.JSON200 == nil {
		t.Fatal(string(r.Body))
	}
	var retireIn float64
	if err := env.DB.QueryRow(ctx, "SELECT extract(epoch FROM retire_at - deactivated_at) FROM signing_keys WHERE state = 'previous'").Scan(&retireIn); err != nil {
		t.Fatal(err)
	}
	if retireIn != 3600+60 {
		t.Errorf("previous key retires after %v s, want the longest lifetime in force while it signed (3600 s) plus 60 s", retireIn)
	}
}

// Automatic rotation publishes the successor key_publish_ahead_seconds before key_rotation_days are up.
func TestAutomaticRotation(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	ctx := context.Background()
	if err := env.App.Keys.Maintain(ctx); err != nil {
		t.Fatal(err)
	}
	if len(keyStates(t, env)) != 1 {
		t.Fatalf("a fresh key rotated: %v", keyStates(t, env))
	}
	if _, err := env.DB.Exec(ctx, "UPDATE signing_keys SET activated_at = now() - interval '89 days 23 hours' WHERE state = 'current'"); err != nil {
		t.Fatal(err)
	}
	if err := env.App.Keys.Maintain(ctx); err != nil {
		t.Fatal(err)
	}
	states := keyStates(t, env)
	next := 0
	for _, s := range states {
		if s == "next" {
			next++
		}
	}
	if next != 1 {
		t.Fatalf("an hour before the 90 days are up: %v, want one next key", states)
	}
	if err := env.App.Keys.Maintain(ctx); err != nil {
		t.Fatal(err)
	}
	if len(keyStates(t, env)) != 2 {
		t.Errorf("maintenance published another key: %v", keyStates(t, env))
	}
}

// Revocation is immediate: the key leaves the key set, its tokens are refused, and a new key signs.
func TestKeyRevocationIsImmediate(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	ctx := context.Background()
	session := env.Register(apitest.UniqueEmail("revoked"))
	kid := tokenHeader(t, session.AccessToken)["kid"].(string)
	if err := env.App.Keys.Revoke(ctx, kid); err != nil {
		t.Fatal(err)
	}
	if me, _ := env.Client.GetMeWithResponse(ctx, apitest.Bearer(session.AccessToken)); me.JSON401 == nil {
		t.Errorf("a token of a revoked key: %d, want 401", me.StatusCode())
	}
	if _, keys := jwks(t, env); keys[kid] != nil || len(keys) != 1 {
		t.Errorf("key set after revocation: %v", keys)
	}
	fresh := env.Login(session.User.Email, apitest.Password)
	if newKid := tokenHeader(t, fresh.AccessToken)["kid"]; newKid == kid {
		t.Error("the revoked key still signs")
	}
	if err := env.App.Keys.Revoke(ctx, "no-such-kid"); err == nil {
		t.Error("revoking an unknown kid succeeded")
	}
}

// Two instances on one database agree on the signing key within a second of a rotation on either.
func TestKeyRotationReachesEveryInstance(t *testing.T) {
	t.Parallel()
	first := apitest.New(t)
	second := first.SecondInstance()
	session := first.Register(apitest.UniqueEmail("twoinstances"))
	refreshToken := session.RefreshToken
	if err := first.App.Keys.Rotate(context.Background(), true); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	_, firstKeys := jwks(t, first)
	onFirst := refresh(t, first, refreshToken).JSON200
	newKid := tokenHeader(t, onFirst.AccessToken)["kid"].(string)
	refreshToken = onFirst.RefreshToken
	for {
		// A refresh on the second instance (no password hashing, so the loop is fast) shows what it signs with.
		pair := refresh(t, second, refreshToken).JSON200
		_, secondKeys := jwks(t, second)
		kid := tokenHeader(t, pair.AccessToken)["kid"].(string)
		refreshToken = pair.RefreshToken
		if kid == newKid && len(secondKeys) == len(firstKeys) && secondKeys[newKid] != nil {
			break
		}
		if time.Since(start) > time.Second {
			t.Fatalf("the second instance still signs with %s a second after the rotation (new key %s)", kid, newKid)
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Logf("the second instance signed with the new key after %s", time.Since(start))
}

// Private keys are stored sealed, open only with the secret they were sealed with, and appear in no
// response and no log line; a wrong secret stops authd at start instead of making a new key.
func TestPrivateKeysStaySecret(t *testing.T) { // not parallel: it swaps the default logger
	var logs bytes.Buffer
	previous := slog.Default()
	slog.SetDefault(slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})))
	env := apitest.New(t, withAlg("RS256"))
	admin := env.NewAdmin(apitest.UniqueEmail("sealadmin"))
	if r, _ := env.Client.RotateSigningKeysWithResponse(context.Background(), api.RotateSigningKeysJSONRequestBody{Now: ptr(true)}, apitest.Bearer(admin.AccessToken)); r.JSON200 == nil {
		t.Fatal(string(r.Body))
	}
	list := env.Do(http.MethodGet, "/api/admin/keys", "", nil, "Authorization", "Bearer "+admin.AccessToken)
	jwksResp, _ := jwks(t, env)
	slog.SetDefault(previous)

	sealer, _ := signing.NewSealer([]byte(apitest.SecretKey))
	rows, err := env.DB.Query(context.Background(), "SELECT kid, sealed_private FROM signing_keys")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		n++
		var kid string
		var sealed []byte
		if err := rows.Scan(&kid, &sealed); err != nil {
			t.Fatal(err)
		}
		if _, err := x509.ParsePKCS8PrivateKey(sealed); err == nil {
			t.Errorf("%s is stored in clear", kid)
		}
		priv, err := sealer.Open(kid, sealed)
		if err != nil {
			t.Fatalf("%s does not open with the secret: %v", kid, err)
		}
		der, _ := x509.MarshalPKCS8PrivateKey(priv)
		secretBits := []string{base64.StdEncoding.EncodeToString(der)[40:80], base64.RawURLEncoding.EncodeToString(der)[40:80]}
		for _, where := range []struct {
			name string
			body []byte
		}{{"logs", logs.Bytes()}, {"key list", list.Body}, {"key set", jwksResp.Body}} {
			for _, bit := range secretBits {
				if bytes.Contains(where.body, []byte(bit)) {
					t.Errorf("private key %s appears in the %s", kid, where.name)
				}
			}
		}
	}
	if n != 2 {
		t.Fatalf("%d keys stored, want 2", n)
	}

	wrong := env.Config
	wrong.SecretKey = "not-the-secret-the-keys-were-sealed-with"
	if _, err := app.New(context.Background(), wrong, env.Store); err == nil || !strings.Contains(err.Error(), "AUTHD_SECRET_KEY") {
		t.Errorf("start with the wrong secret: %v", err)
	}
	var after int
	if err := env.DB.QueryRow(context.Background(), "SELECT count(*) FROM signing_keys").Scan(&after); err != nil || after != n {
		t.Errorf("the wrong secret made keys: %d, want %d", after, n)
	}
}
