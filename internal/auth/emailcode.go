package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"math/big"
	"time"

	"github.com/google/uuid"

	"github.com/authd/authd/internal/mail"
)

// The email_code method: a 6-digit code (and, for sign-in, a link carrying the same sign-in) sent by
// email. It produces an Assertion of MethodEmailCode (amr "otp"); the session code does the rest.

// ErrMethodDisabled is a sign-in method an admin turned off.
var ErrMethodDisabled = errors.New("this sign-in method is turned off")

// ErrInvalidLoginCode is an unknown address or a wrong, expired or used sign-in code; it is an
// ErrInvalidCredentials.
var ErrInvalidLoginCode = fmt.Errorf("%w: the email or code is wrong, or the code expired", ErrInvalidCredentials)

// ErrWrongCode is a wrong, expired or used code given to re-authenticate.
var ErrWrongCode = errors.New("the code is wrong, expired or used")

// Code purposes: a code works only for its own.
const (
	codePurposeLogin          = "login"
	codePurposeReauthenticate = "reauthenticate"
)

const (
	// codeMaxFailures is how many wrong tries kill a code (and the codes asked for in its window).
	codeMaxFailures = 5
	// codeSpacing is how often one address is sent a new code of one purpose; a request within it is
	// answered like any other and sends nothing (the previous code still works).
	codeSpacing = 30 * time.Second
	// codeRequestsPerWindow bounds requests per address per rate window, whether or not it has an account.
	codeRequestsPerWindow = 5
	codeSaltBytes         = 16
)

// LoginCode is a code to store: hashes only.
type LoginCode struct {
	Email    string
	Purpose  string
	Salt     []byte
	Hash     []byte // SHA-256 of salt and code
	LinkHash []byte // SHA-256 of the sign-in link's token; nil without a link
	TTL      time.Duration
	// Window is how long the failures of a code carry over to the next one asked for.
	Window time.Duration
}

// CodeStore keeps the emailed codes.
type CodeStore interface {
	// PutLoginCode replaces the address's code of its purpose and queues out, in one transaction.
	PutLoginCode(ctx context.Context, c LoginCode, out ...Outgoing) error
	LastLoginCodeAt(ctx context.Context, email, purpose string) (time.Time, error)
	// ConsumeLoginCode tries code against the address's live code of purpose: true uses it, false
	// counts a failure against it (or there was no live code).
	ConsumeLoginCode(ctx context.Context, email, purpose, code string, maxFailures int) (bool, error)
	// ConsumeLoginLink uses a sign-in link's token and returns its address; ErrInvalidLink otherwise.
	ConsumeLoginLink(ctx context.Context, hash []byte, maxFailures int) (string, error)
	// MarkEmailVerified verifies the account's address, if it still has it.
	MarkEmailVerified(ctx context.Context, userID uuid.UUID, email string) error
}

func (s *Service) emailCodesOn() bool {
	return s.settings.value(SettingEmailCodeLogin) == 1 && s.mailer != nil
}

// RequestLoginCode mails a sign-in code to the account with this email, if there is an active one (or,
// with email_code_signup on, to an address without an account). The caller learns nothing either way:
// the answer is the same, and the handler makes it take the same time. Requests are throttled per
// address, account or not.
func (s *Service) RequestLoginCode(ctx context.Context, rawEmail string) error {
	if !s.emailCodesOn() {
		return ErrMethodDisabled
	}
	email, err := NormalizeEmail(rawEmail)
	if err != nil {
		return nil // no account can have it
	}
	if err := s.checkAddressRate(ctx, "login_code", email, codeRequestsPerWindow); err != nil {
		return err
	}
	user, err := s.store.UserByEmail(ctx, email)
	var to recipient
	switch {
	case errors.Is(err, ErrNotFound):
		if s.settings.value(SettingEmailCodeSignup) != 1 {
			return nil
		}
		to = recipient{email: email, language: mail.DefaultLanguage}
	case err != nil:
		return err
	case !user.IsActive:
		return nil
	default:
		to = recipientOf(user)
	}
	return s.sendCode(ctx, to, codePurposeLogin)
}

// SendReauthenticationCode mails the caller a code with which to re-authenticate their session.
func (s *Service) SendReauthenticationCode(ctx context.Context, id Principal) error {
	if !s.emailCodesOn() {
		return ErrMethodDisabled
	}
	return s.sendCode(ctx, recipientOf(id.User), codePurposeReauthenticate)
}

// sendCode stores a new code of purpose for to's address with its message, unless one went out within
// codeSpacing. A sign-in code's message also carries a sign-in link when AUTHD_LINK_TEMPLATE_LOGIN is set.
func (s *Service) sendCode(ctx context.Context, to recipient, purpose string) error {
	last, err := s.codes.LastLoginCodeAt(ctx, to.email, purpose)
	if err != nil {
		return err
	}
	if time.Since(last) < codeSpacing {
		return nil
	}
	code, err := newCode()
	if err != nil {
		return err
	}
	salt := make([]byte, codeSaltBytes)
	if _, err := rand.Read(salt); err != nil {
		return err
	}
	ttl := s.settings.seconds(SettingEmailCodeTTL)
	stored := LoginCode{Email: to.email, Purpose: purpose, Salt: salt, Hash: hashCode(salt, code), TTL: ttl, Window: ttl}
	var link string
	if purpose == codePurposeLogin && s.mailer.links.Login != "" {
		raw := make([]byte, linkTokenBytes)
		if _, err := rand.Read(raw); err != nil {
			return err
		}
		token := base64.RawURLEncoding.EncodeToString(raw)
		stored.LinkHash = hashLinkToken(token)
		link = s.mailer.links.build(PurposeLoginCode, token)
	}
	msg, err := s.mailer.templates.Render(mail.KindLoginCode, to.language, mail.Data{Email: to.email, Name: to.name(), Link: link,
		Code: code, Expires: mail.Expiry(ttl, to.language)})
	if err != nil {
		return err
	}
	return s.store.Atomically(ctx, func(ctx context.Context) error {
		if err := s.codes.PutLoginCode(ctx, stored, Outgoing{Message: msg}); err != nil {
			return err
		}
		return s.audit.Write(ctx, EventLoginCodeSent, to.id, to.id, uuid.Nil, map[string]any{"purpose": purpose, "email": to.email})
	})
}

