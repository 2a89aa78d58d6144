package auth

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
)

// ErrLastAdmin refuses a change that would leave no active admin.
var ErrLastAdmin = errors.New("the last active admin cannot be disabled, demoted or deleted")

// AdminUser is a user as an admin sees it.
type AdminUser struct {
	User
	ActiveSessions int
}

// UserChanges is an admin's change to a user; nil fields stay as they are.
type UserChanges struct {
	IsActive *bool
	IsAdmin  *bool
	Profile  Profile
}

// auditDetails names what an admin changed (the fields, and the status and role values).
func (c UserChanges) auditDetails() map[string]any {
	d := map[string]any{}
	if c.IsActive != nil {
		d["is_active"] = *c.IsActive
	}
	if c.IsAdmin != nil {
		d["is_admin"] = *c.IsAdmin
	}
	var fields []string
	for name, changed := range map[string]bool{"username": c.Profile.Username != nil || c.Profile.ClearUsername,
		"first_name": c.Profile.FirstName != nil, "last_name": c.Profile.LastName != nil,
		"phone_number": c.Profile.PhoneNumber != nil || c.Profile.ClearPhone, "language_code": c.Profile.LanguageCode != nil} {
		if changed {
			fields = append(fields, name)
		}
	}
	if len(fields) > 0 {
		slices.Sort(fields)
		d["profile_fields"] = fields
	}
	return d
}

// UserCursor is the position after which the next page of users starts (newest first).
type UserCursor struct {
	CreatedAt time.Time
	ID        uuid.UUID
}

// Encode makes the cursor opaque for clients.
func (c UserCursor) Encode() string {
	return encodeCursor(strconv.FormatInt(c.CreatedAt.UnixMicro(), 10), c.ID.String())
}

func decodeUserCursor(s string) (*UserCursor, error) {
	if s == "" {
		return nil, nil
	}
	parts, err := decodeCursor(s, 2)
	if err != nil {
		return nil, err
	}
	us, err1 := strconv.ParseInt(parts[0], 10, 64)
	uid, err2 := uuid.Parse(parts[1])
	if err1 != nil || err2 != nil {
		return nil, errBadCursor
	}
	return &UserCursor{CreatedAt: time.UnixMicro(us), ID: uid}, nil
}

// UserPage is one page of users and the cursor of the next, if any.
type UserPage struct {
	Users []AdminUser
	Next  string
}

// AdminStore is the persistence of the admin zone.
type AdminStore interface {
	Transactor
	SettingsSource
	SeedSettings(ctx context.Context, defaults Settings) error
	// UpdateSettings applies changes, records each real change in the history under actor, and notifies
	// every instance.
	UpdateSettings(ctx context.Context, changes Settings, actor User) (Settings, error)
	SettingsHistory(ctx context.Context, limit int, beforeID int64) ([]SettingChange, error)
	ListUsers(ctx context.Context, search string, limit int, after *UserCursor) ([]AdminUser, error)
	AdminUser(ctx context.Context, id uuid.UUID) (AdminUser, error)
	// UpdateUser applies changes; disabling ends every session. ErrLastAdmin when it would leave no
	// active admin.
	UpdateUser(ctx context.Context, id uuid.UUID, changes UserChanges) (AdminUser, error)
	RevokeUserSessions(ctx context.Context, id uuid.UUID) error
}

// Admin implements the admin zone: runtime settings and user management.
type Admin struct {
	store    AdminStore
	settings *LiveSettings
	accounts *Accounts
	keys     *KeyManager // nil with HS256
	audit    *Auditor
}

// NewAdmin returns the admin service; settings are the live settings the account service issues with,
// keys the signing keys (nil when tokens are signed with a shared secret).
func NewAdmin(store AdminStore, settings *LiveSettings, accounts *Accounts, keys *KeyManager, audit *Auditor) *Admin {
	return &Admin{store: store, settings: settings, accounts: accounts, keys: keys, audit: audit}
}

// Audit returns a page of the audit log, newest first.
func (a *Admin) Audit(ctx context.Context, q AuditQuery, cursor *string) ([]AuditRecord, string, error) {
	return a.audit.List(ctx, q, cursor)
}

// SigningKeys returns every signing key, newest first; ErrSharedSecret with HS256.
func (a *Admin) SigningKeys(ctx context.Context) ([]StoredKey, error) {
	if a.keys == nil {
		return nil, ErrSharedSecret
	}
	return a.keys.Keys(ctx)
}

// RotateSigningKeys rotates the signing key (see KeyManager.Rotate) and returns the keys after it.
func (a *Admin) RotateSigningKeys(ctx context.Context, actor User, now bool) ([]StoredKey, error) {
	if a.keys == nil {
		return nil, ErrSharedSecret
	}
	if err := a.keys.Rotate(ctx, now); err != nil {
		return nil, err
	}
	a.audit.Record(ctx, EventSigningKeyRotated, actor.ID, uuid.Nil, uuid.Nil, map[string]any{"now": now})
	return a.keys.Keys(ctx)
}

// Settings returns the settings in force.
func (a *Admin) Settings() Settings { return a.settings.Get() }

