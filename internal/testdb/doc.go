// Package testdb gives each test its own PostgreSQL database, cloned from a migrated template.
//
// The server is AUTHD_TEST_DATABASE_URL when set; otherwise the one scripts/ensure-postgres finds or
// starts (127.0.0.1:5432, or a private cluster built from the installed binaries).
package testdb
