package importer

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/authd/authd/internal/auth"
	"github.com/authd/authd/internal/avatar"
)

// BatchSize is how many users one transaction imports: small enough that no lock is held long, large
// enough that a million users is a few thousand commits.
const BatchSize = 500

// ErrUnreadable is a source that is not users in the format asked for (or any, with FormatAuto).
var ErrUnreadable = errors.New("the file cannot be read as users")

// Options choose what an import does.
type Options struct {
	Format string // FormatAuto, FormatDjango or FormatJSONL
	DryRun bool   // everything is checked, including against the database, and nothing is kept
	// Update brings existing accounts up to date with the source; otherwise they are skipped.
	Update bool
	// MediaDir is the source's media root (Django's MEDIA_ROOT); avatars are left out without one.
	MediaDir string
}

// Skip is a user, or a record, that was not imported, and why.
type Skip struct {
	Row        int    `json:"row"`
	ExternalID string `json:"external_id,omitempty"`
	Email      string `json:"email,omitempty"`
	Reason     string `json:"reason"`
}

// Report is what an import did. Imported, Updated, Unchanged and Skipped add up to Total.
type Report struct {
	DryRun    bool
	Total     int
	Imported  int
	Updated   int
	Unchanged int
	Skipped   int
	// WithoutPassword counts imported or updated accounts with an unusable password: they must set one
	// (through an admin) before they can sign in.
	WithoutPassword int
	// Schemes counts the password hash schemes of the imported and updated accounts.
	Schemes map[string]int
	// Avatars counts avatars brought over; AvatarsLeftOut those named in the source but not brought,
	// because no media directory was given.
	Avatars        int
	AvatarsLeftOut int
	Skips          []Skip
	// AvatarProblems are users imported without the avatar the source named, and why.
	AvatarProblems []Skip
}

// Importer brings users from other systems into authd.
type Importer struct {
	store     auth.ImportStore
	accounts  *auth.Accounts
	processor *avatar.Processor
}

// New returns an Importer; avatars go through the same processing as uploads.
func New(store auth.ImportStore, accounts *auth.Accounts, processor *avatar.Processor) *Importer {
	return &Importer{store: store, accounts: accounts, processor: processor}
}

// Run imports the users of r. Each batch commits on its own (except in a dry run), so an error part way
// leaves the earlier batches imported; running the import again finishes the job, because a second run
// changes nothing that the first one did.
func (im *Importer) Run(ctx context.Context, r io.Reader, opts Options) (Report, error) {
	report := Report{DryRun: opts.DryRun, Schemes: map[string]int{}}
	seenEmail := map[string]int{}
	seenID := map[string]int{}
	batch := make([]auth.ImportedUser, 0, BatchSize)
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		results, err := im.store.ImportUsers(ctx, batch, opts.Update, opts.DryRun)
		if err != nil {
			return err
		}
		for i, result := range results {
			im.record(ctx, &report, batch[i], result, opts)
		}
		batch = batch[:0]
		return nil
	}
	var storeErr error
	parseErr := Parse(r, opts.Format, func(rec Record) error {
		report.Total++
		if rec.Skip != nil {
			report.Skips = append(report.Skips, *rec.Skip)
			return nil
		}
		source := rec.User
		u, err := auth.PrepareImport(source)
		if err != nil {
			report.Skips = append(report.Skips, Skip{Row: source.Row, ExternalID: source.ExternalID, Email: source.Email, Reason: reason(err)})
			return nil
		}
		if first, seen := seenEmail[u.Email]; seen {
			report.Skips = append(report.Skips, Skip{Row: u.Row, ExternalID: source.ExternalID, Email: source.Email,
				Reason: fmt.Sprintf("duplicate email after normalisation: row %d has %s", first, u.Email)})
			return nil
		}
		seenEmail[u.Email] = u.Row
		if u.ExternalID != nil {
			if first, seen := seenID[*u.ExternalID]; seen {
				report.Skips = append(report.Skips, Skip{Row: u.Row, ExternalID: source.ExternalID, Email: source.Email,
					Reason: fmt.Sprintf("duplicate external id: row %d has it too", first)})
				return nil
			}
			seenID[*u.ExternalID] = u.Row
		}
		if batch = append(batch, u); len(batch) == BatchSize {
			if storeErr = flush(); storeErr != nil {
				return storeErr
			}
		}
		return nil
	})
	switch {
	case storeErr != nil:
		return report, storeErr
	case parseErr != nil:
		// The batches before the break are kept; a second run, once the file is mended, changes nothing
		// for them.
		return report, fmt.Errorf("%w: %w", ErrUnreadable, parseErr)
	}
	if err := flush(); err != nil {
		return report, err
	}
	report.Skipped = len(report.Skips)
	slices.SortStableFunc(report.Skips, func(a, b Skip) int { return a.Row - b.Row })
	return report, nil
}

func (im *Importer) record(ctx context.Context, report *Report, u auth.ImportedUser, result auth.ImportResult, opts Options) {
	switch result.Outcome {
	case auth.ImportSkipped:
		report.Skips = append(report.Skips, Skip{Row: u.Row, ExternalID: deref(u.ExternalID), Email: u.Email, Reason: result.Reason})
		return
	case auth.ImportUnchanged:
		report.Unchanged++
	case auth.ImportCreated:
		report.Imported++
	case auth.ImportUpdated:
		report.Updated++
	}
	if result.Outcome != auth.ImportUnchanged {
		report.Schemes[u.HashScheme]++
		if u.HashScheme == auth.SchemeUnusable {
			report.WithoutPassword++
		}
	}
	if u.Avatar == "" || result.HasAvatar {
		return
	}
	if opts.MediaDir == "" {
		report.AvatarsLeftOut++
		return
	}
	if err := im.importAvatar(ctx, result, u, opts); err != nil {
		report.AvatarProblems = append(report.AvatarProblems, Skip{Row: u.Row, ExternalID: deref(u.ExternalID), Email: u.Email, Reason: err.Error()})
		return
	}
	report.Avatars++
}

// importAvatar reads the source's avatar from the media directory (never outside it) and stores it
// through the upload pipeline. A dry run only checks that the file is there.
func (im *Importer) importAvatar(ctx context.Context, result auth.ImportResult, u auth.ImportedUser, opts Options) error {
	path := filepath.Join(opts.MediaDir, filepath.FromSlash(filepath.Clean("/"+u.Avatar)))
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("avatar %s: %w", u.Avatar, errors.Unwrap(err))
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, avatar.MaxBytes+1))
	if err != nil {
		return fmt.Errorf("avatar %s: %w", u.Avatar, err)
	}
	if len(data) > avatar.MaxBytes {
		return fmt.Errorf("avatar %s: larger than %d bytes", u.Avatar, avatar.MaxBytes)
	}
	if opts.DryRun {
		return nil
	}
	if _, err := im.accounts.SetAvatar(ctx, im.processor, result.UserID, data); err != nil {
		return fmt.Errorf("avatar %s: %s", u.Avatar, reason(err))
	}
	return nil
}

// reason is an error as the report shows it: a validation error's fields, in order.
func reason(err error) string {
	var verr *auth.ValidationError
	if errors.As(err, &verr) {
		parts := make([]string, 0, len(verr.Fields))
		for _, field := range slices.Sorted(maps.Keys(verr.Fields)) {
			parts = append(parts, field+": "+verr.Fields[field])
		}
		return strings.Join(parts, "; ")
	}
	return err.Error()
}
