package httpapi

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/authd/authd/gen/api"
	"github.com/authd/authd/internal/auth"
	"github.com/authd/authd/internal/signing"
)

// Discovery is what the metadata documents describe.
type Discovery struct {
	Issuer    string
	PublicURL string
	Alg       signing.Alg
	// PublishAhead reads the key_publish_ahead_seconds setting; caches may keep the key set half as long.
	PublishAhead func() time.Duration
}

// jwksPath is where the key set is served; the metadata points at it.
const jwksPath = "/.well-known/jwks.json"

// maxDocumentAge bounds how long caches keep the key set and the metadata.
const maxDocumentAge = 5 * time.Minute

// cacheControl lets caches keep the public documents for at most half the publish-ahead time, so that a
// key published ahead of use is in every cache before it signs.
func (d Discovery) cacheControl() string {
	age := maxDocumentAge
	if d.PublishAhead != nil {
		age = min(age, d.PublishAhead()/2)
	}
	return fmt.Sprintf("public, max-age=%d", int(age.Seconds()))
}

func (d Discovery) metadata() api.ServerMetadata {
	m := api.ServerMetadata{
		Issuer:                               d.Issuer,
		ResponseTypesSupported:               []string{},
		AccessTokenSigningAlgValuesSupported: []api.SigningAlg{api.SigningAlg(d.Alg)},
	}
	docs := d.PublicURL + "/docs/"
	m.ServiceDocumentation = &docs
	if d.Alg.Asymmetric() {
		jwks := d.PublicURL + jwksPath
		m.JwksUri = &jwks
	}
	return m
}

func (s *Server) GetJwks(_ context.Context, req api.GetJwksRequestObject) (api.GetJwksResponseObject, error) {
	if s.keys == nil {
		return nil, withMessage(auth.ErrNotFound, auth.ErrNotFound, "authd signs access tokens with HS256, a shared secret: there are no public keys.")
	}
	body, etag := s.keys.JWKS()
	cache := s.discovery.cacheControl()
	if req.Params.IfNoneMatch != nil && *req.Params.IfNoneMatch == etag {
		return api.GetJwks304Response{Headers: api.GetJwks304ResponseHeaders{CacheControl: cache, ETag: etag}}, nil
	}
	var set api.JWKSet
	if err := json.Unmarshal(body, &set); err != nil {
		return nil, fmt.Errorf("decode key set: %w", err)
	}
	return api.GetJwks200JSONResponse{Body: set, Headers: api.GetJwks200ResponseHeaders{CacheControl: cache, ETag: etag}}, nil
}

func (s *Server) GetAuthorizationServerMetadata(context.Context, api.GetAuthorizationServerMetadataRequestObject) (api.GetAuthorizationServerMetadataResponseObject, error) {
	return api.GetAuthorizationServerMetadata200JSONResponse{Body: s.discovery.metadata(),
		Headers: api.GetAuthorizationServerMetadata200ResponseHeaders{CacheControl: s.discovery.cacheControl()}}, nil
}

func (s *Server) GetOpenidConfiguration(context.Context, api.GetOpenidConfigurationRequestObject) (api.GetOpenidConfigurationResponseObject, error) {
	return api.GetOpenidConfiguration200JSONResponse{Body: s.discovery.metadata(),
		Headers: api.GetOpenidConfiguration200ResponseHeaders{CacheControl: s.discovery.cacheControl()}}, nil
}

func (s *Server) ListSigningKeys(ctx context.Context, _ api.ListSigningKeysRequestObject) (api.ListSigningKeysResponseObject, error) {
	keys, err := s.admin.SigningKeys(ctx)
	if err != nil && err != auth.ErrSharedSecret {
		return nil, err
	}
	return api.ListSigningKeys200JSONResponse(s.toAPIKeyList(keys)), nil
}

func (s *Server) RotateSigningKeys(ctx context.Context, req api.RotateSigningKeysRequestObject) (api.RotateSigningKeysResponseObject, error) {
	id, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	now := req.Body != nil && req.Body.Now != nil && *req.Body.Now
	keys, err := s.admin.RotateSigningKeys(ctx, id.User, now)
	if err != nil {
		return nil, err
	}
	return api.RotateSigningKeys200JSONResponse(s.toAPIKeyList(keys)), nil
}

func (s *Server) toAPIKeyList(keys []auth.StoredKey) api.SigningKeyList {
	out := api.SigningKeyList{Alg: api.SigningAlg(s.discovery.Alg), Keys: make([]api.SigningKey, len(keys))}
	for i, k := range keys {
		out.Keys[i] = api.SigningKey{Kid: k.Kid, Alg: api.SigningAlg(k.Alg), State: api.SigningKeyState(k.State),
			CreatedAt: k.CreatedAt.UTC(), ActivatedAt: nullableTime(k.ActivatedAt), DeactivatedAt: nullableTime(k.DeactivatedAt),
			RetireAt: nullableTime(k.RetireAt), RetiredAt: nullableTime(k.RetiredAt)}
	}
	return out
}
