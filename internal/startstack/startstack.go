// Package startstack grows the main goroutine's stack once, before the
// packages the binary links are initialised.
//
// Go runs every linked package's initialiser on the main goroutine, whose
// stack starts at 8 KB. Some dependencies' initialisers compile regular
// expressions whose compiler recurses deeply (goldmark's parser package,
// about 2,500 frames): the stack then doubled six times (8 KB → 512 KB) in
// the middle of that recursion, each time copying it and walking every
// frame, and faulting in the pages of each new stack: 8–9 % of the CPU
// samples of `crieur version` were stack growth. Asked for here, from a
// single shallow frame, the 512 KB come in one copy of almost nothing
// (1 % of the samples left; page faults 1,175 → 1,090 a run).
//
// This package imports nothing, so Go initialises it before every package
// that imports something (packages are initialised in import-path order
// once their imports are). A garbage collection before the deep
// initialisers could shrink the stack back, which would only undo the
// saving (there is none: they allocate about 1 MB in all).
//
// Import it for its effect, from package main:
//
//	import _ "github.com/crieur/crieur/internal/startstack"
package startstack

func init() { sink = grow(sink) }

// sink is never 1: grow's body never runs, only its frame is asked for.
var sink byte

// frame is the size of each of grow's three variables: under the
// compiler's limit for a variable kept on the stack (128 KB).
const frame = 120 << 10

// grow's frame holds three variables of frame bytes, live together, so
// calling it asks for 360 KB of stack at once: the runtime doubles the
// stack until the frame fits (512 KB, as deep as the initialisers
// were seen to go), copying only the few frames below
// it. Nothing of it is written unless x is 1, which it never is.
//
//go:noinline
func grow(x byte) byte {
	if x == 1 {
		var a, b, c [frame]byte
		return touch(a[:], b[:], c[:])
	}
	return 0
}

//go:noinline
func touch(a, b, c []byte) byte { return a[0] ^ b[0] ^ c[0] }
