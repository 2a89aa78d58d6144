// Package client is authd's Go SDK: the client generated from openapi.yaml (gen/api), with the session
// handled for you. It keeps the access and refresh tokens, sends the access token on every request, and
// when a request gets 401 invalid_token it refreshes once (concurrent requests share one refresh) and
// retries:
//
//	c, _ := client.New("https://auth.example.com")
//	if _, err := c.Login(ctx, "ada@example.com", "correct horse battery staple"); err != nil { ... }
//	me, err := c.Me(ctx)
//	var e *client.Error
//	if errors.As(err, &e) && e.Code == "invalid_credentials" { ... }
//
// Every generated operation is on c.API and gets the same handling.
package client

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"

	"github.com/authd/authd/gen/api"
)

// Error is authd's error body, for any answer that is not a success.
type Error struct {
	Status  int
	Code    string
	Message string
	// Fields names each invalid field (validation_error).
	Fields map[string]string
}

func (e *Error) Error() string { return fmt.Sprintf("authd: %d %s: %s", e.Status, e.Code, e.Message) }

// Client is an authd client that manages one user's session. It is safe for concurrent use.
type Client struct {
	// API is the generated client; its calls carry the access token and refresh it when it expires.
	API *api.ClientWithResponses
	// plain calls refresh without the session handling, so that a refresh never refreshes itself.
	plain   *api.ClientWithResponses
	mu      sync.Mutex
	access  string
	refresh string
	flight  singleflight.Group
}

// Bearer is a request editor that sends token as the bearer token, for calls made with the generated
// client (gen/api) directly rather than through a Client's session.
func Bearer(token string) api.RequestEditorFn {
	return func(_ context.Context, req *http.Request) error {
		req.Header.Set("Authorization", "Bearer "+token)
		return nil
	}
}

// Option configures a Client.
type Option func(*options)

type options struct {
	http            *http.Client
	access, refresh string
}

// WithHTTPClient sends requests with hc (timeouts, proxies, TLS) instead of a client with a 30 s timeout.
func WithHTTPClient(hc *http.Client) Option { return func(o *options) { o.http = hc } }

// WithTokens starts from a session kept elsewhere (see Tokens).
func WithTokens(access, refresh string) Option {
	return func(o *options) { o.access, o.refresh = access, refresh }
}

// New returns a client of the authd at baseURL.
func New(baseURL string, opts ...Option) (*Client, error) {
	o := options{http: &http.Client{Timeout: 30 * time.Second}}
	for _, opt := range opts {
		opt(&o)
	}
	c := &Client{access: o.access, refresh: o.refresh}
	plain, err := api.NewClientWithResponses(baseURL, api.WithHTTPClient(o.http))
	if err != nil {
		return nil, err
	}
	authed, err := api.NewClientWithResponses(baseURL, api.WithHTTPClient(&sessionDoer{c: c, next: o.http}))
	if err != nil {
		return nil, err
	}
	c.plain, c.API = plain, authed
	return c, nil
}

// Tokens returns the current access and refresh tokens, to keep the session across restarts.
func (c *Client) Tokens() (access, refresh string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.access, c.refresh
}

func (c *Client) setTokens(access, refresh string) {
	c.mu.Lock()
	c.access, c.refresh = access, refresh
	c.mu.Unlock()
}

// Register creates an account and signs it in.
func (c *Client) Register(ctx context.Context, r api.RegisterRequest) (*api.AuthResponse, error) {
	resp, err := c.plain.RegisterWithResponse(ctx, r)
	if err != nil {
		return nil, err
	}
	return c.signedIn(resp.HTTPResponse, resp.Body, resp.JSON201)
}

// Login signs in with an email and a password.
func (c *Client) Login(ctx context.Context, email, password string) (*api.AuthResponse, error) {
	resp, err := c.plain.LoginWithResponse(ctx, api.LoginRequest{Email: email, Password: password})
	if err != nil {
		return nil, err
	}
	return c.signedIn(resp.HTTPResponse, resp.Body, resp.JSON200)
}

// RequestLoginCode asks authd to mail a sign-in code to email. It answers the same whether or not an
// account has the address.
func (c *Client) RequestLoginCode(ctx context.Context, email string) error {
	resp, err := c.plain.RequestLoginCodeWithResponse(ctx, api.LoginCodeRequest{Email: email})
	if err != nil {
		return err
	}
	if resp.JSON202 == nil {
		return errorOf(resp.HTTPResponse, resp.Body)
	}
	return nil
}

// LoginWithCode signs in with the code RequestLoginCode mailed.
func (c *Client) LoginWithCode(ctx context.Context, email, code string) (*api.AuthResponse, error) {
	return c.loginWithCode(ctx, api.LoginCodeVerification{Email: &email, Code: &code})
}

