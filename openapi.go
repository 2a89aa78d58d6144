// Package authd holds authd's contract, openapi.yaml, embedded, so that the server routes, validates and
// serves the very file in the repository. (The copy oapi-codegen embeds in gen/api renames operationIds
// and drops what Go does not need; authd does not use it.)
package authd

import _ "embed"

// OpenAPI is openapi.yaml, byte for byte.
//
//go:embed openapi.yaml
var OpenAPI []byte
