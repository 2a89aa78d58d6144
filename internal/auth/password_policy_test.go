package auth

import (
	"errors"
	"strings"
	"testing"
)

func TestCommonPasswordListIsLarge(t *testing.T) {
	if n := CommonPasswordCount(); n < 10000 {
		t.Errorf("common-password list has %d entries, want at least 10,000", n)
	}
}

func TestCheckPasswordStrength(t *testing.T) {
	user := "Hamilton"
	tests := []struct {
		password string
		email    string
		username *string
		ok       bool
	}{
		{"correct horse battery staple", "ada@example.com", nil, true},
		{"short1!", "ada@example.com", nil, false},
		{strings.Repeat("é", 8), "ada@example.com", nil, true}, // 8 characters, 16 bytes
		{strings.Repeat("x", 128) + "", "ada@example.com", nil, true},
		{strings.Repeat("x", 129), "ada@example.com", nil, false},
		{"1234567890123", "ada@example.com", nil, false},
		{"١٢٣٤٥٦٧٨٩", "ada@example.com", nil, false}, // Arabic-Indic digits are digits too
		{"my-margaret-pw", "Margaret@example.com", nil, false},
		{"my-ada-pw-is-long", "ada@example.com", nil, true}, // local part under 4 characters is not checked
		{"i am hamilton!", "x@example.com", &user, false},
		{"password1", "x@example.com", nil, false},
		{"Dragon12345", "x@example.com", nil, true},
		{"QWERTYUIOP", "x@example.com", nil, false},
		{"pass\x00word-long", "x@example.com", nil, false},
	}
	for _, tc := range tests {
		err := CheckPasswordStrength("password", tc.password, tc.email, tc.username)
		if (err == nil) != tc.ok {
			t.Errorf("CheckPasswordStrength(%q) = %v, want ok=%v", tc.password, err, tc.ok)
		}
		var verr *ValidationError
		if err != nil && (!errors.As(err, &verr) || verr.Fields["password"] == "" || !errors.Is(err, ErrValidation)) {
			t.Errorf("CheckPasswordStrength(%q) error %v does not name the field", tc.password, err)
		}
	}
}

func TestNormalizeEmail(t *testing.T) {
	valid := map[string]string{
		"Ada@Example.com":          "ada@example.com",
		" ada@example.com ":        "ada@example.com",
		"first.last+tag@sub.ex.io": "first.last+tag@sub.ex.io",
	}
	for in, want := range valid {
		if got, err := NormalizeEmail(in); err != nil || got != want {
			t.Errorf("NormalizeEmail(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"", "plain", "a@b", "@example.com", "a@.example.com", "a@example..com", "a@example.com.",
		"Ada <ada@example.com>", "a b@example.com", "a\x00@example.com", "a@exam\tple.com", "(c)a@example.com",
		strings.Repeat("a", 250) + "@example.com"} {
		if got, err := NormalizeEmail(in); err == nil {
			t.Errorf("NormalizeEmail(%q) = %q, want an error", in, got)
		}
	}
}
