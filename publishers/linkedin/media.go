package linkedin

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/crieur/crieur/internal/safefile"
	"github.com/crieur/crieur/publishers"
	"github.com/crieur/crieur/publishers/mediatype"
)

// maxImageBytes bounds what crieur reads of an image. LinkedIn's own limit
// is in pixels (Images API: under 36,152,320), which a file this size is
// far beyond.
const maxImageBytes = 100 << 20

// imageTypes are the formats the Images API takes: JPG, PNG and GIF.
var imageTypes = map[string]bool{"image/jpeg": true, "image/png": true, "image/gif": true}

// checkImage says why LinkedIn would refuse the file at path, or "".
func checkImage(path string) string {
	if u, ok := publishers.HTTPURL(path); ok && u != nil {
		return "LinkedIn takes image files, uploaded by crieur; " + path + " is a URL"
	}
	f, info, err := safefile.Open(path, false)
	switch {
	case errors.Is(err, safefile.ErrNotRegular):
		return err.Error()
	case err != nil:
		return "cannot read " + path
	}
	_ = f.Close()
	if info.Size() > maxImageBytes {
		return fmt.Sprintf("%s is %s, more than crieur uploads to LinkedIn (%s)", path, safefile.Size(info.Size()), safefile.Size(maxImageBytes))
	}
	ctype, err := mediatype.Of(path)
	if err != nil {
		return "cannot read " + path
	}
	if !imageTypes[ctype] {
		return fmt.Sprintf("%s is %s: LinkedIn takes JPG, PNG or GIF images", path, ctype)
	}
	return ""
}

// initializeUpload is the Images API's answer to
// POST /rest/images?action=initializeUpload: where to PUT the bytes, and
// the image's URN to put in the post.
type initializeUpload struct {
	Value struct {
		UploadURL string `json:"uploadUrl"`
		Image     string `json:"image"`
	} `json:"value"`
}

// uploadImage registers an image owned by the author, then PUTs its bytes
// to the upload URL LinkedIn gave, and returns its URN (Images API:
// initializeUpload, then the upload).
func (p *Publisher) uploadImage(ctx context.Context, owner, path string) (string, error) {
	data, err := safefile.ReadFile(path, maxImageBytes)
	if err != nil {
		return "", &publishers.Error{Class: publishers.Permanent, Message: "cannot read " + path, Err: err}
	}
	req, _ := json.Marshal(map[string]any{"initializeUploadRequest": map[string]string{"owner": owner}})
	h := http.Header{}
	p.restli(h)
	h.Set("Content-Type", "application/json")
	var init initializeUpload
	if _, err := p.do(ctx, http.MethodPost, p.api+"/rest/images?action=initializeUpload", req, h, &init); err != nil {
		return "", err
	}
	if init.Value.UploadURL == "" || !strings.HasPrefix(init.Value.Image, "urn:li:image:") {
		return "", &publishers.Error{Class: publishers.Transient, Message: "LinkedIn's initializeUpload answered without an upload URL and image URN"}
	}
	up, err := p.uploadTarget(init.Value.UploadURL)
	if err != nil {
		return "", err
	}
	ph := http.Header{}
	ph.Set("Content-Type", contentType(path))
	if _, err := p.do(ctx, http.MethodPut, up, data, ph, nil); err != nil {
		return "", err
	}
	return init.Value.Image, nil
}

func contentType(path string) string {
	if ct, err := mediatype.Of(path); err == nil {
		return ct
	}
	return "application/octet-stream"
}

// uploadTarget checks the upload URL LinkedIn gave before the token goes
// there: https (or this machine), on LinkedIn's own hosts (linkedin.com and
// its subdomains, where the Images API's upload URLs point), the API's
// host, or the channel's `upload` setting. Any other host gets neither the
// image nor the token.
func (p *Publisher) uploadTarget(raw string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return "", &publishers.Error{Class: publishers.Transient, Message: "LinkedIn gave an upload URL that is not an http(s) URL"}
	}
	// The API's and the upload setting's origins were checked as settings
	// (https, or this machine, or insecure_http).
	if api, err := url.Parse(p.api); err == nil && sameOrigin(api, u) {
		return raw, nil
	}
	if p.upload != nil && sameOrigin(p.upload, u) {
		return raw, nil
	}
	host := strings.ToLower(u.Hostname())
	if host != "linkedin.com" && !strings.HasSuffix(host, ".linkedin.com") {
		return "", &publishers.Error{Class: publishers.Permanent, Message: fmt.Sprintf(
			"LinkedIn gave an upload URL on %s, which is not LinkedIn's: crieur sends the token only to LinkedIn (set `upload=https://%s` on the channel if that host is LinkedIn's)", u.Host, u.Host)}
	}
	if u.Scheme != "https" {
		return "", &publishers.Error{Class: publishers.Permanent, Message: "LinkedIn gave an upload URL over plain http://: crieur sends the token only over https"}
	}
	return raw, nil
}

func sameOrigin(a, b *url.URL) bool {
	return strings.EqualFold(a.Scheme, b.Scheme) && strings.EqualFold(a.Host, b.Host)
}
