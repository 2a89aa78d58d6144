package importer_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/authd/authd/gen/api"
	"github.com/authd/authd/internal/apitest"
	"github.com/authd/authd/internal/app"
)

// legacyUsers is what testdata/make_users.py wrote: the source files and each user's password.
type legacyUsers struct {
	Dir     string
	Django  string   `json:"django"`
	Hashers []string `json:"hashers"`
	Users   map[string]struct {
		Password string `json:"password"`
		Scheme   string `json:"scheme"`
		IsAdmin  bool   `json:"is_admin"`
		Inactive bool   `json:"inactive"`
		Avatar   bool   `json:"avatar"`
	} `json:"users"`
}

// makeLegacyUsers runs make_users.py with Debian's Django, Werkzeug, bcrypt and argon2-cffi. Without them
// the test is skipped, unless AUTHD_REQUIRE_DJANGO is set (CI installs them).
func makeLegacyUsers(t *testing.T) legacyUsers {
	t.Helper()
	python := ""
	for _, candidate := range []string{"/usr/bin/python3", "python3"} {
		if path, err := exec.LookPath(candidate); err == nil &&
			exec.Command(path, "-c", "import django, werkzeug, bcrypt, argon2").Run() == nil {
			python = path
			break
		}
	}
	if python == "" {
		if os.Getenv("AUTHD_REQUIRE_DJANGO") != "" {
			t.Fatal("python3 with django, werkzeug, bcrypt and argon2 is required (apt-get install python3-django python3-werkzeug python3-bcrypt python3-argon2)")
		}
		t.Skip("python3 with django, werkzeug, bcrypt and argon2 is not installed")
	}
	dir := t.TempDir()
	cmd := exec.Command(python, "testdata/make_users.py", dir)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("make_users.py: %v\n%s", err, out)
	}
	var users legacyUsers
	b, err := os.ReadFile(filepath.Join(dir, "passwords.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &users); err != nil {
		t.Fatal(err)
	}
	users.Dir = dir
	return users
}

func runImport(t *testing.T, env *apitest.Env, args ...string) string {
	t.Helper()
	var out bytes.Buffer
	if err := app.Import(context.Background(), env.Config, args, &out); err != nil {
		t.Fatalf("authd import %v: %v\n%s", args, err, out.String())
	}
	return out.String()
}

func TestImportDjangoAndWerkzeugUsersAndSignIn(t *testing.T) {
	legacy := makeLegacyUsers(t)
	t.Logf("Django %s with hashers %v", legacy.Django, legacy.Hashers)
	env := apitest.New(t)
	dump := filepath.Join(legacy.Dir, "dumpdata.json")
	lines := filepath.Join(legacy.Dir, "users.jsonl")

	dry := runImport(t, env, "--dry-run", "--media-dir", filepath.Join(legacy.Dir, "media"), dump)
	if !strings.Contains(dry, "dry run") || countUsers(t, env) != 0 {
		t.Fatalf("a dry run kept users or did not say so:\n%s", dry)
	}
	report := runImport(t, env, "--media-dir", filepath.Join(legacy.Dir, "media"), dump)
	report += runImport(t, env, "--format", "jsonl", lines)
	t.Logf("report:\n%s", report)
	if strings.Contains(report, "skipped row") {
		t.Errorf("a user was skipped:\n%s", report)
	}
	if got := countUsers(t, env); got != len(legacy.Users) {
		t.Fatalf("%d users in the database, want %d", got, len(legacy.Users))
	}

	ctx := context.Background()
	schemes := map[string]bool{}
	for email, u := range legacy.Users {
		schemes[u.Scheme] = true
		t.Run(email, func(t *testing.T) {
			wrong, err := env.Client.LoginWithResponse(ctx, api.LoginRequest{Email: email, Password: u.Password + "x"})
			if err != nil || wrong.StatusCode() != 401 {
				t.Fatalf("wrong password: status %d, %v; want 401", wrong.StatusCode(), err)
			}
			if u.Scheme == "unusable" {
				return
			}
			right, err := env.Client.LoginWithResponse(ctx, api.LoginRequest{Email: email, Password: u.Password})
			if err != nil {
				t.Fatal(err)
			}
			if u.Inactive {
				if right.StatusCode() != 403 {
					t.Fatalf("inactive account: status %d, want 403", right.StatusCode())
				}
				return
			}
			if right.JSON200 == nil {
				t.Fatalf("right password (%s): status %d: %s", u.Scheme, right.StatusCode(), right.Body)
			}
			if right.JSON200.User.IsAdmin != u.IsAdmin {
				t.Errorf("is_admin = %v, want %v", right.JSON200.User.IsAdmin, u.IsAdmin)
			}
			if _, err := right.JSON200.User.AvatarUrl.Get(); (err == nil) != u.Avatar {
				t.Errorf("avatar_url set = %v, want %v", err == nil, u.Avatar)
			}
			if hash := storedHash(t, env, email); !strings.HasPrefix(hash, "$argon2id$") {
				t.Errorf("the %s hash was not upgraded: %.20s...", u.Scheme, hash)
			}
			env.Login(email, u.Password) // and the upgraded hash verifies
		})
	}
	for _, scheme := range []string{"django_pbkdf2_sha256", "django_pbkdf2_sha1", "django_argon2", "django_bcrypt_sha256",
		"django_bcrypt", "werkzeug_pbkdf2", "bcrypt", "unusable"} {
		if !schemes[scheme] {
			t.Errorf("no user was made with %s", scheme)
		}
	}
	if !strings.Contains(env.Metrics(), `authd_password_hash_upgrades_total{from="django_bcrypt_sha256"} 1`) {
		t.Errorf("the upgrade of the bcrypt_sha256 hash was not counted")
	}

	// Idempotent: again, skipping or updating, nothing changes, and the upgraded hashes stay.
	again := runImport(t, env, dump) + runImport(t, env, "--on-conflict", "update", dump) +
		runImport(t, env, "--on-conflict", "update", lines)
	for _, line := range strings.Split(again, "\n") {
		if strings.HasPrefix(line, "users:") && (!strings.Contains(line, "imported: 0") || !strings.Contains(line, "updated: 0")) {
			t.Errorf("a second import changed something: %s", line)
		}
	}
	if hash := storedHash(t, env, "root@example.com"); !strings.HasPrefix(hash, "$argon2id$") {
		t.Errorf("a re-import replaced an upgraded hash with the source's")
	}
}

func countUsers(t *testing.T, env *apitest.Env) int {
	t.Helper()
	var n int
	if err := env.DB.QueryRow(context.Background(), "SELECT count(*) FROM users").Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func storedHash(t *testing.T, env *apitest.Env, email string) string {
	t.Helper()
	var hash string
	if err := env.DB.QueryRow(context.Background(), "SELECT password_hash FROM users WHERE email = lower($1)", email).Scan(&hash); err != nil {
		t.Fatal(err)
	}
	return hash
}