// UpdateSettings validates and applies changes; they take effect here at once and elsewhere on NOTIFY.
func (a *Admin) UpdateSettings(ctx context.Context, actor User, changes Settings) (Settings, error) {
	if err := ValidateSettingChanges(changes); err != nil {
		return nil, err
	}
	// The event names what changed, not every value the request repeated (the admin page sends all).
	current := a.settings.Get()
	changed := map[string]any{}
	for key, value := range changes {
		if current[key] != value {
			changed[key] = map[string]int64{"from": current[key], "to": value}
		}
	}
	var updated Settings
	err := a.store.Atomically(ctx, func(ctx context.Context) error {
		var err error
		if updated, err = a.store.UpdateSettings(ctx, changes, actor); err != nil {
			return err
		}
		if len(changed) == 0 {
			return nil
		}
		return a.audit.Write(ctx, EventSettingsChanged, actor.ID, uuid.Nil, uuid.Nil, map[string]any{"changes": changed})
	})
	if err != nil {
		return nil, err
	}
	a.settings.Set(updated)
	return a.settings.Get(), nil
}

// SettingsHistory returns changes newest first; cursor is the previous page's next cursor, if any.
func (a *Admin) SettingsHistory(ctx context.Context, limit int, cursor *string) ([]SettingChange, string, error) {
	before, err := decodeIDCursor(cursor)
	if err != nil {
		return nil, "", err
	}
	changes, err := a.store.SettingsHistory(ctx, limit+1, before)
	if err != nil {
		return nil, "", err
	}
	next := ""
	if len(changes) > limit {
		changes = changes[:limit]
		next = encodeIDCursor(changes[limit-1].ID)
	}
	return changes, next, nil
}

// ListUsers pages through users newest first, optionally matching part of the email or username; cursor
// is the previous page's next cursor, if any.
func (a *Admin) ListUsers(ctx context.Context, search *string, limit int, cursor *string) (UserPage, error) {
	after, err := decodeUserCursor(deref(cursor))
	if err != nil {
		return UserPage{}, err
	}
	users, err := a.store.ListUsers(ctx, strings.ToLower(strings.TrimSpace(deref(search))), limit+1, after)
	if err != nil {
		return UserPage{}, err
	}
	page := UserPage{Users: users}
	if len(users) > limit {
		page.Users = users[:limit]
		last := page.Users[limit-1]
		page.Next = UserCursor{CreatedAt: last.CreatedAt, ID: last.ID}.Encode()
	}
	return page, nil
}

// User returns one user.
func (a *Admin) User(ctx context.Context, id uuid.UUID) (AdminUser, error) {
	return a.store.AdminUser(ctx, id)
}

// UpdateUser changes a user's status, role or profile.
func (a *Admin) UpdateUser(ctx context.Context, actor User, id uuid.UUID, changes UserChanges) (AdminUser, error) {
	v := validationErrors{}
	changes.Profile.normalize(v)
	if err := v.err(); err != nil {
		return AdminUser{}, err
	}
	var user AdminUser
	err := a.store.Atomically(ctx, func(ctx context.Context) error {
		var err error
		if user, err = a.store.UpdateUser(ctx, id, changes); err != nil {
			return err
		}
		return a.audit.Write(ctx, EventUserUpdated, actor.ID, id, uuid.Nil, changes.auditDetails())
	})
	return user, err
}

// DeleteUser deletes a user with their sessions and avatar.
func (a *Admin) DeleteUser(ctx context.Context, actor User, id uuid.UUID) error {
	return a.accounts.Delete(ctx, id, func(ctx context.Context) error {
		return a.audit.Write(ctx, EventUserDeleted, actor.ID, id, uuid.Nil, nil)
	})
}

// RevokeSessions ends every session of a user.
func (a *Admin) RevokeSessions(ctx context.Context, actor User, id uuid.UUID) (AdminUser, error) {
	err := a.store.Atomically(ctx, func(ctx context.Context) error {
		if err := a.store.RevokeUserSessions(ctx, id); err != nil {
			return err
		}
		return a.audit.Write(ctx, EventUserSessionsEnded, actor.ID, id, uuid.Nil, nil)
	})
	if err != nil {
		return AdminUser{}, err
	}
	return a.store.AdminUser(ctx, id)
}

// RecordImport audits an admin's import of users: how many came in, and how, never who.
func (a *Admin) RecordImport(ctx context.Context, actor User, summary map[string]any) {
	a.audit.Record(ctx, EventUsersImported, actor.ID, uuid.Nil, uuid.Nil, summary)
}

// CreateUser creates an account for someone and mails them an invitation to choose a password.
func (a *Admin) CreateUser(ctx context.Context, actor User, email string, profile Profile, isAdmin bool) (AdminUser, error) {
	var user User
	err := a.store.Atomically(ctx, func(ctx context.Context) error {
		var err error
		if user, err = a.accounts.Invite(ctx, email, profile, isAdmin); err != nil {
			return err
		}
		return a.audit.Write(ctx, EventUserCreated, actor.ID, user.ID, uuid.Nil, map[string]any{"is_admin": isAdmin})
	})
	if err != nil {
		return AdminUser{}, err
	}
	return a.store.AdminUser(ctx, user.ID)
}

// SendPasswordReset mails a user a password reset link (at most one a minute).
func (a *Admin) SendPasswordReset(ctx context.Context, actor User, id uuid.UUID) error {
	user, err := a.accounts.store.UserByID(ctx, id)
	if err != nil {
		return err
	}
	return a.store.Atomically(ctx, func(ctx context.Context) error {
		sent, err := a.accounts.SendReset(ctx, user)
		if err != nil || !sent {
			return err
		}
		return a.audit.Write(ctx, EventPasswordResetSent, actor.ID, id, uuid.Nil, nil)
	})
}
