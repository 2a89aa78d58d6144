package auth

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/trustelem/zxcvbn/frequency"
)

// Password length limits, in characters. The maximum bounds hashing work per request.
const (
	MinPasswordLen = 8
	MaxPasswordLen = 128
	// minIdentityLen is the shortest email local part or username that a password may not contain;
	// shorter ones would forbid too many good passwords.
	minIdentityLen = 4
)

// commonPasswords is the 30,000-entry list of the most used passwords that zxcvbn ships
// (github.com/trustelem/zxcvbn, from Dropbox's zxcvbn data), lower-cased.
var commonPasswords = func() map[string]struct{} {
	list := frequency.FrequencyLists["passwords"]
	set := make(map[string]struct{}, len(list))
	for _, p := range list {
		set[strings.ToLower(p)] = struct{}{}
	}
	return set
}()

// CommonPasswordCount is the size of the common-password list.
func CommonPasswordCount() int { return len(commonPasswords) }

// CheckPasswordStrength applies the password policy. field names the request property the password came from.
func CheckPasswordStrength(field, password, email string, username *string) error {
	n := utf8.RuneCountInString(password)
	switch {
	case !utf8.ValidString(password) || strings.ContainsRune(password, 0):
		return Invalid(field, "must be valid text without NUL characters")
	case n < MinPasswordLen:
		return Invalid(field, fmt.Sprintf("must be at least %d characters", MinPasswordLen))
	case n > MaxPasswordLen:
		return Invalid(field, fmt.Sprintf("must be at most %d characters", MaxPasswordLen))
	case strings.IndexFunc(password, func(r rune) bool { return !unicode.IsDigit(r) }) < 0:
		return Invalid(field, "must not be entirely numeric")
	}
	lower := strings.ToLower(password)
	if local, _, ok := strings.Cut(strings.ToLower(email), "@"); ok && utf8.RuneCountInString(local) >= minIdentityLen && strings.Contains(lower, local) {
		return Invalid(field, "must not contain your email address")
	}
	if username != nil {
		u := strings.ToLower(*username)
		if utf8.RuneCountInString(u) >= minIdentityLen && strings.Contains(lower, u) {
			return Invalid(field, "must not contain your username")
		}
	}
	if _, common := commonPasswords[lower]; common {
		return Invalid(field, "is too common; choose a less guessable password")
	}
	return nil
}
