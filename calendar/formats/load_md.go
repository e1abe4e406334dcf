package formats

import (
	"errors"
	"io/fs"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/crieur/crieur/internal/safefile"

	calendar "github.com/crieur/crieur/calendar"
)

// ReadMarkdownDir reads a Markdown campaign folder: every .md file under dir
// (recursively, in path order) is one post, read by ParseDocument. A file's
// path relative to dir, without .md, slugified, is the post's default slug.
func ReadMarkdownDir(dir string) (*calendar.LoadSet, error) {
	return ReadMarkdownFolder(dir, calendar.DefaultMaxLoadFile)
}

// ReadMarkdownFolder is ReadMarkdownDir reading files of at most maxFile
// bytes each. A file that is not a regular file (a FIFO, a device) or a
// symlink that leads out of dir is a problem of the load, never read.
func ReadMarkdownFolder(dir string, maxFile int64) (*calendar.LoadSet, error) {
	set := &calendar.LoadSet{}
	var files []string
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && path != dir && strings.HasPrefix(d.Name(), ".") {
			return filepath.SkipDir // .git and friends
		}
		if !d.IsDir() && strings.EqualFold(filepath.Ext(path), ".md") {
			files = append(files, path)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	sort.Strings(files)
	for _, f := range files {
		data, err := safefile.ReadFileWithin(dir, f, maxFile)
		if err != nil {
			set.Problems = append(set.Problems, calendar.FieldError{File: f, Message: loadFileProblem(err)})
			continue
		}
		rel, _ := filepath.Rel(dir, f)
		set.Merge(ReadMarkdown(data, f, rel))
	}
	if len(files) == 0 {
		set.Problems = append(set.Problems, calendar.FieldError{File: dir, Message: "no .md files in this folder"})
	}
	return set, nil
}

// ReadMarkdown reads one Markdown post (front matter and body); rel is its
// path in its campaign folder, which gives the default slug.
func ReadMarkdown(data []byte, file, rel string) *calendar.LoadSet {
	set := &calendar.LoadSet{}
	doc, err := ParseDocument(data)
	if err != nil {
		var fe calendar.FieldError
		if !errors.As(err, &fe) {
			fe = calendar.FieldError{Message: err.Error()}
		}
		fe.File = file
		if fe.Line == 0 {
			fe.Line = 1
		}
		set.Problems = append(set.Problems, fe)
		return set
	}
	it := calendar.LoadItem{File: file, Line: 1, Row: 1, BaseDir: filepath.Dir(file), Slug: doc.Slug, At: doc.At, Status: doc.Status,
		Title: doc.Title, Body: doc.Body, Link: doc.Link, Excerpt: doc.Excerpt, Campaign: doc.Campaign,
		Channels: doc.Channels, Tags: doc.Tags, Media: doc.Media, Variants: doc.Variants, Thread: doc.Thread.Parts,
		AutoThread: doc.Thread.Auto, FieldLines: frontMatterLines(data),
		Category: doc.Category, MinGap: doc.MinGap, Expires: doc.Expires}
	if doc.MaxRepeats != 0 {
		it.MaxRepeats = strconv.Itoa(doc.MaxRepeats)
	}
	if it.Slug == "" {
		it.Slug = calendar.Slugify(strings.TrimSuffix(filepath.ToSlash(rel), filepath.Ext(rel)))
	}
	if doc.Body != "" {
		it.FieldLines["body"] = doc.BodyLine
	}
	set.Items = append(set.Items, it)
	return set
}

// frontMatterLines finds the line of each front-matter key, so a problem
// with a field points at it.
func frontMatterLines(data []byte) map[string]int {
	out := map[string]int{}
	text := strings.ReplaceAll(strings.TrimPrefix(string(data), "\xef\xbb\xbf"), "\r\n", "\n")
	if !strings.HasPrefix(text, "---\n") {
		return out
	}
	front, _, _ := strings.Cut(text[4:], "\n---")
	var n yaml.Node
	if yaml.Unmarshal([]byte(front), &n) != nil || len(n.Content) == 0 || n.Content[0].Kind != yaml.MappingNode {
		return out
	}
	m := n.Content[0]
	for i := 0; i+1 < len(m.Content); i += 2 {
		out[m.Content[i].Value] = m.Content[i].Line + 1 // the front matter starts on line 2
	}
	return out
}
