// Package interop checks that standard JOSE libraries in other languages verify authd's access tokens
// with nothing but its published keys.
package interop

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/authd/authd/internal/apitest"
)

// interopDir is tools/interop, where the Node script and its locked dependencies are.
func interopDir(t *testing.T) string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "tools", "interop")
}

// requireNode finds node and installs the locked jose; without node the test is skipped, unless
// AUTHD_REQUIRE_NODE is set (as CI does), when it fails.
func requireNode(t *testing.T) string {
	t.Helper()
	node, err := exec.LookPath("node")
	if err != nil {
		if os.Getenv("AUTHD_REQUIRE_NODE") != "" {
			t.Fatal("node is required (AUTHD_REQUIRE_NODE is set) but not installed")
		}
		t.Skip("node is not installed")
	}
	dir := interopDir(t)
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "jose")); err != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, "npm", "ci", "--no-audit", "--no-fund", "--loglevel=error")
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("npm ci in %s: %v\n%s", dir, err, out)
		}
	}
	return node
}

func joseVerify(t *testing.T, node string, env *apitest.Env, token string) (map[string]string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, "verify.mjs", env.Server.URL+"/.well-known/jwks.json", env.Config.PublicURL, "authd", token)
	cmd.Dir = interopDir(t)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, &joseError{err: err, stderr: stderr.String()}
	}
	var result map[string]string
	if err := json.Unmarshal(out, &result); err != nil {
		t.Fatalf("verify.mjs printed %q", out)
	}
	return result, nil
}

type joseError struct {
	err    error
	stderr string
}

func (e *joseError) Error() string { return e.err.Error() + ": " + strings.TrimSpace(e.stderr) }

// jose (createRemoteJWKSet + jwtVerify with issuer, audience and typ) verifies a live authd token for
// each algorithm, and refuses a tampered one and one whose signature belongs to another token.
func TestJoseVerifiesLiveTokens(t *testing.T) {
	node := requireNode(t)
	for _, alg := range []string{"ES256", "EdDSA", "RS256"} {
		t.Run(alg, func(t *testing.T) {
			t.Parallel()
			env := apitest.New(t, func(c *apitest.Config) { c.JWTAlg = alg })
			session := env.Register(apitest.UniqueEmail("jose"))
			got, err := joseVerify(t, node, env, session.AccessToken)
			if err != nil {
				t.Fatalf("jose refused a live %s token: %v", alg, err)
			}
			if got["alg"] != alg || got["sub"] != session.User.Id.String() || got["kid"] == "" {
				t.Errorf("jose saw %v", got)
			}
			parts := strings.Split(session.AccessToken, ".")
			other := env.Register(apitest.UniqueEmail("jose"))
			otherParts := strings.Split(other.AccessToken, ".")
			for name, token := range map[string]string{
				"tampered payload":          parts[0] + "." + otherParts[1] + "." + parts[2],
				"tampered signature":        parts[0] + "." + parts[1] + "." + strings.Repeat("A", len(parts[2])),
				"another token's signature": parts[0] + "." + parts[1] + "." + otherParts[2],
			} {
				if _, err := joseVerify(t, node, env, token); err == nil {
					t.Errorf("jose accepted a token with a %s", name)
				}
			}
		})
	}
}
