package formats

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	calendar "github.com/crieur/crieur/calendar"
)

// StreamCSV hands over each chunk as soon as it is read: the first comes
// before the rest of the file exists.
func TestStreamCSVEmitsAsItReads(t *testing.T) {
	pr, pw := io.Pipe()
	chunks := make(chan []calendar.LoadItem, 10)
	done := make(chan *calendar.LoadSet)
	go func() {
		done <- StreamCSV(pr, "s.csv", ReadOptions{}, 3, func(items []calendar.LoadItem) { chunks <- items })
	}()
	fmt.Fprint(pw, "slug,body\na,1\nb,2\nc,3\n")
	select {
	case c := <-chunks:
		if len(c) != 3 || c[0].Slug != "a" || c[2].Line != 4 {
			t.Errorf("first chunk: %+v", c)
		}
	case <-time.After(10 * time.Second): // a failure guard
		t.Fatal("no chunk before the end of the file")
	}
	fmt.Fprint(pw, "d,4\n")
	pw.Close()
	set := <-done
	if c := <-chunks; len(c) != 1 || c[0].Slug != "d" || len(set.Problems) != 0 {
		t.Errorf("last chunk: %+v, %v", c, set.Problems)
	}
}

// A file that cannot be read on (it grew past its limit) is a problem of
// the file, and the reader stops there instead of retrying forever.
func TestStreamCSVReadError(t *testing.T) {
	r := io.MultiReader(strings.NewReader("slug,body\na,1\n"), errReader{})
	set := StreamCSV(r, "s.csv", ReadOptions{}, 10, func([]calendar.LoadItem) {})
	if len(set.Problems) != 1 || !strings.Contains(set.Problems[0].Message, "grew") {
		t.Errorf("problems: %+v", set.Problems)
	}
}

// errReader fails every read, as a file that grew past its limit does.
type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, errors.New("s.csv grew past its limit") }
