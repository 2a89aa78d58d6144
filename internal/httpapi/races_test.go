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
		body := api.PasswordChange{CurrentPassword: apitest.Password, NewPassword: fmt.Sprintf("winning passphrase %d", i)}
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

// Of concurrent email changes exactly one succeeds, and the account ends with that address.
func TestConcurrentEmailChangesHaveOneWinner(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	session := env.Register(apitest.UniqueEmail("mover"))
	const n = 12
	statuses := race(n, func(i int) int {
		body := api.EmailChange{Email: fmt.Sprintf("moved%d@example.com", i), Password: apitest.Password}
		resp, err := env.Client.ChangeEmailWithResponse(context.Background(), body, apitest.Bearer(session.AccessToken))
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
				t.Fatalf("two email changes succeeded: %d and %d (%v)", winner, i, statuses)
			}
			winner = i
		case http.StatusConflict:
		default:
			t.Fatalf("change %d: %d (%v)", i, status, statuses)
		}
	}
	me, err := env.Client.GetMeWithResponse(context.Background(), apitest.Bearer(session.AccessToken))
	if err != nil || me.JSON200 == nil {
		t.Fatalf("me: %v", err)
	}
	if want := fmt.Sprintf("moved%d@example.com", winner); string(me.JSON200.Email) != want {
		t.Errorf("email %s, want the winner's %s", me.JSON200.Email, want)
	}
}
