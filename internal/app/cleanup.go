package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/authd/authd/internal/auth"
	"github.com/authd/authd/internal/config"
)

// Cleanup runs "cleanup": the janitor's pass, once, with the retention settings in the database, and
// prints what it removed as JSON.
func Cleanup(ctx context.Context, cfg config.Config, out io.Writer) error {
	st, live, err := openForCommand(ctx, cfg)
	if err != nil {
		return err
	}
	defer st.Close()
	report, ran, err := auth.NewJanitor(st, live, nil).Run(ctx)
	if err != nil {
		return err
	}
	if !ran {
		return errors.New("another authd instance is cleaning up right now; try again in a minute")
	}
	b, err := json.Marshal(map[string]any{"removed": report, "total": report.Total()})
	if err != nil {
		return err
	}
	_, err = fmt.Fprintln(out, string(b))
	return err
}
