// Command soak floods a real authd process with logins and shows that it holds: hashing stays bounded,
// the excess gets fast 503s (or 429s), peak RSS stays under 512 MiB, and /healthz and GET /api/me keep
// answering within 250 ms at p99. `make soak` runs it against bin/authd and a fresh database.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

func main() {
	binary := flag.String("authd", "bin/authd", "the authd binary")
	databaseURL := flag.String("database-url", os.Getenv("DATABASE_URL"), "an empty database for the run")
	clients := flag.Int("clients", 200, "concurrent login clients")
	duration := flag.Duration("duration", 30*time.Second, "how long to flood")
	flag.Parse()
	if err := run(*binary, *databaseURL, *clients, *duration); err != nil {
		fmt.Fprintln(os.Stderr, "soak:", err)
		os.Exit(1)
	}
}

type latencies struct {
	mu sync.Mutex
	d  []time.Duration
}

func (l *latencies) add(d time.Duration) { l.mu.Lock(); l.d = append(l.d, d); l.mu.Unlock() }

func (l *latencies) pct(p float64) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.d) == 0 {
		return 0
	}
	s := slices.Clone(l.d)
	slices.Sort(s)
	return s[int(float64(len(s)-1)*p)]
}

func run(binary, databaseURL string, clients int, duration time.Duration) error {
	if databaseURL == "" {
		return errors.New("-database-url (or DATABASE_URL) is required")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	addr := ln.Addr().String()
	ln.Close()
	cmd := exec.Command(binary, "serve")
	cmd.Env = append(os.Environ(), "DATABASE_URL="+databaseURL, "AUTHD_ADDR="+addr, "AUTHD_LOG_LEVEL=error",
		"AUTHD_SECRET_KEY=soak-sealing-key-soak-sealing-key-soak!", "AUTHD_MEDIA_DIR="+os.TempDir()+"/authd-soak-media",
		// The flood comes from one address; turning the per-IP limit off makes it reach the hashing bound.
		"AUTHD_RATE_LIMIT_PER_IP=0", "AUTHD_ACCESS_TOKEN_TTL=1h")
	cmd.Stdout, cmd.Stderr = io.Discard, os.Stderr
	if err := cmd.Start(); err != nil {
		return err
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	base := "http://" + addr
	client := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: clients + 10}}
	if err := waitReady(client, base); err != nil {
		return err
	}
	access, err := register(client, base, "soak-me@example.com")
	if err != nil {
		return err
	}
	if _, err := register(client, base, "soak-login@example.com"); err != nil {
		return err
	}

	ctx, cancel := context.WithTimeout(context.Background(), duration)
	defer cancel()
	var statuses sync.Map
	var loginLat, healthLat, meLat latencies
	var probeFailures atomic.Int64
	var peakRSS atomic.Int64
	var wg sync.WaitGroup
	body := []byte(`{"email":"soak-login@example.com","password":"correct horse battery staple"}`)
	for range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				start := time.Now()
				status := post(client, base+"/api/login", body)
				loginLat.add(time.Since(start))
				n, _ := statuses.LoadOrStore(status, new(atomic.Int64))
				n.(*atomic.Int64).Add(1)
			}
		}()
	}
	probe := func(path, token string, lat *latencies) {
		defer wg.Done()
		for ctx.Err() == nil {
			req, _ := http.NewRequest(http.MethodGet, base+path, nil)
			if token != "" {
				req.Header.Set("Authorization", "Bearer "+token)
			}
			start := time.Now()
			resp, err := client.Do(req)
			lat.add(time.Since(start))
			if err != nil || resp.StatusCode != http.StatusOK {
				probeFailures.Add(1)
			}
			if resp != nil {
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	wg.Add(3)
	go probe("/healthz", "", &healthLat)
	go probe("/api/me", access, &meLat)
	go func() {
		defer wg.Done()
		for ctx.Err() == nil {
			if rss := rssBytes(cmd.Process.Pid, "VmHWM"); rss > peakRSS.Load() {
				peakRSS.Store(rss)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}()
	wg.Wait()

	fmt.Printf("authd soak: %d login clients for %s against %s\n", clients, duration, base)
	var total int64
	statuses.Range(func(k, v any) bool {
		n := v.(*atomic.Int64).Load()
		total += n
		fmt.Printf("  login %v: %d\n", k, n)
		return true
	})
	fmt.Printf("  logins: %d (%.0f/s), p50 %s, p99 %s\n", total, float64(total)/duration.Seconds(),
		loginLat.pct(0.5).Round(time.Millisecond), loginLat.pct(0.99).Round(time.Millisecond))
	fmt.Printf("  GET /healthz: p50 %s, p99 %s\n", healthLat.pct(0.5).Round(time.Microsecond), healthLat.pct(0.99).Round(time.Microsecond))
	fmt.Printf("  GET /api/me:  p50 %s, p99 %s\n", meLat.pct(0.5).Round(time.Microsecond), meLat.pct(0.99).Round(time.Microsecond))
	fmt.Printf("  probe failures: %d\n", probeFailures.Load())
	fmt.Printf("  peak RSS of authd: %.1f MiB\n", float64(peakRSS.Load())/(1<<20))

	var problems []string
	if peakRSS.Load() > 512<<20 {
		problems = append(problems, "peak RSS over 512 MiB")
	}
	if healthLat.pct(0.99) > 250*time.Millisecond || meLat.pct(0.99) > 250*time.Millisecond {
		problems = append(problems, "a probe's p99 is over 250 ms")
	}
	if probeFailures.Load() > 0 {
		problems = append(problems, "probes failed")
	}
	if _, ok := statuses.Load(http.StatusInternalServerError); ok {
		problems = append(problems, "some logins got 500")
	}
	if len(problems) > 0 {
		return errors.New(strings.Join(problems, "; "))
	}
	fmt.Println("  result: OK")
	return nil
}

func waitReady(c *http.Client, base string) error {
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if resp, err := c.Get(base + "/readyz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	return errors.New("authd did not become ready")
}

func register(c *http.Client, base, email string) (string, error) {
	b, _ := json.Marshal(map[string]string{"email": email, "password": "correct horse battery staple"})
	resp, err := c.Post(base+"/api/register", "application/json", bytes.NewReader(b))
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	var out struct {
		AccessToken string `json:"access_token"`
	}
	if resp.StatusCode != http.StatusCreated {
		return "", fmt.Errorf("register %s: %d", email, resp.StatusCode)
	}
	err = json.NewDecoder(resp.Body).Decode(&out)
	return out.AccessToken, err
}

func post(c *http.Client, url string, body []byte) int {
	resp, err := c.Post(url, "application/json", bytes.NewReader(body))
	if err != nil {
		return 0
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

// rssBytes reads a memory figure (VmRSS, VmHWM) of a process from /proc.
func rssBytes(pid int, field string) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, field+":"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			return kb << 10
		}
	}
	return 0
}
