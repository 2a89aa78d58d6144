package importer_test

import (
	"context"
	"crypto/pbkdf2"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/authd/authd/gen/api"
	"github.com/authd/authd/internal/apitest"
)

// slowDjangoHash is a Django pbkdf2_sha256 hash of password at an iteration count that makes it several
// times slower than authd's argon2id, as a source configured for a slow machine has.
func slowDjangoHash(t *testing.T, password string) string {
	t.Helper()
	const iterations = 600_000
	salt := "Lq9TbIcqLAZu2ch7WzCd3D"
	key, err := pbkdf2.Key(sha256.New, password, []byte(salt), iterations, 32)
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("pbkdf2_sha256$%d$%s$%s", iterations, salt, base64.StdEncoding.EncodeToString(key))
}

// failureFloor reads authd_password_failure_floor_seconds from the server's metrics.
func failureFloor(t *testing.T, env *apitest.Env) time.Duration {
	t.Helper()
	for line := range strings.Lines(env.Metrics()) {
		if value, ok := strings.CutPrefix(strings.TrimSpace(line), "authd_password_failure_floor_seconds "); ok {
			seconds, err := strconv.ParseFloat(value, 64)
			if err != nil {
				t.Fatal(err)
			}
			return time.Duration(seconds * float64(time.Second))
		}
	}
	t.Fatal("no authd_password_failure_floor_seconds in the metrics")
	return 0
}

// failedLogin returns how long a login with a wrong password took, and fails unless it was a 401.
func failedLogin(t *testing.T, env *apitest.Env, email string) time.Duration {
	t.Helper()
	start := time.Now()
	resp, err := env.Client.LoginWithResponse(context.Background(), api.LoginRequest{Email: email, Password: "not the password"})
	took := time.Since(start)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode() != http.StatusUnauthorized {
		t.Fatalf("login %s with a wrong password: %d", email, resp.StatusCode())
	}
	return took
}

// An imported hash slower than argon2id would make a wrong password for its account take longer than one
// for an address without an account. Every failed password check lasts at least the floor, which the
// admin import sets before it answers, a slow check raises at once (an import by another process), and a
// measurement drops once every imported hash has been upgraded.
func TestImportedSlowHashesDoNotTellWhichAccountsExist(t *testing.T) {
	env := apitest.New(t)
	admin := env.NewAdmin("admin@example.com")
	if floor := failureFloor(t, env); floor != 0 {
		t.Fatalf("floor without imported hashes: %s, want 0", floor)
	}
	hash := slowDjangoHash(t, "correct horse")

	// Imported over HTTP: the floor is in place when the import answers.
	line := `{"external_id": "1", "email": "slow@example.com", "password_hash": "` + hash + `"}` + "\n"
	resp := env.Do("POST", "/api/admin/users/import", "application/x-ndjson", strings.NewReader(line), "Authorization", "Bearer "+admin.AccessToken)
	if resp.Status != http.StatusOK {
		t.Fatalf("import: %d %s", resp.Status, resp.Body)
	}
	floor := failureFloor(t, env)
	if floor <= 0 {
		t.Fatal("the import set no floor")
	}
	for _, email := range []string{"nobody@example.com", "slow@example.com", "admin@example.com"} {
		if took := failedLogin(t, env, email); took < floor {
			t.Errorf("a wrong password for %s took %s, under the floor %s", email, took, floor)
		}
	}
	t.Logf("floor %s", floor)

	// Once the account has signed in, its hash is argon2id, and the next measurement drops the floor.
	env.Login("slow@example.com", "correct horse")
	resp = env.Do("POST", "/api/admin/users/import", "application/x-ndjson",
		strings.NewReader(`{"external_id": "2", "email": "nopassword@example.com", "password_hash": "!"}`+"\n"), "Authorization", "Bearer "+admin.AccessToken)
	if resp.Status != http.StatusOK {
		t.Fatalf("second import: %d %s", resp.Status, resp.Body)
	}
	if floor := failureFloor(t, env); floor != 0 {
		t.Errorf("floor with every imported hash upgraded: %s, want 0", floor)
	}

	// Imported by `authd import`, which this server does not hear of: the first check of the slow hash
	// raises the floor, and the failures after it are padded.
	runImport(t, env, writeFile(t, `{"external_id": "3", "email": "cli@example.com", "password_hash": "`+hash+`"}`+"\n"))
	failedLogin(t, env, "cli@example.com")
	floor = failureFloor(t, env)
	if floor <= 0 {
		t.Fatal("checking the slow hash raised no floor")
	}
	if took := failedLogin(t, env, "nobody@example.com"); took < floor {
		t.Errorf("a wrong password for an unknown address took %s, under the floor %s", took, floor)
	}
}
