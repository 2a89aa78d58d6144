package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/authd/authd/internal/testdb"
)

// TestMain lets the tests run this binary as authd itself: a real process to stop and to signal.
func TestMain(m *testing.M) {
	if os.Getenv("AUTHD_TEST_RUN_MAIN") == "1" {
		main()
		return
	}
	os.Exit(m.Run())
}

type process struct {
	cmd  *exec.Cmd
	base string
	done chan error
}

func startAuthd(t *testing.T, databaseURL string, env ...string) *process {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	cmd := exec.Command(os.Args[0], "serve")
	cmd.Env = append(os.Environ(), "AUTHD_TEST_RUN_MAIN=1", "DATABASE_URL="+databaseURL, "AUTHD_ADDR="+addr,
		"AUTHD_SECRET_KEY=test-sealing-key-test-sealing-key-test!", "AUTHD_MEDIA_DIR="+t.TempDir(), "AUTHD_LOG_LEVEL=warn",
		"AUTHD_RATE_LIMIT_PER_IP=0")
	cmd.Env = append(cmd.Env, env...)
	cmd.Stdout, cmd.Stderr = io.Discard, os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &process{cmd: cmd, base: "http://" + addr, done: make(chan error, 1)}
	go func() { p.done <- cmd.Wait() }()
	t.Cleanup(func() { _ = cmd.Process.Kill() })
	p.waitFor(t, "/readyz", http.StatusOK, 30*time.Second)
	return p
}

func (p *process) do(t *testing.T, method, path, body string) (*http.Response, time.Duration) {
	t.Helper()
	req, _ := http.NewRequest(method, p.base+path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	start := time.Now()
	resp, err := (&http.Client{Timeout: 20 * time.Second}).Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp, time.Since(start)
}

func (p *process) waitFor(t *testing.T, path string, status int, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		resp, err := http.Get(p.base + path)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == status {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s did not answer %d within %s", path, status, within)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func register(email string) string {
	return fmt.Sprintf(`{"email":%q,"password":"correct horse battery staple"}`, email)
}

// PostgreSQL stops under a running authd: requests that need it answer 503 with Retry-After within 5 s,
// /readyz says 503, /healthz stays 200, nothing half-done is left, and authd recovers by itself.
func TestDatabaseStopsAndStarts(t *testing.T) {
	cluster := testdb.NewCluster(t)
	p := startAuthd(t, cluster.URL())
	if resp, _ := p.do(t, http.MethodPost, "/api/register", register("before@example.com")); resp.StatusCode != http.StatusCreated {
		t.Fatalf("register before the outage: %d", resp.StatusCode)
	}

	cluster.Stop()
	for _, r := range []struct{ method, path, body string }{
		{http.MethodPost, "/api/register", register("during@example.com")},
		{http.MethodPost, "/api/login", register("before@example.com")},
		{http.MethodPost, "/api/refresh", `{"refresh_token":"7c9e6679-7425-40de-944b-e07fc1f90ae7"}`},
		{http.MethodGet, "/readyz", ""},
	} {
		resp, took := p.do(t, r.method, r.path, r.body)
		if resp.StatusCode != http.StatusServiceUnavailable {
			t.Errorf("%s %s with PostgreSQL stopped: %d, want 503", r.method, r.path, resp.StatusCode)
		}
		if s, err := strconv.Atoi(resp.Header.Get("Retry-After")); err != nil || s < 1 {
			t.Errorf("%s %s: Retry-After %q", r.method, r.path, resp.Header.Get("Retry-After"))
		}
		if took > 5*time.Second {
			t.Errorf("%s %s took %s", r.method, r.path, took)
		}
	}
	if resp, _ := p.do(t, http.MethodGet, "/healthz", ""); resp.StatusCode != http.StatusOK {
		t.Errorf("healthz with PostgreSQL stopped: %d, want 200", resp.StatusCode)
	}

	cluster.Start()
	p.waitFor(t, "/readyz", http.StatusOK, 15*time.Second)
	if resp, _ := p.do(t, http.MethodPost, "/api/register", register("during@example.com")); resp.StatusCode != http.StatusCreated {
		t.Errorf("the user whose registration got 503 exists, or authd did not recover: %d", resp.StatusCode)
	}
}

// SIGTERM: authd stops accepting, lets the request in flight finish, and exits 0.
func TestSIGTERMFinishesInFlightRequests(t *testing.T) {
	p := startAuthd(t, testdb.URL(t))
	body, writer := io.Pipe()
	respCh := make(chan *http.Response, 1)
	go func() {
		req, _ := http.NewRequestWithContext(context.Background(), http.MethodPost, p.base+"/api/register", body)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Errorf("in-flight request: %v", err)
		}
		respCh <- resp
	}()
	_, _ = writer.Write([]byte(`{"email":"inflight@example.com",`))
	time.Sleep(300 * time.Millisecond)
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond)
	if _, err := http.Get(p.base + "/healthz"); err == nil {
		t.Error("a new connection was accepted after SIGTERM")
	}
	_, _ = writer.Write([]byte(`"password":"correct horse battery staple"}`))
	writer.Close()
	if resp := <-respCh; resp == nil || resp.StatusCode != http.StatusCreated {
		t.Errorf("in-flight request after SIGTERM: %v", resp)
	}
	select {
	case err := <-p.done:
		if err != nil {
			t.Errorf("authd exited with %v, want status 0", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("authd did not exit after SIGTERM")
	}
}

// A client that sends its headers a byte at a time (slowloris) is cut off after AUTHD_READ_HEADER_TIMEOUT,
// however steadily it trickles.
func TestSlowHeadersAreCutOff(t *testing.T) {
	t.Parallel()
	p := startAuthd(t, testdb.URL(t), "AUTHD_READ_HEADER_TIMEOUT=1s")
	conn, err := net.Dial("tcp", strings.TrimPrefix(p.base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	start := time.Now()
	if _, err := io.WriteString(conn, "GET /healthz HTTP/1.1\r\nHost: authd\r\n"); err != nil {
		t.Fatal(err)
	}
	for {
		time.Sleep(200 * time.Millisecond)
		if _, err := io.WriteString(conn, "X"); err != nil {
			break // the server closed the connection
		}
		if time.Since(start) > 5*time.Second {
			t.Fatal("a trickling client was still connected after 5 s")
		}
	}
	if took := time.Since(start); took < 900*time.Millisecond {
		t.Errorf("cut off after %s, before the 1 s timeout", took)
	}
	t.Logf("cut off after %s", time.Since(start))
}
