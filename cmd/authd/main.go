// Command authd is the authd server and its administration commands.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"log/slog"

	"github.com/authd/authd/internal/app"
	"github.com/authd/authd/internal/config"
)

const usage = `usage: authd <command>

commands:
  serve                  apply pending migrations, then serve the API
  migrate up|down|status manage the database schema
  createsuperuser --email E [--username U] [--promote]
                         create an admin (password from stdin), or promote an existing user
  cleanup                delete what no decision needs any more (used tokens, ended sessions, old
                         throttling rows and audit events), as authd serve does every AUTHD_CLEANUP_INTERVAL
  import [--format auto|django|jsonl] [--dry-run] [--media-dir DIR] [--on-conflict skip|update] FILE
                         import users with their password hashes from Django's dumpdata or JSON lines
  keys list | rotate [--now] | revoke KID
                         list, rotate or revoke the access-token signing keys
  version                print the version
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "authd:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string) error {
	if len(args) == 0 {
		fmt.Fprint(os.Stderr, usage)
		return errors.New("no command given")
	}
	switch args[0] {
	case "serve":
		cfg, err := config.Load()
		if err != nil {
			return err
		}
		slog.SetDefault(app.NewLogger(os.Stdout, cfg.LogLevel))
		return app.Serve(ctx, cfg, nil)
	case "migrate":
		if len(args) != 2 {
			return errors.New("usage: authd migrate up|down|status")
		}
		cfg, err := config.LoadDatabase()
		if err != nil {
			return err
		}
		return app.Migrate(ctx, cfg.DatabaseURL, args[1], os.Stdout)
	case "createsuperuser":
		cfg, err := config.LoadDatabase()
		if err != nil {
			return err
		}
		return app.CreateSuperuser(ctx, cfg.DatabaseURL, args[1:], os.Stdin, os.Stdout)
	case "cleanup":
		cfg, err := config.Load()
		if err != nil {
			return err
		}
		return app.Cleanup(ctx, cfg, os.Stdout)
	case "import":
		cfg, err := config.Load()
		if err != nil {
			return err
		}
		return app.Import(ctx, cfg, args[1:], os.Stdout)
	case "keys":
		cfg, err := config.Load()
		if err != nil {
			return err
		}
		return app.Keys(ctx, cfg, args[1:], os.Stdout)
	case "version":
		fmt.Println(app.Version)
		return nil
	case "help", "-h", "--help":
		fmt.Print(usage)
		return nil
	}
	fmt.Fprint(os.Stderr, usage)
	return fmt.Errorf("unknown command %q", args[0])
}
