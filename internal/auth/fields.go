package auth

import (
	"fmt"
	"net/mail"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/net/idna"
	"golang.org/x/text/language"
	"golang.org/x/text/unicode/norm"
)

// Field limits, in characters; openapi.yaml documents the same ones.
const (
	MaxEmailLen    = 254
	MaxUsernameLen = 50
	MaxNameLen     = 50
	// MaxLanguageTagLen is the longest BCP 47 tag accepted (RFC 5646 section 4.4.1 suggests 35).
	MaxLanguageTagLen = 35
)

// PhonePattern is what a phone number must match: 4 to 15 digits, E.164 with its + or a national number
// without one (the Django services authd replaces kept free-form numbers such as 5551234567).
var PhonePattern = regexp.MustCompile(`^\+?[0-9]{4,15}$`)

// NormalizeEmail returns the one form under which an address is stored and looked up: trimmed, NFC,
// lower-cased, with the domain in its ASCII (punycode) form by IDNA, so that a Unicode domain and its
// punycode, or an NFD and an NFC spelling, are one account. It refuses control, invisible (format) and
// bidirectional characters, which make two addresses look alike, and anything but a plain addr-spec (no
// display name, no comments) with a dotted domain.
func NormalizeEmail(raw string) (string, error) {
	email := strings.TrimSpace(raw)
	if email == "" {
		return "", Invalid("email", "is required")
	}
	if !utf8.ValidString(email) || strings.IndexFunc(email, invisible) >= 0 {
		return "", Invalid("email", "must not contain control, invisible or bidirectional characters")
	}
	email = norm.NFC.String(strings.ToLower(email))
	at := strings.LastIndexByte(email, '@')
	if at <= 0 {
		return "", Invalid("email", "must be a valid email address")
	}
	domain, err := idna.Lookup.ToASCII(email[at+1:])
	if err != nil {
		return "", Invalid("email", "must be a valid email address")
	}
	email = email[:at+1] + domain
	if utf8.RuneCountInString(email) > MaxEmailLen {
		return "", Invalid("email", fmt.Sprintf("must be at most %d characters", MaxEmailLen))
	}
	if strings.ContainsAny(email, " <>()[]\\,;:\"") {
		return "", Invalid("email", "must be a valid email address")
	}
	addr, err := mail.ParseAddress(email)
	if err != nil || addr.Address != email || addr.Name != "" {
		return "", Invalid("email", "must be a valid email address")
	}
	if !strings.Contains(domain, ".") || strings.HasPrefix(domain, ".") || strings.HasSuffix(domain, ".") ||
		strings.Contains(domain, "..") {
		return "", Invalid("email", "must be a valid email address")
	}
	return email, nil
}

// invisible reports a character that has no place in an address: controls, spaces other than ASCII's,
// and format characters (zero-width spaces and joiners, bidirectional controls, soft hyphens, BOMs).
func invisible(r rune) bool {
	return unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || (unicode.IsSpace(r) && r != ' ') || r == utf8.RuneError
}

func hasControl(s string) bool {
	return strings.IndexFunc(s, unicode.IsControl) >= 0 || !utf8.ValidString(s)
}

// Profile holds the editable profile fields. A nil field is absent; Clear* clears a nullable one.
type Profile struct {
	Username      *string
	ClearUsername bool
	FirstName     *string
	LastName      *string
	PhoneNumber   *string
	ClearPhone    bool
	LanguageCode  *string
}

// normalize validates p and canonicalises the language tag (pt-br becomes pt-BR).
func (p *Profile) normalize(v validationErrors) {
	if p.Username != nil {
		u := *p.Username
		switch n := utf8.RuneCountInString(u); {
		case hasControl(u):
			v.add("username", "must not contain control characters")
		case strings.TrimSpace(u) == "":
			v.add("username", "must not be blank")
		case n > MaxUsernameLen:
			v.add("username", fmt.Sprintf("must be at most %d characters", MaxUsernameLen))
		case strings.TrimSpace(u) != u:
			v.add("username", "must not start or end with spaces")
		}
	}
	for field, value := range map[string]*string{"first_name": p.FirstName, "last_name": p.LastName} {
		if value == nil {
			continue
		}
		if hasControl(*value) {
			v.add(field, "must not contain control characters")
		} else if utf8.RuneCountInString(*value) > MaxNameLen {
			v.add(field, fmt.Sprintf("must be at most %d characters", MaxNameLen))
		}
	}
	if p.PhoneNumber != nil {
		compact := phoneSeparators.Replace(*p.PhoneNumber)
		p.PhoneNumber = &compact
	}
	if p.PhoneNumber != nil && !PhonePattern.MatchString(*p.PhoneNumber) {
		v.add("phone_number", "must be 4 to 15 digits, optionally after a +")
	}
	if p.LanguageCode != nil {
		tag, err := language.Parse(*p.LanguageCode)
		if err != nil || hasControl(*p.LanguageCode) || len(*p.LanguageCode) > MaxLanguageTagLen {
			v.add("language_code", "must be a BCP 47 language tag such as en or pt-BR")
		} else {
			canonical := tag.String()
			p.LanguageCode = &canonical
		}
	}
}
