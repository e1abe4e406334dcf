package ghost

import (
	"bytes"
	"context"
	"fmt"
	"mime"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"path/filepath"

	"github.com/crieur/crieur/internal/safefile"
	"github.com/crieur/crieur/publishers"
	"github.com/crieur/crieur/publishers/mediatype"
)

// imageTypes are the formats Ghost accepts for purpose=image.
var imageTypes = map[string]bool{
	"image/jpeg": true, "image/png": true, "image/gif": true, "image/webp": true, "image/svg+xml": true,
}

// uploadImage sends the file as multipart form data and returns the URL Ghost
// stored it at.
func (p *Publisher) uploadImage(ctx context.Context, path string) (string, error) {
	ctype, err := imageType(path)
	if err != nil {
		return "", publishers.Errorf(publishers.Permanent, "media: %v", err)
	}
	data, err := safefile.ReadFile(path, safefile.MaxUpload)
	if err != nil {
		return "", publishers.Errorf(publishers.Permanent, "media: %v", err)
	}
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	name := filepath.Base(path)
	// Ghost checks the part's type as well as the extension, so the part
	// says what it is rather than application/octet-stream.
	h := textproto.MIMEHeader{}
	h.Set("Content-Disposition", mime.FormatMediaType("form-data", map[string]string{"name": "file", "filename": name}))
	h.Set("Content-Type", ctype)
	part, err := mw.CreatePart(h)
	if err == nil {
		_, err = part.Write(data)
	}
	if err == nil {
		err = mw.WriteField("purpose", "image")
	}
	if err == nil {
		err = mw.WriteField("ref", name)
	}
	if err == nil {
		err = mw.Close()
	}
	if err != nil {
		return "", publishers.Errorf(publishers.Permanent, "building the upload: %v", err)
	}
	req, err := http.NewRequestWithContext(ctx, "POST", p.api+"/images/upload/", &buf)
	if err != nil {
		return "", publishers.Errorf(publishers.Permanent, "building the request: %v", err)
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	var out struct {
		Images []struct {
			URL string `json:"url"`
			Ref string `json:"ref"`
		} `json:"images"`
	}
	if err := p.client().Send(req, &out); err != nil {
		return "", err
	}
	if len(out.Images) == 0 || out.Images[0].URL == "" {
		return "", publishers.Errorf(publishers.Transient, "Ghost stored the image without a URL")
	}
	return out.Images[0].URL, nil
}

// imageType returns the MIME type of the image at path, from its extension
// or, failing that, its first bytes, if Ghost takes that format.
func imageType(path string) (string, error) {
	ctype, err := mediatype.Of(path)
	if err != nil {
		return "", err
	}
	if !imageTypes[ctype] {
		return "", fmt.Errorf("%s is %s; Ghost takes JPEG, PNG, GIF, WebP or SVG images", filepath.Base(path), ctype)
	}
	return ctype, nil
}
