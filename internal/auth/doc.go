// Package auth is authd's domain: accounts, passwords, tokens, sessions, throttling and the admin zone's
// rules. It knows nothing of HTTP or SQL: handlers call it, and it calls the store through interfaces,
// whose implementations translate driver errors into this package's sentinel errors.
package auth
