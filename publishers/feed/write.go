package feed

import "io"

// bytesWriter hands a rendered feed to atomicfile.Write.
func bytesWriter(data []byte) func(io.Writer) error {
	return func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	}
}
