package formats

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"

	calendar "github.com/crieur/crieur/calendar"
	"github.com/crieur/crieur/internal/suggest"
)

var postKeys = []string{"slug", "at", "status", "channels", "campaign", "tags", "title", "body", "link", "excerpt", "media", "variants", "thread",
	"times", "approved_by", "approved_at", "notes", "category", "max_repeats", "min_gap", "expires"}

var defaultKeys = []string{"channels", "tags", "campaign", "status", "link"}

var campaignKeys = []string{"name", "from", "to", "utm", "color"}

// docReader gathers a document's items and problems.
type docReader struct {
	file string
	set  *calendar.LoadSet
}

func (d *docReader) bad(line int, field, format string, args ...any) {
	d.set.Problems = append(d.set.Problems, calendar.FieldError{File: d.file, Line: line, Field: field, Message: fmt.Sprintf(format, args...)})
}

// entry is one key of a mapping with its value and line.
type entry struct {
	key   string
	value any
	line  int
}

// ReadYAML reads a YAML load document.
func ReadYAML(data []byte, file string) *calendar.LoadSet {
	d := &docReader{file: file, set: &calendar.LoadSet{}}
	if !utf8.Valid(data) {
		d.bad(firstInvalidLine(data), "", "not valid UTF-8")
		return d.set
	}
	var root yaml.Node
	if err := yaml.Unmarshal(bytes.TrimPrefix(data, []byte("\xef\xbb\xbf")), &root); err != nil {
		fe := yamlError(err, 0)
		if fe.Line < 1 {
			// yaml.v3 names no line when it stops at the end of the input
			fe.Line = max(1, bytes.Count(bytes.TrimRight(data, "\n"), []byte("\n"))+1)
		}
		d.bad(fe.Line, "", "%s", fe.Message)
		return d.set
	}
	if root.Kind == 0 || len(root.Content) == 0 {
		d.bad(1, "", "empty document: expected posts: [...]")
		return d.set
	}
	if line, msg := yamlBudget(&root, calendar.MaxYAMLNodes); msg != "" {
		d.bad(line, "", "%s", msg)
		return d.set
	}
	top := root.Content[0]
	if top.Kind != yaml.MappingNode {
		d.bad(top.Line, "", "expected a mapping with posts: [...], got a %s", kindName(top.Kind))
		return d.set
	}
	d.read(yamlEntries(top), top.Line)
	return d.set
}

// yamlValue turns a node into generic values, scalars kept as written (so
// "2026-12-01 09:00" stays text and "007" keeps its zeros).
func yamlValue(n *yaml.Node) any {
	switch n.Kind {
	case yaml.DocumentNode:
		if len(n.Content) > 0 {
			return yamlValue(n.Content[0])
		}
	case yaml.AliasNode:
		if n.Alias != nil {
			return yamlValue(n.Alias)
		}
	case yaml.ScalarNode:
		if n.Tag == "!!null" {
			return nil
		}
		return n.Value
	case yaml.SequenceNode:
		out := make([]any, len(n.Content))
		for i, c := range n.Content {
			out[i] = yamlValue(c)
		}
		return out
	case yaml.MappingNode:
		return yamlEntries(n)
	}
	return nil
}

func yamlEntries(n *yaml.Node) []entry {
	out := make([]entry, 0, len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		e := entry{key: k.Value, line: k.Line}
		if v.Kind == yaml.SequenceNode {
			// keep each element's line for lists of posts
			list := make([]any, len(v.Content))
			for j, c := range v.Content {
				if c.Kind == yaml.MappingNode {
					list[j] = lined{line: c.Line, value: yamlEntries(c)}
				} else {
					list[j] = yamlValue(c)
				}
			}
			e.value = list
		} else {
			e.value = yamlValue(v)
		}
		out = append(out, e)
	}
	return out
}

// lined is a mapping that remembers the line it starts on.
type lined struct {
	line  int
	value []entry
}

// ReadJSON reads a JSON load document.
func ReadJSON(data []byte, file string) *calendar.LoadSet {
	d := &docReader{file: file, set: &calendar.LoadSet{}}
	if !utf8.Valid(data) {
		d.bad(firstInvalidLine(data), "", "not valid UTF-8")
		return d.set
	}
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	j := &jsonReader{data: data, dec: json.NewDecoder(bytes.NewReader(data))}
	j.dec.UseNumber()
	v, err := j.value()
	if err == nil {
		if _, err = j.dec.Token(); !errors.Is(err, io.EOF) {
			err = fmt.Errorf("unexpected data after the document")
			j.errAt = j.dec.InputOffset()
		} else {
			err = nil
		}
	}
	if err != nil {
		d.bad(j.errLine(err), "", "%s", strings.TrimPrefix(err.Error(), "json: "))
		return d.set
	}
	top, ok := v.(lined)
	if !ok {
		d.bad(1, "", "expected an object with \"posts\": [...]")
		return d.set
	}
	d.read(top.value, top.line)
	return d.set
}

