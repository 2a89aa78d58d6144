package httpapi

import (
	"context"
	"fmt"
	"time"

	"github.com/authd/authd/gen/api"
	"github.com/authd/authd/internal/auth"
)

func (s *Server) Healthz(context.Context, api.HealthzRequestObject) (api.HealthzResponseObject, error) {
	return api.Healthz200JSONResponse{Status: api.Ok}, nil
}

// readyTimeout bounds the readiness probe so that it answers even when the database hangs.
const readyTimeout = 2 * time.Second

func (s *Server) Readyz(ctx context.Context, _ api.ReadyzRequestObject) (api.ReadyzResponseObject, error) {
	ctx, cancel := context.WithTimeout(ctx, readyTimeout)
	defer cancel()
	if err := s.db.Ping(ctx); err != nil {
		return nil, fmt.Errorf("%w: %w", auth.ErrUnavailable, err)
	}
	return api.Readyz200JSONResponse{Status: api.Ok}, nil
}
