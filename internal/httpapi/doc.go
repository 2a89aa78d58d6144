// Package httpapi is authd's HTTP layer: the strict handlers generated from openapi.yaml, request
// validation, middleware and the one error writer.
package httpapi
