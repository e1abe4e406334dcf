// Package log is the local "network": it writes each post, rendered for a
// person to read, to a file or to standard output. It is the demo's and the
// tests' default channel.
package log

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/crieur/crieur/publishers"
)

func init() {
	publishers.Register(publishers.Network{
		Name:        "log",
		Description: "writes posts to a local file (or standard output), for demos and tests",
		Settings: []publishers.Field{
			{Name: "path", Kind: publishers.OutFile, Help: "file to append posts to; empty or - for standard output"},
		},
		// A file keeps a marker line per idempotency key, so a retry after a
		// crash finds the post already written. Standard output keeps the keys
		// in memory only: a crash may print a post twice, which harms nobody.
		Safety: publishers.RetryIdempotent,
		New:    New,
		// A log takes any post: its rules need nothing, and never the file.
		Offline: func(settings map[string]string) (publishers.Validator, error) {
			if _, err := outPath(settings); err != nil {
				return nil, err
			}
			return &Publisher{}, nil
		},
	})
}

// markerPrefix starts the last line of every block. Post lines start with
// "│ ", so no text can forge a marker.
const markerPrefix = "└ key: "

// Publisher writes posts to one file or writer.
type Publisher struct {
	channel string
	path    string // "" when writing to out
	out     io.Writer
	now     func() time.Time
	zone    *time.Location // the calendar's, for the times written

	mu      sync.Mutex
	seen    map[string]bool // idempotency keys already written
	scanned int64           // bytes of the file already read into seen
	partial bool            // the file ends inside a line (a write cut by a crash)
	lines   int             // lines written so far (file, or this process for out)
}

// New builds a log publisher from the channel's settings.
func New(cfg publishers.Config) (publishers.Publisher, error) {
	p := &Publisher{channel: cfg.Channel, now: cfg.Clock, zone: cfg.Zone, seen: map[string]bool{}}
	if p.zone == nil {
		p.zone = time.UTC
	}
	path, err := outPath(cfg.Settings)
	if err != nil {
		return nil, err
	}
	if p.path = path; path == "" {
		p.out = cfg.Out
		if p.out == nil {
			p.out = os.Stdout
		}
	}
	return p, nil
}

// outPath is the absolute path of the file the channel appends to, "" for
// standard output.
func outPath(settings map[string]string) (string, error) {
	switch path := strings.TrimSpace(settings["path"]); path {
	case "", "-":
		return "", nil
	default:
		abs, err := filepath.Abs(path)
		if err != nil {
			return "", fmt.Errorf("log path %q: %w", path, err)
		}
		return abs, nil
	}
}

// Validate accepts every post: a log has no limits.
func (p *Publisher) Validate(publishers.Post) []publishers.Problem { return nil }

