package auth

import (
	"context"
	"crypto/sha256"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
)

// MaxExternalIDLen bounds the source system's id of an imported user.
const MaxExternalIDLen = 255

// SourceUser is an account as another system exported it, before authd's rules are applied.
type SourceUser struct {
	Row          int // 1-based position in the source, for the report
	ExternalID   string
	Email        string
	PasswordHash string
	Username     string
	FirstName    string
	LastName     string
	PhoneNumber  string
	LanguageCode string
	IsAdmin      bool
	IsActive     bool
	CreatedAt    time.Time
	LastLoginAt  *time.Time
	Avatar       string // the image's path in the source's media directory
}

// ImportedUser is a SourceUser that passed authd's rules, normalised and ready to store.
type ImportedUser struct {
	Row          int
	ExternalID   *string
	Email        string
	PasswordHash string
	// HashScheme names the password hash's scheme; SchemeUnusable for an account that must set a password.
	HashScheme   string
	ImportDigest []byte
	Username     *string
	FirstName    string
	LastName     string
	PhoneNumber  *string
	LanguageCode string
	IsAdmin      bool
	IsActive     bool
	// CreatedAt is nil when the source has no date: a new account is created now, an existing one keeps its.
	CreatedAt   *time.Time
	LastLoginAt *time.Time
	Avatar      string
}

// ImportOutcome is what importing one user did.
type ImportOutcome string

const (
	ImportCreated   ImportOutcome = "imported"
	ImportUpdated   ImportOutcome = "updated"
	ImportUnchanged ImportOutcome = "unchanged"
	ImportSkipped   ImportOutcome = "skipped"
)

// ImportResult is the outcome of one user; Reason says why it was skipped.
type ImportResult struct {
	Outcome   ImportOutcome
	Reason    string
	UserID    uuid.UUID
	HasAvatar bool
}

// ImportStore writes a batch of imported users in one transaction, rolled back when dryRun. An existing
// account (same external id, or same email) is skipped, or brought up to date when update.
type ImportStore interface {
	ImportUsers(ctx context.Context, users []ImportedUser, update, dryRun bool) ([]ImportResult, error)
}

// phoneSeparators are the characters people type inside phone numbers; they carry no meaning and are
// dropped before the number is checked.
var phoneSeparators = strings.NewReplacer(" ", "", "-", "", ".", "", "(", "", ")", "")

// PrepareImport applies authd's rules to a source user: the email normalised as at registration, the
// profile held to the same limits, the password hash one authd can verify. An error is the reason to skip
// the user; nothing that fails here is stored.
func PrepareImport(u SourceUser) (ImportedUser, error) {
	v := validationErrors{}
	email, err := NormalizeEmail(u.Email)
	if err != nil {
		v.merge(err)
	}
	out := ImportedUser{Row: u.Row, Email: email, PasswordHash: u.PasswordHash, FirstName: u.FirstName, LastName: u.LastName,
		IsAdmin: u.IsAdmin, IsActive: u.IsActive, LastLoginAt: u.LastLoginAt, Avatar: u.Avatar}
	if !u.CreatedAt.IsZero() {
		out.CreatedAt = &u.CreatedAt
	}
	if id := strings.TrimSpace(u.ExternalID); id != "" {
		if len(id) > MaxExternalIDLen {
			v.add("external_id", fmt.Sprintf("must be at most %d bytes", MaxExternalIDLen))
		}
		out.ExternalID = &id
	}
	profile := Profile{FirstName: &out.FirstName, LastName: &out.LastName, LanguageCode: &u.LanguageCode}
	if u.LanguageCode == "" {
		profile.LanguageCode = nil
	}
	if u.Username != "" {
		profile.Username = &u.Username
	}
	if u.PhoneNumber != "" {
		profile.PhoneNumber = &u.PhoneNumber
	}
	profile.normalize(v)
	out.Username, out.PhoneNumber = profile.Username, profile.PhoneNumber
	out.LanguageCode = "en"
	if profile.LanguageCode != nil {
		out.LanguageCode = *profile.LanguageCode
	}
	switch {
	case u.PasswordHash == "" || IsUnusablePassword(u.PasswordHash):
		// Django writes "!" and 40 random characters; an empty one is unusable too.
		out.PasswordHash, out.HashScheme = unusablePasswordPrefix+strings.TrimPrefix(u.PasswordHash, unusablePasswordPrefix), SchemeUnusable
	default:
		if out.HashScheme, err = HashScheme(u.PasswordHash); err != nil {
			v.add("password", err.Error())
		}
	}
	digest := sha256.Sum256([]byte(out.PasswordHash))
	out.ImportDigest = digest[:]
	if out.HashScheme == SchemeUnusable {
		// Stored as no password at all (NULL); the digest above still tells a changed source row.
		out.PasswordHash = ""
	}
	if err := v.err(); err != nil {
		return ImportedUser{}, err
	}
	return out, nil
}
