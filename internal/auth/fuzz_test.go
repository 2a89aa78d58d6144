package auth

import (
	"errors"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/google/uuid"
	"golang.org/x/text/unicode/norm"
)

// FuzzVerify: no input makes Verify panic, and whatever it accepts is a token this key signed for the
// same user and session.
func FuzzVerify(f *testing.F) {
	tokens := NewTokens(SharedSecret("fuzz-secret-fuzz-secret-fuzz-secret"), "authd", "authd", "authd")
	user, session := uuid.MustParse("5b0c0c84-6d55-4f0a-a0a4-7a3b7c4e2d11"), uuid.MustParse("0f8fad5b-d9cb-469f-a165-70867728950e")
	valid, err := tokens.Issue(user, session, passwordAssurance, 1<<40)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(valid)
	f.Add("")
	f.Add("a.b.c")
	f.Add("eyJhbGciOiJub25lIiwidHlwIjoiYXQrand0In0.eyJzdWIiOiJ4In0.")
	f.Fuzz(func(t *testing.T, raw string) {
		gotUser, gotSession, err := tokens.Verify(raw)
		if err != nil {
			if !errors.Is(err, ErrInvalidToken) {
				t.Fatalf("Verify error %v is not ErrInvalidToken", err)
			}
			return
		}
		if gotUser != user || gotSession != session || raw != valid {
			t.Fatalf("accepted %q for %s/%s, which is not the issued token", raw, gotUser, gotSession)
		}
	})
}

// FuzzCheckPasswordStrength: the policy never panics, and what it accepts meets every documented rule.
func FuzzCheckPasswordStrength(f *testing.F) {
	f.Add("correct horse battery staple", "ada@example.com", "Ada")
	f.Add("12345678", "a@b.co", "")
	f.Add("password", "x@example.com", "")
	f.Add("héllo wörld ✓", "héllo@example.com", "wörld")
	f.Add("\x00\x00\x00\x00\x00\x00\x00\x00", "a@example.com", "")
	f.Fuzz(func(t *testing.T, password, email, username string) {
		var name *string
		if username != "" {
			name = &username
		}
		err := CheckPasswordStrength("password", password, email, name)
		if err != nil {
			var verr *ValidationError
			if !errors.As(err, &verr) || verr.Fields["password"] == "" {
				t.Fatalf("error %v does not name the field", err)
			}
			return
		}
		n := utf8.RuneCountInString(password)
		if n < MinPasswordLen || n > MaxPasswordLen || !utf8.ValidString(password) || strings.ContainsRune(password, 0) {
			t.Fatalf("accepted %q (%d characters)", password, n)
		}
		if strings.IndexFunc(password, func(r rune) bool { return !unicode.IsDigit(r) }) < 0 {
			t.Fatalf("accepted all-digit %q", password)
		}
		if _, common := commonPasswords[strings.ToLower(password)]; common {
			t.Fatalf("accepted common %q", password)
		}
		lower := strings.ToLower(password)
		if local, _, ok := strings.Cut(strings.ToLower(email), "@"); ok && utf8.RuneCountInString(local) >= minIdentityLen && strings.Contains(lower, local) {
			t.Fatalf("accepted %q containing the email's local part", password)
		}
	})
}

// FuzzNormalizeEmail: never panics; what it returns is lower-case, printable, one '@', within the length
// limit, and normalising it again changes nothing.
func FuzzNormalizeEmail(f *testing.F) {
	for _, s := range []string{"Ada@Example.com", " a@b.co ", "a@b", "\"quoted\"@example.com", "a\x00@example.com",
		"ÄDA@exämple.com", "a@b..com", "<a@b.co>", "a@b.co (comment)", "e\u0301a@example.com", "a\u200b@example.com",
		"a@xn--bcher-kva.example", "a@b\u00fccher.example", "\u202eab@example.com"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		email, err := NormalizeEmail(raw)
		if err != nil {
			if !errors.Is(err, ErrValidation) {
				t.Fatalf("error %v is not a validation error", err)
			}
			return
		}
		switch {
		case email != strings.ToLower(email):
			t.Fatalf("%q is not lower-case", email)
		case strings.Count(email, "@") != 1:
			t.Fatalf("%q does not have exactly one @", email)
		case utf8.RuneCountInString(email) > MaxEmailLen:
			t.Fatalf("%q is too long", email)
		case strings.IndexFunc(email, func(r rune) bool { return unicode.IsControl(r) || unicode.IsSpace(r) || unicode.Is(unicode.Cf, r) }) >= 0:
			t.Fatalf("%q has control, space or format characters", email)
		case !norm.NFC.IsNormalString(email):
			t.Fatalf("%q is not NFC", email)
		}
		again, err := NormalizeEmail(email)
		if err != nil || again != email {
			t.Fatalf("normalising %q again gave %q, %v", email, again, err)
		}
	})
}