// jsonReader walks a JSON document token by token, noting the line where
// each object starts and each key is written.
type jsonReader struct {
	data  []byte
	dec   *json.Decoder
	lines []int // offsets of line starts, computed on first use
	errAt int64
	depth int // of the value being read: bounded, a load needs few levels
}

// lineAt is the 1-based line of the first non-blank byte at or after off.
func (j *jsonReader) lineAt(off int64) int {
	for off < int64(len(j.data)) && strings.IndexByte(" \t\r\n,:", j.data[off]) >= 0 {
		off++
	}
	if j.lines == nil {
		j.lines = []int{0}
		for i, c := range j.data {
			if c == '\n' {
				j.lines = append(j.lines, i+1)
			}
		}
	}
	return sort.Search(len(j.lines), func(i int) bool { return int64(j.lines[i]) > off })
}

func (j *jsonReader) errLine(err error) int {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return j.lineAt(max(se.Offset-1, 0))
	}
	return j.lineAt(j.errAt)
}

func (j *jsonReader) value() (any, error) {
	start := j.dec.InputOffset()
	j.errAt = start
	tok, err := j.dec.Token()
	if err != nil {
		if errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("unexpected end of the document")
		}
		return nil, err
	}
	switch t := tok.(type) {
	case json.Delim:
		if t == '{' || t == '[' {
			if j.depth++; j.depth > calendar.MaxYAMLDepth {
				return nil, fmt.Errorf("nested more than %d levels deep", calendar.MaxYAMLDepth)
			}
			defer func() { j.depth-- }()
		}
		switch t {
		case '{':
			obj := lined{line: j.lineAt(start)}
			for j.dec.More() {
				keyAt := j.dec.InputOffset()
				k, err := j.dec.Token()
				if err != nil {
					return nil, err
				}
				key, _ := k.(string)
				v, err := j.value()
				if err != nil {
					return nil, err
				}
				obj.value = append(obj.value, entry{key: key, value: v, line: j.lineAt(keyAt)})
			}
			_, err := j.dec.Token()
			return obj, err
		case '[':
			list := []any{}
			for j.dec.More() {
				v, err := j.value()
				if err != nil {
					return nil, err
				}
				list = append(list, v)
			}
			_, err := j.dec.Token()
			return list, err
		}
		return nil, fmt.Errorf("unexpected %v", t)
	case json.Number:
		return t.String(), nil
	case bool:
		return fmt.Sprint(t), nil
	case nil:
		return nil, nil
	default:
		return t, nil
	}
}

