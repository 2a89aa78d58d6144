package app_test

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/authd/authd/internal/apitest"
	"github.com/authd/authd/internal/app"
	"github.com/authd/authd/internal/testdb"
)

// Serve migrates an empty database, serves, and on cancellation (SIGTERM in main) stops accepting but
// lets the request in flight finish before returning without error.
func TestServeMigratesAndShutsDownGracefully(t *testing.T) {
	cfg := apitest.DefaultConfig()
	cfg.DatabaseURL = testdb.EmptyURL(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ready := make(chan string, 1)
	done := make(chan error, 1)
	go func() { done <- app.Serve(ctx, cfg, func(addr string) { ready <- addr }) }()
	var addr string
	select {
	case addr = <-ready:
	case err := <-done:
		t.Fatalf("Serve: %v", err)
	case <-time.After(30 * time.Second):
		t.Fatal("Serve did not become ready")
	}

	// A request whose body is still arriving when shutdown starts.
	body, writer := io.Pipe()
	respCh := make(chan *http.Response, 1)
	go func() {
		resp, err := http.Post("http://"+addr+"/api/register", "application/json", body)
		if err != nil {
			t.Errorf("in-flight request: %v", err)
			respCh <- nil
			return
		}
		respCh <- resp
	}()
	_, _ = writer.Write([]byte(`{"email":"inflight@example.com",`))
	time.Sleep(200 * time.Millisecond)
	cancel()
	time.Sleep(200 * time.Millisecond)
	_, _ = writer.Write([]byte(`"password":"` + apitest.Password + `"}`))
	writer.Close()

	resp := <-respCh
	if resp == nil {
		t.FailNow()
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Errorf("in-flight request: %d, want 201", resp.StatusCode)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Serve returned %v, want nil", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Serve did not return after shutdown")
	}
	if _, err := http.Get("http://" + addr + "/healthz"); err == nil || !strings.Contains(err.Error(), "refused") {
		t.Errorf("server still accepting after shutdown: %v", err)
	}
}
