// Package mediatype tells the MIME type of a local media file before it is
// uploaded, so that an adapter can refuse a format its network does not take.
package mediatype

import (
	"fmt"
	"mime"
	"net/http"
	"os"
	"path/filepath"
	"strings"
)

// Of returns the MIME type of the regular file at path, without parameters:
// from its extension or, when the extension says nothing, its first bytes.
func Of(path string) (string, error) {
	st, err := os.Stat(path)
	if err != nil {
		return "", err
	}
	if !st.Mode().IsRegular() {
		return "", fmt.Errorf("%s is not a regular file", path)
	}
	ctype := mime.TypeByExtension(strings.ToLower(filepath.Ext(path)))
	if ctype == "" {
		f, err := os.Open(path)
		if err != nil {
			return "", err
		}
		defer f.Close()
		head := make([]byte, 512)
		n, _ := f.Read(head)
		ctype = http.DetectContentType(head[:n])
	}
	if mt, _, err := mime.ParseMediaType(ctype); err == nil {
		ctype = mt
	}
	return ctype, nil
}
