package httpapi_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/authd/authd/internal/apitest"
	"github.com/authd/authd/internal/mail"
	"github.com/authd/authd/internal/store"
)

func outboxCounts(t *testing.T, env *apitest.Env) (pending, sent int, lastError string) {
	t.Helper()
	err := env.DB.QueryRow(context.Background(), `SELECT count(*) FILTER (WHERE sent_at IS NULL AND failed_at IS NULL),
		count(*) FILTER (WHERE sent_at IS NOT NULL), COALESCE(max(last_error), '') FROM mail_outbox`).Scan(&pending, &sent, &lastError)
	if err != nil {
		t.Fatal(err)
	}
	return pending, sent, lastError
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(25 * time.Millisecond)
	}
}

// A message committed with its flow survives the process: an instance that does not deliver (or dies
// before it does) leaves it in the outbox, and the next instance sends it, once.
func TestOutboxSurvivesARestartBetweenCommitAndSend(t *testing.T) {
	t.Parallel()
	env := apitest.New(t, func(c *apitest.Config) { c.MailDelivery = false })
	env.Register("kept@example.com")
	time.Sleep(300 * time.Millisecond)
	if pending, _, _ := outboxCounts(t, env); pending != 1 || len(env.Mail.All()) != 0 {
		t.Fatalf("before the restart: %d pending, %d received", pending, len(env.Mail.All()))
	}
	env.App.Close() // the instance stops with the message undelivered

	cfg := env.Config
	cfg.MailDelivery = true
	st, err := store.Open(context.Background(), cfg.DatabaseURL, cfg.DBOptions())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(st.Close)
	apitest.NewOnStore(t, cfg, st)
	env.Mail.Wait("kept@example.com", "Confirm your email address", 1)
	waitFor(t, "the message marked sent", func() bool { _, sent, _ := outboxCounts(t, env); return sent == 1 })
	time.Sleep(300 * time.Millisecond)
	if got := len(env.Mail.To("kept@example.com", "")); got != 1 {
		t.Errorf("received %d copies, want 1", got)
	}
	// A delivered message keeps no live link in the database.
	var bodies int
	if err := env.DB.QueryRow(context.Background(), "SELECT count(*) FROM mail_outbox WHERE text_body <> '' OR html_body <> ''").Scan(&bodies); err != nil || bodies != 0 {
		t.Errorf("delivered messages with their bodies: %d %v", bodies, err)
	}
}

// While the SMTP server is down, delivery is retried with backoff; once it is back, the message is sent.
func TestDeliveryIsRetriedWhileSMTPIsDown(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	env.Mail.Stop()
	env.Register("patient@example.com")
	waitFor(t, "two failed attempts", func() bool {
		var attempts int
		_ = env.DB.QueryRow(context.Background(), "SELECT COALESCE(max(attempts), 0) FROM mail_outbox").Scan(&attempts)
		return attempts >= 2
	})
	if pending, _, lastError := outboxCounts(t, env); pending != 1 || lastError == "" {
		t.Fatalf("while SMTP is down: %d pending, last error %q", pending, lastError)
	}
	env.Mail.Start()
	env.Mail.Wait("patient@example.com", "Confirm your email address", 1)
	waitFor(t, "the message marked sent", func() bool { _, sent, _ := outboxCounts(t, env); return sent == 1 })
	if got := len(env.Mail.To("patient@example.com", "")); got != 1 {
		t.Errorf("received %d copies, want 1", got)
	}
}

// A message that fails every attempt is marked failed, not retried for ever.
func TestDeliveryGivesUpAfterTheLastAttempt(t *testing.T) {
	t.Parallel()
	env := apitest.New(t, func(c *apitest.Config) { c.MailMaxAttempts = 2 })
	env.Mail.Stop()
	env.Register("lost@example.com")
	waitFor(t, "the message marked failed", func() bool {
		var failed int
		_ = env.DB.QueryRow(context.Background(), "SELECT count(*) FROM mail_outbox WHERE failed_at IS NOT NULL AND attempts = 2").Scan(&failed)
		return failed == 1
	})
}

// Two senders (two instances) draining one outbox send every message exactly once.
func TestTwoSendersNeverSendAMessageTwice(t *testing.T) {
	t.Parallel()
	env := apitest.New(t, func(c *apitest.Config) { c.MailDelivery = false })
	const n = 60
	for i := range n {
		env.Register(fmt.Sprintf("crowd%d@example.com", i))
	}
	smtp, err := mail.NewSMTP(env.Mail.URL(), env.Config.MailFrom)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for range 2 {
		st, err := store.Open(context.Background(), env.Config.DatabaseURL, env.Config.DBOptions())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(st.Close)
		deliverer := mail.NewDeliverer(st, smtp, env.Config.Delivery(), nil)
		wg.Go(func() {
			for {
				claimed, err := deliverer.DeliverDue(context.Background())
				if err != nil {
					t.Error(err)
					return
				}
				if claimed == 0 {
					return
				}
			}
		})
	}
	wg.Wait()
	received := env.Mail.All()
	ids := map[string]bool{}
	for _, m := range received {
		if ids[m.To] {
			t.Errorf("%s got the message twice", m.To)
		}
		ids[m.To] = true
	}
	if len(received) != n {
		t.Errorf("received %d messages, want %d", len(received), n)
	}
	if pending, sent, _ := outboxCounts(t, env); pending != 0 || sent != n {
		t.Errorf("outbox: %d pending, %d sent", pending, sent)
	}
}
