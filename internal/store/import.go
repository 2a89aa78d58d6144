package store

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/authd/authd/gen/db"
	"github.com/authd/authd/internal/auth"
)

// ImportUsers implements auth.ImportStore. The accounts the batch may touch are read and locked in one
// statement, and the new ones inserted in one; an existing account that is brought up to date runs under a
// savepoint, so that a refused update (a username another account holds) skips that row and not the batch.
func (s *Store) ImportUsers(ctx context.Context, users []auth.ImportedUser, update, dryRun bool) ([]auth.ImportResult, error) {
	ctx, cancel := context.WithTimeout(ctx, s.timeout+time.Duration(len(users))*importTimePerUser)
	defer cancel()
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return nil, wrap("import users: begin", err)
	}
	defer tx.Rollback(ctx) //nolint:errcheck // a no-op after Commit
	// While an import fills the table, its statistics say it is nearly empty, and the planner would scan it
	// for every batch: a cost that grows with each batch. Every statement here is a keyed lookup or insert.
	if _, err := tx.Exec(ctx, "SET LOCAL enable_seqscan = off"); err != nil {
		return nil, wrap("import users: plan", err)
	}
	q := s.queries(ctx).WithTx(tx)
	ids, emails := make([]string, 0, len(users)), make([]string, 0, len(users))
	for _, u := range users {
		emails = append(emails, u.Email)
		if u.ExternalID != nil {
			ids = append(ids, *u.ExternalID)
		}
	}
	targets, err := q.ImportTargets(ctx, db.ImportTargetsParams{ExternalIds: ids, Emails: emails})
	if err != nil {
		return nil, wrap("import users: find existing", err)
	}
	byID, byEmail := map[string]db.User{}, map[string]db.User{}
	for _, t := range targets {
		byEmail[t.Email] = t
		if t.ExternalID != nil {
			byID[*t.ExternalID] = t
		}
	}
	results := make([]auth.ImportResult, len(users))
	var fresh []int
	for i, u := range users {
		matches := importMatches(u, byID, byEmail)
		if len(matches) == 0 {
			fresh = append(fresh, i)
			continue
		}
		if results[i], err = importExisting(ctx, tx, s.q, u, matches, update); err != nil {
			return nil, wrap(fmt.Sprintf("import user of row %d", u.Row), err)
		}
	}
	if err := insertImported(ctx, q, users, fresh, results); err != nil {
		return nil, wrap("import users: insert", err)
	}
	if dryRun {
		return results, nil
	}
	if err := q.NotifyUsersImported(ctx); err != nil {
		return nil, wrap("import users: notify", err)
	}
	return results, wrap("import users: commit", tx.Commit(ctx))
}

// importMatches are the accounts an imported user may be: the one with its external id and the one with
// its email, once each.
func importMatches(u auth.ImportedUser, byID, byEmail map[string]db.User) []db.User {
	var matches []db.User
	if u.ExternalID != nil {
		if t, ok := byID[*u.ExternalID]; ok {
			matches = append(matches, t)
		}
	}
	if t, ok := byEmail[u.Email]; ok && (len(matches) == 0 || matches[0].ID != t.ID) {
		matches = append(matches, t)
	}
	return matches
}

// importRow is a new account as InsertImportedUsers reads it from JSON.
type importRow struct {
	Email        string     `json:"email"`
	Username     *string    `json:"username"`
	PasswordHash string     `json:"password_hash"`
	FirstName    string     `json:"first_name"`
	LastName     string     `json:"last_name"`
	PhoneNumber  *string    `json:"phone_number"`
	LanguageCode string     `json:"language_code"`
	IsAdmin      bool       `json:"is_admin"`
	IsActive     bool       `json:"is_active"`
	CreatedAt    *time.Time `json:"created_at"`
	LastLoginAt  *time.Time `json:"last_login_at"`
	ExternalID   *string    `json:"external_id"`
	ImportDigest string     `json:"import_digest"`
}

// insertImported inserts the users at indexes fresh in one statement and records each one's result.
func insertImported(ctx context.Context, q *db.Queries, users []auth.ImportedUser, fresh []int, results []auth.ImportResult) error {
	if len(fresh) == 0 {
		return nil
	}
	rows := make([]importRow, len(fresh))
	for j, i := range fresh {
		u := users[i]
		rows[j] = importRow{Email: u.Email, Username: u.Username, PasswordHash: u.PasswordHash, FirstName: u.FirstName,
			LastName: u.LastName, PhoneNumber: u.PhoneNumber, LanguageCode: u.LanguageCode, IsAdmin: u.IsAdmin,
			IsActive: u.IsActive, CreatedAt: u.CreatedAt, LastLoginAt: u.LastLoginAt, ExternalID: u.ExternalID,
			ImportDigest: hex.EncodeToString(u.ImportDigest)}
	}
	payload, err := json.Marshal(rows)
	if err != nil {
		return err
	}
	inserted, err := q.InsertImportedUsers(ctx, payload)
	if err != nil {
		return err
	}
	created := make(map[string]uuid.UUID, len(inserted))
	for _, r := range inserted {
		created[r.Email] = r.ID
	}
	for _, i := range fresh {
		if id, ok := created[users[i].Email]; ok {
			results[i] = auth.ImportResult{Outcome: auth.ImportCreated, UserID: id}
			continue
		}
		reason := "another account was created with this email or external id meanwhile"
		if users[i].Username != nil {
			reason = "another account has this username"
		}
		results[i] = auth.ImportResult{Outcome: auth.ImportSkipped, Reason: reason}
	}
	return nil
}

// importExisting skips an existing account, or brings it up to date under a savepoint.
func importExisting(ctx context.Context, tx pgx.Tx, queries *db.Queries, u auth.ImportedUser, matches []db.User, update bool) (auth.ImportResult, error) {
	if len(matches) > 1 {
		return auth.ImportResult{Outcome: auth.ImportSkipped, Reason: "the external id and the email belong to two different accounts"}, nil
	}
	current := matches[0]
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
	savepoint, err := tx.Begin(ctx)
	if err != nil {
		return auth.ImportResult{}, err
	}
	result, err := updateImported(ctx, queries.WithTx(savepoint), u, current)
	if err == nil {
		return result, savepoint.Commit(ctx)
	}
	reason, refused := refusal(err)
	if !refused {
		return auth.ImportResult{}, err
	}
	if err := savepoint.Rollback(ctx); err != nil {
		return auth.ImportResult{}, err
	}
	return auth.ImportResult{Outcome: auth.ImportSkipped, Reason: reason, UserID: current.ID}, nil
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
	}
	var verr *auth.ValidationError
	if errors.As(err, &verr) {
		return verr.Error(), true
	}
	return "", false
}

// importTimePerUser is what a batch may take per user beyond the operation timeout: a few statements each.
const importTimePerUser = 20 * time.Millisecond

var errLastAdmin = errors.New("last admin")

func updateImported(ctx context.Context, q *db.Queries, u auth.ImportedUser, current db.User) (auth.ImportResult, error) {
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
	// As a password change or a deactivation in authd would, a replaced password or a disabled account
	// ends the sessions started with the old state.
	passwordReplaced := !bytes.Equal(current.ImportDigest, u.ImportDigest)
	if passwordReplaced || (current.IsActive && !u.IsActive) {
		if err := q.RevokeUserSessions(ctx, row.ID); err != nil {
			return auth.ImportResult{}, err
		}
	}
	return auth.ImportResult{Outcome: auth.ImportUpdated, UserID: row.ID, HasAvatar: row.Avatar != nil}, nil
}
