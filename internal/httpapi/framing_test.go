package httpapi_test

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/authd/authd/gen/api"
	"github.com/authd/authd/internal/apitest"
)

// rawExchange writes raw bytes to the server and reads one response, the way a client that does not use
// net/http would. It reports whether the server closed the connection after the response.
func rawExchange(t *testing.T, env *apitest.Env, request string) (*http.Response, []byte, bool) {
	t.Helper()
	conn, err := net.Dial("tcp", strings.TrimPrefix(env.Server.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if err := conn.SetDeadline(time.Now().Add(5 * time.Second)); err != nil {
		t.Fatal(err)
	}
	if _, err := io.WriteString(conn, request); err != nil {
		t.Fatal(err)
	}
	reader := bufio.NewReader(conn)
	resp, err := http.ReadResponse(reader, nil)
	if err != nil {
		t.Fatalf("no response: %v", err)
	}
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("read body: %v", err)
	}
	resp.Body.Close()
	// A closed connection reads EOF at once; an open one times out.
	_ = conn.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
	_, err = reader.ReadByte()
	closed := err == io.EOF || (err != nil && !isTimeout(err))
	return resp, body, closed
}

func isTimeout(err error) bool {
	ne, ok := err.(net.Error)
	return ok && ne.Timeout()
}

func errorCode(t *testing.T, body []byte) api.ErrorCode {
	t.Helper()
	var e api.ErrorResponse
	if err := jsonUnmarshal(body, &e); err != nil {
		t.Fatalf("not an error body: %s", body)
	}
	return e.Error
}

// An operation that needs a bearer token answers 401 from the headers alone: it sends no 100 Continue
// and reads no byte of the body.
func TestNoBodyIsReadBeforeAuthorisation(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	for name, authorization := range map[string]string{"no token": "", "bad token": "Authorization: Bearer not.a.token\r\n"} {
		for _, target := range []string{"PUT /api/me/avatar", "PATCH /api/me", "POST /api/me/password", "PATCH /api/admin/settings"} {
			request := target + " HTTP/1.1\r\nHost: authd\r\nContent-Type: multipart/form-data; boundary=x\r\n" + authorization +
				"Content-Length: 5000000\r\nExpect: 100-continue\r\n\r\n"
			start := time.Now()
			resp, body, _ := rawExchange(t, env, request)
			if resp.StatusCode != http.StatusUnauthorized {
				t.Errorf("%s, %s: %d %s, want 401 (a 100 Continue means the body was asked for)", name, target, resp.StatusCode, body)
				continue
			}
			if elapsed := time.Since(start); elapsed > 2*time.Second {
				t.Errorf("%s, %s: answered after %s; it waited for the body", name, target, elapsed)
			}
		}
	}
}

func TestFramingErrorsAre4xx(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	chunk := strings.Repeat("a", 64<<10)
	var huge strings.Builder
	huge.WriteString(`{"email":"a@example.com","password":"`)
	for range 24 { // 1.5 MiB, over the 1 MiB limit, without Content-Length
		huge.WriteString(chunk)
	}
	body := huge.String()
	var chunked strings.Builder
	for i := 0; i < len(body); i += 32 << 10 {
		part := body[i:min(i+32<<10, len(body))]
		chunked.WriteString(strings.ToUpper(strconvHex(len(part))) + "\r\n" + part + "\r\n")
	}
	chunked.WriteString("0\r\n\r\n")
	cases := []struct {
		name    string
		request string
		status  int
		code    api.ErrorCode
	}{
		{"chunked body over the limit",
			"POST /api/login HTTP/1.1\r\nHost: authd\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n" + chunked.String(),
			http.StatusRequestEntityTooLarge, api.ErrorCodePayloadTooLarge},
		{"chunked avatar over the limit",
			"PUT /api/me/avatar HTTP/1.1\r\nHost: authd\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nAuthorization: Bearer " +
				env.Register(apitest.UniqueEmail("framing")).AccessToken + "\r\n\r\n" + strings.Repeat(chunked.String()[:len(chunked.String())-5], 4) + "0\r\n\r\n",
			http.StatusRequestEntityTooLarge, api.ErrorCodePayloadTooLarge},
		{"bad chunk size",
			"POST /api/login HTTP/1.1\r\nHost: authd\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n",
			http.StatusBadRequest, ""},
		{"over-long chunk extension",
			"POST /api/login HTTP/1.1\r\nHost: authd\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n2;" +
				strings.Repeat("x", 64<<10) + "\r\n{}\r\n0\r\n\r\n",
			http.StatusBadRequest, ""},
	}
	for _, c := range cases {
		resp, body, _ := rawExchange(t, env, c.request)
		if resp.StatusCode != c.status {
			t.Errorf("%s: %d %s, want %d", c.name, resp.StatusCode, body, c.status)
			continue
		}
		if code := errorCode(t, body); c.code != "" && code != c.code {
			t.Errorf("%s: code %s, want %s", c.name, code, c.code)
		}
	}
}

// A request with both Content-Length and Transfer-Encoding is answered and its connection closed, so that
// nothing can be smuggled behind it.
func TestContentLengthWithTransferEncodingClosesTheConnection(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	smuggled := "GET /api/me HTTP/1.1\r\nHost: authd\r\n\r\n"
	request := "POST /api/logout HTTP/1.1\r\nHost: authd\r\nContent-Type: application/json\r\nContent-Length: 4\r\n" +
		"Transfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n" + smuggled
	resp, body, closed := rawExchange(t, env, request)
	if resp.StatusCode >= 500 {
		t.Errorf("%d %s", resp.StatusCode, body)
	}
	if !closed || !resp.Close {
		t.Errorf("connection left open (Connection: %q): a smuggled request could follow", resp.Header.Get("Connection"))
	}
}

func strconvHex(n int) string {
	const digits = "0123456789abcdef"
	if n == 0 {
		return "0"
	}
	var out []byte
	for ; n > 0; n /= 16 {
		out = append([]byte{digits[n%16]}, out...)
	}
	return string(out)
}