// read turns the document's top-level entries into the load.
func (d *docReader) read(top []entry, line int) {
	var defaults calendar.LoadItem
	var posts []any
	single := ""
	postsLine := line
	hasPosts := false
	for _, e := range top {
		switch e.key {
		case "campaign":
			if c, ok := d.campaign(e); ok {
				d.set.Campaigns = append(d.set.Campaigns, c)
				single = c.Name
			}
		case "campaigns":
			list, ok := e.value.([]any)
			if !ok {
				d.bad(e.line, "campaigns", "expected a list of campaigns")
				continue
			}
			for _, v := range list {
				if c, ok := d.campaign(entry{key: "campaign", value: v, line: lineOf(v, e.line)}); ok {
					d.set.Campaigns = append(d.set.Campaigns, c)
				}
			}
		case "defaults":
			m, ok := asEntries(e.value)
			if !ok {
				d.bad(e.line, "defaults", "expected a mapping")
				continue
			}
			defaults = calendar.LoadItem{File: d.file, Line: e.line, FieldLines: map[string]int{}}
			for _, f := range m {
				if !slices.Contains(defaultKeys, f.key) {
					d.bad(f.line, "defaults."+f.key, "unknown default%s (known: %s)", suggest.DidYouMean(f.key, defaultKeys), strings.Join(defaultKeys, ", "))
					continue
				}
				d.field(&defaults, f)
			}
		case "posts":
			list, ok := e.value.([]any)
			if !ok && e.value != nil {
				d.bad(e.line, "posts", "expected a list of posts")
				continue
			}
			if len(list) > calendar.MaxLoadPosts {
				d.bad(e.line, "posts", "%d posts in one file; crieur takes at most %d in one load (split the load)", len(list), calendar.MaxLoadPosts)
				continue
			}
			posts, postsLine, hasPosts = list, e.line, true
		default:
			d.bad(e.line, e.key, "unknown key (known: campaign, campaigns, defaults, posts)")
		}
	}
	if !hasPosts {
		d.bad(line, "posts", "no posts: expected posts: [...]")
		return
	}
	if defaults.Campaign == "" {
		defaults.Campaign = single // the campaign block names the campaign of the document's posts
	}
	base := filepath.Dir(d.file)
	for i, v := range posts {
		m, ok := asEntries(v)
		if !ok {
			d.bad(lineOf(v, postsLine), fmt.Sprintf("posts[%d]", i), "expected a post (a mapping)")
			continue
		}
		it := calendar.LoadItem{File: d.file, Line: lineOf(v, postsLine), Row: i + 1, BaseDir: base, FieldLines: map[string]int{}}
		given := map[string]bool{}
		for _, f := range m {
			if !slices.Contains(postKeys, f.key) {
				d.bad(f.line, f.key, "unknown field%s (known: %s)", suggest.DidYouMean(f.key, postKeys), strings.Join(postKeys, ", "))
				continue
			}
			given[f.key] = true
			d.field(&it, f)
		}
		if !given["channels"] {
			it.Channels = defaults.Channels
		}
		if !given["tags"] {
			it.Tags = defaults.Tags
		}
		if !given["campaign"] {
			it.Campaign = defaults.Campaign
		}
		if !given["status"] {
			it.Status = defaults.Status
		}
		if !given["link"] {
			it.Link = defaults.Link
		}
		it.Defaults = defaults.FieldLines // shared while the post overrides none of them
		for k := range defaults.FieldLines {
			if given[k] {
				it.Defaults = map[string]int{}
				for k, l := range defaults.FieldLines {
					if !given[k] {
						it.Defaults[k] = l
					}
				}
				break
			}
		}
		d.set.Items = append(d.set.Items, it)
	}
}

func lineOf(v any, def int) int {
	if l, ok := v.(lined); ok {
		return l.line
	}
	return def
}

func asEntries(v any) ([]entry, bool) {
	switch m := v.(type) {
	case lined:
		return m.value, true
	case []entry:
		return m, true
	}
	return nil, false
}

func (d *docReader) campaign(e entry) (calendar.LoadCampaign, bool) {
	m, ok := asEntries(e.value)
	if !ok {
		d.bad(e.line, "campaign", "expected a mapping {name, from, to, utm, color}")
		return calendar.LoadCampaign{}, false
	}
	c := calendar.LoadCampaign{Full: true, File: d.file, Line: e.line, Campaign: calendar.Campaign{UTM: map[string]string{}}}
	good := true
	for _, f := range m {
		var err error
		switch f.key {
		case "name":
			c.Name, err = asString(f.value)
		case "from":
			c.StartsOn, err = asString(f.value)
		case "to":
			c.EndsOn, err = asString(f.value)
		case "color":
			c.Color, err = asString(f.value)
		case "utm":
			c.UTM, err = asMap(f.value)
		default:
			err = fmt.Errorf("unknown field%s (known: %s)", suggest.DidYouMean(f.key, campaignKeys), strings.Join(campaignKeys, ", "))
		}
		if err != nil {
			d.bad(f.line, "campaign."+f.key, "%v", err)
			good = false
		}
	}
	if c.Name == "" {
		d.bad(e.line, "campaign.name", "a campaign needs a name")
		good = false
	}
	return c, good
}

