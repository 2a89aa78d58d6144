package httpapi

import (
	"slices"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/authd/authd/internal/auth"
	"github.com/authd/authd/internal/avatar"
)

func loadSpec(t *testing.T) *openapi3.T {
	t.Helper()
	spec, err := LoadSpec()
	if err != nil {
		t.Fatal(err)
	}
	spec.Servers = nil
	return spec
}

// Every bound openapi.yaml states equals the Go constant that enforces it, so that the contract and the
// server cannot disagree about a limit.
func TestSpecBoundsMatchGoConstants(t *testing.T) {
	spec := loadSpec(t)
	schema := func(name string) *openapi3.Schema {
		ref, ok := spec.Components.Schemas[name]
		if !ok {
			t.Fatalf("openapi.yaml has no schema %s", name)
		}
		return ref.Value
	}
	prop := func(schemaName, property string) *openapi3.Schema {
		ref, ok := schema(schemaName).Properties[property]
		if !ok {
			t.Fatalf("schema %s has no property %s", schemaName, property)
		}
		return ref.Value
	}
	checkMax := func(what string, s *openapi3.Schema, want int) {
		t.Helper()
		if s.MaxLength == nil || *s.MaxLength != uint64(want) {
			t.Errorf("%s: maxLength %v in openapi.yaml, %d in Go", what, s.MaxLength, want)
		}
	}
	checkMin := func(what string, s *openapi3.Schema, want int) {
		t.Helper()
		if s.MinLength != uint64(want) {
			t.Errorf("%s: minLength %d in openapi.yaml, %d in Go", what, s.MinLength, want)
		}
	}

	checkMax("Email", schema("Email"), auth.MaxEmailLen)
	checkMax("LoginRequest.email", prop("LoginRequest", "email"), auth.MaxEmailLen)
	checkMin("Password", schema("Password"), auth.MinPasswordLen)
	checkMax("Password", schema("Password"), auth.MaxPasswordLen)
	checkMax("LoginRequest.password", prop("LoginRequest", "password"), auth.MaxPasswordLen)
	checkMax("PasswordChange.current_password", prop("PasswordChange", "current_password"), auth.MaxPasswordLen)
	checkMax("Username", schema("Username"), auth.MaxUsernameLen)
	checkMax("PersonName", schema("PersonName"), auth.MaxNameLen)
	checkMax("LanguageCode", schema("LanguageCode"), auth.MaxLanguageTagLen)
	checkMax("AdminUser.external_id", prop("AdminUser", "external_id"), auth.MaxExternalIDLen)
	if got := schema("PhoneNumber").Pattern; got != auth.PhonePattern.String() {
		t.Errorf("PhoneNumber: pattern %q in openapi.yaml, %q in Go", got, auth.PhonePattern.String())
	}

	// Every runtime setting is in the Settings schema with the range auth.ValidateSettingChanges applies.
	settings := schema("Settings")
	var keys []string
	var widest float64
	for key, ref := range settings.Properties {
		keys = append(keys, key)
		lo, hi, ok := auth.SettingRange(key)
		if !ok {
			t.Errorf("Settings.%s is not a setting in Go", key)
			continue
		}
		s := ref.Value
		if s.Type.Is("boolean") {
			if lo != 0 || hi != 1 {
				t.Errorf("Settings.%s is a boolean in openapi.yaml, %d..%d in Go", key, lo, hi)
			}
			continue
		}
		if s.Min == nil || s.Max == nil || *s.Min != float64(lo) || *s.Max != float64(hi) {
			t.Errorf("Settings.%s: range %v..%v in openapi.yaml, %d..%d in Go", key, s.Min, s.Max, lo, hi)
		}
		widest = max(widest, float64(hi))
	}
	slices.Sort(keys)
	if !slices.Equal(keys, auth.SettingKeys()) {
		t.Errorf("Settings properties %v, Go settings %v", keys, auth.SettingKeys())
	}
	for _, field := range []string{"old_value", "new_value"} {
		if s := prop("SettingChange", field); s.Max == nil || *s.Max != widest {
			t.Errorf("SettingChange.%s maximum %v, the widest setting allows %v", field, s.Max, widest)
		}
	}

	// Avatars: the upload's body limit and the served file's size.
	put := spec.Paths.Find("/api/me/avatar").Put
	if limit, err := intExtension(put.Extensions, extBodyLimit); err != nil || limit != avatar.MaxUploadBytes {
		t.Errorf("putAvatar %s = %d (%v), avatar.MaxUploadBytes = %d", extBodyLimit, limit, err, avatar.MaxUploadBytes)
	}
	get := spec.Paths.Find(avatarPath + "{name}")
	if get == nil || get.Get == nil {
		t.Fatalf("openapi.yaml does not serve avatars at %s{name}", avatarPath)
	}
	for mediaType, content := range get.Get.Responses.Status(200).Value.Content {
		checkMax("getAvatar "+mediaType, content.Schema.Value, avatar.MaxBytes)
	}

	var events []string
	for _, e := range schema("AuditEventName").Enum {
		events = append(events, e.(string))
	}
	if !slices.Equal(events, auth.AuditEvents) {
		t.Errorf("AuditEventName %v in openapi.yaml, auth.AuditEvents %v in Go", events, auth.AuditEvents)
	}

	limit := spec.Components.Parameters["Limit"].Value.Schema.Value
	if d, ok := limit.Default.(float64); !ok || int(d) != defaultPageSize {
		t.Errorf("Limit default %v in openapi.yaml, defaultPageSize %d in Go", limit.Default, defaultPageSize)
	}
}

