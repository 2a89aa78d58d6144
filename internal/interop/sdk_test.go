package interop

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/authd/authd/internal/apitest"
)

// The TypeScript SDK (sdk/typescript) builds with tsc --strict, and its tests pass against a live authd:
// register, me, expiry and automatic refresh, logout, the single-flight refresh, typed errors, and
// sign-in by emailed code.
func TestTypeScriptSDK(t *testing.T) {
	node := requireNode(t)
	dir := filepath.Join(filepath.Dir(interopDir(t)), "..", "sdk", "typescript")
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	run := func(name string, args ...string) {
		t.Helper()
		cmd := exec.CommandContext(ctx, name, args...)
		cmd.Dir = dir
		cmd.Env = os.Environ()
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("%s %v: %v\n%s", name, args, err, out)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "openapi-fetch")); err != nil {
		run("npm", "ci", "--no-audit", "--no-fund", "--loglevel=error")
	}
	run(node, "node_modules/typescript/bin/tsc", "-p", "tsconfig.json")

	env := apitest.New(t)
	// The tests read the sign-in codes authd mails from the test's SMTP server through this.
	mailbox := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got := env.Mail.To(r.URL.Query().Get("to"), r.URL.Query().Get("subject"))
		if len(got) == 0 {
			http.NotFound(w, r)
			return
		}
		_, _ = io.WriteString(w, got[len(got)-1].Text)
	}))
	defer mailbox.Close()
	cmd := exec.CommandContext(ctx, node, "--test", "test/")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "AUTHD_URL="+env.Server.URL, "AUTHD_TEST_MAILBOX_URL="+mailbox.URL)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("node --test: %v\n%s", err, out)
	}
	t.Logf("%s", out)
}
