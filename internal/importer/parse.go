package importer

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/authd/authd/internal/auth"
)

// Formats of an import file.
const (
	FormatAuto   = "auto"
	FormatDjango = "django"
	FormatJSONL  = "jsonl"
)

// maxLine bounds one JSON lines record (and one Django object): a user is a few hundred bytes.
const maxLine = 64 * 1024

// Record is one record of a source: a user, or the reason it could not be read (Skip set).
type Record struct {
	User auth.SourceUser
	Skip *Skip
}

// Parse reads users from r in format (FormatAuto looks at the first character: '[' is Django's dumpdata,
// '{' JSON lines) and hands each record to emit as it is read, so that a large file is never held whole.
// A record that cannot be read is a skip with its row number; a file that cannot be read on is an error,
// as is an error from emit.
func Parse(r io.Reader, format string, emit func(Record) error) error {
	br := bufio.NewReaderSize(r, maxLine)
	if format == "" || format == FormatAuto {
		first, err := firstNonSpace(br)
		if err != nil {
			return err
		}
		switch first {
		case '[':
			format = FormatDjango
		case '{':
			format = FormatJSONL
		default:
			return fmt.Errorf("cannot tell the format: the file starts with %q, not [ (Django dumpdata) or { (JSON lines)", first)
		}
	}
	switch format {
	case FormatDjango:
		return parseDjango(br, emit)
	case FormatJSONL:
		return parseJSONL(br, emit)
	}
	return fmt.Errorf("unknown format %q: want auto, django or jsonl", format)
}

func firstNonSpace(br *bufio.Reader) (byte, error) {
	for {
		b, err := br.ReadByte()
		if errors.Is(err, io.EOF) {
			return 0, errors.New("the file is empty")
		}
		if err != nil {
			return 0, err
		}
		// Whitespace, and the bytes of a UTF-8 byte order mark, come before the first value.
		if !bytes.ContainsRune([]byte(" \t\r\n"), rune(b)) && b != 0xEF && b != 0xBB && b != 0xBF {
			return b, br.UnreadByte()
		}
	}
}

// djangoObject is one object of `manage.py dumpdata`.
type djangoObject struct {
	Model  string                     `json:"model"`
	PK     json.RawMessage            `json:"pk"`
	Fields map[string]json.RawMessage `json:"fields"`
}

// parseDjango reads dumpdata output object by object, so that a large file is never held whole. Objects
// of other models (groups, permissions) are skipped with their model named; any model with a password
// field is a user model (auth.user, or a custom one such as users.users).
func parseDjango(r io.Reader, emit func(Record) error) error {
	dec := json.NewDecoder(r)
	if tok, err := dec.Token(); err != nil || tok != json.Delim('[') {
		return errors.New("a Django dumpdata file is a JSON array of objects")
	}
	for row := 1; dec.More(); row++ {
		var obj djangoObject
		if err := dec.Decode(&obj); err != nil {
			return fmt.Errorf("object %d: %w", row, err)
		}
		var rec Record
		if _, ok := obj.Fields["password"]; !ok {
			rec.Skip = &Skip{Row: row, Reason: fmt.Sprintf("not a user (model %s)", obj.Model)}
		} else if u, err := djangoUser(row, obj); err != nil {
			rec.Skip = &Skip{Row: row, ExternalID: pkString(obj.PK), Reason: err.Error()}
		} else {
			rec.User = u
		}
		if err := emit(rec); err != nil {
			return err
		}
	}
	if _, err := dec.Token(); err != nil {
		return fmt.Errorf("after the last object: %w", err)
	}
	return nil
}

func pkString(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var n json.Number
	if json.Unmarshal(raw, &n) == nil {
		return n.String()
	}
	return ""
}

func djangoUser(row int, obj djangoObject) (auth.SourceUser, error) {
	f := fieldReader{fields: obj.Fields}
	u := auth.SourceUser{
		Row:          row,
		ExternalID:   pkString(obj.PK),
		Email:        f.text("email"),
		PasswordHash: f.text("password"),
		Username:     f.text("username"),
		FirstName:    f.text("first_name"),
		LastName:     f.text("last_name"),
		PhoneNumber:  f.text("number_phone", "phone_number", "phone"),
		LanguageCode: f.text("language_code", "language"),
		IsAdmin:      f.boolean("is_superuser", false),
		IsActive:     f.boolean("is_active", true),
		CreatedAt:    f.time("date_joined", "created_at"),
		Avatar:       f.text("avatar"),
	}
	if t := f.time("last_login"); !t.IsZero() {
		u.LastLoginAt = &t
	}
	return u, f.err
}

// fieldReader reads Django fields by name, remembering the first type error.
type fieldReader struct {
	fields map[string]json.RawMessage
	err    error
}

func (f *fieldReader) raw(names ...string) (string, json.RawMessage) {
	for _, name := range names {
		if v, ok := f.fields[name]; ok && string(v) != "null" {
			return name, v
		}
	}
	return "", nil
}

