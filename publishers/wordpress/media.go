package wordpress

import (
	"context"
	"fmt"
	"io"
	"mime"
	"net/http"
	"path/filepath"
	"strings"

	"github.com/crieur/crieur/internal/safefile"
	"github.com/crieur/crieur/publishers"
	"github.com/crieur/crieur/publishers/mediatype"
)

// uploadMedia sends the file as the request body (the media endpoint names it
// from Content-Disposition), then sets its alternative text.
func (p *Publisher) uploadMedia(ctx context.Context, m publishers.Media) (int64, error) {
	ctype, err := imageType(m.Path)
	if err != nil {
		return 0, publishers.Errorf(publishers.Permanent, "media: %v", err)
	}
	// A regular file only (a device or a FIFO would never end or hang),
	// sent at the size it has now.
	f, st, err := safefile.Open(m.Path, false)
	if err == nil && st.Size() > safefile.MaxUpload {
		_ = f.Close()
		err = fmt.Errorf("%s is %s, over the upload limit of %s", m.Path, safefile.Size(st.Size()), safefile.Size(safefile.MaxUpload))
	}
	if err != nil {
		return 0, publishers.Errorf(publishers.Permanent, "media: %v", err)
	}
	defer f.Close()
	req, err := http.NewRequestWithContext(ctx, "POST", p.api+"/media", io.LimitReader(f, st.Size()))
	if err != nil {
		return 0, publishers.Errorf(publishers.Permanent, "building the request: %v", err)
	}
	req.ContentLength = st.Size()
	req.Header.Set("Content-Type", ctype)
	req.Header.Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": filepath.Base(m.Path)}))
	var media struct {
		ID int64 `json:"id"`
	}
	if err := p.client().Send(req, &media); err != nil {
		return 0, err
	}
	if media.ID == 0 {
		return 0, publishers.Errorf(publishers.Transient, "WordPress stored the media without an id")
	}
	if alt := strings.TrimSpace(m.Alt); alt != "" {
		if err := p.client().Do(ctx, "POST", fmt.Sprintf("%s/media/%d", p.api, media.ID), map[string]string{"alt_text": alt}, nil); err != nil {
			return 0, err
		}
	}
	return media.ID, nil
}

// imageType returns the image MIME type of the file at path, from its
// extension or, failing that, its first bytes.
func imageType(path string) (string, error) {
	ctype, err := mediatype.Of(path)
	if err != nil {
		return "", err
	}
	if !strings.HasPrefix(ctype, "image/") {
		return "", fmt.Errorf("%s is %s, not an image", filepath.Base(path), ctype)
	}
	return ctype, nil
}
