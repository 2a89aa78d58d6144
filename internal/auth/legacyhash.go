package auth

import (
	"crypto/hmac"
	"crypto/pbkdf2"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"strconv"
	"strings"

	"golang.org/x/crypto/argon2"
	"golang.org/x/crypto/bcrypt"
	"golang.org/x/crypto/scrypt"
)

// Password hashes made by the systems authd replaces are verified as they are and replaced by argon2id at
// the first successful login, so that nobody has to reset a password to switch. Each scheme is named as
// its source names it; the names are also the label of the upgrade counter.
const (
	SchemeArgon2id            = "argon2id"
	SchemeDjangoPBKDF2SHA256  = "django_pbkdf2_sha256"
	SchemeDjangoPBKDF2SHA1    = "django_pbkdf2_sha1"
	SchemeDjangoArgon2        = "django_argon2"
	SchemeDjangoBcryptSHA256  = "django_bcrypt_sha256"
	SchemeDjangoBcrypt        = "django_bcrypt"
	SchemeDjangoScrypt        = "django_scrypt"
	SchemeWerkzeugPBKDF2      = "werkzeug_pbkdf2"
	SchemeWerkzeugScrypt      = "werkzeug_scrypt"
	SchemeBcrypt              = "bcrypt"
	SchemeUnusable            = "unusable"
	unusablePasswordPrefix    = "!"
	bcryptMaxPasswordBytes    = 72
	maxLegacyPBKDF2Iterations = 10_000_000
	maxLegacyBcryptCost       = 16
	// maxLegacyMemoryKiB bounds scrypt's and argon2's memory per verification, because each hashing slot
	// may hold that much at once.
	maxLegacyMemoryKiB = 256 * 1024
	maxLegacyTime      = 64
	maxLegacyThreads   = 16
)

// LegacySchemes are the hash schemes authd verifies besides its own, in the order the README lists them.
var LegacySchemes = []string{SchemeDjangoPBKDF2SHA256, SchemeDjangoPBKDF2SHA1, SchemeDjangoArgon2, SchemeDjangoBcryptSHA256,
	SchemeDjangoBcrypt, SchemeDjangoScrypt, SchemeWerkzeugPBKDF2, SchemeWerkzeugScrypt, SchemeBcrypt}

// ErrUnsupportedHash is a stored or imported password hash in no format authd verifies, or with a cost
// beyond authd's bounds.
var ErrUnsupportedHash = errors.New("unsupported password hash")

// legacyHash is a parsed foreign hash: its scheme and how to check a password against it.
type legacyHash struct {
	scheme string
	verify func(password string) bool
}

func unsupported(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrUnsupportedHash, fmt.Sprintf(format, args...))
}

// HashScheme names the scheme of an encoded hash, or returns ErrUnsupportedHash (with the reason) for a
// hash authd cannot verify. The import refuses what this refuses, so nothing unverifiable is stored.
func HashScheme(encoded string) (string, error) {
	switch {
	case strings.HasPrefix(encoded, "$argon2id$"):
		if _, _, _, err := decodePHC(encoded); err != nil {
			return "", unsupported("malformed argon2id hash")
		}
		return SchemeArgon2id, nil
	case strings.HasPrefix(encoded, unusablePasswordPrefix):
		return SchemeUnusable, nil
	}
	h, err := parseLegacyHash(encoded)
	if err != nil {
		return "", err
	}
	return h.scheme, nil
}

// IsUnusablePassword reports a hash that no password matches (Django's set_unusable_password): the
// account exists, but signing in needs a new password first.
func IsUnusablePassword(encoded string) bool {
	return strings.HasPrefix(encoded, unusablePasswordPrefix)
}

func parseLegacyHash(encoded string) (legacyHash, error) {
	algorithm, rest, ok := strings.Cut(encoded, "$")
	if !ok {
		return legacyHash{}, unsupported("no algorithm prefix")
	}
	switch {
	case algorithm == "pbkdf2_sha256":
		return parseDjangoPBKDF2(SchemeDjangoPBKDF2SHA256, sha256.New, rest)
	case algorithm == "pbkdf2_sha1":
		return parseDjangoPBKDF2(SchemeDjangoPBKDF2SHA1, sha1.New, rest)
	case algorithm == "argon2":
		return parseDjangoArgon2(rest)
	case algorithm == "bcrypt_sha256":
		return parseBcrypt(SchemeDjangoBcryptSHA256, rest, func(password string) string {
			sum := sha256.Sum256([]byte(password))
			return hex.EncodeToString(sum[:])
		})
	case algorithm == "bcrypt":
		return parseBcrypt(SchemeDjangoBcrypt, rest, nil)
	case algorithm == "scrypt":
		return parseDjangoScrypt(rest)
	case strings.HasPrefix(algorithm, "pbkdf2:"):
		return parseWerkzeugPBKDF2(algorithm, rest)
	case strings.HasPrefix(algorithm, "scrypt:"):
		return parseWerkzeugScrypt(algorithm, rest)
	case algorithm == "" && len(rest) > 3 && rest[0] == '2' && rest[2] == '$':
		return parseBcrypt(SchemeBcrypt, encoded, nil)
	}
	return legacyHash{}, unsupported("unknown algorithm %q", truncate(algorithm, 32))
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n] + "..."
	}
	return s
}

