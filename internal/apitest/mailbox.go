package apitest

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
)

// Mailbox is a real SMTP server in the test process (emersion/go-smtp) that keeps every message it
// receives. Test servers send their mail to one through authd's SMTP sender, so the flows are tested from
// the mail actually received.
type Mailbox struct {
	t    testing.TB
	addr string

	mu       sync.Mutex
	messages []Mail
	server   *smtp.Server
}

// Mail is one received message, parsed.
type Mail struct {
	To        string
	Subject   string
	MessageID string
	Text      string
	HTML      string
	// Link is the first link of the text part, and Token the token in its fragment or query.
	Link  string
	Token string
}

// NewMailbox starts an SMTP server on a free local port.
func NewMailbox(t testing.TB) *Mailbox {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("mailbox: %v", err)
	}
	m := &Mailbox{t: t, addr: ln.Addr().String()}
	m.serve(ln)
	t.Cleanup(m.Stop)
	return m
}

// URL is the AUTHD_SMTP_URL of the mailbox: plain SMTP, as a local catcher speaks it.
func (m *Mailbox) URL() string { return "smtp://" + m.addr + "?insecure=1" }

func (m *Mailbox) serve(ln net.Listener) {
	srv := smtp.NewServer(backend{m})
	srv.Domain = "localhost"
	srv.AllowInsecureAuth = true
	srv.ReadTimeout, srv.WriteTimeout = 10*time.Second, 10*time.Second
	m.mu.Lock()
	m.server = srv
	m.mu.Unlock()
	go func() { _ = srv.Serve(ln) }()
}

// Stop shuts the server down, as an SMTP outage: connections are refused until Start.
func (m *Mailbox) Stop() {
	m.mu.Lock()
	srv := m.server
	m.server = nil
	m.mu.Unlock()
	if srv != nil {
		_ = srv.Close()
	}
}

// Start serves again on the same address after Stop.
func (m *Mailbox) Start() {
	m.t.Helper()
	var ln net.Listener
	var err error
	for range 50 { // the old socket may linger a moment
		if ln, err = net.Listen("tcp", m.addr); err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		m.t.Fatalf("mailbox restart: %v", err)
	}
	m.serve(ln)
}

// All returns every message received so far.
func (m *Mailbox) All() []Mail {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]Mail(nil), m.messages...)
}

// To returns the messages received for to whose subject contains subject.
func (m *Mailbox) To(to, subject string) []Mail {
	var out []Mail
	for _, msg := range m.All() {
		if strings.EqualFold(msg.To, to) && strings.Contains(msg.Subject, subject) {
			out = append(out, msg)
		}
	}
	return out
}

// Wait returns the n-th (from 1) message for to whose subject contains subject, waiting up to 10 s.
func (m *Mailbox) Wait(to, subject string, n int) Mail {
	m.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		if got := m.To(to, subject); len(got) >= n {
			return got[n-1]
		}
		if time.Now().After(deadline) {
			m.t.Fatalf("no message %d for %s about %q; received: %v", n, to, subject, m.summary())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (m *Mailbox) summary() []string {
	var out []string
	for _, msg := range m.All() {
		out = append(out, msg.To+": "+msg.Subject)
	}
	return out
}

func (m *Mailbox) receive(raw []byte) error {
	msg, err := parseMail(raw)
	if err != nil {
		m.t.Errorf("mailbox: unparseable message: %v\n%s", err, raw)
		return err
	}
	m.mu.Lock()
	m.messages = append(m.messages, msg)
	m.mu.Unlock()
	return nil
}

var (
	linkPattern  = regexp.MustCompile(`https?://[^\s<>"]+`)
	tokenPattern = regexp.MustCompile(`[#?&]token=([A-Za-z0-9_-]+)`)
)

func parseMail(raw []byte) (Mail, error) {
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		return Mail{}, err
	}
	dec := new(mime.WordDecoder)
	subject, err := dec.DecodeHeader(msg.Header.Get("Subject"))
	if err != nil {
		return Mail{}, err
	}
	to, err := mail.ParseAddress(msg.Header.Get("To"))
	if err != nil {
		return Mail{}, fmt.Errorf("To: %w", err)
	}
	out := Mail{To: to.Address, Subject: subject, MessageID: msg.Header.Get("Message-Id")}
	mediaType, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil || !strings.HasPrefix(mediaType, "multipart/") {
		return Mail{}, fmt.Errorf("want a multipart message with text and HTML parts, got %q", msg.Header.Get("Content-Type"))
	}
	parts := multipart.NewReader(msg.Body, params["boundary"])
	for {
		part, err := parts.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return Mail{}, err
		}
		var body io.Reader = part
		if strings.EqualFold(part.Header.Get("Content-Transfer-Encoding"), "quoted-printable") {
			body = quotedprintable.NewReader(part)
		}
		b, err := io.ReadAll(body)
		if err != nil {
			return Mail{}, err
		}
		switch ct, _, _ := mime.ParseMediaType(part.Header.Get("Content-Type")); ct {
		case "text/plain":
			out.Text = string(b)
		case "text/html":
			out.HTML = string(b)
		}
	}
	if out.Text == "" || out.HTML == "" {
		return Mail{}, errors.New("a part is missing")
	}
	out.Link = linkPattern.FindString(out.Text)
	if match := tokenPattern.FindStringSubmatch(out.Link); match != nil {
		out.Token = match[1]
	}
	return out, nil
}

type backend struct{ m *Mailbox }

func (b backend) NewSession(*smtp.Conn) (smtp.Session, error) { return &session{m: b.m}, nil }

type session struct{ m *Mailbox }

func (s *session) Mail(string, *smtp.MailOptions) error { return nil }
func (s *session) Rcpt(string, *smtp.RcptOptions) error { return nil }
func (s *session) Reset()                               {}
func (s *session) Logout() error                        { return nil }

func (s *session) Data(r io.Reader) error {
	raw, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	return s.m.receive(raw)
}
