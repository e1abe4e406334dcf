// Package mediahost publishes a post's local media at a public URL, for the
// networks that fetch images themselves instead of taking an upload
// (Instagram and Threads: Meta fetches each image from a public URL when
// the container is made). A channel names a folder its web server serves
// (media_dir) and that folder's public address (media_base_url); each file
// is copied there under a name made of its content's hash, so the same
// image always gets the same URL and no name collides. An https URL given
// as media passes through.
package mediahost

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/crieur/crieur/internal/safefile"
	"github.com/crieur/crieur/publishers"
)

// The settings' names.
const (
	SettingDir  = "media_dir"
	SettingBase = "media_base_url"
)

// Fields describe the settings for a network's registration.
func Fields(network string) []publishers.Field {
	return []publishers.Field{
		{Name: SettingDir, Kind: publishers.OutDir, Help: "a folder your web server publishes: crieur copies each local image there, named by its content's hash, for " + network + " to fetch"},
		{Name: SettingBase, Kind: publishers.URL, Help: "the public https URL of media_dir (e.g. https://brand.example/media)"},
	}
}

// Host is a channel's media host.
type Host struct {
	dir  string
	base string // no trailing slash
}

// FromSettings reads the channel's media host; nil when it has none. Both
// settings go together, and the base URL must be https (Meta fetches over
// the Internet) unless it names this machine (tests) or insecure_http.
func FromSettings(network string, settings map[string]string) (*Host, error) {
	dir := strings.TrimSpace(settings[SettingDir])
	base := strings.TrimRight(strings.TrimSpace(settings[SettingBase]), "/")
	switch {
	case dir == "" && base == "":
		return nil, nil
	case dir == "" || base == "":
		return nil, fmt.Errorf("%s: set both media_dir and media_base_url (the folder your web server publishes and its public URL), or neither", network)
	}
	if !filepath.IsAbs(dir) {
		return nil, fmt.Errorf("%s: setting media_dir %q must be an absolute path", network, dir)
	}
	u, ok := publishers.HTTPURL(base)
	if !ok || u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("%s: setting media_base_url %q is not a URL like https://brand.example/media", network, base)
	}
	if err := publishers.CheckHTTPS(network+": setting media_base_url", u, settings); err != nil {
		return nil, err
	}
	return &Host{dir: dir, base: base}, nil
}

// Public reports whether path is already a public https URL.
func Public(path string) bool {
	u, ok := publishers.HTTPURL(path)
	return ok && u.Scheme == "https"
}

// Missing says why media at path cannot reach a network that fetches
// images, on a channel with host h (nil: none), or "".
func Missing(h *Host, network, path string) string {
	if Public(path) {
		return ""
	}
	if _, ok := publishers.HTTPURL(path); ok {
		return path + ": " + network + " fetches images over https only"
	}
	if h == nil {
		return fmt.Sprintf("%s fetches images from a public URL: set a media host on the channel (`crieur channel edit NAME --set media_dir=/var/www/media --set media_base_url=https://brand.example/media`), or give the image as an https URL", network)
	}
	return ""
}

// URL returns the public URL of the media at path: an https URL as it is,
// a local file copied into the host's folder under its content hash (a
// file already there is kept) and named under its base URL.
func (h *Host) URL(path string, maxBytes int64) (string, error) {
	if Public(path) {
		return path, nil
	}
	if h == nil {
		return "", &publishers.Error{Class: publishers.Permanent, Message: "no media host for " + path}
	}
	data, err := safefile.ReadFile(path, maxBytes)
	if err != nil {
		return "", &publishers.Error{Class: publishers.Permanent, Message: "cannot read " + path, Err: err}
	}
	sum := sha256.Sum256(data)
	name := hex.EncodeToString(sum[:16]) + strings.ToLower(filepath.Ext(path))
	dst := filepath.Join(h.dir, name)
	if old, err := os.ReadFile(dst); err != nil || len(old) != len(data) {
		if err := write(h.dir, dst, data); err != nil {
			// The folder may come back (a mount): try again later.
			return "", &publishers.Error{Class: publishers.Transient, Message: "copying " + path + " to the media host's folder " + h.dir, Err: err}
		}
	}
	return h.base + "/" + url.PathEscape(name), nil
}

// write puts data at dst whole or not at all: a temporary file in the same
// folder, synced, renamed; readable by the web server.
func write(dir, dst string, data []byte) error {
	f, err := os.CreateTemp(dir, ".crieur-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(tmp, 0o644)
	}
	if err == nil {
		err = os.Rename(tmp, dst)
	}
	if err != nil {
		_ = os.Remove(tmp)
	}
	return err
}

// CheckImage says why network, which fetches images, would not get the
// image at path on a channel with host h (nil: none), or "": an https URL
// is Meta's to fetch; a local file needs a host, and must be an image
// CheckImageFile accepts.
func CheckImage(h *Host, network, path string, maxBytes int64, types map[string]bool, formats string) string {
	if msg := Missing(h, network, path); msg != "" || Public(path) {
		return msg
	}
	return publishers.CheckImageFile(network, path, maxBytes, types, formats)
}

// PreviewNote says when a post has local images and the channel no media
// host, or "".
func PreviewNote(h *Host, network string, media []publishers.Media) string {
	if h != nil {
		return ""
	}
	for _, m := range media {
		if !Public(m.Path) {
			return "the post has images but the channel has no media host (media_dir, media_base_url): " + network + " cannot fetch them"
		}
	}
	return ""
}
