// Package apitest runs authd's full handler chain over HTTP on a fresh database, and talks to it through
// the generated client. Every response is validated against openapi.yaml, so spec drift fails the test.
package apitest