// Publish appends the rendered post, unless its idempotency key was already
// written, in which case it returns the earlier result.
func (p *Publisher) Publish(ctx context.Context, post publishers.Post) (publishers.Result, error) {
	if err := ctx.Err(); err != nil {
		return publishers.Result{}, publishers.Transport(err)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	key := markerKey(post.IdempotencyKey)
	now := p.now().In(p.zone)
	if p.path == "" {
		return p.writeOut(post, key, now)
	}
	return p.writeFile(post, key, now)
}

func (p *Publisher) writeOut(post publishers.Post, key string, now time.Time) (publishers.Result, error) {
	if key != "" && p.seen[key] {
		return publishers.Result{RemoteID: key, PublishedAt: now}, nil
	}
	block := render(p.channel, post, key, now)
	start := p.lines + 1
	if _, err := p.out.Write(block); err != nil {
		return publishers.Result{}, fileError(err)
	}
	p.lines += bytes.Count(block, []byte("\n"))
	if key != "" {
		p.seen[key] = true
	}
	return publishers.Result{RemoteID: remoteID(key, start), PublishedAt: now}, nil
}

func (p *Publisher) writeFile(post publishers.Post, key string, now time.Time) (publishers.Result, error) {
	if err := os.MkdirAll(filepath.Dir(p.path), 0o700); err != nil {
		return publishers.Result{}, fileError(err)
	}
	f, err := os.OpenFile(p.path, os.O_RDWR|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return publishers.Result{}, fileError(err)
	}
	defer f.Close()
	if err := p.catchUp(f); err != nil {
		return publishers.Result{}, fileError(err)
	}
	if key != "" && p.seen[key] {
		return publishers.Result{RemoteID: key, PublishedAt: now}, nil
	}
	block := render(p.channel, post, key, now)
	start := p.lines + 1
	if p.partial {
		// End the line a crash cut; the note keeps a cut marker from
		// reading as a whole key (keys hold no spaces).
		block = append([]byte(" [cut short]\n"), block...)
		start++
	}
	// One write per block keeps blocks whole when several processes append.
	n, err := f.Write(block)
	if err == nil {
		err = f.Sync()
	}
	if err != nil {
		return publishers.Result{}, fileError(err)
	}
	p.scanned += int64(n)
	p.partial = false
	p.lines += bytes.Count(block, []byte("\n"))
	if key != "" {
		p.seen[key] = true
	}
	return publishers.Result{RemoteID: remoteID(key, start), PublishedAt: now}, nil
}

// catchUp reads what was appended to the file since the last look (by this
// or another process, or before a restart) and records its keys.
func (p *Publisher) catchUp(f *os.File) error {
	info, err := f.Stat()
	if err != nil {
		return err
	}
	if info.Size() < p.scanned { // truncated or replaced: start over
		p.scanned, p.lines, p.seen, p.partial = 0, 0, map[string]bool{}, false
	}
	if info.Size() == p.scanned {
		return nil
	}
	r := bufio.NewReader(io.NewSectionReader(f, p.scanned, info.Size()-p.scanned))
	for {
		line, err := r.ReadString('\n')
		if line != "" {
			p.scanned += int64(len(line))
			p.partial = !strings.HasSuffix(line, "\n")
		}
		// Only whole lines count, so a block cut short by a crash does not
		// mark its key as written.
		if !p.partial && line != "" {
			p.lines++
			if k, ok := strings.CutPrefix(strings.TrimSuffix(line, "\n"), markerPrefix); ok {
				p.seen[k] = true
			}
		}
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

func remoteID(key string, line int) string {
	if key != "" {
		return key
	}
	return fmt.Sprintf("line-%d", line)
}

// markerKey keeps a key on one line.
func markerKey(k string) string {
	return strings.Join(strings.Fields(k), "_")
}

// fileError classifies a local I/O failure: a full disk or an interrupted
// write may pass; anything else (a refused permission, a path that is a
// directory) is a setting a person must fix.
func fileError(err error) *publishers.Error {
	class := publishers.Permanent
	for _, passing := range []error{syscall.ENOSPC, syscall.EIO, syscall.EAGAIN, syscall.EINTR} {
		if errors.Is(err, passing) {
			class = publishers.Transient
		}
	}
	return &publishers.Error{Class: class, Message: err.Error(), Err: err}
}

// Check reports where the channel writes, making sure a file can be opened
// for appending (it is created empty if absent, never written to).
func (p *Publisher) Check(context.Context) (string, error) {
	if p.path == "" {
		return "writes to standard output", nil
	}
	if err := os.MkdirAll(filepath.Dir(p.path), 0o700); err != nil {
		return "", fileError(err)
	}
	f, err := os.OpenFile(p.path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return "", fileError(err)
	}
	if err := f.Close(); err != nil {
		return "", fileError(err)
	}
	return "appends to " + p.path, nil
}

// render lays a post out for a person: a header with time, channel and slug,
// every line of content behind "│ ", and the key marker last. Times are
// RFC 3339 in now's zone (the calendar's), with their offset.
func render(channel string, post publishers.Post, key string, now time.Time) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "┌ %s · %s", now.Format(time.RFC3339), channel)
	if post.Slug != "" {
		fmt.Fprintf(&b, " · %s", post.Slug)
	}
	if !post.ScheduledAt.IsZero() {
		late := now.Sub(post.ScheduledAt).Round(time.Second)
		if late >= time.Second {
			fmt.Fprintf(&b, " · planned %s (%s late)", post.ScheduledAt.In(now.Location()).Format(time.RFC3339), late)
		}
	}
	b.WriteByte('\n')
	line := func(s string) {
		b.WriteString("│ ")
		b.WriteString(s)
		b.WriteByte('\n')
	}
	lines := func(prefix, text string) {
		for i, l := range strings.Split(strings.TrimRight(text, "\n"), "\n") {
			if i > 0 {
				prefix = strings.Repeat(" ", len([]rune(prefix)))
			}
			line(prefix + strings.TrimRight(l, " \t\r"))
		}
	}
	if post.Title != "" {
		line("# " + post.Title)
	}
	if post.Text != "" {
		lines("", post.Text)
	}
	for i, part := range post.Thread {
		lines(fmt.Sprintf("↳ %d/%d  ", i+2, len(post.Thread)+1), part)
	}
	if post.Link != "" {
		line("🔗 " + post.Link)
	}
	for _, m := range post.Media {
		alt := "(no alt text)"
		if m.Alt != "" {
			alt = fmt.Sprintf("%q", m.Alt)
		}
		line(fmt.Sprintf("🖼 %s — alt %s", m.Path, alt))
	}
	if len(post.Tags) > 0 {
		tags := make([]string, len(post.Tags))
		for i, t := range post.Tags {
			tags[i] = "#" + strings.TrimPrefix(t, "#")
		}
		line(strings.Join(tags, " "))
	}
	if key != "" {
		b.WriteString(markerPrefix + key + "\n")
	} else {
		b.WriteString("└\n")
	}
	return b.Bytes()
}