func positiveInt(field, s string, max int) (int, error) {
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 {
		return 0, unsupported("%s is not a positive number", field)
	}
	if n > max {
		return 0, unsupported("%s %d is beyond authd's bound of %d", field, n, max)
	}
	return n, nil
}

// parseDjangoPBKDF2 reads Django's "<iterations>$<salt>$<base64 key>"; the salt is used as its UTF-8 bytes.
func parseDjangoPBKDF2(scheme string, newHash func() hash.Hash, rest string) (legacyHash, error) {
	parts := strings.Split(rest, "$")
	if len(parts) != 3 {
		return legacyHash{}, unsupported("%s: want iterations$salt$hash", scheme)
	}
	iterations, err := positiveInt("iterations", parts[0], maxLegacyPBKDF2Iterations)
	if err != nil {
		return legacyHash{}, err
	}
	want, err := base64.StdEncoding.DecodeString(parts[2])
	if err != nil || len(want) == 0 {
		return legacyHash{}, unsupported("%s: the hash is not base64", scheme)
	}
	salt := []byte(parts[1])
	return legacyHash{scheme: scheme, verify: func(password string) bool {
		got, err := pbkdf2.Key(newHash, password, salt, iterations, len(want))
		return err == nil && subtle.ConstantTimeCompare(got, want) == 1
	}}, nil
}

// parseDjangoArgon2 reads Django's "argon2$" + argon2-cffi's encoding without its leading "$":
// "argon2id$v=19$m=..,t=..,p=..$<salt>$<key>" (argon2i for hashes made before Django 3.2).
func parseDjangoArgon2(rest string) (legacyHash, error) {
	parts := strings.Split(rest, "$")
	if len(parts) != 5 || (parts[0] != "argon2id" && parts[0] != "argon2i") {
		return legacyHash{}, unsupported("django argon2: want argon2id or argon2i with a version")
	}
	if parts[1] != fmt.Sprintf("v=%d", argon2.Version) {
		return legacyHash{}, unsupported("django argon2: only version 19 is supported")
	}
	var memory, time, threads int
	if _, err := fmt.Sscanf(parts[2], "m=%d,t=%d,p=%d", &memory, &time, &threads); err != nil {
		return legacyHash{}, unsupported("django argon2: bad parameters")
	}
	if memory < 1 || memory > maxLegacyMemoryKiB || time < 1 || time > maxLegacyTime || threads < 1 || threads > maxLegacyThreads {
		return legacyHash{}, unsupported("django argon2: parameters m=%d,t=%d,p=%d beyond authd's bounds", memory, time, threads)
	}
	salt, err := base64.RawStdEncoding.DecodeString(parts[3])
	if err != nil {
		return legacyHash{}, unsupported("django argon2: the salt is not base64")
	}
	want, err := base64.RawStdEncoding.DecodeString(parts[4])
	if err != nil || len(want) == 0 {
		return legacyHash{}, unsupported("django argon2: the hash is not base64")
	}
	derive := argon2.IDKey
	if parts[0] == "argon2i" {
		derive = argon2.Key
	}
	return legacyHash{scheme: SchemeDjangoArgon2, verify: func(password string) bool {
		got := derive([]byte(password), salt, uint32(time), uint32(memory), uint8(threads), uint32(len(want)))
		return subtle.ConstantTimeCompare(got, want) == 1
	}}, nil
}

// parseBcrypt reads a modular-crypt bcrypt hash ($2a$, $2b$, $2y$). prepare, when set, turns the password
// into what was hashed (Django's bcrypt_sha256 hashes the hex SHA-256 of the password).
func parseBcrypt(scheme, encoded string, prepare func(string) string) (legacyHash, error) {
	if len(encoded) < 7 || encoded[0] != '$' || encoded[1] != '2' || !strings.ContainsRune("aby", rune(encoded[2])) {
		return legacyHash{}, unsupported("%s: want $2a$, $2b$ or $2y$", scheme)
	}
	cost, err := bcrypt.Cost([]byte(encoded))
	if err != nil {
		return legacyHash{}, unsupported("%s: malformed", scheme)
	}
	if cost > maxLegacyBcryptCost {
		return legacyHash{}, unsupported("%s: cost %d is beyond authd's bound of %d", scheme, cost, maxLegacyBcryptCost)
	}
	hashed := []byte(encoded)
	return legacyHash{scheme: scheme, verify: func(password string) bool {
		if prepare != nil {
			password = prepare(password)
		}
		// The libraries that made these hashes used only the first 72 bytes; x/crypto refuses longer input.
		secret := []byte(password)
		if len(secret) > bcryptMaxPasswordBytes {
			secret = secret[:bcryptMaxPasswordBytes]
		}
		return bcrypt.CompareHashAndPassword(hashed, secret) == nil
	}}, nil
}

