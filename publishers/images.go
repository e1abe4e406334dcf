package publishers

import (
	"errors"
	"fmt"

	"github.com/crieur/crieur/internal/safefile"
	"github.com/crieur/crieur/publishers/mediatype"
)

// CheckImageFile says why network would refuse the image file at path, or
// "": it must be a regular file crieur can read, of at most maxBytes, of
// one of types (formats names them for the user: "JPEG or PNG").
func CheckImageFile(network, path string, maxBytes int64, types map[string]bool, formats string) string {
	f, info, err := safefile.Open(path, false)
	switch {
	case errors.Is(err, safefile.ErrNotRegular):
		return err.Error()
	case err != nil:
		return "cannot read " + path
	}
	_ = f.Close()
	if info.Size() > maxBytes {
		return fmt.Sprintf("%s is %s, %s takes images up to %s", path, safefile.Size(info.Size()), network, safefile.Size(maxBytes))
	}
	ctype, err := mediatype.Of(path)
	if err != nil {
		return "cannot read " + path
	}
	if !types[ctype] {
		return fmt.Sprintf("%s is %s: %s takes %s images", path, ctype, network, formats)
	}
	return ""
}
