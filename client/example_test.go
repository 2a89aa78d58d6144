package client_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/authd/authd/client"
	"github.com/authd/authd/gen/api"
)

// Sign up, sign in and read the profile. (A stand-in for authd answers here; point New at your authd.)
func Example() {
	authd := newStandIn()
	defer authd.Close()
	ctx := context.Background()

	c, err := client.New(authd.URL)
	if err != nil {
		panic(err)
	}
	if _, err := c.Register(ctx, api.RegisterRequest{Email: "ada@example.com", Password: "correct horse battery staple"}); err != nil {
		panic(err)
	}
	if _, err := c.Login(ctx, "ada@example.com", "correct horse battery staple"); err != nil {
		panic(err)
	}
	me, err := c.Me(ctx) // an expired access token is refreshed here, once, for every caller
	if err != nil {
		panic(err)
	}
	fmt.Println("signed in as", me.Email)

	_, err = c.Login(ctx, "ada@example.com", "wrong")
	var e *client.Error
	if errors.As(err, &e) {
		fmt.Println(e.Status, e.Code)
	}
	// Output:
	// signed in as ada@example.com
	// 401 invalid_credentials
}
