package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/authd/authd/internal/mail"
)

// Purposes of the tokens in emailed links. A token works only for its purpose.
const (
	PurposeVerifyEmail   = "verify_email"
	PurposeChangeEmail   = "change_email"
	PurposeResetPassword = "reset_password"
	PurposeInvitation    = "invitation"
	// PurposeLoginCode is the sign-in link of an emailed code (login_codes, not email_tokens).
	PurposeLoginCode = "login_code"
)

// ErrInvalidLink is an emailed link's token that is unknown, expired, used, or for another purpose.
var ErrInvalidLink = errors.New("the link is invalid, expired or already used")

// ErrEmailNotVerified refuses login and refresh while require_verified_email is on.
var ErrEmailNotVerified = errors.New("the email address is not verified")

// ErrAlreadyVerified answers a request for a verification mail when there is nothing to verify.
var ErrAlreadyVerified = errors.New("the email address is already verified")

// linkTokenBytes is the randomness of a link token: 256 bits.
const linkTokenBytes = 32

// Spacing of repeated mails to one account, so that nobody can flood a mailbox through authd.
const (
	verificationSpacing = time.Minute
	// loginVerificationSpacing is the spacing of the verification mail a login of an unverified account sends.
	loginVerificationSpacing = 5 * time.Minute
	resetSpacing             = time.Minute
	// forgotPerEmailPerWindow bounds forgot-password requests per address per rate window, whether or not
	// the address has an account.
	forgotPerEmailPerWindow = 5
)

// EmailToken is the stored part of a link token: its hash, what it is for and to which address it was sent.
type EmailToken struct {
	Hash      []byte
	UserID    uuid.UUID
	Purpose   string
	Email     string
	ExpiresAt time.Time
}

// Outgoing is a message for the outbox, with the token its link carries, if any.
type Outgoing struct {
	Token   *EmailToken
	Message mail.Message
}

// LinkToken is a usable token found by its hash, with its account.
type LinkToken struct {
	Purpose string
	Email   string
	User    User
}

// MailStore keeps link tokens and the outbox; every method that changes state writes its messages in the
// same transaction.
type MailStore interface {
	QueueMail(ctx context.Context, out ...Outgoing) error
	// LinkToken finds a token that may still be used; ErrNotFound otherwise.
	LinkToken(ctx context.Context, hash []byte) (LinkToken, error)
	LastLinkAt(ctx context.Context, userID uuid.UUID, purpose string) (time.Time, error)
	// VerifyEmail uses a verification token and marks the address verified, if the account still has it.
	VerifyEmail(ctx context.Context, hash []byte, userID uuid.UUID, email string) error
	// ConfirmEmailChange uses an email-change token and makes its address the account's (ErrEmailTaken),
	// returning the address it replaced.
	ConfirmEmailChange(ctx context.Context, hash []byte, userID uuid.UUID, email string) (previous string, err error)
	// ResetPassword uses a reset or invitation token, sets the password, ends every session and queues out.
	ResetPassword(ctx context.Context, hash []byte, purposes []string, userID uuid.UUID, email, newHash string, out ...Outgoing) (User, error)
}

// Links builds the URLs of emailed links: each template holds {token}, and a template that is a path is
// joined to the public URL.
type Links struct {
	PublicURL string
	Verify    string
	Reset     string
	Invite    string
	// Login is the sign-in link of an emailed code; empty means the message carries only the code.
	Login string
}

// DefaultLinks are the pages authd serves itself. The token travels in the fragment, which browsers never
// send to a server or in a Referer.
var DefaultLinks = Links{Verify: "/verify-email#token={token}", Reset: "/reset-password#token={token}",
	Invite: "/reset-password#invitation=1&token={token}"}

