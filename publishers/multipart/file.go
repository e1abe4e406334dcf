package multipart

import (
	"fmt"
	"os"
)

// FileSize is the size of a local file to upload, or why it cannot be
// uploaded: it cannot be read, is not a regular file, or is empty. The error
// names the path, for a validation problem.
func FileSize(path string) (int64, error) {
	info, err := os.Stat(path)
	switch {
	case err != nil:
		return 0, fmt.Errorf("cannot read %s: %v", path, err)
	case !info.Mode().IsRegular():
		return 0, fmt.Errorf("%s is not a file", path)
	case info.Size() == 0:
		return 0, fmt.Errorf("%s is empty", path)
	}
	return info.Size(), nil
}
