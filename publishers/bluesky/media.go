package bluesky

import (
	"bytes"
	"fmt"
	"image"
	_ "image/gif" // registered for image.DecodeConfig (aspect ratio)
	_ "image/jpeg"
	_ "image/png"
	"io"
	"net/http"
	"os"

	"github.com/crieur/crieur/internal/safefile"
)

const (
	maxImages     = 4
	maxImageBytes = 1_000_000 // uploadBlob's limit for app.bsky.embed.images
)

// imageTypes are the formats Bluesky shows as images.
var imageTypes = map[string]bool{"image/jpeg": true, "image/png": true, "image/gif": true, "image/webp": true}

// imageFile is a loaded image, ready to upload.
type imageFile struct {
	data          []byte
	mime          string
	width, height int // 0 when the format is not decodable here (webp)
	alt           string
}

// checkImage says why the file at path cannot be posted, or "" when it can. It
// reads only the first bytes, for the type.
func checkImage(path string) string {
	f, err := os.Open(path)
	if err != nil {
		return "cannot read the image: " + err.Error()
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return "cannot read the image: " + err.Error()
	}
	if info.Size() > maxImageBytes {
		return fmt.Sprintf("%d bytes: images are limited to %d bytes", info.Size(), maxImageBytes)
	}
	head := make([]byte, 512)
	n, err := io.ReadFull(f, head)
	if err != nil && err != io.ErrUnexpectedEOF && err != io.EOF {
		return "cannot read the image: " + err.Error()
	}
	if mime := http.DetectContentType(head[:n]); !imageTypes[mime] {
		return fmt.Sprintf("%s is not an image Bluesky shows (JPEG, PNG, GIF or WebP)", mime)
	}
	return ""
}

// loadImage reads an image checked by checkImage; the type comes from the
// content, never from the file name.
func loadImage(path, alt string) (imageFile, error) {
	data, err := safefile.ReadFile(path, maxImageBytes)
	if err != nil {
		return imageFile{}, err
	}
	if len(data) > maxImageBytes {
		return imageFile{}, fmt.Errorf("%d bytes: images are limited to %d bytes", len(data), maxImageBytes)
	}
	img := imageFile{data: data, mime: http.DetectContentType(data), alt: alt}
	if !imageTypes[img.mime] {
		return imageFile{}, fmt.Errorf("%s is not an image Bluesky shows", img.mime)
	}
	if cfg, _, err := image.DecodeConfig(bytes.NewReader(data)); err == nil {
		img.width, img.height = cfg.Width, cfg.Height
	}
	return img, nil
}
