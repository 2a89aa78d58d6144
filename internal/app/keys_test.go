package app_test

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/authd/authd/internal/apitest"
	"github.com/authd/authd/internal/app"
	"github.com/authd/authd/internal/testdb"
)

// authd keys list|rotate [--now]|revoke KID, as an operator runs them.
func TestKeysCommand(t *testing.T) {
	t.Parallel()
	cfg := apitest.DefaultConfig()
	cfg.DatabaseURL = testdb.EmptyURL(t)
	ctx := context.Background()
	keys := func(args ...string) (map[string]string, error) {
		t.Helper()
		var out bytes.Buffer
		err := app.Keys(ctx, cfg, args, &out)
		states := map[string]string{}
		for _, line := range strings.Split(strings.TrimSpace(out.String()), "\n")[1:] {
			fields := strings.Fields(line)
			states[fields[0]] = fields[2]
		}
		return states, err
	}
	first, err := keys("list")
	if err != nil || len(first) != 1 {
		t.Fatalf("list on a new database: %v %v", first, err)
	}
	var firstKid string
	for kid := range first {
		firstKid = kid
	}
	ahead, err := keys("rotate")
	if err != nil || len(ahead) != 2 || ahead[firstKid] != "current" {
		t.Fatalf("rotate: %v %v, want the first key current and a next one", ahead, err)
	}
	now, err := keys("rotate", "--now")
	if err != nil || now[firstKid] != "previous" || len(now) != 2 {
		t.Fatalf("rotate --now: %v %v, want the published next key to sign and the first to be previous", now, err)
	}
	revoked, err := keys("revoke", firstKid)
	if err != nil || revoked[firstKid] != "revoked" {
		t.Fatalf("revoke: %v %v", revoked, err)
	}
	if _, err := keys("revoke", "no-such-kid"); err == nil || !strings.Contains(err.Error(), "no-such-kid") {
		t.Errorf("revoking an unknown kid: %v", err)
	}
	for _, bad := range [][]string{{}, {"spin"}, {"rotate", "--later"}, {"revoke"}, {"list", "x"}} {
		if _, err := keys(bad...); err == nil {
			t.Errorf("keys %v was accepted", bad)
		}
	}
	cfg.JWTAlg = "HS256"
	if _, err := keys("list"); err == nil || !strings.Contains(err.Error(), "HS256") {
		t.Errorf("keys with HS256: %v", err)
	}
}
