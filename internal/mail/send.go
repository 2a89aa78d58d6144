package mail

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	gomail "github.com/wneessen/go-mail"
)

// Sender delivers one message.
type Sender interface {
	Send(ctx context.Context, m Message) error
}

// sendTimeout bounds one SMTP conversation; the outbox lease is longer, so a claimed message is never
// claimed again while it is being sent.
const sendTimeout = 30 * time.Second

func build(from string, m Message) (*gomail.Msg, error) {
	msg := gomail.NewMsg()
	if err := msg.From(from); err != nil {
		return nil, fmt.Errorf("from address: %w", err)
	}
	if err := msg.To(m.To); err != nil {
		return nil, fmt.Errorf("recipient: %w", err)
	}
	msg.Subject(m.Subject)
	msg.SetMessageID()
	msg.SetDate()
	msg.SetBodyString(gomail.TypeTextPlain, m.Text)
	msg.AddAlternativeString(gomail.TypeTextHTML, m.HTML)
	return msg, nil
}

// SMTP sends through an SMTP server.
type SMTP struct {
	from    string
	host    string
	options []gomail.Option
}

// NewSMTP reads an AUTHD_SMTP_URL: smtp://user:pass@host:587 (STARTTLS required), smtps://...:465 (implicit
// TLS), and ?insecure=1 for a local catcher that speaks neither (never for a real server).
func NewSMTP(rawURL, from string) (*SMTP, error) {
	u, err := url.Parse(rawURL)
	if err != nil || u.Hostname() == "" {
		return nil, errors.New("AUTHD_SMTP_URL must look like smtp://user:pass@host:587 or smtps://user:pass@host:465")
	}
	if from == "" {
		return nil, errors.New("AUTHD_MAIL_FROM is required with AUTHD_SMTP_URL")
	}
	if err := gomail.NewMsg().From(from); err != nil {
		return nil, fmt.Errorf("AUTHD_MAIL_FROM: %w", err)
	}
	opts := []gomail.Option{gomail.WithTimeout(sendTimeout)}
	insecure := u.Query().Get("insecure") == "1"
	port := 587
	switch u.Scheme {
	case "smtp":
		policy := gomail.TLSMandatory
		if insecure {
			policy = gomail.NoTLS
		}
		opts = append(opts, gomail.WithTLSPolicy(policy))
	case "smtps":
		port = 465
		opts = append(opts, gomail.WithSSL())
	default:
		return nil, fmt.Errorf("AUTHD_SMTP_URL scheme %q: want smtp or smtps", u.Scheme)
	}
	if p := u.Port(); p != "" {
		if port, err = strconv.Atoi(p); err != nil {
			return nil, fmt.Errorf("AUTHD_SMTP_URL port %q", p)
		}
	}
	opts = append(opts, gomail.WithPort(port))
	if user := u.User.Username(); user != "" {
		pass, _ := u.User.Password()
		opts = append(opts, gomail.WithSMTPAuth(gomail.SMTPAuthAutoDiscover), gomail.WithUsername(user), gomail.WithPassword(pass))
	}
	return &SMTP{from: from, host: u.Hostname(), options: opts}, nil
}

// Send delivers m in one SMTP conversation.
func (s *SMTP) Send(ctx context.Context, m Message) error {
	msg, err := build(s.from, m)
	if err != nil {
		return err
	}
	client, err := gomail.NewClient(s.host, s.options...)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, sendTimeout)
	defer cancel()
	return client.DialAndSendWithContext(ctx, msg)
}

// Dir is the development outbox: each message becomes an .eml file in a directory, and its links are
// logged, so that the flows work with no mail server (as Django's console backend).
type Dir struct {
	from string
	path string
}

// NewDir creates the directory if needed.
func NewDir(path, from string) (*Dir, error) {
	if err := os.MkdirAll(path, 0o700); err != nil {
		return nil, fmt.Errorf("mail directory: %w", err)
	}
	return &Dir{from: from, path: path}, nil
}

var linkPattern = regexp.MustCompile(`https?://[^\s<>"]+`)

// Send writes m to <dir>/<time>-<kind>-<random>.eml.
func (d *Dir) Send(ctx context.Context, m Message) error {
	msg, err := build(d.from, m)
	if err != nil {
		return err
	}
	suffix := make([]byte, 4)
	_, _ = rand.Read(suffix)
	name := filepath.Join(d.path, fmt.Sprintf("%s-%s-%s.eml", time.Now().UTC().Format("20060102T150405"), m.Kind, hex.EncodeToString(suffix)))
	f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if _, err := msg.WriteTo(f); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	slog.InfoContext(ctx, "mail written to the development outbox", slog.String("file", name), slog.String("to", m.To),
		slog.String("subject", m.Subject), slog.String("links", strings.Join(linkPattern.FindAllString(m.Text, -1), " ")))
	return nil
}
