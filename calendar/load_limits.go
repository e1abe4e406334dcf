package calendar

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/crieur/crieur/calendar/when"
	"github.com/crieur/crieur/internal/safefile"
)

// A load comes from files a whole team (and its agencies) can change, often
// in CI: what it reads is bounded, so that a hostile file ends in a clear
// error instead of filling the memory, hanging on a FIFO or uploading a file
// from outside the load.
const (
	// DefaultMaxLoadFile is the size limit of one load file, unless the
	// import says otherwise (--max-file-size).
	DefaultMaxLoadFile = safefile.DefaultMaxInput
	// MaxLoadPosts is the most posts one load may hold (a load of 100,000
	// posts is read in seconds; a million is a mistake or an attack).
	MaxLoadPosts = 200_000
	// MaxFieldBytes is the most bytes one text field of a post may hold:
	// far above any network's limit, far below what would hurt.
	MaxFieldBytes = 1 << 20
	// MaxYAMLNodes is the most nodes a YAML document may expand to, aliases
	// followed: a legitimate load of MaxLoadPosts posts stays well under it,
	// an alias bomb (a few hundred bytes that expand to billions) does not.
	MaxYAMLNodes = 10_000_000
	// MaxYAMLDepth bounds nesting, which no load needs past a few levels.
	MaxYAMLDepth = 100
)

// checkFieldSizes records a problem for each text field over MaxFieldBytes
// or holding a NUL byte.
func checkFieldSizes(it *LoadItem, bad func(field, format string, args ...any)) {
	check := func(field, v string) {
		if len(v) > MaxFieldBytes {
			bad(field, "%s is %s; a post's field takes at most %s", field, safefile.Size(int64(len(v))), safefile.Size(MaxFieldBytes))
		} else if strings.IndexByte(v, 0) >= 0 {
			bad(field, "contains a NUL byte (\\0), which no network takes")
		}
	}
	check("slug", it.Slug)
	check("at", it.At)
	check("status", it.Status)
	check("title", it.Title)
	check("body", it.Body)
	check("link", it.Link)
	check("excerpt", it.Excerpt)
	check("campaign", it.Campaign)
	for name, v := range it.Variants {
		check("variants."+name, v)
	}
	for i, v := range it.Thread {
		check(fmt.Sprintf("thread[%d]", i), v)
	}
	for i, m := range it.Media {
		check(fmt.Sprintf("media[%d]", i), m.Path+m.Alt)
	}
}

// checkLoadMedia checks a local media file a load names: it must resolve
// inside root (the load's folder, or the import's --media-root), be a
// regular file (no symlink out, no device, no FIFO) and be readable. It
// returns the problem, or "".
func checkLoadMedia(root, path string) string {
	f, _, err := safefile.OpenWithin(root, path)
	if err == nil {
		_ = f.Close()
		return ""
	}
	switch {
	case errors.Is(err, safefile.ErrOutside):
		return err.Error() + ": a load's media must lie in its folder (or under --media-root)"
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Sprintf("%s: no such file", path)
	case errors.Is(err, safefile.ErrNotRegular):
		return err.Error() + ": a load's media must be regular files"
	}
	var pe *os.PathError
	if errors.As(err, &pe) {
		return fmt.Sprintf("%s: %v", path, pe.Err)
	}
	return err.Error()
}

// mediaRoot is the folder a load item's media are confined to.
func mediaRoot(opt LoadOptions, it *LoadItem) string {
	if opt.MediaRoot != "" {
		return opt.MediaRoot
	}
	if it.BaseDir == "" {
		return "."
	}
	return filepath.Clean(it.BaseDir)
}

// CheckDay reads a date (YYYY-MM-DD) a person typed for field: a real date
// in the years crieur takes.
func CheckDay(field, s string) error {
	d, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return Invalid(field, "%q is not a date (YYYY-MM-DD)", s)
	}
	if err := when.InRange(s, d); err != nil {
		return Invalid(field, "%v", err)
	}
	return nil
}

// CheckInstant refuses an instant outside the years crieur takes (it could
// not be written in JSON or an export).
func CheckInstant(field string, t *time.Time) error {
	if t == nil {
		return nil
	}
	if err := when.InRange("", *t); err != nil {
		return Invalid(field, "%v", err)
	}
	return nil
}
