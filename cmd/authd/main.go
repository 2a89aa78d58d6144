// Command authd is the authd server and its administration commands.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"slices"
	"strings"
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
  version                print the version (also --version)
  help [env]             this text, or the environment variables authd reads

Every command also takes --help. authd is configured by environment variables: authd help env.
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "authd:", err)
		os.Exit(1)
	}
}

// commands are the commands run knows, for help and for suggestions.
var commands = []string{"serve", "migrate", "createsuperuser", "cleanup", "import", "keys", "version", "help"}

// wantsHelp says whether args ask for help anywhere: such a command prints usage and runs nothing.
func wantsHelp(args []string) bool {
	return slices.ContainsFunc(args, func(a string) bool { return a == "-h" || a == "--help" || a == "-help" })
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return errors.New("no command given")
	}
	command := args[0]
	switch {
	case command == "help" && len(args) > 1 && args[1] == "env":
		printEnv(stdout)
		return nil
	case command == "help" || command == "-h" || command == "--help" || command == "-help":
		fmt.Fprint(stdout, usage)
		return nil
	case command == "--version" || command == "-version" || command == "version":
		fmt.Fprintln(stdout, app.Version)
		return nil
	case !slices.Contains(commands, command):
		fmt.Fprint(stderr, usage)
		if near := closest(command, commands); near != "" {
			return fmt.Errorf("unknown command %q; did you mean %q?", command, near)
		}
		return fmt.Errorf("unknown command %q", command)
	case wantsHelp(args[1:]):
		fmt.Fprint(stdout, usage)
		return nil
	}
	switch command {
	case "serve", "cleanup":
		if len(args) > 1 {
			return fmt.Errorf("%s takes no arguments (got %q): authd is configured by environment variables; see authd help env",
				command, strings.Join(args[1:], " "))
		}
	}
	switch command {
	case "serve":
		cfg, err := config.Load()
		if err != nil {
			return err
		}
		slog.SetDefault(app.NewLogger(stdout, cfg.LogLevel))
		return app.Serve(ctx, cfg, nil)
	case "migrate":
		if len(args) != 2 {
			return errors.New("usage: authd migrate up|down|status")
		}
		cfg, err := config.LoadDatabase()
		if err != nil {
			return err
		}
		return app.Migrate(ctx, cfg.DatabaseURL, args[1], stdout)
	case "createsuperuser":
		cfg, err := config.LoadDatabase()
		if err != nil {
			return err
		}
		return app.CreateSuperuser(ctx, cfg.DatabaseURL, args[1:], os.Stdin, stdout)
	case "cleanup":
		cfg, err := config.Load()
		if err != nil {
			return err
		}
		return app.Cleanup(ctx, cfg, stdout)
	case "import":
		cfg, err := config.Load()
		if err != nil {
			return err
		}
		return app.Import(ctx, cfg, args[1:], stdout)
	case "keys":
		cfg, err := config.Load()
		if err != nil {
			return err
		}
		return app.Keys(ctx, cfg, args[1:], stdout)
	}
	return fmt.Errorf("unknown command %q", command)
}

// printEnv lists the environment variables authd reads, with their defaults.
func printEnv(w io.Writer) {
	fmt.Fprintln(w, "authd is configured by these environment variables (the README says what each does):")
	for _, v := range config.Variables() {
		if v.Default != "" {
			fmt.Fprintf(w, "  %-36s default %s\n", v.Name, v.Default)
		} else {
			fmt.Fprintf(w, "  %s\n", v.Name)
		}
	}
}

// closest is the command nearest to name by edit distance, if one is near enough to be a typo.
func closest(name string, candidates []string) string {
	best, bestDistance := "", 3
	for _, c := range candidates {
		if d := editDistance(name, c); d < bestDistance {
			best, bestDistance = c, d
		}
	}
	return best
}

// editDistance is the Levenshtein distance of a and b.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}
