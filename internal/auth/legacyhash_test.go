package auth

import (
	"context"
	"errors"
	"testing"
	"time"
)

// Hashes from sources whose Debian versions lack the scheme. Everything else is made by the real libraries
// in internal/importer's Django and Werkzeug test.
var fixedLegacyVectors = []struct {
	source, password, encoded, scheme string
}{
	// Django >= 4.0's ScryptPasswordHasher: tests/auth_tests/test_hashers.py, test_scrypt.
	{"django test_hashers.py", "lètmein",
		"scrypt$16384$seasalt$8$1$Qj3+9PPyRjSJIebHnG81TMjsqtaIGxNQG/aEB/NYafTJ7tibgfYz71m0ldQESkXFRkdVCBhhY8mx7rQwite/Pw==",
		SchemeDjangoScrypt},
	// Werkzeug >= 2.3's default generate_password_hash (scrypt:32768:8:1), from a published Flask app;
	// checked against Python's hashlib.scrypt.
	{"werkzeug 3 generate_password_hash", "aiden123",
		"scrypt:32768:8:1$kbFucH2SKnaRF3K9$167b9855d7ef998754a84b27dbdc3aac3155df3958a72e6c5db7b26dd4ffc610a4f3b72a54dd0dcc9ab6570c07405bff6b6a98fdf52e97f7d4648993a77f4a37",
		SchemeWerkzeugScrypt},
}

func TestFixedLegacyVectors(t *testing.T) {
	h := NewHasher(fastParams, 2, time.Second)
	for _, v := range fixedLegacyVectors {
		t.Run(v.scheme, func(t *testing.T) {
			if scheme, err := HashScheme(v.encoded); err != nil || scheme != v.scheme {
				t.Fatalf("HashScheme = %q, %v; want %q", scheme, err, v.scheme)
			}
			match, rehash, err := h.Verify(context.Background(), v.password, v.encoded)
			if err != nil || !match || !rehash {
				t.Errorf("Verify(right password) = %v, %v, %v; want a match that needs a rehash", match, rehash, err)
			}
			if match, _, err := h.Verify(context.Background(), v.password+"x", v.encoded); err != nil || match {
				t.Errorf("Verify(wrong password) = %v, %v; want no match", match, err)
			}
		})
	}
}

func TestUnsupportedHashesAreRefused(t *testing.T) {
	for _, encoded := range []string{
		"md5$seasalt$f5531bef9f3687d0ccf0f617f0e25573",
		"sha1$seasalt$cff36ea83f5706ce9aa7454e63e431fc726b2dc8",
		"crypt$$ab1Hv2Lg7ltQo",
		"plaintext",
		"pbkdf2_sha256$99999999$salt$AAAA",
		"pbkdf2_sha256$abc$salt$AAAA",
		"pbkdf2_sha256$1000$salt",
		"bcrypt$$2b$31$" + "abcdefghijklmnopqrstuuabcdefghijklmnopqrstuvwxyz01234",
		"scrypt$1048576$salt$64$1$AAAA",
		"scrypt$1000$salt$8$1$AAAA",
		"argon2$argon2id$v=19$m=4194304,t=2,p=1$c2FsdHNhbHQ$AAAA",
		"argon2$argon2d$v=19$m=512,t=2,p=1$c2FsdHNhbHQ$AAAA",
		"pbkdf2:md5:1000$salt$abcd",
		"scrypt:32768:8:1$salt$not-hex",
		"$argon2id$v=19$m=1,t=1,p=1$!!$!!",
	} {
		if scheme, err := HashScheme(encoded); !errors.Is(err, ErrUnsupportedHash) {
			t.Errorf("HashScheme(%q) = %q, %v; want ErrUnsupportedHash", encoded, scheme, err)
		}
	}
}

func TestUnusablePasswordNeverMatches(t *testing.T) {
	h := NewHasher(fastParams, 1, time.Second)
	for _, password := range []string{"", "!", "anything"} {
		match, _, err := h.Verify(context.Background(), password, "!Zq9k3RpX")
		if err != nil || match {
			t.Errorf("Verify(%q, unusable) = %v, %v; want no match and no error", password, match, err)
		}
	}
}

// BenchmarkVerifyLegacy prints what one login costs with each kind of imported hash before its upgrade; a
// hashing slot is held that long.
func BenchmarkVerifyLegacy(b *testing.B) {
	h := NewHasher(DefaultArgon2Params, 1, time.Minute)
	hashes := map[string]string{
		"django_pbkdf2_sha256_260000": "pbkdf2_sha256$260000$kEGMMnIWTbpX7qb2cmAjLf$0DYbr8V1Qusq3dSiWpmV5miZgQIqYFTZyXRtG7NEOHQ=",
		"django_scrypt_16384_8_1":     fixedLegacyVectors[0].encoded,
		"werkzeug_scrypt_32768_8_1":   fixedLegacyVectors[1].encoded,
	}
	for name, encoded := range hashes {
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				if _, _, err := h.Verify(context.Background(), "password", encoded); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
