package httpapi

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"maps"
	"mime/multipart"
	"net/http"

	"github.com/authd/authd/gen/api"
	"github.com/authd/authd/internal/importer"
)

func (s *Server) ImportUsers(ctx context.Context, req api.ImportUsersRequestObject) (api.ImportUsersResponseObject, error) {
	id, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	opts := importer.Options{Format: importer.FormatAuto}
	if f := req.Params.Format; f != nil {
		opts.Format = string(*f)
	}
	opts.DryRun = req.Params.DryRun != nil && *req.Params.DryRun
	opts.Update = req.Params.OnConflict != nil && *req.Params.OnConflict == api.Update
	source := req.Body
	if req.MultipartBody != nil {
		if source, err = filePart(req.MultipartBody); err != nil {
			return api.ImportUsers400JSONResponse{BadRequestJSONResponse: api.BadRequestJSONResponse(problem{status: http.StatusBadRequest,
				code: api.ErrorCodeValidationError, message: "The multipart body has no file.", fields: map[string]string{"file": err.Error()},
				cause: err}.body(""))}, nil
		}
	}
	report, err := s.importer.Run(ctx, source, opts)
	var tooLarge *http.MaxBytesError
	switch {
	case errors.As(err, &tooLarge):
		return api.ImportUsers413JSONResponse{PayloadTooLargeJSONResponse: api.PayloadTooLargeJSONResponse(problem{
			status: http.StatusRequestEntityTooLarge, code: api.ErrorCodePayloadTooLarge,
			message: "The file is larger than this endpoint takes; use `authd import` for it."}.body(""))}, nil
	case errors.Is(err, importer.ErrUnreadable):
		return api.ImportUsers400JSONResponse{BadRequestJSONResponse: api.BadRequestJSONResponse(problem{status: http.StatusBadRequest,
			code: api.ErrorCodeValidationError, message: "The file could not be read as users.", fields: map[string]string{"file": err.Error()},
			cause: err}.body(""))}, nil
	case err != nil:
		return nil, err
	}
	if !report.DryRun {
		s.admin.RecordImport(ctx, id.User, map[string]any{"total": report.Total, "imported": report.Imported,
			"updated": report.Updated, "skipped": report.Skipped})
		// Before the answer, so that the imported accounts' failed logins are already padded.
		if err := s.auth.MeasureLegacyHashes(ctx); err != nil {
			slog.WarnContext(ctx, "imported hashes not measured", slog.String("request_id", requestIDFrom(ctx)),
				slog.String("error", err.Error()))
		}
	}
	return api.ImportUsers200JSONResponse(toAPIImportReport(report)), nil
}

// filePart returns the "file" part of an import upload.
func filePart(body *multipart.Reader) (io.Reader, error) {
	for {
		part, err := body.NextPart()
		if errors.Is(err, io.EOF) {
			return nil, errors.New("is required")
		}
		if err != nil {
			return nil, errors.New("is not valid multipart/form-data")
		}
		if part.FormName() == "file" {
			return part, nil
		}
	}
}

func toAPIImportReport(r importer.Report) api.ImportReport {
	out := api.ImportReport{DryRun: r.DryRun, Total: int32(r.Total), Imported: int32(r.Imported), Updated: int32(r.Updated),
		Unchanged: int32(r.Unchanged), Skipped: int32(r.Skipped), WithoutPassword: int32(r.WithoutPassword),
		HashSchemes: map[string]int32{}, Skips: make([]api.ImportSkip, 0, len(r.Skips))}
	for scheme, n := range maps.All(r.Schemes) {
		out.HashSchemes[scheme] = int32(n)
	}
	for _, skip := range r.Skips {
		s := api.ImportSkip{Row: int32(skip.Row), Reason: skip.Reason}
		if skip.ExternalID != "" {
			s.ExternalId = &skip.ExternalID
		}
		if skip.Email != "" {
			s.Email = &skip.Email
		}
		out.Skips = append(out.Skips, s)
	}
	return out
}
