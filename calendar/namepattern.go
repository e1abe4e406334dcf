package calendar

// namePattern is the shape of a channel name or a slug: a lower-case ASCII
// letter or digit, then up to max-1 more of those or of the bytes in extra.
// It is a loop rather than a regexp: `[…]{0,199}` compiled into thousands of
// instructions at the start of every command, whatever the command did.
type namePattern struct {
	extra string
	max   int
}

// MatchString reports whether s has the pattern's shape, all of s.
func (p namePattern) MatchString(s string) bool {
	if len(s) == 0 || len(s) > p.max {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'a' <= c && c <= 'z' || '0' <= c && c <= '9' {
			continue
		}
		if i == 0 || !p.allows(c) {
			return false
		}
	}
	return true
}

func (p namePattern) allows(c byte) bool {
	for i := 0; i < len(p.extra); i++ {
		if p.extra[i] == c {
			return true
		}
	}
	return false
}
