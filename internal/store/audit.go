package store

import (
	"context"
	"encoding/json"

	"github.com/authd/authd/gen/db"
	"github.com/authd/authd/internal/auth"
)

var _ auth.AuditStore = (*Store)(nil)

// RecordAudit implements auth.AuditStore.
func (s *Store) RecordAudit(ctx context.Context, r auth.AuditRecord) error {
	details, err := json.Marshal(r.Details)
	if err != nil {
		return err
	}
	return wrap("record audit event", s.queries(ctx).InsertAuditEvent(ctx, db.InsertAuditEventParams{Event: r.Event, ActorID: r.ActorID,
		SubjectID: r.SubjectID, SessionID: r.SessionID, Ip: r.IP, UserAgent: r.UserAgent, RequestID: r.RequestID, Details: details}))
}

// ListAudit implements auth.AuditStore.
func (s *Store) ListAudit(ctx context.Context, q auth.AuditQuery) ([]auth.AuditRecord, error) {
	params := db.ListAuditEventsParams{SubjectID: q.UserID, Event: q.Event, MaxRows: int32(q.Limit)}
	if q.BeforeID > 0 {
		params.BeforeID = &q.BeforeID
	}
	rows, err := s.queries(ctx).ListAuditEvents(ctx, params)
	if err != nil {
		return nil, wrap("list audit events", err)
	}
	out := make([]auth.AuditRecord, len(rows))
	for i, row := range rows {
		r := row.AuditEvent
		out[i] = auth.AuditRecord{ID: r.ID, OccurredAt: r.OccurredAt, Event: r.Event, ActorID: r.ActorID, SubjectID: r.SubjectID,
			SessionID: r.SessionID, IP: r.Ip, UserAgent: r.UserAgent, RequestID: r.RequestID,
			ActorEmail: row.ActorEmail, SubjectEmail: row.SubjectEmail}
		if err := json.Unmarshal(r.Details, &out[i].Details); err != nil {
			return nil, err
		}
	}
	return out, nil
}
