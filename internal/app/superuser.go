package app

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"golang.org/x/term"

	"github.com/authd/authd/internal/auth"
	"github.com/authd/authd/internal/store"
)

// CreateSuperuser runs "createsuperuser --email E [--username U] [--promote]". The password comes from
// stdin: prompted twice without echo on a terminal, otherwise one line (for scripts and CI).
func CreateSuperuser(ctx context.Context, databaseURL string, args []string, stdin *os.File, stdout io.Writer) error {
	fs := flag.NewFlagSet("createsuperuser", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	email := fs.String("email", "", "email of the admin (required)")
	username := fs.String("username", "", "display name (optional)")
	promote := fs.Bool("promote", false, "make an existing user with this email an admin")
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("%w (usage: authd createsuperuser --email E [--username U] [--promote])", err)
	}
	if *email == "" || fs.NArg() > 0 {
		return errors.New("usage: authd createsuperuser --email E [--username U] [--promote]")
	}
	su := auth.Registration{Email: *email, EmailVerified: true}
	if *username != "" {
		su.Profile.Username = username
	}
	if err := migrateUp(ctx, databaseURL); err != nil {
		return err
	}
	st, err := store.Open(ctx, databaseURL, store.Options{})
	if err != nil {
		return err
	}
	defer st.Close()
	accounts := auth.NewAccounts(st, auth.NewHasher(auth.DefaultArgon2Params, 0, hashWait), nil, nil)

	if *promote {
		if u, err := accounts.Promote(ctx, *email); err == nil {
			fmt.Fprintf(stdout, "%s is now an admin\n", u.Email)
			return nil
		} else if !errors.Is(err, auth.ErrNotFound) {
			return err
		}
	}
	if su.Password, err = readPassword(stdin, stdout); err != nil {
		return err
	}
	user, err := accounts.Create(ctx, su, true)
	var verr *auth.ValidationError
	switch {
	case errors.Is(err, auth.ErrEmailTaken):
		return fmt.Errorf("an account with email %s already exists; pass --promote to make it an admin", *email)
	case errors.Is(err, auth.ErrUsernameTaken):
		return fmt.Errorf("the username %q is taken", *username)
	case errors.As(err, &verr):
		return errors.New(strings.TrimPrefix(verr.Error(), "validation failed: "))
	case err != nil:
		return err
	}
	fmt.Fprintf(stdout, "created admin %s (%s)\n", user.Email, user.ID)
	return nil
}

func readPassword(stdin *os.File, stdout io.Writer) (string, error) {
	fd := int(stdin.Fd())
	if !term.IsTerminal(fd) {
		line, err := bufio.NewReader(io.LimitReader(stdin, 4096)).ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return "", fmt.Errorf("read password: %w", err)
		}
		line = strings.TrimRight(line, "\r\n")
		if line == "" {
			return "", errors.New("no password on standard input")
		}
		return line, nil
	}
	fmt.Fprint(stdout, "Password: ")
	first, err := term.ReadPassword(fd)
	fmt.Fprintln(stdout)
	if err != nil {
		return "", fmt.Errorf("read password: %w", err)
	}
	fmt.Fprint(stdout, "Password (again): ")
	second, err := term.ReadPassword(fd)
	fmt.Fprintln(stdout)
	if err != nil {
		return "", fmt.Errorf("read password: %w", err)
	}
	if string(first) != string(second) {
		return "", errors.New("the passwords do not match")
	}
	return string(first), nil
}