// WithDefaults fills the templates not set with DefaultLinks'.
func (l Links) WithDefaults() Links {
	for _, pair := range []struct {
		value    *string
		fallback string
	}{
		{&l.Verify, DefaultLinks.Verify}, {&l.Reset, DefaultLinks.Reset}, {&l.Invite, DefaultLinks.Invite}} {
		if *pair.value == "" {
			*pair.value = pair.fallback
		}
	}
	return l
}

// Validate checks that every template has {token}.
func (l Links) Validate() error {
	for name, t := range map[string]string{"AUTHD_LINK_TEMPLATE_VERIFY": l.Verify, "AUTHD_LINK_TEMPLATE_RESET": l.Reset,
		"AUTHD_LINK_TEMPLATE_INVITE": l.Invite, "AUTHD_LINK_TEMPLATE_LOGIN": l.Login} {
		if (name != "AUTHD_LINK_TEMPLATE_LOGIN" || t != "") && strings.Count(t, "{token}") != 1 {
			return fmt.Errorf("%s must hold {token} once: %q", name, t)
		}
	}
	return nil
}

func (l Links) build(purpose, token string) string {
	t := l.Verify
	switch purpose {
	case PurposeResetPassword:
		t = l.Reset
	case PurposeInvitation:
		t = l.Invite
	case PurposeLoginCode:
		t = l.Login
	}
	link := strings.Replace(t, "{token}", token, 1)
	if strings.HasPrefix(link, "http://") || strings.HasPrefix(link, "https://") {
		return link
	}
	return strings.TrimRight(l.PublicURL, "/") + "/" + strings.TrimLeft(link, "/")
}

// Mailer composes authd's messages. A nil *Mailer composes none (commands that create accounts without
// telling anyone, such as createsuperuser).
type Mailer struct {
	templates *mail.Templates
	links     Links
	settings  *LiveSettings
}

// NewMailer returns a Mailer.
func NewMailer(templates *mail.Templates, links Links, settings *LiveSettings) *Mailer {
	return &Mailer{templates: templates, links: links, settings: settings}
}

// recipient is who a message is for.
type recipient struct {
	id       uuid.UUID
	email    string
	username *string
	language string
}

func recipientOf(u User) recipient {
	return recipient{id: u.ID, email: u.Email, username: u.Username, language: u.LanguageCode}
}

func (r recipient) name() string {
	if r.username != nil && *r.username != "" {
		return *r.username
	}
	return r.email
}

func hashLinkToken(token string) []byte {
	sum := sha256.Sum256([]byte(token))
	return sum[:]
}

// withLink composes a message whose link carries a new token for purpose, bound to address (the account's
// email, or the new one of an email change).
func (m *Mailer) withLink(kind, purpose string, to recipient, address, newEmail string) (Outgoing, error) {
	raw := make([]byte, linkTokenBytes)
	if _, err := rand.Read(raw); err != nil {
		return Outgoing{}, err
	}
	token := base64.RawURLEncoding.EncodeToString(raw)
	ttl := m.ttl(purpose)
	msg, err := m.templates.Render(kind, to.language, mail.Data{Email: address, Name: to.name(), Link: m.links.build(purpose, token),
		NewEmail: newEmail, Expires: mail.Expiry(ttl, to.language)})
	if err != nil {
		return Outgoing{}, err
	}
	return Outgoing{Message: msg, Token: &EmailToken{Hash: hashLinkToken(token), UserID: to.id, Purpose: purpose, Email: address,
		ExpiresAt: time.Now().Add(ttl)}}, nil
}

// notice composes a message without a link, to the account's address.
func (m *Mailer) notice(kind string, to recipient, newEmail string) (Outgoing, error) {
	msg, err := m.templates.Render(kind, to.language, mail.Data{Email: to.email, Name: to.name(), NewEmail: newEmail})
	return Outgoing{Message: msg}, err
}

func (m *Mailer) ttl(purpose string) time.Duration {
	switch purpose {
	case PurposeResetPassword:
		return m.settings.seconds(SettingResetTTL)
	case PurposeInvitation:
		return m.settings.seconds(SettingInvitationTTL)
	}
	return m.settings.seconds(SettingVerificationTTL)
}

