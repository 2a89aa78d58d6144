package app

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"

	"github.com/authd/authd/internal/auth"
	"github.com/authd/authd/internal/avatar"
	"github.com/authd/authd/internal/config"
	"github.com/authd/authd/internal/importer"
)

const importUsage = "usage: authd import [--format auto|django|jsonl] [--dry-run] [--media-dir DIR] [--on-conflict skip|update] FILE"

// Import runs "import FILE": users of another system, with their password hashes, into the database. It
// prints the report, one line per skipped user.
func Import(ctx context.Context, cfg config.Config, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("import", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	format := fs.String("format", importer.FormatAuto, "auto, django (manage.py dumpdata) or jsonl")
	dryRun := fs.Bool("dry-run", false, "check everything and report, keeping nothing")
	mediaDir := fs.String("media-dir", "", "the source's media root (Django's MEDIA_ROOT), to bring avatars")
	onConflict := fs.String("on-conflict", "skip", "what to do with users that exist: skip or update")
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("%w (%s)", err, importUsage)
	}
	if fs.NArg() != 1 || (*onConflict != "skip" && *onConflict != "update") {
		return errors.New(importUsage)
	}
	f, err := os.Open(fs.Arg(0))
	if err != nil {
		return err
	}
	defer f.Close()
	if *mediaDir != "" {
		if info, err := os.Stat(*mediaDir); err != nil || !info.IsDir() {
			return fmt.Errorf("--media-dir %s is not a directory", *mediaDir)
		}
	}
	st, _, err := openForCommand(ctx, cfg)
	if err != nil {
		return err
	}
	defer st.Close()
	media, err := avatar.NewDir(cfg.MediaDir)
	if err != nil {
		return err
	}
	accounts := auth.NewAccounts(st, nil, media, nil)
	report, err := importer.New(st, accounts, avatar.NewProcessor(avatarDecodes)).Run(ctx, f, importer.Options{
		Format: *format, DryRun: *dryRun, Update: *onConflict == "update", MediaDir: *mediaDir})
	printImportReport(out, report)
	return err
}

func printImportReport(out io.Writer, r importer.Report) {
	if r.DryRun {
		fmt.Fprintln(out, "dry run: nothing was kept")
	}
	fmt.Fprintf(out, "users: %d  imported: %d  updated: %d  unchanged: %d  skipped: %d\n",
		r.Total, r.Imported, r.Updated, r.Unchanged, r.Skipped)
	for _, scheme := range slices.Sorted(maps.Keys(r.Schemes)) {
		fmt.Fprintf(out, "password hashes %s: %d\n", scheme, r.Schemes[scheme])
	}
	if r.WithoutPassword > 0 {
		fmt.Fprintf(out, "without a usable password (must be given one before signing in): %d\n", r.WithoutPassword)
	}
	if r.Avatars > 0 || r.AvatarsLeftOut > 0 {
		fmt.Fprintf(out, "avatars: %d brought, %d left out (no --media-dir)\n", r.Avatars, r.AvatarsLeftOut)
	}
	for _, s := range r.Skips {
		fmt.Fprintf(out, "skipped row %d%s: %s\n", s.Row, who(s), s.Reason)
	}
	for _, s := range r.AvatarProblems {
		fmt.Fprintf(out, "avatar not brought, row %d%s: %s\n", s.Row, who(s), s.Reason)
	}
}

func who(s importer.Skip) string {
	switch {
	case s.Email != "" && s.ExternalID != "":
		return fmt.Sprintf(" (%s, id %s)", s.Email, s.ExternalID)
	case s.Email != "":
		return " (" + s.Email + ")"
	case s.ExternalID != "":
		return " (id " + s.ExternalID + ")"
	}
	return ""
}
