package importer_test

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/authd/authd/gen/api"
	"github.com/authd/authd/internal/apitest"
)

func writeFile(t *testing.T, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "users")
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// Werkzeug's scrypt hash of "aiden123" and Django's scrypt hash of "lètmein" (internal/auth's fixed vectors).
const (
	werkzeugHash = "scrypt:32768:8:1$kbFucH2SKnaRF3K9$167b9855d7ef998754a84b27dbdc3aac3155df3958a72e6c5db7b26dd4ffc610a4f3b72a54dd0dcc9ab6570c07405bff6b6a98fdf52e97f7d4648993a77f4a37"
	djangoHash   = "scrypt$16384$seasalt$8$1$Qj3+9PPyRjSJIebHnG81TMjsqtaIGxNQG/aEB/NYafTJ7tibgfYz71m0ldQESkXFRkdVCBhhY8mx7rQwite/Pw=="
)

// --on-conflict update changes what differs and nothing else: the password only when the source's hash
// changed, the verification only with the address, never the last admin away.
func TestImportUpdateChangesOnlyWhatDiffers(t *testing.T) {
	env := apitest.New(t)
	ctx := context.Background()
	first := writeFile(t, `{"external_id": "1", "email": "a@example.com", "first_name": "Ann", "password_hash": "`+werkzeugHash+`"}
{"external_id": "2", "email": "boss@example.com", "is_admin": true, "password_hash": "`+werkzeugHash+`"}
`)
	runImport(t, env, first)
	session := env.Login("a@example.com", "aiden123") // upgrades the hash to argon2id
	bossSession := env.Login("boss@example.com", "aiden123")
	if _, err := env.DB.Exec(ctx, "UPDATE users SET email_verified_at = now() WHERE email = 'a@example.com'"); err != nil {
		t.Fatal(err)
	}

	// The same source again: nothing changes, and the upgraded hash stays.
	if out := runImport(t, env, "--on-conflict", "update", first); !strings.Contains(out, "updated: 0  unchanged: 2") {
		t.Fatalf("same source: %s", out)
	}
	if hash := storedHash(t, env, "a@example.com"); !strings.HasPrefix(hash, "$argon2id$") {
		t.Errorf("the upgraded hash was replaced by the same source hash")
	}

	// A changed name keeps the password; a changed source hash replaces it; a changed address drops the
	// verification; the last admin is not demoted.
	second := writeFile(t, `{"external_id": "1", "email": "a2@example.com", "first_name": "Anna", "password_hash": "`+djangoHash+`"}
{"external_id": "2", "email": "boss@example.com", "is_admin": false, "password_hash": "`+werkzeugHash+`"}
{"external_id": "3", "email": "a2@example.com", "password_hash": "!"}
`)
	out := runImport(t, env, "--on-conflict", "update", second)
	if !strings.Contains(out, "updated: 1") || !strings.Contains(out, "skipped row 2 (boss@example.com, id 2): it would leave no active admin") ||
		!strings.Contains(out, "skipped row 3 (a2@example.com, id 3): duplicate email after normalisation") {
		t.Fatalf("changed source:\n%s", out)
	}
	var firstName string
	var verified bool
	if err := env.DB.QueryRow(ctx, "SELECT first_name, email_verified_at IS NOT NULL FROM users WHERE external_id = '1'").Scan(&firstName, &verified); err != nil {
		t.Fatal(err)
	}
	if firstName != "Anna" || verified {
		t.Errorf("after the update: first_name %q, verified %v", firstName, verified)
	}
	env.Login("a2@example.com", "lètmein")
	// The replaced password ended the sessions of the old one; the skipped account's go on.
	if status := refreshStatus(t, env, session.RefreshToken.String()); status != http.StatusUnauthorized {
		t.Errorf("refresh after the source's password changed: %d, want 401", status)
	}
	if status := refreshStatus(t, env, bossSession.RefreshToken.String()); status != http.StatusOK {
		t.Errorf("refresh of an account the import skipped: %d, want 200", status)
	}

	// Another import's account with the same email is not taken over.
	third := writeFile(t, `{"external_id": "other-7", "email": "a2@example.com", "password_hash": "!"}`+"\n")
	if out := runImport(t, env, "--on-conflict", "update", third); !strings.Contains(out, "another imported account (external id 1) has this email") {
		t.Errorf("another source's account:\n%s", out)
	}
}

