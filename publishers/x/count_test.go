package x

import (
	"os"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// The counter agrees with twitter-text's published conformance cases for
// X's current rules (testdata/counter.yml).
func TestLengthConformance(t *testing.T) {
	data, err := os.ReadFile("testdata/counter.yml")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Cases []struct {
			Description    string `yaml:"description"`
			Text           string `yaml:"text"`
			WeightedLength int    `yaml:"weightedLength"`
			Valid          bool   `yaml:"valid"`
		} `yaml:"cases"`
	}
	if err := yaml.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Cases) < 20 {
		t.Fatalf("only %d cases read", len(doc.Cases))
	}
	for _, c := range doc.Cases {
		t.Run(c.Description, func(t *testing.T) {
			if got := Length(c.Text); got != c.WeightedLength {
				t.Errorf("Length = %d, want %d", got, c.WeightedLength)
			}
			if got := len(textProblems("text", c.Text)) == 0; got != c.Valid {
				t.Errorf("valid = %v, want %v (problems %v)", got, c.Valid, textProblems("text", c.Text))
			}
		})
	}
}

// The rules the issue names, one by one.
func TestLengthRules(t *testing.T) {
	cases := []struct {
		name string
		text string
		want int
	}{
		{"ascii", "hello", 5},
		{"accented, composed", "café", 4},
		{"accented, decomposed: NFC first", "cafe\u0301", 4},
		{"CJK weighs 2", "日本語", 6},
		{"hangul weighs 2", "한국어", 6},
		{"emoji weighs 2", "🚲", 2},
		{"emoji with skin tone weighs 2", "👍🏽", 2},
		{"ZWJ family weighs 2", "👨\u200d👩\u200d👧", 2},
		{"flag weighs 2", "🇫🇷", 2},
		{"keycap weighs 2", "1\ufe0f\u20e3", 2},
		{"short URL counts 23", "https://t.co", 23},
		{"long URL counts 23", "https://example.org/" + strings.Repeat("a", 100) + "?utm_source=x", 23},
		{"URL without scheme counts 23", "see example.com now", 4 + 23 + 4},
		{"trailing period is not the URL's", "https://example.org.", 24},
		{"e.g. is no URL", "e.g. this", 9},
		{"a file name with a country domain counts 23, as X links it", "run setup.py", 4 + 23},
		{"a name that ends in no domain is no URL", "Node.js and Vue.js", 18},
		{"an address is no URL", "a@example.com", 13},
		{"any root-zone domain links: a new generic one", "see flowers.florist now", 4 + 23 + 4},
		{"any root-zone domain links: a city", "see visit.london now", 4 + 23 + 4},
		{"any root-zone domain links: a brand", "see home.bnpparibas now", 4 + 23 + 4},
		{"a private suffix alone is no domain", "see example.blogspot", 4 + 16},
		{"a made-up domain is no URL", "see brand.crieurtld now", 4 + 15 + 4},
		{"dashes and quotes weigh 1", "\u2014\u201c\u201d", 3},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := Length(c.text); got != c.want {
				t.Errorf("Length(%q) = %d, want %d", c.text, got, c.want)
			}
		})
	}
}
