package store

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strings"

	"github.com/pressly/goose/v3"

	"github.com/authd/authd/internal/auth"
)

// normalizeEmailsVersion is the Go migration that rewrites stored emails into auth.NormalizeEmail's form.
// It is Go, not SQL, because IDNA and Unicode normalisation live in Go.
const normalizeEmailsVersion = 5

func normalizeEmailsMigration() *goose.Migration {
	return goose.NewGoMigration(normalizeEmailsVersion,
		&goose.GoFunc{RunTx: normalizeEmails},
		// The old spellings are gone; rolling back leaves the normalised ones, which every version accepts.
		&goose.GoFunc{RunTx: func(context.Context, *sql.Tx) error { return nil }})
}

// EmailCollisionError lists the accounts whose emails become one address after normalisation. They are
// never merged silently: the migration fails until an operator resolves them (see the README).
type EmailCollisionError struct {
	// Groups are the colliding accounts, each as "id <email>", grouped by the address they share.
	Groups map[string][]string
}

func (e *EmailCollisionError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d emails are held by more than one account once normalised (NFC, lower case, IDNA domain); "+
		"change or delete all but one account of each, then run the migration again:", len(e.Groups))
	for _, address := range slices.Sorted(maps.Keys(e.Groups)) {
		fmt.Fprintf(&b, "\n  %s: %s", address, strings.Join(e.Groups[address], ", "))
	}
	return b.String()
}

// normalizeEmails rewrites every stored email into its normalised form, or fails listing the accounts that
// would collide. An email that no longer passes validation is left as it is and logged: its account can
// still be found by id, and an admin decides.
func normalizeEmails(ctx context.Context, tx *sql.Tx) error {
	rows, err := tx.QueryContext(ctx, "SELECT id::text, email FROM users ORDER BY created_at, id FOR UPDATE")
	if err != nil {
		return err
	}
	type account struct{ id, email, normalized string }
	var accounts []account
	byAddress := map[string][]string{}
	for rows.Next() {
		var a account
		if err := rows.Scan(&a.id, &a.email); err != nil {
			rows.Close()
			return err
		}
		a.normalized, err = auth.NormalizeEmail(a.email)
		if err != nil {
			slog.WarnContext(ctx, "stored email does not pass validation; left as it is", slog.String("user_id", a.id))
			a.normalized = a.email
		}
		accounts = append(accounts, a)
		byAddress[a.normalized] = append(byAddress[a.normalized], a.id+" <"+a.email+">")
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	collisions := map[string][]string{}
	for address, holders := range byAddress {
		if len(holders) > 1 {
			collisions[address] = holders
		}
	}
	if len(collisions) > 0 {
		return &EmailCollisionError{Groups: collisions}
	}
	for _, a := range accounts {
		if a.normalized == a.email {
			continue
		}
		if _, err := tx.ExecContext(ctx, "UPDATE users SET email = $1 WHERE id = $2::uuid", a.normalized, a.id); err != nil {
			return err
		}
	}
	return nil
}
