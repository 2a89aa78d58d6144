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

// expectPaddedFailure logs in with a wrong password and fails the test unless the 401 took at least the
// floor. The server may measure again meanwhile, on a machine whose speed varies: the floor it padded to
// is at least the lower of the floors before and after.
func expectPaddedFailure(t *testing.T, env *apitest.Env, email string) {
	t.Helper()
	before := failureFloor(t, env)
	start := time.Now()
	resp, err := env.Client.LoginWithResponse(context.Background(), api.LoginRequest{Email: email, Password: "not the password"})
	took := time.Since(start)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode() != http.StatusUnauthorized {
		t.Fatalf("login %s with a wrong password: %d", email, resp.StatusCode())
	}
	if floor := min(before, failureFloor(t, env)); took < floor {
		t.Errorf("a wrong password for %s took %s, under the floor %s", email, took, floor)
	}
}

// An imported hash slower than argon2id would make a wrong password for its account take longer than one
// for an address without an account. Every failed password check lasts at least the floor, which the
// admin import sets before it answers, and a measurement drops once every imported hash has been
// upgraded. (That a slow check raises it at once is internal/auth's TestLegacyCheckRaisesTheFailureFloor.)
func TestImportedSlowHashesDoNotTellWhichAccountsExist(t *testing.T) {
	t.Parallel()
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
	t.Logf("floor %s", floor)
	for _, email := range []string{"nobody@example.com", "slow@example.com", "admin@example.com"} {
		expectPaddedFailure(t, env, email)
	}

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

}

// `authd import` runs in a process of its own: its commit notifies the serving instances, which measure
// the new hashes without waiting for a login to check one.
func TestCommandImportSetsTheServersFloor(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	// The server measures at start and again when its listener connects, 5 s apart at most; an import
	// after those is found only through the notification.
	time.Sleep(11 * time.Second)
	runImport(t, env, writeFile(t, `{"external_id": "3", "email": "cli@example.com", "password_hash": "`+slowDjangoHash(t, "correct horse")+`"}`+"\n"))
	start := time.Now()
	for failureFloor(t, env) == 0 {
		if time.Since(start) > 20*time.Second {
			t.Fatal("the server measured no floor within 20 s of the import")
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Logf("floor set %s after the import", time.Since(start).Round(time.Millisecond))
	expectPaddedFailure(t, env, "nobody@example.com")
}
