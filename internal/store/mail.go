package store

import (
	"context"
	"errors"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/authd/authd/gen/db"
	"github.com/authd/authd/internal/auth"
	"github.com/authd/authd/internal/mail"
)

var (
	_ auth.MailStore = (*Store)(nil)
	_ mail.Outbox    = (*Store)(nil)
)

// queue writes messages, and the tokens their links carry, in the caller's transaction, and wakes the
// senders when it commits.
func queue(ctx context.Context, q *db.Queries, out []auth.Outgoing) error {
	for _, o := range out {
		if t := o.Token; t != nil {
			if err := q.InsertEmailToken(ctx, db.InsertEmailTokenParams{TokenHash: t.Hash, UserID: t.UserID, Purpose: t.Purpose,
				Email: t.Email, ExpiresAt: t.ExpiresAt}); err != nil {
				return err
			}
		}
		m := o.Message
		if err := q.InsertOutboxMessage(ctx, db.InsertOutboxMessageParams{Kind: m.Kind, Recipient: m.To, Subject: m.Subject,
			TextBody: m.Text, HtmlBody: m.HTML}); err != nil {
			return err
		}
	}
	if len(out) == 0 {
		return nil
	}
	return q.NotifyOutbox(ctx)
}

// QueueMail implements auth.MailStore.
func (s *Store) QueueMail(ctx context.Context, out ...auth.Outgoing) error {
	return wrap("queue mail", s.InTx(ctx, func(q *db.Queries) error { return queue(ctx, q, out) }))
}

// LinkToken implements auth.MailStore.
func (s *Store) LinkToken(ctx context.Context, hash []byte) (auth.LinkToken, error) {
	row, err := s.queries(ctx).GetEmailToken(ctx, hash)
	if err != nil {
		return auth.LinkToken{}, wrap("link token", err)
	}
	return auth.LinkToken{Purpose: row.EmailToken.Purpose, Email: row.EmailToken.Email, User: toUser(row.User)}, nil
}

// LastLinkAt implements auth.MailStore.
func (s *Store) LastLinkAt(ctx context.Context, userID uuid.UUID, purpose string) (time.Time, error) {
	at, err := s.queries(ctx).LastEmailTokenAt(ctx, db.LastEmailTokenAtParams{UserID: userID, Purpose: purpose})
	return at, wrap("last link", err)
}

// useToken marks a token used, or fails with ErrInvalidLink when another request used it first.
func useToken(ctx context.Context, q *db.Queries, hash []byte, purposes []string) error {
	n, err := q.UseEmailToken(ctx, db.UseEmailTokenParams{TokenHash: hash, Purposes: purposes})
	if err != nil {
		return err
	}
	if n == 0 {
		return auth.ErrInvalidLink
	}
	return nil
}

// VerifyEmail implements auth.MailStore.
func (s *Store) VerifyEmail(ctx context.Context, hash []byte, userID uuid.UUID, email string) error {
	return wrap("verify email", s.InTx(ctx, func(q *db.Queries) error {
		if err := useToken(ctx, q, hash, []string{auth.PurposeVerifyEmail}); err != nil {
			return err
		}
		_, err := q.MarkEmailVerified(ctx, db.MarkEmailVerifiedParams{ID: userID, Email: email})
		return err
	}))
}

// ConfirmEmailChange implements auth.MailStore. The row is locked first, so that the address it replaces
// is exact even when several confirmations race.
func (s *Store) ConfirmEmailChange(ctx context.Context, hash []byte, userID uuid.UUID, email string) (previous string, err error) {
	err = s.InTx(ctx, func(q *db.Queries) error {
		if err := useToken(ctx, q, hash, []string{auth.PurposeChangeEmail}); err != nil {
			return err
		}
		current, err := q.LockUser(ctx, userID)
		if err != nil {
			return err
		}
		previous = current.Email
		_, err = q.ConfirmEmailChange(ctx, db.ConfirmEmailChangeParams{ID: userID, Email: email})
		return err
	})
	return previous, wrap("confirm email change", err)
}

// ResetPassword implements auth.MailStore.
func (s *Store) ResetPassword(ctx context.Context, hash []byte, purposes []string, userID uuid.UUID, email, newHash string, out ...auth.Outgoing) (auth.User, error) {
	var user auth.User
	err := s.InTx(ctx, func(q *db.Queries) error {
		if err := useToken(ctx, q, hash, purposes); err != nil {
			return err
		}
		row, err := q.ResetPasswordHash(ctx, db.ResetPasswordHashParams{ID: userID, Email: email, PasswordHash: newHash})
		if errors.Is(err, pgx.ErrNoRows) {
			return auth.ErrInvalidLink // the address changed since the link was sent
		}
		if err != nil {
			return err
		}
		user = toUser(row)
		if err := q.RevokeUserSessions(ctx, userID); err != nil {
			return err
		}
		return queue(ctx, q, out)
	})
	return user, wrap("reset password", err)
}

// ClaimOutbox implements mail.Outbox.
func (s *Store) ClaimOutbox(ctx context.Context, batch int, lease time.Duration) ([]mail.Queued, error) {
	rows, err := s.queries(ctx).ClaimOutbox(ctx, db.ClaimOutboxParams{Batch: int32(batch), LeaseSeconds: lease.Seconds()})
	if err != nil {
		return nil, wrap("claim outbox", err)
	}
	out := make([]mail.Queued, len(rows))
	for i, r := range rows {
		out[i] = mail.Queued{ID: r.ID, Attempts: int(r.Attempts), Message: mail.Message{Kind: r.Kind, To: r.Recipient,
			Subject: r.Subject, Text: r.TextBody, HTML: r.HtmlBody}}
	}
	return out, nil
}

// MarkSent implements mail.Outbox.
func (s *Store) MarkSent(ctx context.Context, id int64) error {
	return wrap("mark mail sent", s.queries(ctx).MarkOutboxSent(ctx, id))
}

// MarkRetry implements mail.Outbox.
func (s *Store) MarkRetry(ctx context.Context, id int64, delay time.Duration, lastError string) error {
	return wrap("mark mail for retry", s.queries(ctx).MarkOutboxRetry(ctx, db.MarkOutboxRetryParams{ID: id, DelaySeconds: delay.Seconds(),
		LastError: &lastError}))
}

// MarkFailed implements mail.Outbox.
func (s *Store) MarkFailed(ctx context.Context, id int64, lastError string) error {
	return wrap("mark mail failed", s.queries(ctx).MarkOutboxFailed(ctx, db.MarkOutboxFailedParams{ID: id, LastError: &lastError}))
}

// ListenMail calls wake whenever a flow queued mail, until ctx ends.
func (s *Store) ListenMail(ctx context.Context, wake func()) {
	s.listen(ctx, "authd_mail", wake)
}
