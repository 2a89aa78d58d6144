package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/authd/authd/gen/db"
	"github.com/authd/authd/internal/auth"
)

// ImportUsers implements auth.ImportStore. Each user runs under a savepoint, so that one refused row (a
// username another account holds, say) skips that row and not the batch.
func (s *Store) ImportUsers(ctx context.Context, users []auth.ImportedUser, update, dryRun bool) ([]auth.ImportResult, error) {
	ctx, cancel := context.WithTimeout(ctx, s.timeout+time.Duration(len(users))*importTimePerUser)
	defer cancel()
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return nil, wrap("import users: begin", err)
	}
	defer tx.Rollback(ctx) //nolint:errcheck // a no-op after Commit
	results := make([]auth.ImportResult, len(users))
	for i, u := range users {
		savepoint, err := tx.Begin(ctx)
		if err != nil {
			return nil, wrap("import users: savepoint", err)
		}
		result, err := importUser(ctx, s.q.WithTx(savepoint), u, update)
		if err == nil {
			err = savepoint.Commit(ctx)
		} else {
			reason, refused := refusal(err)
			if !refused {
				return nil, wrap(fmt.Sprintf("import user of row %d", u.Row), err)
			}
			if rollbackErr := savepoint.Rollback(ctx); rollbackErr != nil {
				return nil, wrap("import users: rollback to savepoint", rollbackErr)
			}
			result = auth.ImportResult{Outcome: auth.ImportSkipped, Reason: reason}
		}
		if err != nil {
			return nil, wrap("import users: release savepoint", err)
		}
		results[i] = result
	}
	if dryRun {
		return results, nil
	}
	return results, wrap("import users: commit", tx.Commit(ctx))
}

// refusal says why a row the database refused is skipped; other errors end the import.
func refusal(err error) (string, bool) {
	err = translate(err)
	switch {
	case errors.Is(err, auth.ErrEmailTaken):
		return "another account has this email", true
	case errors.Is(err, auth.ErrUsernameTaken):
		return "another account has this username", true
	case errors.Is(err, errLastAdmin):
		return "it would leave no active admin", true
	case errors.Is(err, errOtherAccount):
		return "the external id and the email belong to two different accounts", true
	}
	var verr *auth.ValidationError
	if errors.As(err, &verr) {
		return verr.Error(), true
	}
	return "", false
}

// importTimePerUser is what a batch may take per user beyond the operation timeout: a few statements each.
const importTimePerUser = 20 * time.Millisecond

var (
	errLastAdmin    = errors.New("last admin")
	errOtherAccount = errors.New("external id and email match different accounts")
)

func importUser(ctx context.Context, q *db.Queries, u auth.ImportedUser, update bool) (auth.ImportResult, error) {
	existing, err := q.UserForImport(ctx, db.UserForImportParams{ExternalID: u.ExternalID, Email: u.Email})
	if err != nil {
		return auth.ImportResult{}, err
	}
	switch {
	case len(existing) > 1:
		return auth.ImportResult{}, errOtherAccount
	case len(existing) == 0:
		row, err := q.InsertImportedUser(ctx, db.InsertImportedUserParams{
			Email: u.Email, Username: u.Username, PasswordHash: u.PasswordHash, FirstName: u.FirstName, LastName: u.LastName,
			PhoneNumber: u.PhoneNumber, LanguageCode: u.LanguageCode, IsAdmin: u.IsAdmin, IsActive: u.IsActive,
			CreatedAt: u.CreatedAt, LastLoginAt: u.LastLoginAt, ExternalID: u.ExternalID, ImportDigest: u.ImportDigest,
		})
		if err != nil {
			return auth.ImportResult{}, err
		}
		return auth.ImportResult{Outcome: auth.ImportCreated, UserID: row.ID}, nil
	}
	current := existing[0]
	sameSource := u.ExternalID != nil && current.ExternalID != nil && *u.ExternalID == *current.ExternalID
	if current.ExternalID != nil && !sameSource {
		return auth.ImportResult{Outcome: auth.ImportSkipped, UserID: current.ID,
			Reason: "another imported account (external id " + *current.ExternalID + ") has this email"}, nil
	}
	if !update {
		reason := "an account with this email exists"
		if sameSource {
			reason = "already imported"
		}
		return auth.ImportResult{Outcome: auth.ImportSkipped, Reason: reason, UserID: current.ID}, nil
	}
	if current.IsAdmin && current.IsActive && !(u.IsAdmin && u.IsActive) {
		admins, err := q.LockActiveAdmins(ctx)
		if err != nil {
			return auth.ImportResult{}, err
		}
		if len(admins) <= 1 {
			return auth.ImportResult{}, errLastAdmin
		}
	}
	row, err := q.UpdateImportedUser(ctx, db.UpdateImportedUserParams{
		ID: current.ID, Email: u.Email, Username: u.Username, PasswordHash: u.PasswordHash, FirstName: u.FirstName,
		LastName: u.LastName, PhoneNumber: u.PhoneNumber, LanguageCode: u.LanguageCode, IsAdmin: u.IsAdmin,
		IsActive: u.IsActive, CreatedAt: u.CreatedAt, LastLoginAt: u.LastLoginAt, ExternalID: u.ExternalID,
		ImportDigest: u.ImportDigest,
	})
	if errors.Is(err, pgx.ErrNoRows) {
		return auth.ImportResult{Outcome: auth.ImportUnchanged, UserID: current.ID, HasAvatar: current.Avatar != nil}, nil
	}
	if err != nil {
		return auth.ImportResult{}, err
	}
	return auth.ImportResult{Outcome: auth.ImportUpdated, UserID: row.ID, HasAvatar: row.Avatar != nil}, nil
}