// field sets one post field from a document value.
func (d *docReader) field(it *calendar.LoadItem, f entry) {
	it.FieldLines[f.key] = f.line
	var err error
	switch f.key {
	case "slug":
		it.Slug, err = asString(f.value)
	case "at":
		it.At, err = asString(f.value)
	case "status":
		it.Status, err = asString(f.value)
	case "campaign":
		it.Campaign, err = asString(f.value)
	case "title":
		it.Title, err = asString(f.value)
	case "body":
		it.Body, err = asString(f.value)
	case "link":
		it.Link, err = asString(f.value)
	case "excerpt":
		it.Excerpt, err = asString(f.value)
	case "channels":
		it.Channels, err = asList(f.value)
	case "tags":
		it.Tags, err = asList(f.value)
	case "thread":
		if s, ok := f.value.(string); ok && isBool(s) {
			it.AutoThread = strings.EqualFold(strings.TrimSpace(s), "true")
			break
		}
		it.Thread, err = asStrings(f.value)
	case "variants":
		it.Variants, err = asMap(f.value)
	case "media":
		it.Media, err = asMedia(f.value)
	case "times":
		it.Times, err = asMap(f.value)
	case "approved_by":
		it.ApprovedBy, err = asString(f.value)
	case "approved_at":
		it.ApprovedAt, err = asString(f.value)
	case "notes":
		it.Notes, err = asNotes(f.value)
	case "category":
		it.Category, err = asString(f.value)
	case "max_repeats":
		it.MaxRepeats, err = asString(f.value)
	case "min_gap":
		it.MinGap, err = asString(f.value)
	case "expires":
		it.Expires, err = asString(f.value)
	}
	if err != nil {
		d.bad(f.line, f.key, "%v", err)
	}
}

func asString(v any) (string, error) {
	switch s := v.(type) {
	case nil:
		return "", nil
	case string:
		return s, nil
	}
	return "", fmt.Errorf("expected text, got a %s", shape(v))
}

func shape(v any) string {
	switch v.(type) {
	case []any:
		return "list"
	case lined, []entry:
		return "mapping"
	}
	return "value"
}

// asList reads a list of names, or one comma-separated string.
func asList(v any) ([]string, error) {
	if s, ok := v.(string); ok {
		return SplitList(s), nil
	}
	return asStrings(v)
}

func asStrings(v any) ([]string, error) {
	switch l := v.(type) {
	case nil:
		return nil, nil
	case string:
		return []string{l}, nil
	case []any:
		out := make([]string, 0, len(l))
		for _, x := range l {
			s, err := asString(x)
			if err != nil {
				return nil, err
			}
			out = append(out, s)
		}
		return out, nil
	}
	return nil, fmt.Errorf("expected a list, got a %s", shape(v))
}

func asMap(v any) (map[string]string, error) {
	if v == nil {
		return nil, nil
	}
	m, ok := asEntries(v)
	if !ok {
		return nil, fmt.Errorf("expected a mapping, got a %s", shape(v))
	}
	out := make(map[string]string, len(m))
	for _, e := range m {
		s, err := asString(e.value)
		if err != nil {
			return nil, fmt.Errorf("%s: %v", e.key, err)
		}
		out[e.key] = s
	}
	return out, nil
}

// isBool says whether a thread cell or value is true or false rather than a part.
func isBool(s string) bool {
	s = strings.TrimSpace(s)
	return strings.EqualFold(s, "true") || strings.EqualFold(s, "false")
}

// asNotes reads a list of {at, author, text}.
func asNotes(v any) ([]calendar.LoadNote, error) {
	l, ok := v.([]any)
	if !ok {
		if v == nil {
			return nil, nil
		}
		return nil, fmt.Errorf("expected a list of {at, author, text}")
	}
	var out []calendar.LoadNote
	for _, x := range l {
		m, err := asMap(x)
		if err != nil {
			return nil, fmt.Errorf("notes: expected {at, author, text}")
		}
		for k := range m {
			if k != "at" && k != "author" && k != "text" {
				return nil, fmt.Errorf("notes: unknown field %q (known: at, author, text)", k)
			}
		}
		out = append(out, calendar.LoadNote{At: m["at"], Author: m["author"], Text: m["text"]})
	}
	return out, nil
}

// asMedia reads "path#alt", a list of those, or a list of {path, alt}.
func asMedia(v any) ([]calendar.Media, error) {
	var items []any
	switch l := v.(type) {
	case nil:
		return nil, nil
	case string:
		items = []any{l}
	case []any:
		items = l
	default:
		return nil, fmt.Errorf("expected path#alt or a list of {path, alt}")
	}
	var out []calendar.Media
	for _, x := range items {
		if s, ok := x.(string); ok {
			out = append(out, ParseMedia(s))
			continue
		}
		m, err := asMap(x)
		if err != nil {
			return nil, fmt.Errorf("media: expected path#alt or {path, alt}")
		}
		for k := range m {
			if k != "path" && k != "alt" {
				return nil, fmt.Errorf("media: unknown field %q (known: path, alt)", k)
			}
		}
		out = append(out, calendar.Media{Path: m["path"], Alt: m["alt"]})
	}
	return out, nil
}
