package auth

import (
	"context"
	"log/slog"
	"time"

	"github.com/google/uuid"
)

// Audit event names; see AuditEvent in openapi.yaml.
const (
	EventRegister           = "register"
	EventLoginSucceeded     = "login_succeeded"
	EventLoginFailed        = "login_failed"
	EventLockout            = "lockout"
	EventLogout             = "logout"
	EventRefreshReused      = "refresh_token_reused"
	EventPasswordChanged    = "password_changed"
	EventEmailChanged       = "email_changed"
	EventAccountDeleted     = "account_deleted"
	EventSessionEnded       = "session_ended"
	EventOtherSessionsEnded = "other_sessions_ended"
	EventSettingsChanged    = "settings_changed"
	EventUserUpdated        = "user_updated"
	EventUserDeleted        = "user_deleted"
	EventUserSessionsEnded  = "user_sessions_revoked"
	EventSigningKeyRotated  = "signing_key_rotated"
	EventUsersImported      = "users_imported"
	EventPasswordReset      = "password_reset"
	EventUserCreated        = "user_created"
	EventPasswordResetSent  = "password_reset_sent"
	// EventPasswordSet is the first password of an account that had none.
	EventPasswordSet = "password_set"
	// EventReauthenticated is a session's user proving a credential again (POST /api/me/reauthenticate).
	EventReauthenticated = "reauthenticated"
	// EventLoginCodeSent is a sign-in or re-authentication code mailed.
	EventLoginCodeSent = "login_code_sent"
)

// AuditEvents lists every event name; openapi.yaml's AuditEventName enum is the same list (a test checks).
var AuditEvents = []string{EventRegister, EventLoginSucceeded, EventLoginFailed, EventLockout, EventLogout, EventRefreshReused,
	EventPasswordChanged, EventEmailChanged, EventAccountDeleted, EventSessionEnded, EventOtherSessionsEnded,
	EventSettingsChanged, EventUserUpdated, EventUserDeleted, EventUserSessionsEnded, EventSigningKeyRotated,
	EventUsersImported, EventPasswordReset, EventUserCreated, EventPasswordResetSent, EventPasswordSet, EventReauthenticated,
	EventLoginCodeSent}

// AuditRecord is one security event: who did what to whom, from where. Details never hold a password,
// token or hash.
type AuditRecord struct {
	ID         int64
	OccurredAt time.Time
	Event      string
	ActorID    *uuid.UUID
	SubjectID  *uuid.UUID
	SessionID  *uuid.UUID
	IP         string
	UserAgent  string
	RequestID  string
	Details    map[string]any
	// ActorEmail and SubjectEmail are the accounts' current emails when listed; nil once they are gone.
	ActorEmail, SubjectEmail *string
}

// AuditQuery selects events, newest first, before the cursor.
type AuditQuery struct {
	UserID   *uuid.UUID // as actor or subject
	Event    *string
	BeforeID int64
	Limit    int
}

// AuditStore keeps the append-only audit log.
type AuditStore interface {
	RecordAudit(ctx context.Context, r AuditRecord) error
	ListAudit(ctx context.Context, q AuditQuery) ([]AuditRecord, error)
}

// RequestInfo is where a request came from, for the audit log.
type RequestInfo struct {
	ID     string
	Client ClientInfo
}

type requestInfoKey struct{}

func requestInfoFrom(ctx context.Context) RequestInfo {
	info, _ := ctx.Value(requestInfoKey{}).(RequestInfo)
	return info
}

// WithRequestInfo records the request's id and client for the audit events it causes.
func WithRequestInfo(ctx context.Context, info RequestInfo) context.Context {
	return context.WithValue(ctx, requestInfoKey{}, info)
}

// Transactor runs a change and its audit event (and, later, its webhook event) in one transaction, so that
// the event exists if and only if the change committed.
type Transactor interface {
	// Atomically runs fn in one transaction: every store method fn calls with the context it is given runs
	// in it, and all of it commits when fn returns nil, or none of it.
	Atomically(ctx context.Context, fn func(ctx context.Context) error) error
}

// Auditor writes audit events: Write in the transaction of the change it records (Transactor), Record for
// an event that records no change (a refused sign-in), whose failure to be written is logged.
type Auditor struct{ store AuditStore }

// NewAuditor returns an auditor writing to store; a nil store records nothing (createsuperuser).
func NewAuditor(store AuditStore) *Auditor { return &Auditor{store: store} }

func idOf(id uuid.UUID) *uuid.UUID {
	if id == uuid.Nil {
		return nil
	}
	return &id
}

// Write writes one event with ctx, which carries the transaction of the change it records; actor, subject
// and session may be uuid.Nil. Its error fails the change.
func (a *Auditor) Write(ctx context.Context, event string, actor, subject, session uuid.UUID, details map[string]any) error {
	if a == nil || a.store == nil {
		return nil
	}
	info, _ := ctx.Value(requestInfoKey{}).(RequestInfo)
	if details == nil {
		details = map[string]any{}
	}
	return a.store.RecordAudit(ctx, AuditRecord{Event: event, ActorID: idOf(actor), SubjectID: idOf(subject),
		SessionID: idOf(session), IP: info.Client.IP, UserAgent: info.Client.UserAgent, RequestID: info.ID, Details: details})
}

// Record writes an event that records no change, such as a refused sign-in; a failure is logged.
func (a *Auditor) Record(ctx context.Context, event string, actor, subject, session uuid.UUID, details map[string]any) {
	if err := a.Write(context.WithoutCancel(ctx), event, actor, subject, session, details); err != nil {
		info, _ := ctx.Value(requestInfoKey{}).(RequestInfo)
		slog.ErrorContext(ctx, "audit event not written", slog.String("event", event), slog.String("request_id", info.ID),
			slog.String("error", err.Error()))
	}
}

// List returns a page of events newest first and the cursor of the next page, if any.
func (a *Auditor) List(ctx context.Context, q AuditQuery, cursor *string) ([]AuditRecord, string, error) {
	before, err := decodeIDCursor(cursor)
	if err != nil {
		return nil, "", err
	}
	q.BeforeID = before
	limit := q.Limit
	q.Limit++
	records, err := a.store.ListAudit(ctx, q)
	if err != nil {
		return nil, "", err
	}
	next := ""
	if len(records) > limit {
		records = records[:limit]
		next = encodeIDCursor(records[limit-1].ID)
	}
	return records, next, nil
}
