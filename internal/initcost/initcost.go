// Package initcost reads what each package's initialisation allocated, from
// the Go runtime's own trace (GODEBUG=inittrace=1), so that tests can hold
// crieur's start-up work to a budget without timing anything.
package initcost

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// Cost is what one package's initialisation allocated.
type Cost struct {
	Package string
	Bytes   int64
	Allocs  int64
}

// Trace runs the calling test binary again, running no test, with the
// runtime's init trace on, and returns the cost of every initialised package
// whose import path starts with prefix. The package under test is left out:
// its test files' variables are initialised with it and are not the binary's.
func Trace(t testing.TB, prefix, underTest string) []Cost {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$", "-test.count=1")
	cmd.Env = append(os.Environ(), "GODEBUG=inittrace=1")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("running %s with the init trace: %v\n%s", os.Args[0], err, stderr.String())
	}
	costs, err := parse(stderr.String(), prefix, underTest)
	if err != nil {
		t.Fatal(err)
	}
	if len(costs) == 0 {
		t.Fatalf("the init trace names no package under %s:\n%s", prefix, stderr.String())
	}
	return costs
}

// parse reads lines such as
//
//	init github.com/crieur/crieur/calendar @1.2 ms, 0.02 ms clock, 1784 bytes, 14 allocs
func parse(trace, prefix, underTest string) ([]Cost, error) {
	var costs []Cost
	sc := bufio.NewScanner(strings.NewReader(trace))
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, "init ") {
			continue
		}
		f := strings.Fields(line)
		if len(f) != 11 || f[8] != "bytes," || f[10] != "allocs" {
			return nil, fmt.Errorf("init trace line not understood: %q", line)
		}
		pkg := f[1]
		if !strings.HasPrefix(pkg, prefix) || pkg == underTest {
			continue
		}
		c := Cost{Package: pkg}
		if _, err := fmt.Sscan(f[7], &c.Bytes); err != nil {
			return nil, fmt.Errorf("init trace line %q: bytes: %v", line, err)
		}
		if _, err := fmt.Sscan(f[9], &c.Allocs); err != nil {
			return nil, fmt.Errorf("init trace line %q: allocs: %v", line, err)
		}
		costs = append(costs, c)
	}
	return costs, sc.Err()
}

// Budget fails t for each package whose initialisation allocated more than
// maxBytes: a regexp, a parsed template or a built table costs kilobytes, a
// registration (a name and a constructor) a few hundred bytes.
func Budget(t testing.TB, costs []Cost, maxBytes int64) {
	t.Helper()
	for _, c := range costs {
		if c.Bytes > maxBytes {
			t.Errorf("%s allocates %d bytes (%d allocations) when the program starts, over the %d-byte budget: build what it needs on first use (sync.OnceValue)", c.Package, c.Bytes, c.Allocs, maxBytes)
		}
	}
}
