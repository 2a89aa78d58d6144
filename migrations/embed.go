// Package migrations holds the goose SQL migrations; they are embedded in the binary and are sqlc's schema.
package migrations

import "embed"

// FS holds every migration file, applied in the order of their zero-padded names.
//
//go:embed *.sql
var FS embed.FS
