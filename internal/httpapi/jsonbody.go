package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"unicode/utf8"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
)

// maxJSONDepth bounds nesting; no request of the API nests more than two levels.
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

// decodeStrictJSON decodes one JSON value, refusing invalid UTF-8, duplicate object keys, nesting deeper
// than maxJSONDepth and anything after the value.
func decodeStrictJSON(data []byte) (any, error) {
	if !utf8.Valid(data) {
		return nil, errors.New("the body is not valid UTF-8")
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	value, err := readJSONValue(dec, 0)
	if err != nil {
		return nil, err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, errors.New("unexpected data after the JSON value")
	}
	return value, nil
}

func readJSONValue(dec *json.Decoder, depth int) (any, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, syntaxError(err)
	}
	delim, ok := tok.(json.Delim)
	if !ok {
		return tok, nil
	}
	if depth >= maxJSONDepth {
		return nil, fmt.Errorf("JSON nested deeper than %d levels", maxJSONDepth)
	}
	switch delim {
	case '{':
		obj := map[string]any{}
		for dec.More() {
			keyTok, err := dec.Token()
			if err != nil {
				return nil, syntaxError(err)
			}
			key, _ := keyTok.(string)
			if _, dup := obj[key]; dup {
				return nil, fmt.Errorf("duplicate key %q", truncateKey(key))
			}
			if obj[key], err = readJSONValue(dec, depth+1); err != nil {
				return nil, err
			}
		}
		_, err = dec.Token()
		return obj, syntaxError(err)
	case '[':
		arr := []any{}
		for dec.More() {
			v, err := readJSONValue(dec, depth+1)
			if err != nil {
				return nil, err
			}
			arr = append(arr, v)
		}
		_, err = dec.Token()
		return arr, syntaxError(err)
	}
	return nil, errors.New("unexpected delimiter")
}

func syntaxError(err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return errors.New("unexpected end of JSON input")
	}
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return fmt.Errorf("invalid JSON at byte %d", se.Offset)
	}
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		return err
	}
	return errors.New("invalid JSON")
}

func truncateKey(k string) string {
	if len(k) > 40 {
		return k[:40] + "..."
	}
	return k
}
