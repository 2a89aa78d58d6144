package httpapi_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/authd/authd/gen/api"
	"github.com/authd/authd/internal/apitest"
)

// accessClaims decodes an access token's payload (its signature is other tests' business).
type accessClaims struct {
	AMR      []string `json:"amr"`
	AAL      string   `json:"aal"`
	AuthTime int64    `json:"auth_time"`
	IssuedAt int64    `json:"iat"`
	SID      string   `json:"sid"`
}

func claimsOf(t *testing.T, token string) accessClaims {
	t.Helper()
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		t.Fatalf("not a JWT: %q", token)
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var c accessClaims
	if err := json.Unmarshal(payload, &c); err != nil {
		t.Fatal(err)
	}
	return c
}

// A password login's tokens and session say how it was authenticated; a refresh, which is not an
// authentication, keeps amr, aal and auth_time.
func TestPasswordSessionAssurance(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	email := apitest.UniqueEmail("assurance")
	env.Register(email)
	login := env.Login(email, apitest.Password)
	claims := claimsOf(t, login.AccessToken)
	if !slices.Equal(claims.AMR, []string{"pwd"}) || claims.AAL != "aal1" || claims.AuthTime == 0 || claims.AuthTime > claims.IssuedAt ||
		time.Since(time.Unix(claims.AuthTime, 0)) > time.Minute {
		t.Fatalf("login claims %+v", claims)
	}
	var stored time.Time
	if err := env.DB.QueryRow(context.Background(), "SELECT auth_time FROM sessions WHERE id = $1", claims.SID).Scan(&stored); err != nil ||
		stored.Unix() != claims.AuthTime {
		t.Fatalf("sessions.auth_time %v (%v), token's %d", stored, err, claims.AuthTime)
	}

	time.Sleep(1100 * time.Millisecond) // a refresh a second later would show a new auth_time
	refreshed, err := env.Client.RefreshWithResponse(context.Background(), api.RefreshRequest{RefreshToken: login.RefreshToken.String()})
	if err != nil || refreshed.JSON200 == nil {
		t.Fatalf("refresh: %v %s", err, refreshed.Body)
	}
	after := claimsOf(t, refreshed.JSON200.AccessToken)
	if !slices.Equal(after.AMR, claims.AMR) || after.AAL != claims.AAL || after.AuthTime != claims.AuthTime || after.IssuedAt <= claims.IssuedAt {
		t.Fatalf("refreshed claims %+v, login's %+v", after, claims)
	}

	sessions, err := env.Client.ListMySessionsWithResponse(context.Background(), apitest.Bearer(refreshed.JSON200.AccessToken))
	if err != nil || sessions.JSON200 == nil {
		t.Fatalf("sessions: %v %s", err, sessions.Body)
	}
	var current *api.Session
	for i, s := range sessions.JSON200.Sessions {
		if s.Aal != api.Aal1 || !slices.Equal(s.Methods, []api.AuthenticationMethod{"password"}) || s.AuthTime.IsZero() {
			t.Errorf("session %+v", s)
		}
		if s.Current {
			current = &sessions.JSON200.Sessions[i]
		}
	}
	if current == nil || current.AuthTime.Unix() != claims.AuthTime {
		t.Fatalf("current session %+v, want auth_time %d", current, claims.AuthTime)
	}
}
