package telegram

import (
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/textproto"
	"os"
	"path/filepath"
)

// field is one part of a multipart form: a value, or a local file to upload.
type field struct {
	name  string
	value string
	path  string // a local file, when set
}

// form is a multipart body streamed from its fields, with its exact length,
// so that uploads are neither held in memory nor sent chunked.
type form struct {
	body        io.ReadCloser
	contentType string
	length      int64
}

// streamForm opens every file first, so that a missing file fails before
// anything is sent, then streams the form. The body closes the files.
func streamForm(fields []field) (form, error) {
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
		if f.path == "" {
			continue
		}
		file, err := os.Open(f.path)
		if err == nil {
			var info os.FileInfo
			if info, err = file.Stat(); err == nil {
				sizes[i] = info.Size()
			}
		}
		if err != nil {
			if file != nil {
				_ = file.Close()
			}
			closeAll()
			return form{}, err
		}
		files[i] = file
	}

	// A dry run with the same boundary measures the form: the file contents
	// only add their sizes.
	var count counter
	dry := multipart.NewWriter(&count)
	if err := writeForm(dry, fields, func(i int, _ io.Writer) error {
		count += counter(sizes[i])
		return nil
	}); err != nil {
		closeAll()
		return form{}, err
	}

	pr, pw := io.Pipe()
	w := multipart.NewWriter(pw)
	if err := w.SetBoundary(dry.Boundary()); err != nil {
		closeAll()
		return form{}, err
	}
	go func() {
		defer closeAll()
		pw.CloseWithError(writeForm(w, fields, func(i int, part io.Writer) error {
			if _, err := io.Copy(part, files[i]); err != nil {
				return fmt.Errorf("reading %s: %w", filepath.Base(fields[i].path), err)
			}
			return nil
		}))
	}()
	return form{body: pr, contentType: w.FormDataContentType(), length: int64(count)}, nil
}

// writeForm writes the fields in order; content writes file i into its part.
func writeForm(w *multipart.Writer, fields []field, content func(i int, part io.Writer) error) error {
	for i, f := range fields {
		if f.path == "" {
			if err := w.WriteField(f.name, f.value); err != nil {
				return err
			}
			continue
		}
		name := filepath.Base(f.path)
		h := textproto.MIMEHeader{}
		h.Set("Content-Disposition", mime.FormatMediaType("form-data", map[string]string{"name": f.name, "filename": name}))
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
