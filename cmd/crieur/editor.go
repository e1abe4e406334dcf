package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"

	"github.com/crieur/crieur/calendar"
	"github.com/crieur/crieur/calendar/formats"
)

// editorCommand is $EDITOR, then $VISUAL, then vi.
func editorCommand() string {
	for _, k := range []string{"EDITOR", "VISUAL"} {
		if v := os.Getenv(k); v != "" {
			return v
		}
	}
	return "vi"
}

// errUnchanged means the person left the document as it was: nothing to do.
var errUnchanged = errors.New("document unchanged: nothing changed")

// editDocument opens doc in the editor and returns what was saved. A document
// that does not parse is kept on disk and its path given in the error, so no
// writing is lost.
// retry is the command that applies the kept file once fixed ({{file}} is its path).
func (a *app) editDocument(doc formats.Document, header, retry string) (formats.Document, string, error) {
	dir, err := draftsDir()
	if err != nil {
		return doc, "", err
	}
	f, err := os.CreateTemp(dir, "post-*.md")
	if err != nil {
		return doc, "", err
	}
	path := f.Name()
	orig := withHeader(doc.Render(), header)
	if _, err := f.Write(orig); err != nil {
		f.Close()
		return doc, path, err
	}
	f.Close()
	// The editor runs through the shell so that EDITOR="code --wait" works.
	cmd := exec.Command("sh", "-c", editorCommand()+` "$1"`, "crieur-editor", path)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	if err := cmd.Run(); err != nil {
		return doc, path, fmt.Errorf("editor %q failed: %v (your text is kept in %s)", editorCommand(), err, path)
	}
	saved, err := os.ReadFile(path)
	if err != nil {
		return doc, path, err
	}
	if bytes.Equal(bytes.TrimSpace(saved), bytes.TrimSpace(orig)) || len(bytes.TrimSpace(saved)) == 0 {
		os.Remove(path)
		return doc, "", errUnchanged
	}
	out, err := formats.ParseDocument(saved)
	if err != nil {
		var fe calendar.FieldError
		if errors.As(err, &fe) {
			fe.File = path
			fe.Message += " (your text is kept in this file; fix it and run `" + strings.ReplaceAll(retry, "{{file}}", path) + "`)"
			return doc, path, fe
		}
		return doc, path, err
	}
	return out, path, nil
}

// settleDraft ends a draft written in the editor: removed once the command
// succeeded, kept on any failure with its path and the command that applies
// it once fixed, so that no writing is lost.
// A path emptied meanwhile means the draft was already saved and removed.
func (a *app) settleDraft(path *string, retry string, err *error) {
	switch {
	case *path == "":
	case *err == nil:
		os.Remove(*path)
	default:
		*err = keptDraftErr{err: *err, path: *path, retry: retry}
	}
}

// keptDraftErr is a failure after editing: the error, then where the text is.
type keptDraftErr struct {
	err         error
	path, retry string
}

func (e keptDraftErr) Error() string {
	return fmt.Sprintf("%v\nyour text is kept in %s: fix it and run `%s`", e.err, e.path, e.retry)
}

func (e keptDraftErr) Unwrap() error { return e.err }

// withHeader puts comment lines at the top of the front matter.
func withHeader(doc []byte, header string) []byte {
	if header == "" {
		return doc
	}
	return append([]byte("---\n"+header), doc[4:]...)
}
