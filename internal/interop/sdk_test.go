package interop

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
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

// The SDK installs as a package would from its tarball (make sdk): a fresh project installs it with npm,
// compiles against it under tsc --strict without skipLibCheck, where a misspelt field and an unknown path
// do not compile (the schema types ship in dist/), and the program that does compile runs against a live
// authd.
func TestTypeScriptSDKInstallsFromItsTarball(t *testing.T) {
	node := requireNode(t)
	sdk := filepath.Join(filepath.Dir(interopDir(t)), "..", "sdk", "typescript")
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	run := func(dir string, env []string, name string, args ...string) (string, error) {
		t.Helper()
		cmd := exec.CommandContext(ctx, name, args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), env...)
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	must := func(dir string, name string, args ...string) string {
		t.Helper()
		out, err := run(dir, nil, name, args...)
		if err != nil {
			t.Fatalf("%s %v: %v\n%s", name, args, err, out)
		}
		return out
	}
	if _, err := os.Stat(filepath.Join(sdk, "node_modules", "typescript")); err != nil {
		must(sdk, "npm", "ci", "--no-audit", "--no-fund", "--loglevel=error")
	}
	must(sdk, node, "node_modules/typescript/bin/tsc", "-p", "tsconfig.json")
	packs := t.TempDir()
	tarball := strings.TrimSpace(must(sdk, "npm", "pack", "--silent", "--pack-destination", packs))
	tarball = filepath.Join(packs, filepath.Base(strings.Split(tarball, "\n")[len(strings.Split(tarball, "\n"))-1]))

	app := t.TempDir()
	files := map[string]string{
		"package.json": `{"name": "consumer", "private": true, "type": "module"}`,
		"tsconfig.json": `{"compilerOptions": {"target": "ES2022", "module": "NodeNext", "moduleResolution": "NodeNext",
			"strict": true, "skipLibCheck": false, "outDir": "dist", "lib": ["ES2022", "DOM"]}, "include": ["good.ts"]}`,
		"tsconfig.bad.json": `{"extends": "./tsconfig.json", "compilerOptions": {"noEmit": true}, "include": ["bad.ts"]}`,
		"good.ts": `import { createAuthdClient, AuthdError } from "@authd/client";
declare const process: { env: Record<string, string | undefined> };
const client = createAuthdClient({ baseUrl: process.env.AUTHD_URL ?? "" });
const email = "consumer" + Date.now() + "@example.com";
const session = await client.register({ email, password: "correct horse battery staple" });
const me = await client.me();
try {
  await client.login(email, "wrong password!");
} catch (err) {
  if (!(err instanceof AuthdError) || err.code !== "invalid_credentials") throw err;
}
console.log(session.user.email === me.email ? "ok " + me.email : "mismatch");
`,
		"bad.ts": `import { createAuthdClient } from "@authd/client";
const client = createAuthdClient({ baseUrl: "http://127.0.0.1:1" });
await client.register({ emial: "x@example.com", password: "correct horse battery staple" });
await client.api.GET("/api/no-such-path");
`,
	}
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(app, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	must(app, "npm", "install", "--no-audit", "--no-fund", "--loglevel=error", tarball)
	tsc := filepath.Join(sdk, "node_modules", "typescript", "bin", "tsc")
	must(app, node, tsc, "-p", "tsconfig.json")
	out, err := run(app, nil, node, tsc, "-p", "tsconfig.bad.json")
	if err == nil || !strings.Contains(out, "bad.ts(3,") || !strings.Contains(out, "emial") || !strings.Contains(out, "bad.ts(4,") {
		t.Fatalf("a misspelt field and an unknown path compiled (or failed for another reason):\n%s", out)
	}
	env := apitest.New(t)
	out, err = run(app, []string{"AUTHD_URL=" + env.Server.URL}, node, "dist/good.js")
	if err != nil || !strings.HasPrefix(strings.TrimSpace(out), "ok consumer") {
		t.Fatalf("the consumer against a live authd: %v\n%s", err, out)
	}
}
