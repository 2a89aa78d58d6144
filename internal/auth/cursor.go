package auth

import (
	"encoding/base64"
	"strconv"
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

// encodeIDCursor is the cursor after the row with this id (pages ordered by id, newest first).
func encodeIDCursor(id int64) string { return encodeCursor(strconv.FormatInt(id, 10)) }

// decodeIDCursor returns the id of an encodeIDCursor cursor, or 0 when there is none.
func decodeIDCursor(cursor *string) (int64, error) {
	if deref(cursor) == "" {
		return 0, nil
	}
	parts, err := decodeCursor(*cursor, 1)
	if err != nil {
		return 0, err
	}
	id, err := strconv.ParseInt(parts[0], 10, 64)
	if err != nil || id <= 0 {
		return 0, errBadCursor
	}
	return id, nil
}
