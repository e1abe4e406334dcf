package calendar

import (
	"testing"
)

func TestWebURL(t *testing.T) {
	for s, want := range map[string]bool{
		"https://example.com/p/1":                      true,
		"http://127.0.0.1:8080/x?a=1&b=2":              true,
		"":                                             false,
		"javascript:alert(1)":                          false,
		"file:///etc/passwd":                           false,
		"https://example.com/x\r\nBEGIN:VEVENT":        false,
		"https://example.com/x\nEND:VCALENDAR":         false,
		"https://exa mple.com/":                        false,
		"https://example.com/\x1b]52;c;aGk=\x07":       false,
		"https:///no-host":                             false,
		"//example.com/relative":                       false,
		"https://example.com/\u0085next-line-in-utf-8": false,
	} {
		if got := WebURL(s); got != want {
			t.Errorf("WebURL(%q) = %v, want %v", s, got, want)
		}
	}
}
