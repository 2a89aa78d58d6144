package app

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/authd/authd/internal/auth"
	"github.com/authd/authd/internal/config"
)

const keysUsage = "usage: authd keys list | rotate [--now] | revoke KID"

// Keys runs "keys list|rotate [--now]|revoke KID" against the database of cfg. Every running instance
// picks the change up within a second.
func Keys(ctx context.Context, cfg config.Config, args []string, out io.Writer) error {
	if len(args) == 0 {
		return errors.New(keysUsage)
	}
	if !cfg.Alg().Asymmetric() {
		return auth.ErrSharedSecret
	}
	st, live, err := openForCommand(ctx, cfg)
	if err != nil {
		return err
	}
	defer st.Close()
	_, keys, err := signingKeys(ctx, cfg, st, live)
	if err != nil {
		return err
	}
	switch args[0] {
	case "list":
		if len(args) != 1 {
			return errors.New(keysUsage)
		}
	case "rotate":
		fs := flag.NewFlagSet("keys rotate", flag.ContinueOnError)
		fs.SetOutput(io.Discard)
		now := fs.Bool("now", false, "sign with the new key at once")
		if err := fs.Parse(args[1:]); err != nil || fs.NArg() > 0 {
			return errors.New(keysUsage)
		}
		if err := keys.Rotate(ctx, *now); err != nil {
			return err
		}
	case "revoke":
		if len(args) != 2 {
			return errors.New(keysUsage)
		}
		if err := keys.Revoke(ctx, args[1]); errors.Is(err, auth.ErrNotFound) {
			return fmt.Errorf("no published key has kid %q", args[1])
		} else if err != nil {
			return err
		}
	default:
		return errors.New(keysUsage)
	}
	return printKeys(ctx, keys, out)
}

func printKeys(ctx context.Context, keys *auth.KeyManager, out io.Writer) error {
	list, err := keys.Keys(ctx)
	if err != nil {
		return err
	}
	w := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "KID\tALG\tSTATE\tCREATED\tACTIVATED\tRETIRES")
	for _, k := range list {
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\n", k.Kid, k.Alg, k.State, k.CreatedAt.UTC().Format(time.RFC3339),
			timeOrDash(k.ActivatedAt), timeOrDash(k.RetireAt))
	}
	return w.Flush()
}

func timeOrDash(t *time.Time) string {
	if t == nil {
		return "-"
	}
	return t.UTC().Format(time.RFC3339)
}
