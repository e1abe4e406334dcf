package mastodon

import (
	"errors"
	"fmt"
	"mime"
	"path/filepath"
	"strings"

	"github.com/crieur/crieur/internal/safefile"
)

// Mastodon's own size limits for an uploaded file (MediaAttachment's
// IMAGE_LIMIT and VIDEO_LIMIT, advertised by /api/v2/instance as
// configuration.media_attachments.image_size_limit = 16 MB and
// video_size_limit = 99 MB). Other servers of the API may take less; these
// are the most any instance takes by default.
const (
	maxImageBytes = 16 << 20
	maxVideoBytes = 99 << 20
)

// mediaLimit is the most bytes the instance takes for the file at path:
// images by their extension, anything else (video, audio) by the larger limit.
func mediaLimit(path string) int64 {
	if strings.HasPrefix(mime.TypeByExtension(strings.ToLower(filepath.Ext(path))), "image/") {
		return maxImageBytes
	}
	return maxVideoBytes
}

// checkMediaFile says why the instance would refuse the file, or "".
func checkMediaFile(path string) string {
	f, info, err := safefile.Open(path, false)
	switch {
	case errors.Is(err, safefile.ErrNotRegular):
		return err.Error() // a folder, a device, a FIFO
	case err != nil:
		return "cannot read " + path
	}
	_ = f.Close()
	if limit := mediaLimit(path); info.Size() > limit {
		return fmt.Sprintf("%s is %s, over Mastodon's upload limit of %s", path, safefile.Size(info.Size()), safefile.Size(limit))
	}
	return ""
}