// An update that disables an account ends its sessions; one that changes only a name does not.
func TestImportUpdateThatDisablesEndsSessions(t *testing.T) {
	env := apitest.New(t)
	runImport(t, env, writeFile(t, `{"external_id": "1", "email": "d@example.com", "password_hash": "`+werkzeugHash+`"}
{"external_id": "2", "email": "n@example.com", "first_name": "Ned", "password_hash": "`+werkzeugHash+`"}
`))
	disabled := env.Login("d@example.com", "aiden123")
	renamed := env.Login("n@example.com", "aiden123")
	out := runImport(t, env, "--on-conflict", "update", writeFile(t, `{"external_id": "1", "email": "d@example.com", "is_active": false, "password_hash": "`+werkzeugHash+`"}
{"external_id": "2", "email": "n@example.com", "first_name": "Ted", "password_hash": "`+werkzeugHash+`"}
`))
	if !strings.Contains(out, "updated: 2") {
		t.Fatalf("update:\n%s", out)
	}
	var revoked int
	if err := env.DB.QueryRow(context.Background(),
		"SELECT count(*) FROM sessions s JOIN users u ON u.id = s.user_id WHERE u.email = 'd@example.com' AND s.revoked_at IS NOT NULL").Scan(&revoked); err != nil {
		t.Fatal(err)
	}
	if revoked != 1 {
		t.Errorf("the disabled account's revoked sessions: %d, want 1", revoked)
	}
	if status := refreshStatus(t, env, disabled.RefreshToken.String()); status != http.StatusUnauthorized {
		t.Errorf("refresh of the disabled account: %d, want 401", status)
	}
	if status := refreshStatus(t, env, renamed.RefreshToken.String()); status != http.StatusOK {
		t.Errorf("refresh of the renamed account: %d, want 200", status)
	}
}

func refreshStatus(t *testing.T, env *apitest.Env, token string) int {
	t.Helper()
	resp, err := env.Client.RefreshWithResponse(context.Background(), api.RefreshRequest{RefreshToken: token})
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode()
}

// A Django dump holds other models too; they are reported, not imported. A JSON line that is not a user
// record is skipped with its row number.
func TestImportReportsWhatIsNotAUser(t *testing.T) {
	env := apitest.New(t)
	dump := writeFile(t, "\ufeff"+`[{"model": "auth.group", "pk": 1, "fields": {"name": "staff"}},
{"model": "auth.user", "pk": 5, "fields": {"email": "g@example.com", "password": "`+djangoHash+`", "username": "g",
 "is_active": true, "is_superuser": false, "date_joined": "2020-02-03T04:05:06.789", "last_login": null}}]`)
	out := runImport(t, env, dump)
	if !strings.Contains(out, "imported: 1") || !strings.Contains(out, "skipped row 1: not a user (model auth.group)") {
		t.Fatalf("report:\n%s", out)
	}
	var joined string
	if err := env.DB.QueryRow(context.Background(), "SELECT created_at::text FROM users WHERE external_id = '5'").Scan(&joined); err != nil ||
		!strings.HasPrefix(joined, "2020-02-03 04:05:06.789") {
		t.Errorf("date_joined carried over as %q (%v)", joined, err)
	}

	lines := writeFile(t, `{"email": "x@example.com", "password_hash": "!", "colour": "red"}`+"\n"+`{"email": "y@example.com"`)
	out = runImport(t, env, "--format", "jsonl", lines)
	if !strings.Contains(out, `skipped row 1: not a user record: json: unknown field "colour"`) || !strings.Contains(out, "skipped row 2") {
		t.Errorf("JSON lines report:\n%s", out)
	}
}