// Every operation's policies are well formed, and every operation that verifies a credential is
// throttled: it declares x-authd-credential-check with the credential's method, and with it the per-IP
// rate limit.
func TestOperationPolicies(t *testing.T) {
	spec := loadSpec(t)
	table, err := newPolicyTable(spec)
	if err != nil {
		t.Fatal(err)
	}
	byID := map[string]*operationPolicy{}
	for _, p := range table.policies {
		byID[p.operationID] = p
	}
	for _, p := range table.policies {
		if len(p.credentialChecks) > 0 && !p.rateLimited {
			t.Errorf("%s checks a credential without a rate limit", p.operationID)
		}
		if p.bodyLimit <= 0 {
			t.Errorf("%s has no body limit", p.operationID)
		}
	}
	// The operations whose request carries a credential to verify: a password (not the new password of an
	// account being created) or a one-time code.
	createsAccount := map[string]bool{"register": true, "compatSignUp": true, "compatAuthSignup": true, "compatRegister": true}
	for path, item := range spec.Paths.Map() {
		for method, op := range item.Operations() {
			if op.RequestBody == nil {
				continue
			}
			for _, content := range op.RequestBody.Value.Content {
				for name := range content.Schema.Value.Properties {
					var checks auth.Method
					switch {
					case name == "current_password" || (name == "password" && !createsAccount[op.OperationID]):
						checks = auth.MethodPassword
					case name == "code":
						checks = auth.MethodEmailCode
					default:
						continue
					}
					if !slices.Contains(byID[op.OperationID].credentialChecks, checks) {
						t.Errorf("%s %s (%s) takes %q but does not declare %s: %s", method, path, op.OperationID, name, extCredentialCheck, checks)
					}
				}
			}
		}
	}
}

// A policy of the wrong shape, or a password check without a rate limit, stops the server at start.
func TestBadPoliciesAreRefused(t *testing.T) {
	cases := map[string]map[string]any{
		"credential check without rate limit": {extCredentialCheck: "password"},
		"unknown rate limit":                  {extRateLimit: "per-planet", extCredentialCheck: "password"},
		"body limit not a number":             {extBodyLimit: "lots"},
		"negative body limit":                 {extBodyLimit: float64(-1)},
		"unknown method":                      {extRateLimit: rateLimitPerIP, extCredentialCheck: "telepathy"},
		"method list with a stranger":         {extRateLimit: rateLimitPerIP, extCredentialCheck: []any{"password", true}},
		"empty method list":                   {extRateLimit: rateLimitPerIP, extCredentialCheck: []any{}},
	}
	for name, ext := range cases {
		op := &openapi3.Operation{OperationID: "x", Extensions: ext}
		if _, err := readPolicy(op, 1024); err == nil || !strings.Contains(err.Error(), "x-authd-") {
			t.Errorf("%s: accepted (%v)", name, err)
		}
	}
}
