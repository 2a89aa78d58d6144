package httpapi_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"
	"github.com/oapi-codegen/nullable"

	"github.com/authd/authd/gen/api"
	"github.com/authd/authd/internal/apitest"
)

func TestAdminEndpointsNeedAnAdmin(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	user := env.Register(apitest.UniqueEmail("plain"))
	id := user.User.Id.String()
	endpoints := []struct{ method, path, body string }{
		{http.MethodGet, "/api/admin/settings", ""},
		{http.MethodPatch, "/api/admin/settings", `{"access_token_ttl_seconds":60}`},
		{http.MethodGet, "/api/admin/settings/history", ""},
		{http.MethodGet, "/api/admin/users", ""},
		{http.MethodGet, "/api/admin/users/" + id, ""},
		{http.MethodPatch, "/api/admin/users/" + id, `{"is_admin":true}`},
		{http.MethodDelete, "/api/admin/users/" + id, ""},
		{http.MethodPost, "/api/admin/users/" + id + "/revoke-sessions", ""},
	}
	for _, e := range endpoints {
		anonymous := env.JSON(e.method, e.path, e.body)
		if anonymous.Status != http.StatusUnauthorized || anonymous.Header.Get("WWW-Authenticate") == "" {
			t.Errorf("%s %s without a token: %d %s, want 401", e.method, e.path, anonymous.Status, anonymous.Body)
		}
		plain := env.JSON(e.method, e.path, e.body, "Authorization", "Bearer "+user.AccessToken)
		if plain.Status != http.StatusForbidden || plain.Error(t).Error != api.ErrorCodeForbidden {
			t.Errorf("%s %s as a non-admin: %d %s, want 403 forbidden", e.method, e.path, plain.Status, plain.Body)
		}
	}
	me, _ := env.Client.GetMeWithResponse(context.Background(), apitest.Bearer(user.AccessToken))
	if me.JSON200 == nil || me.JSON200.IsAdmin {
		t.Errorf("the non-admin changed: %s", me.Body)
	}
}

func TestAdminSettingsChangeNewTokensOnly(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	admin := env.NewAdmin("root@example.com")
	bearer := apitest.Bearer(admin.AccessToken)
	ctx := context.Background()

	got, _ := env.Client.GetSettingsWithResponse(ctx, bearer)
	if got.JSON200 == nil || got.JSON200.AccessTokenTtlSeconds != 30 || got.JSON200.RefreshTokenTtlSeconds != 2592000 {
		t.Fatalf("defaults: %d %s", got.StatusCode(), got.Body)
	}
	before := env.Login("root@example.com", apitest.Password)

	patched, _ := env.Client.UpdateSettingsWithResponse(ctx, api.SettingsUpdate{AccessTokenTtlSeconds: ptr[int64](120)}, bearer)
	if patched.JSON200 == nil || patched.JSON200.AccessTokenTtlSeconds != 120 || patched.JSON200.RefreshTokenTtlSeconds != 2592000 {
		t.Fatalf("PATCH: %d %s", patched.StatusCode(), patched.Body)
	}
	after := env.Login("root@example.com", apitest.Password)
	if after.ExpiresIn != 120 || lifetime(t, after.AccessToken) != 120*time.Second {
		t.Errorf("new token: expires_in %d, exp-iat %s; want 120", after.ExpiresIn, lifetime(t, after.AccessToken))
	}
	if lifetime(t, before.AccessToken) != 30*time.Second {
		t.Error("a token issued before the change changed lifetime")
	}
	if r := refresh(t, env, before.RefreshToken); r.JSON200 == nil || r.JSON200.ExpiresIn != 120 {
		t.Errorf("refresh after the change: %d %s, want expires_in 120", r.StatusCode(), r.Body)
	}

	patched2, _ := env.Client.UpdateSettingsWithResponse(ctx, api.SettingsUpdate{RefreshTokenTtlSeconds: ptr[int64](3600)}, bearer)
	if patched2.JSON200 == nil {
		t.Fatalf("PATCH refresh ttl: %s", patched2.Body)
	}
	var expiresIn time.Duration
	fresh := env.Login("root@example.com", apitest.Password)
	if err := env.DB.QueryRow(ctx, "SELECT expires_at - created_at FROM refresh_tokens WHERE token_hash = sha256($1::text::bytea)",
		fresh.RefreshToken.String()).Scan(&expiresIn); err != nil {
		t.Fatal(err)
	}
	if expiresIn < 3599*time.Second || expiresIn > 3601*time.Second {
		t.Errorf("refresh token lifetime %s, want 1h", expiresIn)
	}

	history, _ := env.Client.GetSettingsHistoryWithResponse(ctx, &api.GetSettingsHistoryParams{}, bearer)
	if history.JSON200 == nil || len(history.JSON200.Changes) != 2 {
		t.Fatalf("history: %d %s", history.StatusCode(), history.Body)
	}
	newest := history.JSON200.Changes[0]
	if newest.Setting != "refresh_token_ttl_seconds" || newest.OldValue != 2592000 || newest.NewValue != 3600 ||
		newest.ChangedBy.Email != "root@example.com" || newest.ChangedBy.Id.MustGet() != admin.User.Id {
		t.Errorf("newest change: %+v", newest)
	}
	if older := history.JSON200.Changes[1]; older.Setting != "access_token_ttl_seconds" || older.OldValue != 30 || older.NewValue != 120 {
		t.Errorf("older change: %+v", older)
	}
	page1, _ := env.Client.GetSettingsHistoryWithResponse(ctx, &api.GetSettingsHistoryParams{Limit: ptr[api.Limit](1)}, bearer)
	if page1.JSON200 == nil || len(page1.JSON200.Changes) != 1 || page1.JSON200.NextCursor.IsNull() {
		t.Fatalf("history page 1: %s", page1.Body)
	}
	cursor := page1.JSON200.NextCursor.MustGet()
	page2, _ := env.Client.GetSettingsHistoryWithResponse(ctx, &api.GetSettingsHistoryParams{Limit: ptr[api.Limit](1), Cursor: &cursor}, bearer)
	if page2.JSON200 == nil || len(page2.JSON200.Changes) != 1 || page2.JSON200.Changes[0].Setting != "access_token_ttl_seconds" || !page2.JSON200.NextCursor.IsNull() {
		t.Errorf("history page 2: %s", page2.Body)
	}
}

