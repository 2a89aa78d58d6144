package mail

import (
	"context"
	"log/slog"
	"time"
)

// Queued is a message claimed from the outbox.
type Queued struct {
	ID       int64
	Attempts int
	Message  Message
}

// Outbox is the PostgreSQL outbox as the Deliverer uses it.
type Outbox interface {
	// ClaimOutbox claims up to batch due messages for lease, counting an attempt on each.
	ClaimOutbox(ctx context.Context, batch int, lease time.Duration) ([]Queued, error)
	MarkSent(ctx context.Context, id int64) error
	MarkRetry(ctx context.Context, id int64, delay time.Duration, lastError string) error
	MarkFailed(ctx context.Context, id int64, lastError string) error
}

// Delivery tunes the Deliverer.
type Delivery struct {
	// RetryBase is the wait after the first failed attempt; each further failure doubles it, up to an hour.
	RetryBase time.Duration
	// MaxAttempts is how many attempts a message gets before it is marked failed.
	MaxAttempts int
	// Poll is how often the outbox is checked when no notification arrives.
	Poll time.Duration
}

// DefaultDelivery retries for about three hours (10 attempts: 10 s, 20 s, ... capped at 1 h).
var DefaultDelivery = Delivery{RetryBase: 10 * time.Second, MaxAttempts: 10, Poll: 5 * time.Second}

const (
	claimBatch = 20
	claimLease = 2 * sendTimeout
	maxBackoff = time.Hour
)

// Outcome names what one delivery attempt did, for metrics.
type Outcome string

const (
	OutcomeSent    Outcome = "sent"
	OutcomeRetried Outcome = "retried"
	OutcomeFailed  Outcome = "failed"
)

// Deliverer sends what the outbox holds. Several, in several authd instances, share the work: a claimed
// message is locked (SKIP LOCKED) and then leased, so no two send it.
type Deliverer struct {
	outbox  Outbox
	sender  Sender
	tune    Delivery
	counted func(Outcome)
}

// NewDeliverer returns a Deliverer; counted (may be nil) sees every attempt's outcome.
func NewDeliverer(outbox Outbox, sender Sender, tune Delivery, counted func(Outcome)) *Deliverer {
	if counted == nil {
		counted = func(Outcome) {}
	}
	return &Deliverer{outbox: outbox, sender: sender, tune: tune, counted: counted}
}

// Run delivers until ctx ends: at once when wake fires (a NOTIFY from a committed flow), and every Poll.
func (d *Deliverer) Run(ctx context.Context, wake <-chan struct{}) {
	// Retries come due RetryBase after a failure; polling no slower than that keeps them on time.
	ticker := time.NewTicker(min(d.tune.Poll, d.tune.RetryBase))
	defer ticker.Stop()
	for {
		for {
			n, err := d.DeliverDue(ctx)
			if err != nil && ctx.Err() == nil {
				slog.WarnContext(ctx, "mail outbox", slog.String("error", err.Error()))
			}
			if err != nil || n < claimBatch {
				break
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-wake:
		case <-ticker.C:
		}
	}
}

// DeliverDue claims and sends one batch of due messages, returning how many it claimed.
func (d *Deliverer) DeliverDue(ctx context.Context) (int, error) {
	batch, err := d.outbox.ClaimOutbox(ctx, claimBatch, claimLease)
	if err != nil {
		return 0, err
	}
	for _, q := range batch {
		if err := d.deliver(ctx, q); err != nil {
			return len(batch), err
		}
	}
	return len(batch), nil
}

func (d *Deliverer) deliver(ctx context.Context, q Queued) error {
	log := slog.With(slog.Int64("mail_id", q.ID), slog.String("kind", q.Message.Kind), slog.Int("attempt", q.Attempts))
	sendErr := d.sender.Send(ctx, q.Message)
	if sendErr == nil {
		log.InfoContext(ctx, "mail sent")
		d.counted(OutcomeSent)
		return d.outbox.MarkSent(ctx, q.ID)
	}
	if q.Attempts >= d.tune.MaxAttempts {
		log.ErrorContext(ctx, "mail failed: no attempts left", slog.String("error", sendErr.Error()))
		d.counted(OutcomeFailed)
		return d.outbox.MarkFailed(ctx, q.ID, sendErr.Error())
	}
	delay := d.backoff(q.Attempts)
	log.WarnContext(ctx, "mail not sent: will retry", slog.String("error", sendErr.Error()), slog.String("retry_in", delay.String()))
	d.counted(OutcomeRetried)
	return d.outbox.MarkRetry(ctx, q.ID, delay, sendErr.Error())
}

func (d *Deliverer) backoff(attempts int) time.Duration {
	delay := d.tune.RetryBase
	for i := 1; i < attempts && delay < maxBackoff; i++ {
		delay *= 2
	}
	return min(delay, maxBackoff)
}
