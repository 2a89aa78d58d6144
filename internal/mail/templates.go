package mail

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	htmltemplate "html/template"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	texttemplate "text/template"
)

// Kinds of message; each is a template file <language>/<kind>.tmpl defining "subject", "text" and "html".
const (
	KindVerifyEmail        = "verify_email"
	KindConfirmEmailChange = "confirm_email_change"
	KindEmailChangeNotice  = "email_change_notice"
	KindPasswordReset      = "password_reset"
	KindPasswordChanged    = "password_changed"
	KindInvitation         = "invitation"
	KindLoginCode          = "login_code"
)

// Kinds lists every kind of message.
var Kinds = []string{KindVerifyEmail, KindConfirmEmailChange, KindEmailChangeNotice, KindPasswordReset, KindPasswordChanged, KindInvitation, KindLoginCode}

// DefaultLanguage is the fallback of every message.
const DefaultLanguage = "en"

// Message is a rendered message, ready for the outbox.
type Message struct {
	Kind    string
	To      string
	Subject string
	Text    string
	HTML    string
}

// Data is what the templates see.
type Data struct {
	Email    string // the recipient
	Name     string // the username, or the email when there is none
	Link     string // the action link, for the kinds that have one
	NewEmail string // for the email-change messages
	Expires  string // how long the link works, such as "1 hour"
	Code     string // the one-time code of a sign-in message
}

//go:embed templates
var builtin embed.FS

type template struct {
	text *texttemplate.Template
	html *htmltemplate.Template
}

// Templates are the messages in every language, English always among them.
type Templates struct {
	byLanguage map[string]map[string]template
}

// LoadTemplates reads the built-in templates and, when dir is not empty, the operator's: dir/<language>/<kind>.tmpl
// replaces a built-in template or adds a language. Every template is parsed and rendered once with sample
// data, so a broken one stops authd at start rather than at the first mail.
func LoadTemplates(dir string) (*Templates, error) {
	t := &Templates{byLanguage: map[string]map[string]template{}}
	sub, err := fs.Sub(builtin, "templates")
	if err != nil {
		return nil, err
	}
	if err := t.load(sub, "built-in templates"); err != nil {
		return nil, err
	}
	if dir != "" {
		info, err := os.Stat(dir)
		if err != nil || !info.IsDir() {
			return nil, fmt.Errorf("AUTHD_TEMPLATES_DIR %s is not a directory", dir)
		}
		if err := t.load(os.DirFS(dir), dir); err != nil {
			return nil, err
		}
	}
	for _, kind := range Kinds {
		if _, ok := t.byLanguage[DefaultLanguage][kind]; !ok {
			return nil, fmt.Errorf("no %s template for %s", DefaultLanguage, kind)
		}
	}
	return t, nil
}

func (t *Templates) load(fsys fs.FS, source string) error {
	files, err := fs.Glob(fsys, "*/*.tmpl")
	if err != nil {
		return err
	}
	for _, name := range files {
		language, file := path.Split(name)
		language = strings.TrimSuffix(language, "/")
		kind := strings.TrimSuffix(file, ".tmpl")
		if !known(kind) {
			return fmt.Errorf("%s: %s is not a kind of message (%s)", source, name, strings.Join(Kinds, ", "))
		}
		b, err := fs.ReadFile(fsys, name)
		if err != nil {
			return err
		}
		tpl, err := parse(string(b))
		if err != nil {
			return fmt.Errorf("%s: %s: %w", source, filepath.FromSlash(name), err)
		}
		if t.byLanguage[language] == nil {
			t.byLanguage[language] = map[string]template{}
		}
		t.byLanguage[language][kind] = tpl
	}
	return nil
}

func known(kind string) bool {
	for _, k := range Kinds {
		if k == kind {
			return true
		}
	}
	return false
}

func parse(src string) (template, error) {
	text, err := texttemplate.New("").Option("missingkey=error").Parse(src)
	if err != nil {
		return template{}, err
	}
	html, err := htmltemplate.New("").Option("missingkey=error").Parse(src)
	if err != nil {
		return template{}, err
	}
	tpl := template{text: text, html: html}
	for _, block := range []string{"subject", "text", "html"} {
		if text.Lookup(block) == nil {
			return template{}, fmt.Errorf("it does not define %q", block)
		}
	}
	sample := Data{Email: "ada@example.com", Name: "Ada", Link: "https://example.com/x#token=t", NewEmail: "new@example.com", Expires: "1 hour"}
	if _, err := tpl.render(sample); err != nil {
		return template{}, err
	}
	return tpl, nil
}

func (tpl template) render(d Data) (Message, error) {
	var subject, text, html bytes.Buffer
	if err := tpl.text.ExecuteTemplate(&subject, "subject", d); err != nil {
		return Message{}, err
	}
	if err := tpl.text.ExecuteTemplate(&text, "text", d); err != nil {
		return Message{}, err
	}
	if err := tpl.html.ExecuteTemplate(&html, "html", d); err != nil {
		return Message{}, err
	}
	s := strings.Join(strings.Fields(subject.String()), " ")
	if s == "" {
		return Message{}, errors.New("the subject is empty")
	}
	return Message{Subject: s, Text: strings.TrimSpace(text.String()) + "\n", HTML: strings.TrimSpace(html.String()) + "\n"}, nil
}

// Render renders a kind of message for d.Email in language (a BCP 47 tag: es-MX falls back to es, then to
// English).
func (t *Templates) Render(kind, language string, d Data) (Message, error) {
	tpl, ok := t.lookup(kind, language)
	if !ok {
		return Message{}, fmt.Errorf("no template for %s", kind)
	}
	m, err := tpl.render(d)
	if err != nil {
		return Message{}, fmt.Errorf("render %s: %w", kind, err)
	}
	m.Kind, m.To = kind, d.Email
	return m, nil
}

func (t *Templates) lookup(kind, language string) (template, bool) {
	base, _, _ := strings.Cut(language, "-")
	for _, l := range []string{language, base, DefaultLanguage} {
		if tpl, ok := t.byLanguage[l][kind]; ok {
			return tpl, true
		}
	}
	return template{}, false
}