// newCode is 6 decimal digits, uniformly random.
func newCode() (string, error) {
	n, err := rand.Int(rand.Reader, big.NewInt(1_000_000))
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("%06d", n.Int64()), nil
}

// hashCode is what is stored of a code: SHA-256 of the salt and the code (queries/mail.sql computes the
// same to compare).
func hashCode(salt []byte, code string) []byte {
	sum := sha256.Sum256(append(append([]byte{}, salt...), code...))
	return sum[:]
}

// LoginWithCode checks an emailed sign-in code and starts a session: amr ["otp"], aal1. An unknown
// address and a wrong, expired or used code are the same ErrInvalidCredentials after the same work;
// wrong codes count in the email_code throttle of (address, client) and in the account's hourly cap.
// The address counts as verified: the user proved they receive mail there.
func (s *Service) LoginWithCode(ctx context.Context, rawEmail, code string, client ClientInfo) (Grant, error) {
	if !s.emailCodesOn() {
		return Grant{}, ErrMethodDisabled
	}
	email, user, err := s.lookupSignIn(ctx, rawEmail)
	if err != nil {
		return Grant{}, err
	}
	err = s.throttledCheck(ctx, throttleKey(MethodEmailCode, email, client), user.ID, func() (bool, error) {
		return s.codes.ConsumeLoginCode(ctx, email, codePurposeLogin, code, codeMaxFailures)
	})
	if errors.Is(err, errCredentialMismatch) {
		return Grant{}, ErrInvalidLoginCode
	}
	if err != nil {
		return Grant{}, err
	}
	return s.signInByEmail(ctx, email, user, client)
}

// LoginWithLink uses the sign-in link of an emailed code (its token is 256 bits: nothing to throttle
// beyond the per-client rate) and starts a session as LoginWithCode does.
func (s *Service) LoginWithLink(ctx context.Context, token string, client ClientInfo) (Grant, error) {
	if !s.emailCodesOn() {
		return Grant{}, ErrMethodDisabled
	}
	email, err := s.codes.ConsumeLoginLink(ctx, hashLinkToken(token), codeMaxFailures)
	if err != nil {
		return Grant{}, err
	}
	user, err := s.store.UserByEmail(ctx, email)
	if err != nil && !errors.Is(err, ErrNotFound) {
		return Grant{}, err
	}
	return s.signInByEmail(ctx, email, user, client)
}

// signInByEmail signs in the owner of a proven address: an account without one is created, password-less
// and verified, when email_code_signup is on; an unverified address becomes verified.
func (s *Service) signInByEmail(ctx context.Context, email string, user User, client ClientInfo) (Grant, error) {
	if user.ID == uuid.Nil {
		if s.settings.value(SettingEmailCodeSignup) != 1 {
			// The code went out while sign-up was on, and it has been turned off since.
			return Grant{}, ErrInvalidLoginCode
		}
		created, err := s.accounts.createPasswordless(ctx, email, func(ctx context.Context, u User) error {
			return s.audit.Write(ctx, EventRegister, u.ID, u.ID, uuid.Nil, map[string]any{"method": string(MethodEmailCode)})
		})
		if err != nil {
			return Grant{}, err
		}
		user = created
	} else if user.EmailVerifiedAt == nil {
		if err := s.codes.MarkEmailVerified(ctx, user.ID, email); err != nil {
			return Grant{}, err
		}
		now := time.Now()
		user.EmailVerifiedAt = &now
	}
	return s.signIn(ctx, user, assert(user.ID, MethodEmailCode), client)
}

// ReauthenticateWithCode checks a code SendReauthenticationCode mailed and moves the session's auth_time
// to now. A wrong code is ErrWrongCode and counts in the email_code throttle like a failed sign-in.
func (s *Service) ReauthenticateWithCode(ctx context.Context, id Principal, client ClientInfo, code string) (Grant, error) {
	if !s.emailCodesOn() {
		return Grant{}, ErrMethodDisabled
	}
	email := id.User.Email
	err := s.throttledCheck(ctx, throttleKey(MethodEmailCode, email, client), id.User.ID, func() (bool, error) {
		return s.codes.ConsumeLoginCode(ctx, email, codePurposeReauthenticate, code, codeMaxFailures)
	})
	if errors.Is(err, errCredentialMismatch) {
		return Grant{}, ErrWrongCode
	}
	if err != nil {
		return Grant{}, err
	}
	return s.stepUp(ctx, id, assert(id.User.ID, MethodEmailCode))
}