func (f *fieldReader) text(names ...string) string {
	name, v := f.raw(names...)
	if v == nil {
		return ""
	}
	var s string
	if err := json.Unmarshal(v, &s); err != nil {
		var n json.Number
		if json.Unmarshal(v, &n) == nil {
			return n.String()
		}
		f.fail(name, "a string")
	}
	return s
}

func (f *fieldReader) boolean(name string, missing bool) bool {
	_, v := f.raw(name)
	if v == nil {
		return missing
	}
	var b bool
	if err := json.Unmarshal(v, &b); err != nil {
		f.fail(name, "true or false")
	}
	return b
}

func (f *fieldReader) time(names ...string) time.Time {
	name, v := f.raw(names...)
	if v == nil {
		return time.Time{}
	}
	var s string
	if err := json.Unmarshal(v, &s); err != nil {
		f.fail(name, "a date and time")
		return time.Time{}
	}
	t, err := parseTime(s)
	if err != nil {
		f.fail(name, "a date and time such as 2024-01-15T10:30:00Z")
	}
	return t
}

func (f *fieldReader) fail(name, want string) {
	if f.err == nil {
		f.err = fmt.Errorf("%s must be %s", name, want)
	}
}

// parseTime reads Django's serialised datetimes: RFC 3339 with a zone, or without one (USE_TZ = False),
// which is taken as UTC.
func parseTime(s string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, nil
	}
	for _, layout := range []string{"2006-01-02T15:04:05.999999999", "2006-01-02 15:04:05.999999999Z07:00", "2006-01-02 15:04:05.999999999"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("not a date and time: %q", s)
}

// jsonlUser is authd's own import shape, one per line, for sources other than Django.
type jsonlUser struct {
	ExternalID   json.RawMessage `json:"external_id"`
	Email        string          `json:"email"`
	PasswordHash string          `json:"password_hash"`
	Username     *string         `json:"username"`
	FirstName    *string         `json:"first_name"`
	LastName     *string         `json:"last_name"`
	PhoneNumber  *string         `json:"phone_number"`
	LanguageCode *string         `json:"language_code"`
	IsAdmin      bool            `json:"is_admin"`
	IsActive     *bool           `json:"is_active"`
	CreatedAt    *string         `json:"created_at"`
	LastLoginAt  *string         `json:"last_login_at"`
	Avatar       *string         `json:"avatar"`
}

func parseJSONL(r *bufio.Reader, emit func(Record) error) error {
	for row := 1; ; row++ {
		line, err := r.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			return fmt.Errorf("line %d is longer than %d bytes", row, maxLine)
		}
		if err != nil && !errors.Is(err, io.EOF) {
			return err
		}
		if trimmed := bytes.TrimSpace(line); len(trimmed) > 0 {
			var rec Record
			if u, parseErr := jsonlRecord(row, trimmed); parseErr != nil {
				rec.Skip = &Skip{Row: row, Reason: parseErr.Error()}
			} else {
				rec.User = u
			}
			if err := emit(rec); err != nil {
				return err
			}
		}
		if errors.Is(err, io.EOF) {
			return nil
		}
	}
}

func jsonlRecord(row int, line []byte) (auth.SourceUser, error) {
	dec := json.NewDecoder(bytes.NewReader(line))
	dec.DisallowUnknownFields()
	var rec jsonlUser
	if err := dec.Decode(&rec); err != nil {
		return auth.SourceUser{}, fmt.Errorf("not a user record: %w", err)
	}
	if dec.More() {
		return auth.SourceUser{}, errors.New("not a user record: more than one JSON value on the line")
	}
	u := auth.SourceUser{Row: row, ExternalID: pkString(rec.ExternalID), Email: rec.Email, PasswordHash: rec.PasswordHash,
		Username: deref(rec.Username), FirstName: deref(rec.FirstName), LastName: deref(rec.LastName),
		PhoneNumber: deref(rec.PhoneNumber), LanguageCode: deref(rec.LanguageCode), IsAdmin: rec.IsAdmin,
		IsActive: rec.IsActive == nil || *rec.IsActive, Avatar: deref(rec.Avatar)}
	if rec.PasswordHash == "" {
		return auth.SourceUser{}, errors.New("password_hash is missing (use \"!\" for an account without a password)")
	}
	if rec.CreatedAt != nil {
		t, err := parseTime(*rec.CreatedAt)
		if err != nil {
			return auth.SourceUser{}, fmt.Errorf("created_at: %w", err)
		}
		u.CreatedAt = t
	}
	if rec.LastLoginAt != nil {
		t, err := parseTime(*rec.LastLoginAt)
		if err != nil {
			return auth.SourceUser{}, fmt.Errorf("last_login_at: %w", err)
		}
		u.LastLoginAt = &t
	}
	return u, nil
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
