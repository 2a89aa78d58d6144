package httpapi

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	jsonv2 "github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
)

// maxJSONDepth bounds nesting; no request of the API nests more than two levels. jsontext's own bound is
// 10,000 and cannot be lowered, so the depth is checked while the tokens are read.
const maxJSONDepth = 32

func init() {
	// The validator decodes bodies with this stricter decoder. encoding/json, which the handlers decode
	// with afterwards, silently keeps the last of duplicate keys, replaces invalid UTF-8 and ignores
	// trailing data; rejecting those here means the handler sees exactly what was validated.
	openapi3filter.RegisterBodyDecoder("application/json", func(body io.Reader, _ http.Header, _ *openapi3.SchemaRef, _ openapi3filter.EncodingFn) (any, error) {
		data, err := io.ReadAll(body)
		if err != nil {
			return nil, err
		}
		value, err := decodeStrictJSON(data)
		if err != nil {
			return nil, &openapi3filter.ParseError{Kind: openapi3filter.KindInvalidFormat, Reason: err.Error(), Cause: err}
		}
		return value, nil
	})
}

// decodeStrictJSON decodes exactly one JSON value with go-json-experiment/json, which refuses invalid UTF-8,
// duplicate object names and anything after the value; nesting deeper than maxJSONDepth is refused too.
func decodeStrictJSON(data []byte) (any, error) {
	dec := jsontext.NewDecoder(bytes.NewReader(data))
	for {
		if _, err := dec.ReadToken(); err != nil {
			return nil, describeJSONError(err)
		}
		if dec.StackDepth() > maxJSONDepth {
			return nil, fmt.Errorf("JSON nested deeper than %d levels", maxJSONDepth)
		}
		if dec.StackDepth() == 0 {
			break
		}
	}
	var value any
	if err := jsonv2.Unmarshal(data, &value); err != nil {
		return nil, describeJSONError(err)
	}
	return value, nil
}

// describeJSONError words a decoding failure for the client without echoing its input.
func describeJSONError(err error) error {
	var syntax *jsontext.SyntacticError
	switch {
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return errors.New("unexpected end of JSON input")
	case errors.As(err, &syntax) && errors.Is(syntax.Err, jsontext.ErrDuplicateName):
		return fmt.Errorf("duplicate key at %s", truncateKey(string(syntax.JSONPointer)))
	case errors.As(err, &syntax) && syntax.Err != nil && syntax.Err.Error() == "invalid UTF-8":
		return errors.New("the body is not valid UTF-8")
	case errors.As(err, &syntax) && errors.Is(err, io.ErrUnexpectedEOF):
		return errors.New("unexpected end of JSON input")
	case errors.As(err, &syntax):
		return fmt.Errorf("invalid JSON at byte %d", syntax.ByteOffset)
	}
	return errors.New("invalid JSON")
}

func truncateKey(k string) string {
	if len(k) > 40 {
		return k[:40] + "..."
	}
	return k
}
