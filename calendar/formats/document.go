package formats

import (
	"bytes"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"

	calendar "github.com/crieur/crieur/calendar"
	"github.com/crieur/crieur/internal/suggest"
)

// Document is a post as a person writes it: YAML front matter and a Markdown
// body. `post new`/`post edit` round-trip it through $EDITOR, and a Markdown
// campaign folder holds one per file.
type Document struct {
	Slug     string            `yaml:"slug,omitempty"`
	Title    string            `yaml:"title,omitempty"`
	At       string            `yaml:"at,omitempty"`
	Status   string            `yaml:"status,omitempty"`
	Channels StringList        `yaml:"channels,omitempty"`
	Campaign string            `yaml:"campaign,omitempty"`
	Tags     StringList        `yaml:"tags,omitempty"`
	Link     string            `yaml:"link,omitempty"`
	Excerpt  string            `yaml:"excerpt,omitempty"`
	Media    MediaList         `yaml:"media,omitempty"`
	Variants map[string]string `yaml:"variants,omitempty"`
	Thread   ThreadField       `yaml:"thread,omitempty"`
	// Category is the evergreen library the post joins; MaxRepeats,
	// MinGap ("30d") and Expires (a WHEN) its own limits there.
	Category   string `yaml:"category,omitempty"`
	MaxRepeats int    `yaml:"max_repeats,omitempty"`
	MinGap     string `yaml:"min_gap,omitempty"`
	Expires    string `yaml:"expires,omitempty"`
	Body       string `yaml:"-"`
	// BodyLine is the file line the body starts on.
	BodyLine int `yaml:"-"`
}

// ThreadField is a document's thread: its explicit parts (`thread: [part
// 2, part 3]`), or the author's leave to cut an over-long text into a thread
// (`thread: true`). Explicit parts imply that leave.
type ThreadField struct {
	Parts []string
	Auto  bool
}

// UnmarshalYAML accepts true/false, one part, or a list of parts.
func (t *ThreadField) UnmarshalYAML(n *yaml.Node) error {
	switch n.Kind {
	case yaml.ScalarNode:
		if isBool(n.Value) {
			*t = ThreadField{Auto: strings.EqualFold(strings.TrimSpace(n.Value), "true")}
		} else if strings.TrimSpace(n.Value) != "" {
			*t = ThreadField{Parts: []string{n.Value}, Auto: true}
		}
		return nil
	case yaml.SequenceNode:
		var parts []string
		if err := n.Decode(&parts); err != nil {
			return err
		}
		*t = ThreadField{Parts: parts, Auto: len(parts) > 0}
		return nil
	}
	return fmt.Errorf("line %d: thread: expected true, or a list of parts", n.Line)
}

// MarshalYAML writes the parts, or true.
func (t ThreadField) MarshalYAML() (any, error) {
	if len(t.Parts) > 0 {
		return t.Parts, nil
	}
	if t.Auto {
		return true, nil
	}
	return nil, nil
}

// IsZero makes omitempty leave out a post that is no thread.
func (t ThreadField) IsZero() bool { return len(t.Parts) == 0 && !t.Auto }

// StringList reads a YAML list or a comma-separated string.
type StringList []string

// UnmarshalYAML accepts `[a, b]` and `a, b`.
func (l *StringList) UnmarshalYAML(n *yaml.Node) error {
	switch n.Kind {
	case yaml.ScalarNode:
		*l = SplitList(n.Value)
		return nil
	case yaml.SequenceNode:
		var out []string
		for _, c := range n.Content {
			if c.Kind != yaml.ScalarNode {
				return fmt.Errorf("line %d: expected a name, got a %s", c.Line, kindName(c.Kind))
			}
			if v := strings.TrimSpace(c.Value); v != "" {
				out = append(out, v)
			}
		}
		*l = out
		return nil
	}
	return fmt.Errorf("line %d: expected a list or a comma-separated string", n.Line)
}

// SplitList splits "a, b;c" into trimmed non-empty items.
func SplitList(s string) []string {
	var out []string
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ';' }) {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

// MediaList reads media as `path#alt` strings or {path, alt} maps.
type MediaList []calendar.Media

// UnmarshalYAML accepts both forms.
func (l *MediaList) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		if n.Value != "" {
			*l = MediaList{ParseMedia(n.Value)}
		}
		return nil
	}
	if n.Kind != yaml.SequenceNode {
		return fmt.Errorf("line %d: media: expected a list", n.Line)
	}
	var out MediaList
	for _, c := range n.Content {
		switch c.Kind {
		case yaml.ScalarNode:
			out = append(out, ParseMedia(c.Value))
		case yaml.MappingNode:
			var m struct {
				Path string `yaml:"path"`
				Alt  string `yaml:"alt"`
			}
			if err := c.Decode(&m); err != nil {
				return err
			}
			out = append(out, calendar.Media(m))
		default:
			return fmt.Errorf("line %d: media: expected path#alt or {path, alt}", c.Line)
		}
	}
	*l = out
	return nil
}

