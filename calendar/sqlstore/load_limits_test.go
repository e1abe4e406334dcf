package sqlstore

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/crieur/crieur/calendar/formats"

	calendar "github.com/crieur/crieur/calendar"
)

// hostileDir is a load folder with one good image and, around it, every way
// out: a secret beside the folder, symlinks out, a device, a FIFO.
func hostileDir(t *testing.T) (dir, secret string) {
	t.Helper()
	top := t.TempDir()
	dir = filepath.Join(top, "load")
	secret = filepath.Join(top, "secret.txt")
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.Mkdir(dir, 0o700))
	must(os.WriteFile(secret, []byte("token=abc"), 0o600))
	must(os.WriteFile(filepath.Join(dir, "ok.png"), []byte("png"), 0o600))
	must(os.Symlink("ok.png", filepath.Join(dir, "alias.png")))
	must(os.Symlink(secret, filepath.Join(dir, "out.png")))
	must(os.Symlink("/etc/passwd", filepath.Join(dir, "passwd.png")))
	must(os.Symlink("/dev/zero", filepath.Join(dir, "zero.png")))
	must(os.Mkdir(filepath.Join(dir, "sub"), 0o700))
	must(syscall.Mkfifo(filepath.Join(dir, "fifo.png"), 0o600))
	return dir, secret
}

// A load's media must lie in its folder (or under MediaRoot) and be regular
// files; every other path is a problem naming file, line and field, and the
// load writes nothing.
func TestLoadMediaConfined(t *testing.T) {
	dir, secret := hostileDir(t)
	cases := []struct {
		media string
		root  string
		want  string // "" loads
	}{
		{"ok.png", "", ""},
		{"alias.png", "", ""},
		{"sub/../ok.png", "", ""},
		{"../secret.txt", "", "outside " + dir + ": a load's media must lie in its folder"},
		{"../../../../../../etc/passwd", "", "outside " + dir + ": a load's media must lie in its folder"},
		{"/etc/passwd", "", "outside " + dir + ": a load's media must lie in its folder"},
		{secret, "", "outside " + dir + ": a load's media must lie in its folder"},
		{"out.png", "", "outside " + dir + ": a load's media must lie in its folder"},
		{"passwd.png", "", "outside " + dir + ": a load's media must lie in its folder"},
		{"zero.png", "", "outside " + dir + ": a load's media must lie in its folder"},
		{"fifo.png", "", "is a FIFO (named pipe): a load's media must be regular files"},
		{"sub", "", "is a folder"},
		{"missing.png", "", "no such file"},
		{"/dev/zero", "/", "is a device"},
		// --media-root widens the confinement to a folder the user names
		{"../secret.txt", filepath.Dir(dir), ""},
		{"/etc/passwd", dir, "outside " + dir + ": a load's media must lie in its folder"},
	}
	for _, c := range cases {
		t.Run(c.media+"@"+c.root, func(t *testing.T) {
			s := loadStore(t)
			before := snapshot(t, s)
			doc := fmt.Sprintf("posts:\n  - slug: a\n    channels: acme-log\n    body: hello\n    media: %q\n", c.media)
			set := formats.ReadYAML([]byte(doc), filepath.Join(dir, "load.yaml"))
			done := make(chan struct{})
			var res calendar.LoadResult
			var err error
			go func() {
				res, err = s.Load(context.Background(), set, calendar.LoadOptions{Zone: time.UTC, MediaRoot: c.root})
				close(done)
			}()
			select {
			case <-done:
			case <-time.After(10 * time.Second):
				t.Fatal("the load hangs")
			}
			if c.want == "" {
				if err != nil || res.Created != 1 {
					t.Fatalf("%v %s", err, counts(res))
				}
				return
			}
			var ve *calendar.ValidationError
			if !errors.As(err, &ve) || len(ve.Problems) != 1 {
				t.Fatalf("err = %v, want one validation problem", err)
			}
			p := ve.Problems[0]
			if p.File != filepath.Join(dir, "load.yaml") || p.Line != 5 || p.Field != "media[0]" || !strings.Contains(p.Message, c.want) {
				t.Errorf("problem = %+v, want load.yaml:5 media[0] %q", p, c.want)
			}
			if after := snapshot(t, s); after != before {
				t.Errorf("a refused load wrote:\n%s", after)
			}
		})
	}
}