func lifetime(t *testing.T, token string) time.Duration {
	t.Helper()
	var claims jwt.RegisteredClaims
	if _, _, err := jwt.NewParser().ParseUnverified(token, &claims); err != nil {
		t.Fatal(err)
	}
	return claims.ExpiresAt.Sub(claims.IssuedAt.Time)
}

func TestAdminSettingsValidation(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	admin := env.NewAdmin("root@example.com")
	auth := []string{"Authorization", "Bearer " + admin.AccessToken}
	for body, field := range map[string]string{
		`{"access_token_ttl_seconds":4}`:                                         "access_token_ttl_seconds",
		`{"access_token_ttl_seconds":86401}`:                                     "access_token_ttl_seconds",
		`{"refresh_token_ttl_seconds":59}`:                                       "refresh_token_ttl_seconds",
		`{"refresh_token_ttl_seconds":31536001}`:                                 "refresh_token_ttl_seconds",
		`{"access_token_ttl_seconds":"60"}`:                                      "access_token_ttl_seconds",
		`{"access_token_ttl_seconds":60.5}`:                                      "access_token_ttl_seconds",
		`{"access_token_ttl_seconds":null}`:                                      "access_token_ttl_seconds",
		`{"session_ttl_seconds":60}`:                                             "session_ttl_seconds",
		`{"access_token_ttl_seconds":60,"refresh_token_ttl_seconds":1}`:          "refresh_token_ttl_seconds",
		`{"access_token_ttl_seconds":60,"access_token_ttl_seconds_extra":1}`:     "access_token_ttl_seconds_extra",
		`{"access_token_ttl_seconds":99999999999999999999999999999999999999999}`: "access_token_ttl_seconds",
	} {
		resp := env.JSON(http.MethodPatch, "/api/admin/settings", body, auth...)
		if resp.Status != http.StatusBadRequest {
			t.Errorf("%s: %d %s, want 400", body, resp.Status, resp.Body)
			continue
		}
		if e := resp.Error(t); e.Error != api.ErrorCodeValidationError || e.Details.ValidationErrors == nil || (*e.Details.ValidationErrors)[field] == "" {
			t.Errorf("%s: does not name %s: %s", body, field, resp.Body)
		}
	}
	if resp := env.JSON(http.MethodPatch, "/api/admin/settings", `{}`, auth...); resp.Status != http.StatusBadRequest {
		t.Errorf("empty change: %d", resp.Status)
	}
	got, _ := env.Client.GetSettingsWithResponse(context.Background(), apitest.Bearer(admin.AccessToken))
	if got.JSON200 == nil || got.JSON200.AccessTokenTtlSeconds != 30 || got.JSON200.RefreshTokenTtlSeconds != 2592000 {
		t.Errorf("settings changed by refused requests: %s", got.Body)
	}
	history, _ := env.Client.GetSettingsHistoryWithResponse(context.Background(), &api.GetSettingsHistoryParams{}, apitest.Bearer(admin.AccessToken))
	if history.JSON200 == nil || len(history.JSON200.Changes) != 0 {
		t.Errorf("history after refused requests: %s", history.Body)
	}
}

