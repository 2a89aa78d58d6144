package adminui_test

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/authd/authd/gen/api"
	"github.com/authd/authd/internal/apitest"
)

// An admin signs in, changes the access-token lifetime and disables a user; the API shows both effects.
func TestAdminPageEndToEnd(t *testing.T) {
	env := apitest.New(t)
	env.NewAdmin("root@example.com")
	target := env.Register("target@example.com")
	ctx := apitest.NewBrowser(t)

	var status, rowStatus, csp, audit, invited, resetSent string
	err := chromedp.Run(ctx,
		chromedp.Navigate(env.Server.URL+"/admin"),
		chromedp.WaitVisible("#login-email"),
		chromedp.SendKeys("#login-email", "root@example.com"),
		chromedp.SendKeys("#login-password", apitest.Password),
		chromedp.Click("#login-submit"),
		chromedp.WaitVisible("#settings-form"),
		chromedp.WaitVisible(`#users[data-query=""] tr[data-email="target@example.com"]`),
		chromedp.SetValue("#access-ttl", "90"),
		chromedp.Click("#email-code-signup"),
		chromedp.Click("#settings-save"),
		chromedp.WaitVisible("#settings-status.ok"),
		chromedp.Text("#settings-status", &status),
		chromedp.WaitVisible("#history tbody tr"),
		chromedp.SendKeys("#user-search", "target"),
		chromedp.Click("#search-submit"),
		chromedp.WaitVisible(`#users[data-query="target"] tr[data-email="target@example.com"]`),
		chromedp.Click(`#users tr[data-email="target@example.com"] .toggle-active`),
		chromedp.WaitVisible(`#users tr[data-email="target@example.com"] .badge.disabled`),
		chromedp.Text(`#users tr[data-email="target@example.com"] .badge`, &rowStatus),
		chromedp.WaitVisible(`#keys tr[data-state="current"]`),
		chromedp.Click("#keys-rotate-now"),
		chromedp.WaitVisible(`#keys tr[data-state="previous"]`),
		// The audit table reloads after the rotation; wait for the reload, not the first rows.
		chromedp.Poll(`document.querySelector("#audit tbody").textContent.includes("signing_key_rotated")`, nil,
			chromedp.WithPollingTimeout(10*time.Second)),
		chromedp.Text("#audit tbody", &audit),
		chromedp.Evaluate(`document.getElementById("user-search").value = ""`, nil),
		chromedp.SendKeys("#create-email", "invited@example.com"),
		chromedp.SendKeys("#create-username", "invited"),
		chromedp.Click("#create-submit"),
		chromedp.WaitVisible("#create-status.ok"),
		chromedp.Text("#create-status", &invited),
		chromedp.WaitVisible(`#users tr[data-email="invited@example.com"]`),
		chromedp.Click(`#users tr[data-email="invited@example.com"] .send-reset`),
		chromedp.WaitVisible("#users-status.ok"),
		chromedp.Text("#users-status", &resetSent),
	)
	if err != nil {
		t.Fatalf("browser: %v", err)
	}
	if !strings.Contains(status, "Saved") || rowStatus != "disabled" {
		t.Errorf("page shows %q and %q", status, rowStatus)
	}
	if !strings.Contains(invited, "invited@example.com is invited") || !strings.Contains(resetSent, "reset link was sent") {
		t.Errorf("page shows %q and %q", invited, resetSent)
	}
	env.Mail.Wait("invited@example.com", "You have been invited", 1)
	env.Mail.Wait("invited@example.com", "Reset your password", 1)
	// The audit log shows the admin's sign-in and the target's registration.
	if !strings.Contains(audit, "login_succeeded") || !strings.Contains(audit, "register") || !strings.Contains(audit, "signing_key_rotated") {
		t.Errorf("audit log on the page: %q", audit)
	}
	// The page fits the window at every width: long values wrap or scroll inside their own box.
	for _, width := range []int64{800, 1400, 1920} {
		var fits bool
		if err := chromedp.Run(ctx, chromedp.EmulateViewport(width, 900),
			chromedp.Evaluate(`document.documentElement.scrollWidth <= window.innerWidth`, &fits)); err != nil {
			t.Fatal(err)
		}
		if !fits {
			t.Errorf("the admin page is wider than a %d px window", width)
		}
	}
	// The audit log names accounts by email, and a settings change by what changed.
	if !strings.Contains(audit, "root@example.com") || !strings.Contains(audit, "access_token_ttl_seconds: 30 → 90") {
		t.Errorf("audit log on the page: %q", audit)
	}
	// AUTHD_ADMIN_SCREENSHOT=/tmp/admin writes /tmp/admin-desktop.png and /tmp/admin-phone.png, to look at.
	if shot := os.Getenv("AUTHD_ADMIN_SCREENSHOT"); shot != "" {
		for _, size := range []struct {
			name          string
			width, height int64
		}{{"desktop", 1280, 900}, {"phone", 390, 844}} {
			var png []byte
			if err := chromedp.Run(ctx, chromedp.EmulateViewport(size.width, size.height), chromedp.FullScreenshot(&png, 100)); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(shot+"-"+size.name+".png", png, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}

	admin := env.Login("root@example.com", apitest.Password)
	settings, _ := env.Client.GetSettingsWithResponse(context.Background(), apitest.Bearer(admin.AccessToken))
	if settings.JSON200 == nil || settings.JSON200.AccessTokenTtlSeconds != 90 || !settings.JSON200.EmailCodeSignup ||
		!settings.JSON200.EmailCodeLogin || settings.JSON200.ReauthenticationMaxAgeSeconds != 300 {
		t.Errorf("settings after the page's change: %s", settings.Body)
	}
	if admin.ExpiresIn != 90 {
		t.Errorf("new token expires_in %d, want 90", admin.ExpiresIn)
	}
	if me, _ := env.Client.GetMeWithResponse(context.Background(), apitest.Bearer(target.AccessToken)); me.JSON401 == nil {
		t.Errorf("disabled user's token: %d, want 401", me.StatusCode())
	}
	login, _ := env.Client.LoginWithResponse(context.Background(), api.LoginRequest{Email: "target@example.com", Password: apitest.Password})
	if login.JSON403 == nil {
		t.Errorf("disabled user's login: %d, want 403", login.StatusCode())
	}

	resp := env.Do("GET", "/admin", "", nil)
	csp = resp.Header.Get("Content-Security-Policy")
	if !strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "unsafe-inline") || !strings.Contains(csp, "frame-ancestors 'none'") {
		t.Errorf("CSP = %q", csp)
	}
}

// Swagger UI renders under its Content-Security-Policy: its inline scripts are allowed by hash.
func TestDocsRenderUnderCSP(t *testing.T) {
	env := apitest.New(t)
	ctx := apitest.NewBrowser(t)
	var title string
	err := chromedp.Run(ctx,
		chromedp.Navigate(env.Server.URL+"/docs/"),
		chromedp.WaitVisible(".swagger-ui .info .title"),
		chromedp.Text(".swagger-ui .info .title", &title),
	)
	if err != nil {
		t.Fatalf("Swagger UI did not render: %v", err)
	}
	if !strings.Contains(title, "authd") {
		t.Errorf("title %q", title)
	}
	if csp := env.Do("GET", "/docs/", "", nil).Header.Get("Content-Security-Policy"); !strings.Contains(csp, "'sha256-") || strings.Contains(csp, "script-src 'self' 'unsafe-inline'") {
		t.Errorf("docs CSP = %q", csp)
	}
}

// In Swagger UI a user's access token goes into the first scheme of Authorize, and Try it out on GET
// /api/me then answers 200 with that user.
func TestDocsTryItOutWithAUsersToken(t *testing.T) {
	env := apitest.New(t)
	email := apitest.UniqueEmail("swagger")
	token := env.Register(email).AccessToken
	ctx := apitest.NewBrowser(t)
	var firstScheme, status, body string
	err := chromedp.Run(ctx,
		chromedp.Navigate(env.Server.URL+"/docs/"),
		chromedp.WaitVisible(".swagger-ui .btn.authorize"),
		chromedp.Click(".swagger-ui .btn.authorize"),
		chromedp.WaitVisible(".swagger-ui .modal-ux .auth-container input"),
		chromedp.Text(".swagger-ui .modal-ux .auth-container h4", &firstScheme),
		chromedp.SendKeys(".swagger-ui .modal-ux .auth-container input", token),
		chromedp.Click(".swagger-ui .modal-ux .auth-container .auth-btn-wrapper .authorize"),
		chromedp.Click(".swagger-ui .modal-ux .btn-done"),
		chromedp.Click(`#operations-profile-getMe .opblock-summary`),
		chromedp.WaitVisible(`#operations-profile-getMe .try-out__btn`),
		chromedp.Click(`#operations-profile-getMe .try-out__btn`),
		chromedp.Click(`#operations-profile-getMe .execute`),
		chromedp.WaitVisible(`#operations-profile-getMe .live-responses-table tbody .response-col_status`),
		chromedp.Text(`#operations-profile-getMe .live-responses-table tbody .response-col_status`, &status),
		chromedp.Text(`#operations-profile-getMe .live-responses-table tbody .response-col_description`, &body),
	)
	if err != nil {
		t.Fatalf("browser: %v", err)
	}
	if !strings.Contains(firstScheme, "accessToken") {
		t.Errorf("the first scheme in Authorize is %q, want the user's accessToken", firstScheme)
	}
	if !strings.Contains(status, "200") || !strings.Contains(body, email) {
		t.Errorf("Try it out on GET /api/me: %q %q", status, body)
	}
}
