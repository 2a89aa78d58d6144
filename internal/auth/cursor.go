package auth

import (
	"encoding/base64"
	"strings"
)

// errBadCursor is the answer to a cursor this API did not hand out.
var errBadCursor = Invalid("cursor", "is not a cursor from this API")

// encodeCursor joins the parts of a keyset position into one opaque, URL-safe string. Parts must not
// contain ".".
func encodeCursor(parts ...string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(strings.Join(parts, ".")))
}

// decodeCursor splits a cursor made by encodeCursor into exactly n non-empty parts.
func decodeCursor(cursor string, n int) ([]string, error) {
	raw, err := base64.RawURLEncoding.DecodeString(cursor)
	if err != nil {
		return nil, errBadCursor
	}
	parts := strings.Split(string(raw), ".")
	if len(parts) != n {
		return nil, errBadCursor
	}
	for _, p := range parts {
		if p == "" {
			return nil, errBadCursor
		}
	}
	return parts, nil
}
