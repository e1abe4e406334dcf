package main

import (
	"bytes"
	"strings"
	"testing"
)

func TestTermSafe(t *testing.T) {
	tests := []struct{ in, want string }{
		{"plain text, accents é and emoji 🎉", "plain text, accents é and emoji 🎉"},
		{"line\nnext\tcol", "line\nnext\tcol"},
		{"copy\x1b]52;c;aGVsbG8=\x07 me", "copy me"},
		{"copy\x1b]52;c;aGVsbG8=\x1b\\ me", "copy me"},
		{"unterminated\x1b]0;title\nnext line", "unterminated\nnext line"},
		{"red\x1b[31m text\x1b[0m", "red text"},
		{"clear\x1b[2J\x1b[H screen", "clear screen"},
		{"bell\a nul\x00 del\x7f bs\b cr\r", "bell nul del bs cr"},
		{"c1 \u009b31m csi", "c1 31m csi"},
		{"8-bit \x9b31m", "8-bit \uFFFD31m"},
		{"two-byte \x1bc reset", "two-byte  reset"},
		{"charset \x1b(B done", "charset  done"},
		{"dcs \x1bPq#0;2;0;0;0\x1b\\ end", "dcs  end"},
		{"string then csi \x1b]2;x\x1b[31m!", "string then csi !"},
	}
	for _, tt := range tests {
		if got := termSafe(tt.in); got != tt.want {
			t.Errorf("termSafe(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// Sequences split across writes (tabwriter flushes in pieces) are still
// removed; crieur's own colours are kept when asked.
func TestTermWriterAcrossWritesAndColours(t *testing.T) {
	in := "a\x1b]52;c;aGk=\x07b \x1b[32mgreen\x1b[0m é"
	for split := 0; split <= len(in); split++ {
		var buf bytes.Buffer
		w := newTermWriter(&buf, true)
		w.Write([]byte(in[:split]))
		w.Write([]byte(in[split:]))
		if got, want := buf.String(), "ab \x1b[32mgreen\x1b[0m é"; got != want {
			t.Errorf("split at %d: %q, want %q", split, got, want)
		}
	}
	var buf bytes.Buffer
	newTermWriter(&buf, false).Write([]byte(in))
	if strings.Contains(buf.String(), "\x1b") {
		t.Errorf("colour kept without keepSGR: %q", buf.String())
	}
}
