// Package multipart uploads local files: it checks that a file can be sent,
// and streams a multipart/form-data body of values and files with its exact
// length, so that uploads are neither held in memory nor sent chunked.
package multipart

import (
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/textproto"
	"os"
	"path/filepath"

	"github.com/crieur/crieur/internal/safefile"
)

// DefaultLimit is the size limit of an uploaded file whose network names
// none: above what any network crieur supports takes by default.
const DefaultLimit = safefile.MaxUpload

// Field is one part of a form: a value, or a local file to upload.
type Field struct {
	Name  string
	Value string
	Path  string // a local file, when set
	// Limit is the most bytes the network takes for this file (0 means
	// DefaultLimit). A bigger file is refused before anything is sent, and
	// no more than its size at opening (within the limit) is ever read.
	Limit int64
}

// Form is a multipart body ready to send: Body streams it, Length is its exact
// size in bytes and ContentType carries the boundary.
type Form struct {
	Body        io.ReadCloser
	ContentType string
	Length      int64
}

// Stream opens every file first, so that a missing file fails before
// anything is sent, then streams the form. Closing Body closes the files;
// reading it to the end does too.
func Stream(fields []Field) (Form, error) {
	files := make([]*os.File, len(fields))
	sizes := make([]int64, len(fields))
	closeAll := func() {
		for _, f := range files {
			if f != nil {
				_ = f.Close()
			}
		}
	}
	for i, f := range fields {
		if f.Path == "" {
			continue
		}
		limit := f.Limit
		if limit <= 0 {
			limit = DefaultLimit
		}
		// A regular file only: a device or a FIFO would never end or hang.
		file, info, err := safefile.Open(f.Path, false)
		if err == nil && info.Size() > limit {
			_ = file.Close()
			err = fmt.Errorf("%s is %s, over the upload limit of %s", f.Path, safefile.Size(info.Size()), safefile.Size(limit))
		}
		if err != nil {
			closeAll()
			return Form{}, err
		}
		files[i], sizes[i] = file, info.Size()
	}

	// A dry run with the same boundary measures the form: the file contents
	// only add their sizes.
	var count counter
	dry := multipart.NewWriter(&count)
	if err := write(dry, fields, func(i int, _ io.Writer) error {
		count += counter(sizes[i])
		return nil
	}); err != nil {
		closeAll()
		return Form{}, err
	}

	pr, pw := io.Pipe()
	w := multipart.NewWriter(pw)
	if err := w.SetBoundary(dry.Boundary()); err != nil {
		closeAll()
		return Form{}, err
	}
	go func() {
		defer closeAll()
		pw.CloseWithError(write(w, fields, func(i int, part io.Writer) error {
			// Exactly the size announced: a file that grew since is cut
			// there (never past its limit), one that shrank fails.
			n, err := io.Copy(part, io.LimitReader(files[i], sizes[i]))
			if err == nil && n != sizes[i] {
				err = fmt.Errorf("the file changed while it was sent (%d of %d bytes)", n, sizes[i])
			}
			if err != nil {
				return fmt.Errorf("reading %s: %w", filepath.Base(fields[i].Path), err)
			}
			return nil
		}))
	}()
	return Form{Body: pr, ContentType: w.FormDataContentType(), Length: int64(count)}, nil
}

// write writes the fields in order; content writes file i into its part.
func write(w *multipart.Writer, fields []Field, content func(i int, part io.Writer) error) error {
	for i, f := range fields {
		if f.Path == "" {
			if err := w.WriteField(f.Name, f.Value); err != nil {
				return err
			}
			continue
		}
		name := filepath.Base(f.Path)
		h := textproto.MIMEHeader{}
		h.Set("Content-Disposition", mime.FormatMediaType("form-data", map[string]string{"name": f.Name, "filename": name}))
		ctype := mime.TypeByExtension(filepath.Ext(name))
		if ctype == "" {
			ctype = "application/octet-stream"
		}
		h.Set("Content-Type", ctype)
		part, err := w.CreatePart(h)
		if err != nil {
			return err
		}
		if err := content(i, part); err != nil {
			return err
		}
	}
	return w.Close()
}

// counter counts the bytes written to it.
type counter int64

func (c *counter) Write(p []byte) (int, error) {
	*c += counter(len(p))
	return len(p), nil
}
