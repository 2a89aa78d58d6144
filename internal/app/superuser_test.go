package app_test

import (
	"bytes"
	"context"
	"github.com/jackc/pgx/v5/pgxpool"
	"os"
	"strings"
	"testing"

	"github.com/authd/authd/internal/app"
	"github.com/authd/authd/internal/testdb"
)

// stdinWith returns a pipe (not a terminal) holding input, as a script would provide it.
func stdinWith(t *testing.T, input string) *os.File {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.WriteString(input); err != nil {
		t.Fatal(err)
	}
	w.Close()
	t.Cleanup(func() { r.Close() })
	return r
}

func TestCreateSuperuser(t *testing.T) {
	url := testdb.EmptyURL(t)
	ctx := context.Background()
	run := func(input string, args ...string) (string, error) {
		var out bytes.Buffer
		err := app.CreateSuperuser(ctx, url, args, stdinWith(t, input), &out)
		return out.String(), err
	}

	out, err := run("correct horse battery staple\n", "--email", "Boss@Example.com", "--username", "The Boss")
	if err != nil || !strings.Contains(out, "created admin boss@example.com") {
		t.Fatalf("create: %q %v", out, err)
	}
	if _, err := run("correct horse battery staple\n", "--email", "boss@example.com"); err == nil || !strings.Contains(err.Error(), "--promote") {
		t.Errorf("existing email: %v, want an error suggesting --promote", err)
	}
	for name, tc := range map[string]struct {
		input string
		args  []string
		want  string
	}{
		"weak password":  {"password1\n", []string{"--email", "weak@example.com"}, "password"},
		"short password": {"short\n", []string{"--email", "weak@example.com"}, "at least 8"},
		"no password":    {"", []string{"--email", "weak@example.com"}, "no password"},
		"bad email":      {"correct horse battery staple\n", []string{"--email", "not-an-email"}, "email"},
		"no email":       {"correct horse battery staple\n", nil, "usage"},
		"unknown flag":   {"correct horse battery staple\n", []string{"--email", "x@example.com", "--root"}, "usage"},
		"taken username": {"correct horse battery staple\n", []string{"--email", "two@example.com", "--username", "the boss"}, "taken"},
	} {
		if _, err := run(tc.input, tc.args...); err == nil || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%s: %v, want a one-line error mentioning %q", name, err, tc.want)
		}
	}

	// --promote makes an existing user an admin without asking for a password, and creates one otherwise.
	if out, err := run("", "--email", "boss@example.com", "--promote"); err != nil || !strings.Contains(out, "now an admin") {
		t.Errorf("promote: %q %v", out, err)
	}
	if out, err := run("correct horse battery staple\n", "--email", "new@example.com", "--promote"); err != nil || !strings.Contains(out, "created admin") {
		t.Errorf("promote of a new email: %q %v", out, err)
	}

	// The operator vouches for the address: it is verified, and no verification mail is queued.
	pool, err := pgxpool.New(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	var unverified, queued int
	if err := pool.QueryRow(ctx, "SELECT count(*) FILTER (WHERE email_verified_at IS NULL), (SELECT count(*) FROM mail_outbox) FROM users").Scan(&unverified, &queued); err != nil {
		t.Fatal(err)
	}
	if unverified != 0 || queued != 0 {
		t.Errorf("%d admins unverified, %d mails queued", unverified, queued)
	}
}