// A Markdown folder reads only regular files inside it.
func TestReadMarkdownFolderHostile(t *testing.T) {
	dir, secret := hostileDir(t)
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.WriteFile(filepath.Join(dir, "good.md"), []byte("---\nchannels: acme-log\n---\nHello\n"), 0o600))
	must(os.Symlink("good.md", filepath.Join(dir, "same.md")))
	must(os.Symlink(secret, filepath.Join(dir, "secret.md")))
	must(os.Symlink("/etc/passwd", filepath.Join(dir, "passwd.md")))
	must(os.Symlink("/dev/zero", filepath.Join(dir, "zero.md")))
	must(syscall.Mkfifo(filepath.Join(dir, "pipe.md"), 0o600))
	must(os.WriteFile(filepath.Join(dir, "big.md"), []byte(strings.Repeat("x", 2000)), 0o600))
	done := make(chan struct{})
	var set *calendar.LoadSet
	var err error
	go func() { set, err = formats.ReadMarkdownFolder(dir, 1000); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("reading the folder hangs")
	}
	if err != nil {
		t.Fatal(err)
	}
	if len(set.Items) != 2 {
		t.Errorf("%d posts read, want good.md and its in-folder symlink", len(set.Items))
	}
	for _, it := range set.Items {
		if strings.Contains(it.Body, "root:") || strings.Contains(it.Body, "token") {
			t.Errorf("read a file from outside: %s", it.File)
		}
	}
	want := map[string]string{
		"secret.md": "outside", "passwd.md": "outside", "zero.md": "outside",
		"pipe.md": "is a FIFO", "big.md": "over the limit of 1000 bytes",
	}
	got := map[string]string{}
	for _, p := range set.Problems {
		got[filepath.Base(p.File)] = p.Message
	}
	for f, w := range want {
		if !strings.Contains(got[f], w) {
			t.Errorf("%s: problem %q, want %q", f, got[f], w)
		}
	}
}

// Far dates, huge fields and too many posts are problems of the load.
func TestLoadBounds(t *testing.T) {
	s := loadStore(t)
	huge := strings.Repeat("x", calendar.MaxFieldBytes+1)
	csv := "slug,at,channels,body\n" +
		"far,9999-12-31T23:00:00-05:00,acme-log,x\n" +
		"old,1899-12-31 09:00,acme-log,x\n" +
		"zero,0001-01-01T00:00:00Z,acme-log,x\n" +
		"huge,2027-01-01 09:00,acme-log," + huge + "\n" +
		"nul,2027-01-01 09:00,acme-log,a\x00b\n"
	_, err := s.Load(context.Background(), formats.ReadCSV([]byte(csv), "b.csv", formats.ReadOptions{}), calendar.LoadOptions{Zone: time.UTC, AllowPast: true})
	var ve *calendar.ValidationError
	if !errors.As(err, &ve) || len(ve.Problems) != 5 {
		t.Fatalf("err = %v", err)
	}
	for i, want := range []struct {
		line  int
		field string
		msg   string
	}{{2, "at", "falls in year 10000"}, {3, "at", "falls in year 1899"}, {4, "at", "falls in year 1"}, {5, "body", "body is 1.0 MB; a post's field takes at most 1 MB"}, {6, "body", `contains a NUL byte (\0)`}} {
		p := ve.Problems[i]
		if p.Line != want.line || p.Field != want.field || !strings.Contains(p.Message, want.msg) {
			t.Errorf("problem %d = %+v, want line %d %s %q", i, p, want.line, want.field, want.msg)
		}
	}
	// campaign dates too
	set := formats.ReadYAML([]byte("campaign: {name: far, from: 2026-01-01, to: 10000-01-01}\nposts: []\n"), "c.yaml")
	if _, err := s.Load(context.Background(), set, calendar.LoadOptions{Zone: time.UTC}); err == nil || !strings.Contains(err.Error(), "campaign.to") {
		t.Errorf("campaign to year 10000: %v", err)
	}
	// a CSV of more posts than a load takes stops at the limit
	var b strings.Builder
	b.WriteString("slug,body\n")
	for i := 0; i <= calendar.MaxLoadPosts; i++ {
		b.WriteString("s,x\n")
	}
	cs := formats.ReadCSV([]byte(b.String()), "many.csv", formats.ReadOptions{})
	if len(cs.Items) != 0 || len(cs.Problems) != 1 || !strings.Contains(cs.Problems[0].Message, "at most 200000 posts") {
		t.Errorf("many rows: %d items, %+v", len(cs.Items), cs.Problems)
	}
}

