package mail

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestEveryKindRendersInEveryShippedLanguage(t *testing.T) {
	tpl, err := LoadTemplates("")
	if err != nil {
		t.Fatal(err)
	}
	for _, language := range []string{"en", "es"} {
		for _, kind := range Kinds {
			m, err := tpl.Render(kind, language, Data{Email: "a@example.com", Name: "<b>Ann</b>", Link: "https://x.example/p#token=abc&x=1",
				NewEmail: "b@example.com", Expires: Expiry(time.Hour, language)})
			if err != nil {
				t.Fatalf("%s/%s: %v", language, kind, err)
			}
			if m.Subject == "" || m.To != "a@example.com" || !strings.Contains(m.Text, "<b>Ann</b>") {
				t.Errorf("%s/%s: %+v", language, kind, m)
			}
			if strings.Contains(m.HTML, "<b>Ann</b>") || !strings.Contains(m.HTML, "&lt;b&gt;Ann&lt;/b&gt;") {
				t.Errorf("%s/%s: the HTML part does not escape the name:\n%s", language, kind, m.HTML)
			}
		}
	}
}

func TestLanguageFallsBackToItsBaseThenEnglish(t *testing.T) {
	tpl, err := LoadTemplates("")
	if err != nil {
		t.Fatal(err)
	}
	for language, want := range map[string]string{"es-MX": "Confirma tu dirección de correo", "es": "Confirma tu dirección de correo",
		"pt-BR": "Confirm your email address", "": "Confirm your email address"} {
		m, err := tpl.Render(KindVerifyEmail, language, Data{Email: "a@example.com", Link: "https://x.example"})
		if err != nil || m.Subject != want {
			t.Errorf("%q: %q, %v; want %q", language, m.Subject, err, want)
		}
	}
	if got := Expiry(48*time.Hour, "es"); got != "2 días" {
		t.Errorf("Expiry(48h, es) = %q", got)
	}
	if got := Expiry(time.Hour, "en"); got != "1 hour" {
		t.Errorf("Expiry(1h, en) = %q", got)
	}
}

func writeTemplate(t *testing.T, dir, language, kind, body string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Join(dir, language), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, language, kind+".tmpl"), []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestOperatorTemplatesOverrideAndAdd(t *testing.T) {
	dir := t.TempDir()
	writeTemplate(t, dir, "en", KindVerifyEmail, `{{define "subject"}}Welcome to Acme{{end}}{{define "text"}}Go to {{.Link}}{{end}}{{define "html"}}<a href="{{.Link}}">go</a>{{end}}`)
	writeTemplate(t, dir, "de", KindVerifyEmail, `{{define "subject"}}Willkommen{{end}}{{define "text"}}{{.Link}}{{end}}{{define "html"}}{{.Link}}{{end}}`)
	tpl, err := LoadTemplates(dir)
	if err != nil {
		t.Fatal(err)
	}
	for language, want := range map[string]string{"en": "Welcome to Acme", "de-AT": "Willkommen", "es": "Confirma tu dirección de correo"} {
		if m, _ := tpl.Render(KindVerifyEmail, language, Data{Email: "a@example.com", Link: "https://x.example"}); m.Subject != want {
			t.Errorf("%s: %q, want %q", language, m.Subject, want)
		}
	}
	if m, _ := tpl.Render(KindPasswordReset, "de", Data{Email: "a@example.com"}); m.Subject != "Reset your password" {
		t.Errorf("a kind the operator did not override: %q", m.Subject)
	}
}

func TestBrokenOperatorTemplatesStopTheStart(t *testing.T) {
	cases := map[string][2]string{
		"syntax":        {KindVerifyEmail, `{{define "subject"}}x{{end`},
		"missing block": {KindVerifyEmail, `{{define "subject"}}x{{end}}{{define "text"}}y{{end}}`},
		"unknown field": {KindVerifyEmail, `{{define "subject"}}{{.Nope}}{{end}}{{define "text"}}y{{end}}{{define "html"}}z{{end}}`},
		"unknown kind":  {"welcome", `{{define "subject"}}x{{end}}{{define "text"}}y{{end}}{{define "html"}}z{{end}}`},
		"empty subject": {KindVerifyEmail, `{{define "subject"}} {{end}}{{define "text"}}y{{end}}{{define "html"}}z{{end}}`},
	}
	for name, c := range cases {
		dir := t.TempDir()
		writeTemplate(t, dir, "en", c[0], c[1])
		if _, err := LoadTemplates(dir); err == nil {
			t.Errorf("%s: loaded", name)
		}
	}
	if _, err := LoadTemplates(filepath.Join(t.TempDir(), "missing")); err == nil {
		t.Error("a missing directory loaded")
	}
}

func TestSMTPURLs(t *testing.T) {
	for _, ok := range []string{"smtp://user:pass@mail.example.com:587", "smtps://mail.example.com", "smtp://127.0.0.1:1025?insecure=1"} {
		if _, err := NewSMTP(ok, "authd <a@example.com>"); err != nil {
			t.Errorf("%s: %v", ok, err)
		}
	}
	for _, bad := range []string{"http://mail.example.com", "smtp://", "mail.example.com:25", "smtp://h:notaport"} {
		if _, err := NewSMTP(bad, "a@example.com"); err == nil {
			t.Errorf("%s: accepted", bad)
		}
	}
	if _, err := NewSMTP("smtp://mail.example.com", ""); err == nil {
		t.Error("no AUTHD_MAIL_FROM: accepted")
	}
}