// Two authd instances share a database: a change made through one shows in logins on the other within
// one second.
func TestSettingsChangePropagatesAcrossInstances(t *testing.T) {
	t.Parallel()
	first := apitest.New(t)
	second := first.SecondInstance()

	admin := first.NewAdmin("root@example.com")
	second.Register("user@example.com")
	if got := second.Login("user@example.com", apitest.Password).ExpiresIn; got != 30 {
		t.Fatalf("before: expires_in %d", got)
	}
	changed := time.Now()
	resp, _ := first.Client.UpdateSettingsWithResponse(context.Background(), api.SettingsUpdate{AccessTokenTtlSeconds: ptr[int64](45)},
		apitest.Bearer(admin.AccessToken))
	if resp.JSON200 == nil {
		t.Fatalf("PATCH: %s", resp.Body)
	}
	for {
		login := second.Login("user@example.com", apitest.Password)
		if login.ExpiresIn == 45 && lifetime(t, login.AccessToken) == 45*time.Second {
			t.Logf("seen on the other instance after %s", time.Since(changed))
			break
		}
		if time.Since(changed) > time.Second {
			t.Fatalf("the other instance still issues expires_in %d one second after the change", login.ExpiresIn)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestAdminListUsers(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	admin := env.NewAdmin("root@example.com")
	bearer := apitest.Bearer(admin.AccessToken)
	ctx := context.Background()
	for i := range 5 {
		resp, err := env.Client.RegisterWithResponse(ctx, api.RegisterRequest{Email: fmt.Sprintf("member%d@corp.example", i),
			Password: apitest.Password, Username: ptr(fmt.Sprintf("Member_%d", i))})
		if err != nil || resp.JSON201 == nil {
			t.Fatalf("register: %v %s", err, resp.Body)
		}
	}
	list := func(params api.ListUsersParams) *api.AdminUserPage {
		t.Helper()
		resp, err := env.Client.ListUsersWithResponse(ctx, &params, bearer)
		if err != nil || resp.JSON200 == nil {
			t.Fatalf("list %+v: %v %d %s", params, err, resp.StatusCode(), resp.Body)
		}
		return resp.JSON200
	}
	all := list(api.ListUsersParams{})
	if len(all.Users) != 6 || !all.NextCursor.IsNull() || all.Users[0].Email != "member4@corp.example" {
		t.Fatalf("all users, newest first: %+v", all)
	}
	if all.Users[5].Email != "root@example.com" || !all.Users[5].IsAdmin || !all.Users[5].IsActive || all.Users[5].ActiveSessions != 1 {
		t.Errorf("admin view of root: %+v", all.Users[5])
	}
	if n := len(list(api.ListUsersParams{Search: ptr("CORP.EXAMPLE")}).Users); n != 5 {
		t.Errorf("email search: %d users, want 5", n)
	}
	if found := list(api.ListUsersParams{Search: ptr("mber_3")}).Users; len(found) != 1 || found[0].Email != "member3@corp.example" {
		t.Errorf("username search: %+v", found)
	}
	if n := len(list(api.ListUsersParams{Search: ptr("%")}).Users); n != 0 {
		t.Errorf("LIKE wildcard searched as a wildcard: %d users", n)
	}
	if n := len(list(api.ListUsersParams{Search: ptr("_")}).Users); n != 5 {
		t.Errorf("underscore search: %d users, want the 5 with one in their username", n)
	}

	// Walk pages of 2 while new users register: no user is skipped or repeated.
	seen := map[string]bool{}
	var cursor *string
	for page := 0; ; page++ {
		p := list(api.ListUsersParams{Limit: ptr[api.Limit](2), Cursor: cursor})
		for _, u := range p.Users {
			if seen[u.Email] {
				t.Errorf("user %s on two pages", u.Email)
			}
			seen[u.Email] = true
		}
		env.Register(apitest.UniqueEmail("newcomer"))
		if p.NextCursor.IsNull() {
			break
		}
		c := p.NextCursor.MustGet()
		cursor = &c
		if page > 10 {
			t.Fatal("pagination does not end")
		}
	}
	if len(seen) != 6 {
		t.Errorf("pages covered %d users, want the 6 that existed", len(seen))
	}

	for query, field := range map[string]string{"limit=0": "limit", "limit=101": "limit", "limit=x": "limit",
		"cursor=bm90LWEtY3Vyc29y": "cursor", "cursor=!!": "cursor"} {
		resp := env.Do(http.MethodGet, "/api/admin/users?"+query, "", nil, "Authorization", "Bearer "+admin.AccessToken)
		if resp.Status != http.StatusBadRequest || (*resp.Error(t).Details.ValidationErrors)[field] == "" {
			t.Errorf("%s: %d %s, want 400 naming %s", query, resp.Status, resp.Body, field)
		}
	}
}

func TestAdminDisableRevokeDelete(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	admin := env.NewAdmin("root@example.com")
	bearer := apitest.Bearer(admin.AccessToken)
	ctx := context.Background()
	victim := env.Register("victim@example.com")
	id := victim.User.Id

	got, _ := env.Client.GetUserWithResponse(ctx, id, bearer)
	if got.JSON200 == nil || !got.JSON200.IsActive || got.JSON200.ActiveSessions != 1 {
		t.Fatalf("GET user: %d %s", got.StatusCode(), got.Body)
	}
	if r, _ := env.Client.GetUserWithResponse(ctx, uuid.New(), bearer); r.JSON404 == nil {
		t.Errorf("unknown id: %d, want 404", r.StatusCode())
	}
	if r := env.Do(http.MethodGet, "/api/admin/users/not-a-uuid", "", nil, "Authorization", "Bearer "+admin.AccessToken); r.Status != http.StatusBadRequest {
		t.Errorf("malformed id: %d, want 400", r.Status)
	}
	for _, body := range []string{`{"email":"x@example.com"}`, `{"password":"another password!"}`, `{"id":"` + uuid.NewString() + `"}`, `{}`} {
		if r := env.JSON(http.MethodPatch, "/api/admin/users/"+id.String(), body, "Authorization", "Bearer "+admin.AccessToken); r.Status != http.StatusBadRequest {
			t.Errorf("PATCH %s: %d, want 400", body, r.Status)
		}
	}

	disabled, _ := env.Client.UpdateUserWithResponse(ctx, id, api.AdminUserUpdate{IsActive: ptr(false), FirstName: ptr("Vic")}, bearer)
	if disabled.JSON200 == nil || disabled.JSON200.IsActive || disabled.JSON200.ActiveSessions != 0 || disabled.JSON200.FirstName != "Vic" {
		t.Fatalf("disable: %d %s", disabled.StatusCode(), disabled.Body)
	}
	if me, _ := env.Client.GetMeWithResponse(ctx, apitest.Bearer(victim.AccessToken)); me.JSON401 == nil {
		t.Errorf("access token of a disabled user: %d, want 401", me.StatusCode())
	}
	if r := refresh(t, env, victim.RefreshToken); r.JSON401 == nil {
		t.Errorf("refresh token of a disabled user: %d, want 401", r.StatusCode())
	}
	if l, _ := env.Client.LoginWithResponse(ctx, api.LoginRequest{Email: "victim@example.com", Password: apitest.Password}); l.JSON403 == nil {
		t.Errorf("login of a disabled user: %d, want 403", l.StatusCode())
	}
	if enabled, _ := env.Client.UpdateUserWithResponse(ctx, id, api.AdminUserUpdate{IsActive: ptr(true)}, bearer); enabled.JSON200 == nil {
		t.Fatalf("enable: %s", enabled.Body)
	}
	again := env.Login("victim@example.com", apitest.Password)

	revoked, _ := env.Client.RevokeUserSessionsWithResponse(ctx, id, bearer)
	if revoked.JSON200 == nil || revoked.JSON200.ActiveSessions != 0 {
		t.Fatalf("revoke: %d %s", revoked.StatusCode(), revoked.Body)
	}
	if me, _ := env.Client.GetMeWithResponse(ctx, apitest.Bearer(again.AccessToken)); me.JSON401 == nil {
		t.Errorf("access token after revoke: %d, want 401", me.StatusCode())
	}
	if r := refresh(t, env, again.RefreshToken); r.JSON401 == nil {
		t.Errorf("refresh token after revoke: %d, want 401", r.StatusCode())
	}
	if r, _ := env.Client.RevokeUserSessionsWithResponse(ctx, uuid.New(), bearer); r.JSON404 == nil {
		t.Errorf("revoke unknown: %d, want 404", r.StatusCode())
	}

	last := env.Login("victim@example.com", apitest.Password)
	if d, _ := env.Client.DeleteUserWithResponse(ctx, id, bearer); d.StatusCode() != http.StatusNoContent {
		t.Fatalf("delete: %d %s", d.StatusCode(), d.Body)
	}
	if me, _ := env.Client.GetMeWithResponse(ctx, apitest.Bearer(last.AccessToken)); me.JSON401 == nil {
		t.Errorf("access token of a deleted user: %d, want 401", me.StatusCode())
	}
	if r, _ := env.Client.GetUserWithResponse(ctx, id, bearer); r.JSON404 == nil {
		t.Errorf("GET deleted user: %d, want 404", r.StatusCode())
	}
	if d, _ := env.Client.DeleteUserWithResponse(ctx, id, bearer); d.JSON404 == nil {
		t.Errorf("delete twice: %d, want 404", d.StatusCode())
	}
	env.Register("victim@example.com")
}

func TestLastAdminAndDemotion(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	root := env.NewAdmin("root@example.com")
	ctx := context.Background()
	rootBearer := apitest.Bearer(root.AccessToken)
	id := root.User.Id
	for name, change := range map[string]api.AdminUserUpdate{
		"disable self": {IsActive: ptr(false)},
		"demote self":  {IsAdmin: ptr(false)},
	} {
		r, _ := env.Client.UpdateUserWithResponse(ctx, id, change, rootBearer)
		if r.JSON409 == nil || r.JSON409.Error != api.ErrorCodeLastAdmin || !strings.Contains(r.JSON409.Message, "last active admin") {
			t.Errorf("%s as the last admin: %d %s, want 409 last_admin", name, r.StatusCode(), r.Body)
		}
	}
	if d, _ := env.Client.DeleteUserWithResponse(ctx, id, rootBearer); d.JSON409 == nil {
		t.Errorf("delete self as the last admin: %d, want 409", d.StatusCode())
	}

	// With a second admin, root may step down; root's old token then fails on admin endpoints at once.
	second := env.NewAdmin("second@example.com")
	if r, _ := env.Client.UpdateUserWithResponse(ctx, id, api.AdminUserUpdate{IsAdmin: ptr(false), Username: nullable.NewNullableWithValue("Former Root")}, rootBearer); r.JSON200 == nil || r.JSON200.IsAdmin {
		t.Fatalf("step down: %d %s", r.StatusCode(), r.Body)
	}
	if r, _ := env.Client.GetSettingsWithResponse(ctx, rootBearer); r.JSON403 == nil {
		t.Errorf("demoted admin's old token on an admin endpoint: %d, want 403", r.StatusCode())
	}
	if me, _ := env.Client.GetMeWithResponse(ctx, rootBearer); me.JSON200 == nil || me.JSON200.IsAdmin {
		t.Errorf("demoted admin's token on /api/me: %d %s", me.StatusCode(), me.Body)
	}
	if r, _ := env.Client.UpdateUserWithResponse(ctx, second.User.Id, api.AdminUserUpdate{IsAdmin: ptr(false)}, apitest.Bearer(second.AccessToken)); r.JSON409 == nil {
		t.Errorf("the new last admin demoting themself: %d, want 409", r.StatusCode())
	}
}
