// Package readme checks that the README's shell examples work as written: each `sh` block runs, in
// order, in bash against a real authd (bin/authd serve, as `make run` starts it), and a `json` block
// right after an `sh` block is the output its last command must print.
package readme

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/authd/authd/internal/apitest"
	"github.com/authd/authd/internal/testdb"
)

type block struct {
	lang, text string
	line       int
}

func readmeBlocks(t *testing.T, path string) []block {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var blocks []block
	var current *block
	for i, line := range strings.Split(string(data), "\n") {
		switch {
		case current == nil && strings.HasPrefix(line, "```") && len(line) > 3:
			current = &block{lang: strings.TrimPrefix(line, "```"), line: i + 1}
		case current != nil && line == "```":
			blocks = append(blocks, *current)
			current = nil
		case current != nil:
			current.text += line + "\n"
		}
	}
	return blocks
}

func TestReadmeExamplesRunAsWritten(t *testing.T) {
	if _, err := exec.LookPath("jq"); err != nil {
		if os.Getenv("AUTHD_REQUIRE_JQ") != "" {
			t.Fatal("jq is required (AUTHD_REQUIRE_JQ is set) but not installed")
		}
		t.Skip("jq is not installed")
	}
	_, file, _, _ := runtime.Caller(0)
	root := filepath.Join(filepath.Dir(file), "..", "..")
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()

	// What `make run` does: build bin/authd and serve it on a database of its own.
	build := exec.CommandContext(ctx, "go", "build", "-o", "bin/authd", "./cmd/authd")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	databaseURL := testdb.EmptyURL(t)
	env := append(os.Environ(), "DATABASE_URL="+databaseURL, "AUTHD_ADDR="+addr, "AUTHD_SECRET_KEY="+apitest.SecretKey,
		"AUTHD_MEDIA_DIR="+t.TempDir(), "AUTHD_MAIL_DIR="+t.TempDir(), "AUTHD_LOG_LEVEL=warn")
	server := exec.CommandContext(ctx, filepath.Join(root, "bin", "authd"), "serve")
	server.Env = env
	server.Stderr = os.Stderr
	if err := server.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = server.Process.Kill(); _ = server.Wait() })
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		if resp, err := http.Get("http://" + addr + "/readyz"); err == nil && resp.StatusCode == http.StatusOK {
			resp.Body.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("authd did not become ready")
		}
	}

	blocks := readmeBlocks(t, filepath.Join(root, "README.md"))
	ran := 0
	for i, b := range blocks {
		if b.lang != "sh" {
			continue
		}
		// The README's server is make run's 127.0.0.1:8080; this one listens elsewhere.
		script := strings.ReplaceAll(b.text, "127.0.0.1:8080", addr)
		cmd := exec.CommandContext(ctx, "bash", "-euo", "pipefail", "-c", script)
		cmd.Dir = root
		cmd.Env = env
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		if err := cmd.Run(); err != nil {
			t.Fatalf("README line %d: the sh block fails: %v\n%s\nstdout:\n%s\nstderr:\n%s", b.line, err, b.text, stdout.String(), stderr.String())
		}
		ran++
		if i+1 < len(blocks) && blocks[i+1].lang == "json" {
			assertSameJSON(t, blocks[i+1], stdout.Bytes())
		}
		t.Logf("README line %d ran:\n%s", b.line, stdout.String())
	}
	if ran < 4 {
		t.Fatalf("only %d sh blocks in the README", ran)
	}
}

// assertSameJSON compares the printed JSON with the README's, the timestamp aside.
func assertSameJSON(t *testing.T, want block, got []byte) {
	t.Helper()
	var w, g map[string]any
	if err := json.Unmarshal([]byte(want.text), &w); err != nil {
		t.Fatalf("README line %d: the json block does not parse: %v", want.line, err)
	}
	if err := json.Unmarshal(got, &g); err != nil {
		t.Fatalf("README line %d: the command before it printed %q, not JSON", want.line, got)
	}
	delete(w, "timestamp")
	delete(g, "timestamp")
	if !reflect.DeepEqual(w, g) {
		t.Errorf("README line %d shows\n%s\nbut the server answers\n%s", want.line, want.text, got)
	}
}
