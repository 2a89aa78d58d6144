package httpapi_test

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"testing"

	"github.com/authd/authd/gen/api"
	"github.com/authd/authd/internal/apitest"
)

// race sends n requests at once, the i-th built by send(i), and returns their statuses.
func race(n int, send func(i int) int) []int {
	statuses := make([]int, n)
	var start, done sync.WaitGroup
	start.Add(1)
	for i := range n {
		done.Add(1)
		go func() {
			defer done.Done()
			start.Wait()
			statuses[i] = send(i)
		}()
	}
	start.Done()
	done.Wait()
	return statuses
}

// Of concurrent password changes with the right current password exactly one succeeds, the others get 409
// conflict (or 403 once the winner committed), and the password that answered 200 is the one that works.
func TestConcurrentPasswordChangesHaveOneWinner(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	email := apitest.UniqueEmail("racer")
	session := env.Register(email)
	const n = 12
	statuses := race(n, func(i int) int {
		body := api.PasswordChange{CurrentPassword: ptr(apitest.Password), NewPassword: fmt.Sprintf("winning passphrase %d", i)}
		resp, err := env.Client.ChangePasswordWithResponse(context.Background(), body, apitest.Bearer(session.AccessToken))
		if err != nil {
			t.Error(err)
			return 0
		}
		return resp.StatusCode()
	})
	winner := -1
	for i, status := range statuses {
		switch status {
		case http.StatusOK:
			if winner >= 0 {
				t.Fatalf("two password changes succeeded: %d and %d (%v)", winner, i, statuses)
			}
			winner = i
		case http.StatusConflict, http.StatusForbidden:
		case http.StatusServiceUnavailable: // every hashing slot busy (slow under -race): nothing changed
		default:
			t.Fatalf("change %d: %d (%v)", i, status, statuses)
		}
	}
	if winner < 0 {
		t.Fatalf("no change succeeded: %v", statuses)
	}
	// The winner's password first: fewer than login_max_failures losers after it, so no lock interferes.
	for _, i := range []int{winner, (winner + 1) % n, (winner + 2) % n, (winner + 3) % n} {
		resp, err := env.Client.LoginWithResponse(context.Background(), api.LoginRequest{Email: email, Password: fmt.Sprintf("winning passphrase %d", i)})
		if err != nil {
			t.Fatal(err)
		}
		if works := resp.StatusCode() == http.StatusOK; works != (i == winner) {
			t.Errorf("password %d (winner %d) logs in: %d", i, winner, resp.StatusCode())
		}
	}
}

// Concurrent email changes never overwrite each other: of several pending changes confirmed at once, each
// that succeeds started from the email the one before it left, and the account ends with the last one's
// address.
func TestConcurrentEmailChangesDoNotOverwriteEachOther(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	original := apitest.UniqueEmail("mover")
	session := env.Register(original)
	const n = 12
	var tokens []string
	for i := range n {
		target := fmt.Sprintf("moved%d@example.com", i)
		body := api.EmailChange{Email: target, Password: ptr(apitest.Password)}
		resp, err := env.Client.ChangeEmailWithResponse(context.Background(), body, apitest.Bearer(session.AccessToken))
		if err != nil || resp.JSON202 == nil {
			t.Fatalf("change %d: %v %s", i, err, resp.Body)
		}
		tokens = append(tokens, env.Mail.Wait(target, "Confirm your new email", 1).Token)
	}
	statuses := race(n, func(i int) int {
		resp, err := env.Client.VerifyEmailWithResponse(context.Background(), api.LinkTokenRequest{Token: tokens[i]})
		if err != nil {
			t.Error(err)
			return 0
		}
		return resp.StatusCode()
	})
	succeeded := 0
	for i, status := range statuses {
		switch status {
		case http.StatusOK:
			succeeded++
		case http.StatusServiceUnavailable:
		default:
			t.Fatalf("confirmation %d: %d (%v)", i, status, statuses)
		}
	}
	// The audit events are written after each change commits, so their order is not the changes' order;
	// their from-to pairs must still make one chain from the original address, each address left once.
	rows, err := env.DB.Query(context.Background(), "SELECT details->>'from', details->>'to' FROM audit_events WHERE event = 'email_changed'")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	next := map[string]string{}
	for rows.Next() {
		var from, to string
		if err := rows.Scan(&from, &to); err != nil {
			t.Fatal(err)
		}
		if earlier, ok := next[from]; ok {
			t.Errorf("two changes were applied from %s (to %s and to %s): a lost update", from, earlier, to)
		}
		next[from] = to
	}
	current, applied := original, 0
	for to, ok := next[current]; ok && applied <= len(next); to, ok = next[current] {
		current = to
		applied++
	}
	if applied != len(next) {
		t.Errorf("%d changes were applied, %d of them in one chain from %s: a change started from an address the account no longer had", len(next), applied, original)
	}
	if applied != succeeded || succeeded == 0 {
		t.Errorf("%d changes answered 200, %d applied", succeeded, applied)
	}
	me, err := env.Client.GetMeWithResponse(context.Background(), apitest.Bearer(session.AccessToken))
	if err != nil || me.JSON200 == nil {
		t.Fatalf("me: %v", err)
	}
	if string(me.JSON200.Email) != current {
		t.Errorf("email %s, want the last change's %s", me.JSON200.Email, current)
	}
}