// LoginWithLink signs in with the token of the sign-in link in the same message.
func (c *Client) LoginWithLink(ctx context.Context, token string) (*api.AuthResponse, error) {
	return c.loginWithCode(ctx, api.LoginCodeVerification{Token: &token})
}

func (c *Client) loginWithCode(ctx context.Context, body api.LoginCodeVerification) (*api.AuthResponse, error) {
	resp, err := c.plain.LoginWithCodeWithResponse(ctx, body)
	if err != nil {
		return nil, err
	}
	return c.signedIn(resp.HTTPResponse, resp.Body, resp.JSON200)
}

// signedIn keeps the tokens of a sign-in's answer, or returns authd's error.
func (c *Client) signedIn(resp *http.Response, body []byte, signed *api.AuthResponse) (*api.AuthResponse, error) {
	if signed == nil {
		return nil, errorOf(resp, body)
	}
	c.setTokens(signed.AccessToken, signed.RefreshToken.String())
	return signed, nil
}

// Me returns the signed-in user.
func (c *Client) Me(ctx context.Context) (*api.User, error) {
	resp, err := c.API.GetMeWithResponse(ctx)
	if err != nil {
		return nil, err
	}
	if resp.JSON200 == nil {
		return nil, errorOf(resp.HTTPResponse, resp.Body)
	}
	return resp.JSON200, nil
}

// Logout ends the session on the server and forgets the tokens.
func (c *Client) Logout(ctx context.Context) error {
	_, refresh := c.Tokens()
	defer c.setTokens("", "")
	if refresh == "" {
		return nil
	}
	resp, err := c.plain.LogoutWithBody(ctx, "application/json", strings.NewReader(`{"refresh_token":"`+refresh+`"}`))
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return errorOf(resp, body)
	}
	return nil
}

// Refresh rotates the session's tokens now.
func (c *Client) Refresh(ctx context.Context) error {
	access, _ := c.Tokens()
	return c.refreshAfter(ctx, access)
}

// refreshAfter rotates the tokens unless the access token is no longer stale (another caller refreshed
// meanwhile). Concurrent callers share one refresh: a refresh token can be used once.
func (c *Client) refreshAfter(ctx context.Context, stale string) error {
	_, err, _ := c.flight.Do("refresh", func() (any, error) {
		access, refresh := c.Tokens()
		if access != stale {
			return nil, nil // another caller refreshed while this one waited
		}
		if refresh == "" {
			return nil, &Error{Status: http.StatusUnauthorized, Code: string(api.ErrorCodeUnauthorized), Message: "not signed in"}
		}
		resp, err := c.plain.RefreshWithBody(context.WithoutCancel(ctx), "application/json",
			strings.NewReader(`{"refresh_token":"`+refresh+`"}`))
		if err != nil {
			return nil, err
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusOK {
			return nil, errorOf(resp, body)
		}
		var pair api.TokenPair
		if err := json.Unmarshal(body, &pair); err != nil {
			return nil, err
		}
		c.setTokens(pair.AccessToken, pair.RefreshToken.String())
		return nil, nil
	})
	return err
}

// sessionDoer sends the access token, and on 401 invalid_token refreshes once and sends the request again.
type sessionDoer struct {
	c    *Client
	next api.HttpRequestDoer
}

func (d *sessionDoer) Do(req *http.Request) (*http.Response, error) {
	access, _ := d.c.Tokens()
	resp, err := d.send(req, access)
	if err != nil || resp.StatusCode != http.StatusUnauthorized {
		return resp, err
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(body))
	var e api.ErrorResponse
	if json.Unmarshal(body, &e) != nil || e.Error != api.ErrorCodeInvalidToken || (req.Body != nil && req.GetBody == nil) {
		return resp, nil
	}
	if err := d.c.refreshAfter(req.Context(), access); err != nil {
		return resp, nil // the session is over: the caller sees the 401
	}
	retry := req.Clone(req.Context())
	if req.GetBody != nil {
		if retry.Body, err = req.GetBody(); err != nil {
			return nil, err
		}
	}
	access, _ = d.c.Tokens()
	return d.send(retry, access)
}

func (d *sessionDoer) send(req *http.Request, access string) (*http.Response, error) {
	if access != "" {
		req.Header.Set("Authorization", "Bearer "+access)
	}
	return d.next.Do(req)
}

// errorOf reads authd's error body; an answer without one still becomes an *Error with its status.
func errorOf(resp *http.Response, body []byte) error {
	e := &Error{Status: resp.StatusCode, Code: "unknown", Message: http.StatusText(resp.StatusCode)}
	var parsed api.ErrorResponse
	if json.Unmarshal(body, &parsed) == nil && parsed.Error != "" {
		e.Code, e.Message = string(parsed.Error), parsed.Message
		if parsed.Details.ValidationErrors != nil {
			e.Fields = *parsed.Details.ValidationErrors
		}
	}
	return e
}
