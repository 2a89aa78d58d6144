package httpapi

import (
	"context"

	"github.com/authd/authd/gen/api"
	"github.com/authd/authd/internal/auth"
)

func (s *Server) ListAuditEvents(ctx context.Context, req api.ListAuditEventsRequestObject) (api.ListAuditEventsResponseObject, error) {
	q := auth.AuditQuery{UserID: req.Params.UserId, Limit: pageSize(req.Params.Limit)}
	if req.Params.Event != nil {
		event := string(*req.Params.Event)
		q.Event = &event
	}
	records, next, err := s.admin.Audit(ctx, q, req.Params.Before)
	if err != nil {
		return nil, err
	}
	page := api.ListAuditEvents200JSONResponse{Events: make([]api.AuditEvent, len(records)), NextCursor: cursorOf(next)}
	for i, r := range records {
		page.Events[i] = api.AuditEvent{Id: r.ID, OccurredAt: r.OccurredAt.UTC(), Event: api.AuditEventName(r.Event),
			ActorId: nullableOf(r.ActorID), SubjectId: nullableOf(r.SubjectID), SessionId: nullableOf(r.SessionID),
			Ip: r.IP, UserAgent: r.UserAgent, RequestId: r.RequestID, Details: r.Details,
			ActorEmail: nullableOf(r.ActorEmail), SubjectEmail: nullableOf(r.SubjectEmail)}
	}
	return page, nil
}
