package main

import (
	"bytes"
	"io"
	"unicode/utf8"
)

// Text meant for a terminal goes through termWriter (or termSafe): titles,
// bodies, notes and errors are written by people and by networks, and an
// escape sequence in them would reach the terminal (OSC 52 writes the
// clipboard, others move the cursor or rewrite the screen). It drops every
// control character but newline and tab (C0, DEL, C1) and every escape
// sequence whole (CSI, OSC/DCS/PM/APC strings up to their terminator or the
// end of the line, two-byte escapes); invalid UTF-8 becomes U+FFFD. With
// keepSGR, the colour sequences crieur itself paints (ESC [ digits ; m) are
// kept. JSON and YAML output escape control characters themselves and do not
// go through it.
type termWriter struct {
	w       io.Writer
	keepSGR bool
	state   int
	params  []byte // a CSI sequence's parameter bytes
	rest    []byte // an incomplete UTF-8 sequence at the end of a write
}

const (
	stText   = iota
	stEsc    // after ESC
	stInter  // after ESC and intermediate bytes
	stCSI    // after ESC [
	stString // inside OSC, DCS, SOS, PM or APC
	stStrEsc // ESC inside a string: ESC \ ends it
)

func newTermWriter(w io.Writer, keepSGR bool) *termWriter {
	if t, ok := w.(*termWriter); ok {
		return t
	}
	return &termWriter{w: w, keepSGR: keepSGR}
}

// colourWriter is w (a termWriter made by emit) keeping crieur's colours
// when colour is on by the command's own choice (--color=always), not only
// on a terminal.
func colourWriter(w io.Writer, colour bool) io.Writer {
	t, ok := w.(*termWriter)
	if !ok || t.keepSGR == colour {
		return w
	}
	return &termWriter{w: t.w, keepSGR: colour}
}

// termSafe is s as it may be printed on a terminal (no colour kept).
func termSafe(s string) string {
	var b bytes.Buffer
	t := &termWriter{w: &b}
	t.Write([]byte(s))
	t.flush()
	return b.String()
}

func (t *termWriter) Write(p []byte) (int, error) {
	b := p
	if len(t.rest) > 0 {
		b = append(t.rest, p...)
		t.rest = nil
	}
	out := make([]byte, 0, len(b))
	for i := 0; i < len(b); {
		c := b[i]
		switch t.state {
		case stText:
			switch {
			case c == 0x1b:
				t.state = stEsc
			case c == '\n' || c == '\t' || (c >= 0x20 && c < 0x7f):
				out = append(out, c)
			case c < 0x80:
				// another C0 control or DEL: dropped
			default:
				if !utf8.FullRune(b[i:]) {
					t.rest = append([]byte(nil), b[i:]...)
					i = len(b)
					continue
				}
				r, size := utf8.DecodeRune(b[i:])
				switch {
				case r == utf8.RuneError && size == 1:
					out = append(out, "\uFFFD"...)
				case r >= 0x80 && r <= 0x9f:
					// C1 control: dropped
				default:
					out = append(out, b[i:i+size]...)
				}
				i += size
				continue
			}
		case stEsc, stInter:
			switch {
			case c == '[' && t.state == stEsc:
				t.state, t.params = stCSI, t.params[:0]
			case (c == ']' || c == 'P' || c == 'X' || c == '^' || c == '_') && t.state == stEsc:
				t.state = stString
			case c >= 0x20 && c <= 0x2f:
				t.state = stInter
			case c == '\n':
				out = append(out, c)
				t.state = stText
			default:
				t.state = stText // the sequence's final byte: dropped with it
			}
		case stCSI:
			switch {
			case c >= 0x30 && c <= 0x3f || c >= 0x20 && c <= 0x2f:
				t.params = append(t.params, c)
			case c >= 0x40 && c <= 0x7e:
				if c == 'm' && t.keepSGR && sgrParams(t.params) {
					out = append(append(append(out, 0x1b, '['), t.params...), 'm')
				}
				t.state = stText
			case c == '\n':
				out = append(out, c)
				t.state = stText
			default:
				t.state = stText
			}
		case stString:
			switch c {
			case 0x07:
				t.state = stText
			case 0x1b:
				t.state = stStrEsc
			case '\n':
				// An unterminated string does not swallow the rest of the output.
				out = append(out, c)
				t.state = stText
			}
		case stStrEsc:
			t.state = stText
			if c != '\\' {
				t.state = stEsc // ESC ended the string and starts a new sequence
				continue
			}
		}
		i++
	}
	if _, err := t.w.Write(out); err != nil {
		return 0, err
	}
	return len(p), nil
}

// flush writes an incomplete UTF-8 sequence left at the end as U+FFFD.
func (t *termWriter) flush() {
	if len(t.rest) > 0 {
		t.w.Write([]byte("\uFFFD"))
		t.rest = nil
	}
}

func sgrParams(p []byte) bool {
	for _, c := range p {
		if (c < '0' || c > '9') && c != ';' {
			return false
		}
	}
	return true
}