// verification is the mail a new account gets.
func (m *Mailer) verification(to recipient) ([]Outgoing, error) {
	if m == nil {
		return nil, nil
	}
	out, err := m.withLink(mail.KindVerifyEmail, PurposeVerifyEmail, to, to.email, "")
	return []Outgoing{out}, err
}

// linkClock says when a link of a purpose last went to a user.
type linkClock interface {
	LastLinkAt(ctx context.Context, userID uuid.UUID, purpose string) (time.Time, error)
}

// sentWithin reports whether a link of purpose went to the user less than spacing ago.
func sentWithin(ctx context.Context, clock linkClock, userID uuid.UUID, purpose string, spacing time.Duration) (bool, error) {
	last, err := clock.LastLinkAt(ctx, userID, purpose)
	if err != nil {
		return false, err
	}
	return time.Since(last) < spacing, nil
}

// SendVerification mails the caller a new verification link (POST /api/me/verification). Requests within
// a minute of the last link send nothing more, and say so as a rate limit.
func (s *Service) SendVerification(ctx context.Context, id Principal) error {
	if id.User.EmailVerifiedAt != nil {
		return ErrAlreadyVerified
	}
	if recent, err := sentWithin(ctx, s.mailStore, id.User.ID, PurposeVerifyEmail, verificationSpacing); err != nil || recent {
		if recent {
			return &RateLimitedError{RetryAfter: verificationSpacing}
		}
		return err
	}
	out, err := s.mailer.verification(recipientOf(id.User))
	if err != nil {
		return err
	}
	return s.mailStore.QueueMail(ctx, out...)
}

// resendVerificationAtLogin mails a verification link to an unverified account that just proved its
// password, at most every few minutes: with require_verified_email on, it cannot sign in to ask for one.
func (s *Service) resendVerificationAtLogin(ctx context.Context, user User) {
	recent, err := sentWithin(ctx, s.mailStore, user.ID, PurposeVerifyEmail, loginVerificationSpacing)
	if err == nil && !recent {
		var out []Outgoing
		if out, err = s.mailer.verification(recipientOf(user)); err == nil {
			err = s.mailStore.QueueMail(ctx, out...)
		}
	}
	if err != nil {
		slog.WarnContext(ctx, "verification mail at login", slog.String("user_id", user.ID.String()), slog.String("error", err.Error()))
	}
}

// UseEmailLink verifies an address: a verification link marks the account's email verified; an
// email-change link makes its address the account's email. It returns the address now verified.
func (s *Service) UseEmailLink(ctx context.Context, token string) (string, error) {
	hash := hashLinkToken(token)
	link, err := s.mailStore.LinkToken(ctx, hash)
	if errors.Is(err, ErrNotFound) {
		return "", ErrInvalidLink
	}
	if err != nil {
		return "", err
	}
	switch link.Purpose {
	case PurposeVerifyEmail:
		if link.User.Email != link.Email {
			return "", ErrInvalidLink // the account has changed its address since
		}
		if err := s.mailStore.VerifyEmail(ctx, hash, link.User.ID, link.Email); err != nil {
			return "", err
		}
	case PurposeChangeEmail:
		err := s.store.Atomically(ctx, func(ctx context.Context) error {
			previous, err := s.mailStore.ConfirmEmailChange(ctx, hash, link.User.ID, link.Email)
			if err != nil {
				return err
			}
			return s.audit.Write(ctx, EventEmailChanged, link.User.ID, link.User.ID, uuid.Nil, map[string]any{"from": previous, "to": link.Email})
		})
		if err != nil {
			return "", err
		}
	default:
		return "", ErrInvalidLink
	}
	return link.Email, nil
}

