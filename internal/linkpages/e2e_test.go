package linkpages_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/authd/authd/internal/apitest"
	"github.com/authd/authd/internal/linkpages"
)

// The links in the mail work in a browser with no front end: the verification page verifies on opening,
// and the reset page sets the password typed into it.
func TestLinkPagesInChromium(t *testing.T) {
	env := apitest.New(t)
	session := env.Register("reader@example.com")
	verification := env.Mail.Wait("reader@example.com", "Confirm your email address", 1)
	if r := env.JSON(http.MethodPost, "/api/password/forgot", `{"email":"reader@example.com"}`); r.Status != http.StatusAccepted {
		t.Fatalf("forgot: %d", r.Status)
	}
	reset := env.Mail.Wait("reader@example.com", "Reset your password", 1)

	ctx := apitest.NewBrowser(t)
	var verified, afterReset, mismatch, location string
	err := chromedp.Run(ctx,
		chromedp.Navigate(verification.Link),
		chromedp.WaitVisible(`#status[data-state="ok"]`),
		chromedp.Text("#status", &verified),
		chromedp.Location(&location),

		chromedp.Navigate(reset.Link),
		chromedp.WaitVisible("#reset-form"),
		chromedp.SendKeys("#new-password", "typed in a browser"),
		chromedp.SendKeys("#repeat-password", "typed in a browzer"),
		chromedp.Click("#reset-submit"),
		chromedp.WaitVisible(`#status[data-state="error"]`),
		chromedp.Text("#status", &mismatch),
		chromedp.Evaluate(`document.getElementById("repeat-password").value = ""`, nil),
		chromedp.SendKeys("#repeat-password", "typed in a browser"),
		chromedp.Click("#reset-submit"),
		chromedp.WaitVisible(`#status[data-state="ok"]`, chromedp.ByQuery),
		chromedp.Text("#status", &afterReset),
	)
	if err != nil {
		t.Fatalf("browser: %v", err)
	}
	if !strings.Contains(verified, "reader@example.com is verified") {
		t.Errorf("verification page says %q", verified)
	}
	if strings.Contains(location, "token") {
		t.Errorf("the token stays in the address bar: %s", location)
	}
	if !strings.Contains(mismatch, "differ") || !strings.Contains(afterReset, "password is set") {
		t.Errorf("reset page said %q, then %q", mismatch, afterReset)
	}
	env.Login("reader@example.com", "typed in a browser")
	if r := env.Do(http.MethodGet, "/api/me", "", nil, "Authorization", "Bearer "+session.AccessToken); r.Status != http.StatusUnauthorized {
		t.Errorf("a session from before the reset: %d", r.Status)
	}

	// A used link says so on the page.
	var used string
	if err := chromedp.Run(ctx,
		chromedp.Navigate(verification.Link),
		chromedp.WaitVisible(`#status[data-state="error"]`),
		chromedp.Text("#status", &used),
	); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(used, "invalid, expired or already used") {
		t.Errorf("a used link: %q", used)
	}

	for _, path := range []string{"/verify-email", "/reset-password", "/links/links.js"} {
		r := env.Do(http.MethodGet, path, "", nil)
		if csp := r.Header.Get("Content-Security-Policy"); r.Status != http.StatusOK || csp != linkpages.ContentSecurityPolicy ||
			r.Header.Get("Referrer-Policy") != "no-referrer" {
			t.Errorf("%s: %d, CSP %q", path, r.Status, csp)
		}
	}
}
