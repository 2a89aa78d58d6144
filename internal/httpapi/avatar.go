package httpapi

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"

	"github.com/authd/authd/gen/api"
	"github.com/authd/authd/internal/auth"
	"github.com/authd/authd/internal/avatar"
)

// avatarTooLarge is the 413 of an avatar file over avatar.MaxBytes.
func avatarTooLarge() problem {
	return problem{status: http.StatusRequestEntityTooLarge, code: api.ErrorCodePayloadTooLarge,
		message: fmt.Sprintf("The avatar is larger than %d MiB.", avatar.MaxBytes>>20)}
}

func (s *Server) PutAvatar(ctx context.Context, req api.PutAvatarRequestObject) (api.PutAvatarResponseObject, error) {
	id, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	upload, err := readAvatarPart(req.Body)
	if err != nil {
		return nil, err
	}
	user, err := s.auth.SetAvatar(ctx, id, upload)
	if err != nil {
		return nil, err
	}
	return api.PutAvatar200JSONResponse{UserUpdatedJSONResponse: api.UserUpdatedJSONResponse(toAPIUser(user))}, nil
}

// readAvatarPart reads the "avatar" file part, at most avatar.MaxBytes of it.
func readAvatarPart(body *multipart.Reader) ([]byte, error) {
	for {
		part, err := body.NextPart()
		if errors.Is(err, io.EOF) {
			return nil, auth.Invalid("avatar", "is required")
		}
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return nil, avatarTooLarge()
		}
		if err != nil {
			return nil, problem{status: http.StatusBadRequest, code: api.ErrorCodeValidationError,
				message: "The multipart body is malformed.", fields: map[string]string{"body": "is not valid multipart/form-data"}}
		}
		if part.FormName() != "avatar" {
			continue
		}
		data, err := io.ReadAll(io.LimitReader(part, avatar.MaxBytes+1))
		if errors.As(err, &tooLarge) || len(data) > avatar.MaxBytes {
			return nil, avatarTooLarge()
		}
		if err != nil {
			return nil, problem{status: http.StatusBadRequest, code: api.ErrorCodeValidationError,
				message: "The multipart body is malformed.", fields: map[string]string{"avatar": "could not be read"}}
		}
		return data, nil
	}
}

func (s *Server) DeleteAvatar(ctx context.Context, _ api.DeleteAvatarRequestObject) (api.DeleteAvatarResponseObject, error) {
	id, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	user, err := s.auth.DeleteAvatar(ctx, id)
	if err != nil {
		return nil, err
	}
	return api.DeleteAvatar200JSONResponse{UserUpdatedJSONResponse: api.UserUpdatedJSONResponse(toAPIUser(user))}, nil
}

// avatarCacheControl lets clients and proxies keep an avatar for a year: a new avatar gets a new name.
var avatarCacheControl = "public, max-age=31536000, immutable"

func (s *Server) GetAvatar(ctx context.Context, req api.GetAvatarRequestObject) (api.GetAvatarResponseObject, error) {
	f, err := s.auth.OpenAvatar(ctx, req.Name)
	if err != nil {
		return nil, withMessage(err, auth.ErrNotFound, "No such avatar.")
	}
	headers := api.GetAvatar200ResponseHeaders{CacheControl: &avatarCacheControl}
	if f.ContentType == "image/jpeg" {
		return api.GetAvatar200ImagejpegResponse{Body: f.Body, ContentLength: f.Size, Headers: headers}, nil
	}
	return api.GetAvatar200ImagepngResponse{Body: f.Body, ContentLength: f.Size, Headers: headers}, nil
}