// parseDjangoScrypt reads Django's "<N>$<salt>$<r>$<p>$<base64 key>".
func parseDjangoScrypt(rest string) (legacyHash, error) {
	parts := strings.Split(rest, "$")
	if len(parts) != 5 {
		return legacyHash{}, unsupported("django scrypt: want N$salt$r$p$hash")
	}
	want, err := base64.StdEncoding.DecodeString(parts[4])
	if err != nil || len(want) == 0 {
		return legacyHash{}, unsupported("django scrypt: the hash is not base64")
	}
	return scryptHash(SchemeDjangoScrypt, parts[0], parts[2], parts[3], []byte(parts[1]), want)
}

// parseWerkzeugPBKDF2 reads Werkzeug's "pbkdf2:<hash>:<iterations>$<salt>$<hex key>".
func parseWerkzeugPBKDF2(method, rest string) (legacyHash, error) {
	args := strings.Split(strings.TrimPrefix(method, "pbkdf2:"), ":")
	if len(args) != 2 {
		return legacyHash{}, unsupported("werkzeug pbkdf2: want pbkdf2:<hash>:<iterations>")
	}
	var newHash func() hash.Hash
	switch args[0] {
	case "sha256":
		newHash = sha256.New
	case "sha1":
		newHash = sha1.New
	default:
		return legacyHash{}, unsupported("werkzeug pbkdf2: hash %q is not supported", truncate(args[0], 16))
	}
	iterations, err := positiveInt("iterations", args[1], maxLegacyPBKDF2Iterations)
	if err != nil {
		return legacyHash{}, err
	}
	salt, hexKey, ok := strings.Cut(rest, "$")
	want, err := hex.DecodeString(hexKey)
	if !ok || err != nil || len(want) == 0 {
		return legacyHash{}, unsupported("werkzeug pbkdf2: want salt$hexhash")
	}
	return legacyHash{scheme: SchemeWerkzeugPBKDF2, verify: func(password string) bool {
		got, err := pbkdf2.Key(newHash, password, []byte(salt), iterations, len(want))
		return err == nil && hmac.Equal(got, want)
	}}, nil
}

// parseWerkzeugScrypt reads Werkzeug's "scrypt:<N>:<r>:<p>$<salt>$<hex key>".
func parseWerkzeugScrypt(method, rest string) (legacyHash, error) {
	args := strings.Split(strings.TrimPrefix(method, "scrypt:"), ":")
	if len(args) != 3 {
		return legacyHash{}, unsupported("werkzeug scrypt: want scrypt:N:r:p")
	}
	salt, hexKey, ok := strings.Cut(rest, "$")
	want, err := hex.DecodeString(hexKey)
	if !ok || err != nil || len(want) == 0 {
		return legacyHash{}, unsupported("werkzeug scrypt: want salt$hexhash")
	}
	return scryptHash(SchemeWerkzeugScrypt, args[0], args[1], args[2], []byte(salt), want)
}

func scryptHash(scheme, nText, rText, pText string, salt, want []byte) (legacyHash, error) {
	n, err := positiveInt("N", nText, 1<<22)
	if err != nil {
		return legacyHash{}, err
	}
	r, err := positiveInt("r", rText, 64)
	if err != nil {
		return legacyHash{}, err
	}
	p, err := positiveInt("p", pText, maxLegacyThreads)
	if err != nil {
		return legacyHash{}, err
	}
	if n&(n-1) != 0 || n < 2 {
		return legacyHash{}, unsupported("%s: N must be a power of two", scheme)
	}
	if kib := 128 * n * r / 1024; kib > maxLegacyMemoryKiB {
		return legacyHash{}, unsupported("%s: N=%d r=%d needs %d KiB, beyond authd's bound of %d", scheme, n, r, kib, maxLegacyMemoryKiB)
	}
	return legacyHash{scheme: scheme, verify: func(password string) bool {
		got, err := scrypt.Key([]byte(password), salt, n, r, p, len(want))
		return err == nil && subtle.ConstantTimeCompare(got, want) == 1
	}}, nil
}
