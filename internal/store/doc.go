// Package store is authd's persistence: it wraps the sqlc queries and the pgx pool, owns transactions,
// applies migrations, and alone translates driver errors into the domain's sentinel errors.
package store
