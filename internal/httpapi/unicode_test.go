package httpapi_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/authd/authd/gen/api"
	"github.com/authd/authd/internal/apitest"
	"github.com/authd/authd/internal/auth"
)

// A password is one password whatever Unicode form it is typed in: it is NFKC-normalised before the policy
// check and hashing.
func TestPasswordsAreNormalised(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	nfc := "caf\u00e9 au lait, s'il vous pla\u00eet"
	nfd := "cafe\u0301 au lait, s'il vous plai\u0302t"
	email := apitest.UniqueEmail("unicode")
	register, _ := env.Client.RegisterWithResponse(context.Background(), api.RegisterRequest{Email: email, Password: nfd})
	if register.JSON201 == nil {
		t.Fatalf("register: %d %s", register.StatusCode(), register.Body)
	}
	for name, password := range map[string]string{"NFC": nfc, "NFD": nfd} {
		if resp, _ := env.Client.LoginWithResponse(context.Background(), api.LoginRequest{Email: email, Password: password}); resp.JSON200 == nil {
			t.Errorf("login typed as %s: %d %s", name, resp.StatusCode(), resp.Body)
		}
	}
	// Compatibility forms too: fullwidth letters are the ASCII ones.
	fullwidth := apitest.UniqueEmail("fullwidth")
	env.Register(fullwidth)
	wide := strings.Map(func(r rune) rune {
		if r >= '!' && r <= '~' {
			return r - '!' + '\uff01'
		}
		return r
	}, apitest.Password)
	if resp, _ := env.Client.LoginWithResponse(context.Background(), api.LoginRequest{Email: fullwidth, Password: wide}); resp.JSON200 == nil {
		t.Errorf("fullwidth spelling: %d %s", resp.StatusCode(), resp.Body)
	}
}

// A hash stored before passwords were normalised (of the password as typed) still verifies, and is replaced
// at that login by a hash of the normalised form.
func TestHashesOfUnnormalisedPasswordsStillWork(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	email := apitest.UniqueEmail("legacy")
	env.Register(email)
	nfd := "cafe\u0301 cre\u0300me bru\u0302le\u0301e"
	legacy, err := auth.NewHasher(auth.DefaultArgon2Params, 1, 0).Hash(context.Background(), nfd)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := env.DB.Exec(context.Background(), "UPDATE users SET password_hash = $1 WHERE email = $2", legacy, email); err != nil {
		t.Fatal(err)
	}
	if resp, _ := env.Client.LoginWithResponse(context.Background(), api.LoginRequest{Email: email, Password: nfd}); resp.JSON200 == nil {
		t.Fatalf("login with the legacy form: %d %s", resp.StatusCode(), resp.Body)
	}
	var stored string
	if err := env.DB.QueryRow(context.Background(), "SELECT password_hash FROM users WHERE email = $1", email).Scan(&stored); err != nil {
		t.Fatal(err)
	}
	if stored == legacy {
		t.Fatal("the hash of the unnormalised form was kept")
	}
	nfc := "caf\u00e9 cr\u00e8me br\u00fbl\u00e9e"
	if resp, _ := env.Client.LoginWithResponse(context.Background(), api.LoginRequest{Email: email, Password: nfc}); resp.JSON200 == nil {
		t.Errorf("login with the NFC form after the rehash: %d %s", resp.StatusCode(), resp.Body)
	}
}

// One address is one account: NFC, NFD, upper case, a Unicode domain and its punycode all name it, and
// addresses with invisible or bidirectional characters are refused.
func TestEmailsAreNormalised(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	register := func(email string) apitest.Response {
		t.Helper()
		return env.JSON(http.MethodPost, "/api/register", `{"email":"`+email+`","password":"`+apitest.Password+`"}`)
	}
	if r := register("jos\u00e9@b\u00fccher.example"); r.Status != http.StatusCreated {
		t.Fatalf("register: %d %s", r.Status, r.Body)
	}
	for name, twin := range map[string]string{
		"NFD":                 "jose\u0301@bu\u0308cher.example",
		"upper case":          "JOS\u00c9@B\u00dcCHER.EXAMPLE",
		"punycode domain":     "jos\u00e9@xn--bcher-kva.example",
		"NFD, punycode":       "jose\u0301@XN--BCHER-KVA.example",
		"uppercase punycode?": "Jos\u00e9@Xn--Bcher-Kva.Example",
	} {
		r := register(twin)
		if r.Status != http.StatusConflict || r.Error(t).Error != api.ErrorCodeEmailTaken {
			t.Errorf("%s %q: %d %s, want 409 email_taken", name, twin, r.Status, r.Body)
		}
		login := env.JSON(http.MethodPost, "/api/login", `{"email":"`+twin+`","password":"`+apitest.Password+`"}`)
		if login.Status != http.StatusOK {
			t.Errorf("login as %s %q: %d %s", name, twin, login.Status, login.Body)
		}
	}
	var stored string
	if err := env.DB.QueryRow(context.Background(), "SELECT email FROM users").Scan(&stored); err != nil || stored != "jos\u00e9@xn--bcher-kva.example" {
		t.Errorf("stored %q (%v), want the NFC local part and the punycode domain", stored, err)
	}
	for name, bad := range map[string]string{
		"zero-width space":       "ad\u200ba@example.com",
		"zero-width joiner":      "ada\u200d@example.com",
		"right-to-left override": "\u202eada@example.com",
		"left-to-right mark":     "ada@exa\u200emple.com",
		"byte order mark":        "\ufeffada@example.com",
		"soft hyphen":            "ada@exam\u00adple.com",
		"no-break space":         "ada\u00a0x@example.com",
	} {
		r := register(bad)
		if r.Status != http.StatusBadRequest || r.Error(t).Error != api.ErrorCodeValidationError {
			t.Errorf("%s: %d %s, want 400 validation_error", name, r.Status, r.Body)
			continue
		}
		if _, named := (*r.Error(t).Details.ValidationErrors)["email"]; !named {
			t.Errorf("%s: the error does not name email: %s", name, r.Body)
		}
	}
}