// RequestEmailChange checks the caller's password or a recent authentication (confirm) and mails a
// confirmation link to the new address and a notice to the current one; the address changes only when the
// link is used.
func (s *Service) RequestEmailChange(ctx context.Context, id Principal, client ClientInfo, email string, password *string) (string, error) {
	normalized, err := NormalizeEmail(email)
	if err != nil {
		return "", err
	}
	if err := s.confirm(ctx, id, client, password); err != nil {
		return "", err
	}
	if normalized == id.User.Email {
		return "", Invalid("email", "is already your email")
	}
	if _, err := s.store.UserByEmail(ctx, normalized); err == nil {
		return "", ErrEmailTaken
	} else if !errors.Is(err, ErrNotFound) {
		return "", err
	}
	to := recipientOf(id.User)
	confirm, err := s.mailer.withLink(mail.KindConfirmEmailChange, PurposeChangeEmail, recipient{id: to.id, email: normalized,
		username: to.username, language: to.language}, normalized, normalized)
	if err != nil {
		return "", err
	}
	notice, err := s.mailer.notice(mail.KindEmailChangeNotice, to, normalized)
	if err != nil {
		return "", err
	}
	return normalized, s.mailStore.QueueMail(ctx, confirm, notice)
}

// ForgotPassword mails a reset link to the account with this email, if there is one and it is active. The
// caller learns nothing either way: the answer is the same, and the handler makes it take the same time.
// Requests are throttled per address, account or not.
func (s *Service) ForgotPassword(ctx context.Context, rawEmail string) error {
	email, err := NormalizeEmail(rawEmail)
	if err != nil {
		return nil // no account can have it
	}
	if err := s.checkAddressRate(ctx, "forgot", email, forgotPerEmailPerWindow); err != nil {
		return err
	}
	user, err := s.store.UserByEmail(ctx, email)
	if errors.Is(err, ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if !user.IsActive {
		return nil
	}
	_, err = s.accounts.SendReset(ctx, user)
	return err
}

// SendReset queues a reset link to user, unless one went out within the last minute (sent is false then).
func (a *Accounts) SendReset(ctx context.Context, user User) (sent bool, err error) {
	if recent, err := sentWithin(ctx, a.store, user.ID, PurposeResetPassword, resetSpacing); err != nil || recent {
		return false, err
	}
	out, err := a.mailer.withLink(mail.KindPasswordReset, PurposeResetPassword, recipientOf(user), user.Email, "")
	if err != nil {
		return false, err
	}
	return true, a.store.QueueMail(ctx, out)
}

// ResetPassword sets a new password with a reset or invitation link: the policy applies, every session
// ends, the address counts as verified, and a reset (not an invitation) is announced to the account.
func (s *Service) ResetPassword(ctx context.Context, token, newPassword string) error {
	hash := hashLinkToken(token)
	link, err := s.mailStore.LinkToken(ctx, hash)
	if errors.Is(err, ErrNotFound) || (err == nil && link.Purpose != PurposeResetPassword && link.Purpose != PurposeInvitation) {
		return ErrInvalidLink
	}
	if err != nil {
		return err
	}
	if link.User.Email != link.Email {
		return ErrInvalidLink
	}
	next := normalizePassword(newPassword)
	if err := CheckPasswordStrength("new_password", next, link.User.Email, link.User.Username); err != nil {
		return err
	}
	newHash, err := s.hasher.Hash(ctx, next)
	if err != nil {
		return err
	}
	var out []Outgoing
	if link.Purpose == PurposeResetPassword {
		notice, err := s.mailer.notice(mail.KindPasswordChanged, recipientOf(link.User), "")
		if err != nil {
			return err
		}
		out = append(out, notice)
	}
	return s.store.Atomically(ctx, func(ctx context.Context) error {
		if _, err := s.mailStore.ResetPassword(ctx, hash, []string{link.Purpose}, link.User.ID, link.Email, newHash, out...); err != nil {
			return err
		}
		return s.audit.Write(ctx, EventPasswordReset, uuid.Nil, link.User.ID, uuid.Nil, map[string]any{"purpose": link.Purpose})
	})
}