// Every way a time reaches the calendar refuses years past 9999 (and before
// 1900), naming the field.
func TestInstantBounds(t *testing.T) {
	s := loadStore(t)
	ctx := context.Background()
	far := time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)
	ok := time.Date(2027, 1, 1, 9, 0, 0, 0, time.UTC)
	field := func(err error) string {
		var ve *calendar.ValidationError
		if !errors.As(err, &ve) || len(ve.Problems) == 0 || !strings.Contains(ve.Problems[0].Message, "crieur takes times from 1900 to 9999") {
			return fmt.Sprintf("not an out-of-range error: %v", err)
		}
		return ve.Problems[0].Field
	}
	if f := field(s.CreatePost(ctx, &calendar.Post{Slug: "far", Body: "x", Channels: []string{"acme-log"}, PublishAt: &far})); f != "at" {
		t.Errorf("CreatePost in year 10000: %s", f)
	}
	p := calendar.Post{Slug: "p", Body: "x", Channels: []string{"acme-log"}, PublishAt: &ok}
	if err := s.CreatePost(ctx, &p); err != nil {
		t.Fatal(err)
	}
	p.PublishAt = &far
	if f := field(s.UpdatePost(ctx, &p)); f != "at" {
		t.Errorf("UpdatePost to year 10000: %s", f)
	}
	if _, err := s.SchedulePost(ctx, "p", &far, false); field(err) != "at" {
		t.Errorf("SchedulePost to year 10000: %v", err)
	}
	if _, err := s.MovePost(ctx, "p", far, false); field(err) != "to" {
		t.Errorf("MovePost to year 10000: %v", err)
	}
	if err := s.AddBlackout(ctx, &calendar.Blackout{StartsAt: ok, EndsAt: far, Reason: "r"}); field(err) != "to" {
		t.Errorf("AddBlackout to year 10000: %v", err)
	}
	if err := s.AddCampaign(ctx, &calendar.Campaign{Name: "old", StartsOn: "1899-12-31"}); field(err) != "from" {
		t.Errorf("AddCampaign from 1899: %v", err)
	}
	if err := s.AddCampaign(ctx, &calendar.Campaign{Name: "c"}); err != nil {
		t.Fatal(err)
	}
	q := calendar.Post{Slug: "q", Body: "x", Campaign: "c", Channels: []string{"acme-log"}, PublishAt: &ok}
	if err := s.CreatePost(ctx, &q); err != nil {
		t.Fatal(err)
	}
	sh := calendar.Shift{Days: 3_000_000}
	if _, err := s.ShiftCampaign(ctx, "c", sh, time.UTC, false); field(err) != "by" {
		t.Errorf("ShiftCampaign past year 9999: %v", err)
	}
	if got, _ := s.Post(ctx, "q"); !got.PublishAt.Equal(ok) {
		t.Errorf("a refused shift moved the post to %v", got.PublishAt)
	}
}