// ParseMedia reads PATH[#ALT].
func ParseMedia(s string) calendar.Media {
	path, alt, _ := strings.Cut(s, "#")
	return calendar.Media{Path: strings.TrimSpace(path), Alt: strings.TrimSpace(alt)}
}

func kindName(k yaml.Kind) string {
	switch k {
	case yaml.MappingNode:
		return "mapping"
	case yaml.SequenceNode:
		return "list"
	}
	return "value"
}

var (
	yamlLineRE  = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`line (\d+)`) })
	yamlFieldRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`field (\w+) not found`) })
)

// ParseDocument reads front matter and body. Errors are FieldErrors whose Line
// is the line in data (1-based), so a person can find the mistake.
func ParseDocument(data []byte) (Document, error) {
	var d Document
	if !utf8.Valid(data) {
		return d, calendar.FieldError{Line: firstInvalidLine(data), Message: "not valid UTF-8"}
	}
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	text := strings.ReplaceAll(string(data), "\r\n", "\n")
	if !strings.HasPrefix(text, "---\n") {
		d.Body = strings.TrimSpace(text)
		d.BodyLine = 1
		return d, nil
	}
	rest := text[4:]
	end := strings.Index(rest, "\n---\n")
	var front string
	if end < 0 {
		if strings.HasSuffix(rest, "\n---") {
			front, rest = rest[:len(rest)-4], ""
		} else {
			return d, calendar.FieldError{Line: 1, Message: "front matter opened with --- is never closed by a --- line"}
		}
	} else {
		front, rest = rest[:end], rest[end+5:]
	}
	d.BodyLine = 2 + strings.Count(front, "\n") + 2
	var tree yaml.Node
	if err := yaml.Unmarshal([]byte(front), &tree); err == nil {
		if line, msg := yamlBudget(&tree, calendar.MaxYAMLNodes/100); msg != "" {
			return d, calendar.FieldError{Line: line + 1, Message: "front matter " + msg} // the front matter starts on line 2
		}
	}
	dec := yaml.NewDecoder(strings.NewReader(front))
	dec.KnownFields(true)
	if err := dec.Decode(&d); err != nil && !errors.Is(err, errEOF(err)) {
		return d, yamlError(err, 1)
	}
	d.Body = strings.TrimSpace(rest)
	return d, nil
}

func errEOF(err error) error {
	if err != nil && err.Error() == "EOF" {
		return err
	}
	return errors.New("not EOF")
}

// yamlError turns a yaml.v3 error into a FieldError with the line shifted by
// offset (the lines before the YAML text in the file).
func yamlError(err error, offset int) calendar.FieldError {
	msg := err.Error()
	msg = strings.TrimPrefix(msg, "yaml: ")
	msg = strings.TrimPrefix(msg, "unmarshal errors:\n  ")
	line := 0
	if m := yamlLineRE().FindStringSubmatch(msg); m != nil {
		line, _ = strconv.Atoi(m[1])
		line += offset
		// yaml.v3 reports an unclosed flow collection at its context mark,
		// counted from zero; the line a person must fix is the next one.
		if strings.Contains(msg, "did not find expected") {
			line++
		}
		msg = strings.TrimSpace(strings.TrimPrefix(yamlLineRE().ReplaceAllString(msg, ""), ":"))
		msg = strings.TrimPrefix(msg, ": ")
	}
	field := ""
	if m := yamlFieldRE().FindStringSubmatch(msg); m != nil {
		field = m[1]
		msg = "unknown field" + suggest.DidYouMean(field, documentKeys) + " (known: " + strings.Join(documentKeys, ", ") + ")"
	}
	return calendar.FieldError{Line: line, Field: field, Message: msg}
}

func firstInvalidLine(b []byte) int {
	line := 1
	for len(b) > 0 {
		r, size := utf8.DecodeRune(b)
		if r == utf8.RuneError && size <= 1 {
			return line
		}
		if r == '\n' {
			line++
		}
		b = b[size:]
	}
	return line
}

// Render writes the document back as front matter and body.
func (d Document) Render() []byte {
	var b bytes.Buffer
	b.WriteString("---\n")
	var front bytes.Buffer
	enc := yaml.NewEncoder(&front)
	enc.SetIndent(2)
	_ = enc.Encode(d)
	_ = enc.Close()
	if front.String() != "{}\n" { // an empty document has no front matter to show
		b.Write(front.Bytes())
	}
	b.WriteString("---\n")
	b.WriteString(d.Body)
	b.WriteString("\n")
	return b.Bytes()
}

// documentKeys are a post document's front matter keys ($EDITOR, a
// Markdown folder).
var documentKeys = []string{"slug", "title", "at", "status", "channels", "campaign", "tags", "link", "excerpt", "media", "variants", "thread", "category", "max_repeats", "min_gap", "expires"}
