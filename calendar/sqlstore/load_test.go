package sqlstore

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/crieur/crieur/calendar/formats"
	"github.com/crieur/crieur/calendar/when"
	"github.com/crieur/crieur/internal/atomicfile"

	calendar "github.com/crieur/crieur/calendar"
)

// loadStore is a calendar with three channels, one of them in Paris.
func loadStore(t *testing.T) *Store {
	t.Helper()
	return loadStoreOn(t, "sqlite")
}

func loadStoreOn(t *testing.T, engine string) *Store {
	t.Helper()
	s := newEngineStore(t, engine, t0)
	addChannel(t, s, "acme-log", "", false)
	addChannel(t, s, "acme-paris", "Europe/Paris", false)
	addChannel(t, s, "acme-review", "", true)
	return s
}

func mustLoad(t *testing.T, s *Store, set *calendar.LoadSet, opt calendar.LoadOptions) calendar.LoadResult {
	t.Helper()
	res, err := s.Load(context.Background(), set, opt)
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	return res
}

func counts(r calendar.LoadResult) string {
	return fmt.Sprintf("%d created, %d updated, %d unchanged, %d conflicts", r.Created, r.Updated, r.Unchanged, r.Conflicts)
}

// snapshot is everything a load may write, to prove a failed one wrote nothing.
func snapshot(t *testing.T, s *Store) string {
	t.Helper()
	var b strings.Builder
	for _, q := range []string{
		`SELECT id, slug, title, body, status, COALESCE(publish_at,0), version, content_hash FROM posts ORDER BY id`,
		`SELECT post_id, channel_id, status, COALESCE(due_at,0), COALESCE(run_at,0) FROM deliveries ORDER BY id`,
		`SELECT name, starts_on, utm FROM campaigns ORDER BY id`,
		`SELECT count(*) FROM events`,
	} {
		eachRow(t, s, q, func(_ []string, vals []any) { fmt.Fprintln(&b, vals...) })
	}
	return b.String()
}

const frenchCSV = "\xef\xbb\xbfslug;at;channels;campaign;tags;title;body\n" +
	"soldes-hiver;2026-12-01 09:00;acme-paris;hiver;soldes, hiver;Soldes;\"Les soldes d'hiver commencent ! 🎉\n\nÀ bientôt, l'équipe.\"\n" +
	"noel;2026-12-24T18:00:00Z;acme-log,acme-paris;hiver;;;Joyeux Noël 🎄 — ça arrive\n"

func TestLoadCSVWithBOMSemicolonsAndFrenchText(t *testing.T) {
	s := loadStore(t)
	set := formats.ReadCSV([]byte(frenchCSV), "hiver.csv", formats.ReadOptions{})
	if len(set.Problems) > 0 {
		t.Fatalf("problems: %v", set.Problems)
	}
	if got := []int{set.Items[0].Line, set.Items[1].Line}; !reflect.DeepEqual(got, []int{2, 5}) {
		t.Errorf("record lines %v, want [2 5] (the quoted body spans 3 lines)", got)
	}
	res := mustLoad(t, s, set, calendar.LoadOptions{Zone: time.UTC})
	if counts(res) != "2 created, 0 updated, 0 unchanged, 0 conflicts" {
		t.Fatalf("got %s", counts(res))
	}
	p, err := s.Post(context.Background(), "soldes-hiver")
	if err != nil {
		t.Fatal(err)
	}
	if want := "Les soldes d'hiver commencent ! 🎉\n\nÀ bientôt, l'équipe."; p.Body != want {
		t.Errorf("body %q, want %q", p.Body, want)
	}
	// 09:00 in the channel's zone (Paris, UTC+1 in December).
	if want := time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC); !p.PublishAt.Equal(want) {
		t.Errorf("publish_at %v, want %v", p.PublishAt, want)
	}
	if p.Campaign != "hiver" || !reflect.DeepEqual(p.Tags, []string{"soldes", "hiver"}) || p.Status != calendar.StatusScheduled {
		t.Errorf("post %+v", p)
	}
	if c, err := s.Campaign(context.Background(), "hiver"); err != nil || c.Posts != 2 {
		t.Errorf("campaign hiver created by name: %+v, %v", c, err)
	}
}

func TestLoadTwiceIsUnchangedAndEditsUpdate(t *testing.T) {
	s := loadStore(t)
	ctx := context.Background()
	csv := "slug,at,channels,body\na,2026-12-01 09:00,acme-log,First\nb,2026-12-02 09:00,acme-log,Second\nc,,acme-log,A draft\n"
	mustLoad(t, s, formats.ReadCSV([]byte(csv), "c.csv", formats.ReadOptions{}), calendar.LoadOptions{Zone: time.UTC})
	before := snapshot(t, s)
	res := mustLoad(t, s, formats.ReadCSV([]byte(csv), "c.csv", formats.ReadOptions{}), calendar.LoadOptions{Zone: time.UTC})
	if counts(res) != "0 created, 0 updated, 3 unchanged, 0 conflicts" {
		t.Fatalf("second load: %s", counts(res))
	}
	if after := snapshot(t, s); after != before {
		t.Errorf("an unchanged load wrote:\n%s\nvs\n%s", before, after)
	}

	// b is re-timed, c gets a new text; a stays.
	edited := "slug,at,channels,body\na,2026-12-01 09:00,acme-log,First\nb,2026-12-03 10:00,acme-log,Second\nc,,acme-log,A better draft\n"
	res = mustLoad(t, s, formats.ReadCSV([]byte(edited), "c.csv", formats.ReadOptions{}), calendar.LoadOptions{Zone: time.UTC, DryRun: true, Plan: true})
	if counts(res) != "0 created, 2 updated, 1 unchanged, 0 conflicts" {
		t.Fatalf("dry run: %s", counts(res))
	}
	changes := map[string][]string{}
	for _, e := range res.Plan {
		changes[e.Slug] = e.Changes
	}
	if !reflect.DeepEqual(changes["b"], []string{"at"}) || !reflect.DeepEqual(changes["c"], []string{"body"}) {
		t.Errorf("plan changes %v", changes)
	}
	if after := snapshot(t, s); after != before {
		t.Error("a dry run wrote")
	}
	res = mustLoad(t, s, formats.ReadCSV([]byte(edited), "c.csv", formats.ReadOptions{}), calendar.LoadOptions{Zone: time.UTC})
	if counts(res) != "0 created, 2 updated, 1 unchanged, 0 conflicts" {
		t.Fatalf("edit load: %s", counts(res))
	}
	b, _ := s.Post(ctx, "b")
	want := time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)
	if b.Version != 2 || !b.PublishAt.Equal(want) || !b.Deliveries[0].DueAt.Equal(want) || !b.Deliveries[0].RunAt.Equal(want) {
		t.Errorf("b not re-timed through the store: version %d, at %v, delivery %+v", b.Version, b.PublishAt, b.Deliveries[0])
	}
	res = mustLoad(t, s, formats.ReadCSV([]byte(edited), "c.csv", formats.ReadOptions{}), calendar.LoadOptions{Zone: time.UTC})
	if counts(res) != "0 created, 0 updated, 3 unchanged, 0 conflicts" {
		t.Fatalf("after the edit: %s", counts(res))
	}

	// An edit by another path (post edit) is seen even though the stored
	// hash was carried over, and the load puts the file's text back.
	c, _ := s.Post(ctx, "c")
	c.Body = "Edited by hand"
	if err := s.UpdatePost(ctx, &c); err != nil {
		t.Fatal(err)
	}
	res = mustLoad(t, s, formats.ReadCSV([]byte(edited), "c.csv", formats.ReadOptions{}), calendar.LoadOptions{Zone: time.UTC})
	if counts(res) != "0 created, 1 updated, 2 unchanged, 0 conflicts" {
		t.Fatalf("after a hand edit: %s", counts(res))
	}
	if c, _ = s.Post(ctx, "c"); c.Body != "A better draft" {
		t.Errorf("body %q", c.Body)
	}
}

func TestLoadFailsWholeAndReportsEveryProblem(t *testing.T) {
	s := loadStore(t)
	mustLoad(t, s, formats.ReadCSV([]byte("slug,at,channels,body\nkept,2026-12-01 09:00,acme-log,Kept\n"), "a.csv", formats.ReadOptions{}), calendar.LoadOptions{Zone: time.UTC})
	before := snapshot(t, s)
	csv := "slug,at,channels,body,media\n" +
		"good,2026-12-05 09:00,acme-log,Fine,\n" + // line 2: valid, yet not written
		"bad-date,2026-13-01 09:00,acme-log,x,\n" + // 3
		"nochan,2026-12-05 09:00,nosuch,x,\n" + // 4
		"long,2026-12-05 09:00,acme-log," + strings.Repeat("a", 20) + ",\n" + // 5: over the fake limit
		"pic,2026-12-05 09:00,acme-log,x,missing.png\n" + // 6
		"good,2026-12-06 09:00,acme-log,Twice,\n" + // 7: duplicate slug
		"past,2020-01-01 09:00,acme-log,x,\n" + // 8
		"utf,2026-12-05 09:00,acme-log,\xff\xfe,\n" + // 9
		"nowhere,2026-12-05 09:00,,x,\n" // 10: scheduled on no channel
	check := func(ch calendar.Channel, p *calendar.Post, _ *calendar.Campaign) []calendar.CheckProblem {
		if len(p.Body) > 10 {
			return []calendar.CheckProblem{{Field: "text", Message: fmt.Sprintf("%d characters, over 10", len(p.Body))}}
		}
		return nil
	}
	set := formats.ReadCSV([]byte(csv), "bad.csv", formats.ReadOptions{})
	res, err := s.Load(context.Background(), set, calendar.LoadOptions{Zone: time.UTC, Check: check})
	var ve *calendar.ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("want a ValidationError, got %v", err)
	}
	got := map[int]string{}
	for _, p := range res.Errors {
		if p.File != "bad.csv" {
			t.Errorf("problem without its file: %+v", p)
		}
		got[p.Line] = p.Field
	}
	want := map[int]string{3: "at", 4: "channels", 5: "body", 6: "media[0]", 7: "slug", 8: "at", 9: "body", 10: "channels"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("problems by line %v, want %v\n%v", got, want, err)
	}
	if res.Created != 0 {
		t.Errorf("a failed load reports %d created", res.Created)
	}
	if after := snapshot(t, s); after != before {
		t.Errorf("a failed load wrote")
	}
	// Past times are fine when allowed.
	res, err = s.Load(context.Background(), formats.ReadCSV([]byte("slug,at,channels,body\nold,2020-01-01 09:00,acme-log,x\n"), "p.csv", formats.ReadOptions{}), calendar.LoadOptions{AllowPast: true})
	if err != nil || res.Created != 1 {
		t.Errorf("allow past: %v %s", err, counts(res))
	}
}

func TestLoadConflictsWithPublishedPosts(t *testing.T) {
	s := loadStore(t)
	ctx := context.Background()
	csv := "slug,at,channels,body\nout,2026-12-01 09:00,acme-log,Sent\n"
	mustLoad(t, s, formats.ReadCSV([]byte(csv), "c.csv", formats.ReadOptions{}), calendar.LoadOptions{Zone: time.UTC})
	if _, err := s.db.Exec(`UPDATE posts SET status='published' WHERE slug='out'`); err != nil {
		t.Fatal(err)
	}
	// The same text again: unchanged, not a conflict.
	res := mustLoad(t, s, formats.ReadCSV([]byte(csv), "c.csv", formats.ReadOptions{}), calendar.LoadOptions{Zone: time.UTC})
	if counts(res) != "0 created, 0 updated, 1 unchanged, 0 conflicts" {
		t.Fatalf("published, same text: %s", counts(res))
	}
	before := snapshot(t, s)
	changed := "slug,at,channels,body\nnew,2026-12-09 09:00,acme-log,New\nout,2026-12-01 09:00,acme-log,\"Sent, then changed\"\n"
	res, err := s.Load(ctx, formats.ReadCSV([]byte(changed), "c.csv", formats.ReadOptions{}), calendar.LoadOptions{Zone: time.UTC})
	var ce *calendar.ConflictError
	if !errors.As(err, &ce) || !errors.Is(err, calendar.ErrConflict) {
		t.Fatalf("want a ConflictError, got %v", err)
	}
	if res.Conflicts != 1 || len(ce.Problems) != 1 || ce.Problems[0].Line != 3 || !strings.Contains(ce.Problems[0].Message, "already published") {
		t.Errorf("conflict %+v", ce.Problems)
	}
	if after := snapshot(t, s); after != before {
		t.Errorf("a conflicted load wrote")
	}
}

// The batched create path writes exactly what CreatePost writes.
func TestLoadCreatesWhatCreatePostCreates(t *testing.T) {
	for _, engine := range engines {
		t.Run(engine, func(t *testing.T) { testLoadCreatesWhatCreatePostCreates(t, engine) })
	}
}

func testLoadCreatesWhatCreatePostCreates(t *testing.T, engine string) {
	at := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	posts := []calendar.Post{
		{Slug: "sched", Body: "Scheduled", Channels: []string{"acme-log", "acme-paris"}, PublishAt: &at, Status: calendar.StatusScheduled, Tags: []string{"x"},
			Variants: map[string]string{"acme-paris": "Bonjour"}, Thread: []string{"two"}},
		{Slug: "review", Body: "Needs approval", Channels: []string{"acme-log", "acme-review"}, PublishAt: &at, Status: calendar.StatusScheduled},
		{Slug: "draft", Body: "Draft", Channels: []string{"acme-log"}, Status: calendar.StatusDraft},
		{Slug: "timed-draft", Body: "Draft with a time", Channels: []string{"acme-log"}, PublishAt: &at, Status: calendar.StatusDraft},
		{Slug: "canceled", Body: "Canceled", Channels: []string{"acme-log"}, PublishAt: &at, Status: calendar.StatusCanceled},
	}
	byStore := loadStoreOn(t, engine)
	for i := range posts {
		p := posts[i]
		if err := byStore.CreatePost(context.Background(), &p); err != nil {
			t.Fatal(err)
		}
	}
	byLoad := loadStoreOn(t, engine)
	set := &calendar.LoadSet{}
	for i, p := range posts {
		it := calendar.LoadItem{File: "x.yaml", Line: i + 1, Slug: p.Slug, Body: p.Body, Channels: p.Channels, Status: p.Status, Tags: p.Tags, Variants: p.Variants, Thread: p.Thread}
		if p.PublishAt != nil {
			it.At = p.PublishAt.Format(time.RFC3339)
		}
		set.Items = append(set.Items, it)
	}
	mustLoad(t, byLoad, set, calendar.LoadOptions{})
	rowsOf := func(s *Store) string {
		var b strings.Builder
		for _, q := range []string{
			`SELECT slug, title, body, status, COALESCE(publish_at,0), queued, author, tags, thread, version, created_at FROM posts ORDER BY id`,
			`SELECT post_id, channel_id, status, COALESCE(due_at,-1), COALESCE(run_at,-1), attempts, length(idempotency_key), updated_at FROM deliveries ORDER BY post_id, channel_id`,
			`SELECT post_id, channel_id, body FROM post_variants ORDER BY post_id, channel_id`,
			`SELECT at, actor, kind, post_id, detail FROM events WHERE kind LIKE 'post.%' ORDER BY id`,
		} {
			rows, err := s.db.Query(q)
			if err != nil {
				t.Fatal(err)
			}
			cols, _ := rows.Columns()
			for rows.Next() {
				vals := make([]any, len(cols))
				ptrs := make([]any, len(cols))
				for i := range vals {
					ptrs[i] = &vals[i]
				}
				if err := rows.Scan(ptrs...); err != nil {
					t.Fatal(err)
				}
				fmt.Fprintln(&b, vals...)
			}
			rows.Close()
		}
		return b.String()
	}
	if a, b := rowsOf(byStore), rowsOf(byLoad); a != b {
		t.Errorf("CreatePost wrote:\n%s\nthe load wrote:\n%s", a, b)
	}
}

func TestReadCSVHootsuiteDates(t *testing.T) {
	cases := []struct {
		format, date, want string
		bad                bool
	}{
		{formats.DateDMY, "01/12/2026 09:30", "2026-12-01T09:30:00Z", false},
		{formats.DateMDY, "12/01/2026 09:30", "2026-12-01T09:30:00Z", false},
		{"", "2026-12-01 09:30", "2026-12-01T09:30:00Z", false},
		{"", "01/12/2026 09:30", "", true},
		{formats.DateDMY, "31/02/2026 09:30", "", true},
	}
	for _, c := range cases {
		t.Run(c.format+" "+c.date, func(t *testing.T) {
			s := loadStore(t)
			set := formats.ReadCSV([]byte("date,message,link\n"+c.date+",Hello from Hootsuite,https://acme.example\n"), "h.csv", formats.ReadOptions{DateFormat: c.format})
			res, err := s.Load(context.Background(), set, calendar.LoadOptions{Zone: time.UTC, DefaultChannels: []string{"acme-log"}})
			if c.bad {
				if err == nil || len(res.Errors) != 1 || res.Errors[0].Line != 2 || res.Errors[0].Field != "at" {
					t.Fatalf("want one error on line 2 field at, got %v %+v", err, res.Errors)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Warnings) != 1 || res.Warnings[0].Field != "slug" {
				t.Errorf("a row without a slug is a warning: %+v", res.Warnings)
			}
			posts, _ := s.Posts(context.Background(), calendar.PostFilter{})
			if len(posts) != 1 || posts[0].PublishAt.Format(time.RFC3339) != c.want || posts[0].Link != "https://acme.example" {
				t.Fatalf("posts %+v", posts)
			}
			// the derived slug is stable: loading again changes nothing
			res = mustLoad(t, s, formats.ReadCSV([]byte("date,message,link\n"+c.date+",Hello from Hootsuite,https://acme.example\n"), "h.csv", formats.ReadOptions{DateFormat: c.format}),
				calendar.LoadOptions{Zone: time.UTC, DefaultChannels: []string{"acme-log"}})
			if res.Unchanged != 1 {
				t.Errorf("second load: %s", counts(res))
			}
		})
	}
}

const campaignYAML = `campaign:
  name: spring
  from: 2026-12-01
  to: 2026-12-31
  utm: {utm_medium: social}
  color: "#e4572e"
defaults:
  channels: [acme-log]
  tags: launch
posts:
  - slug: one
    at: 2026-12-01 09:00
    body: |
      Première ligne
      seconde ligne
    variants:
      acme-log: Court 🎉
  - slug: two
    channels: acme-log, acme-paris
    title: Two
    body: Deux
    media:
      - path: img.png
        alt: Une image
`

func TestReadYAMLAndJSONLoadTheSame(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "img.png"), []byte("png"), 0o644); err != nil {
		t.Fatal(err)
	}
	ys := formats.ReadYAML([]byte(campaignYAML), filepath.Join(dir, "c.yaml"))
	if len(ys.Problems) > 0 {
		t.Fatal(ys.Problems)
	}
	if got := []int{ys.Items[0].Line, ys.Items[1].Line, ys.Items[1].FieldLines["media"]}; !reflect.DeepEqual(got, []int{11, 18, 22}) {
		t.Errorf("yaml lines %v", got)
	}
	s := loadStore(t)
	res := mustLoad(t, s, ys, calendar.LoadOptions{Zone: time.UTC})
	if counts(res) != "2 created, 0 updated, 0 unchanged, 0 conflicts" {
		t.Fatal(counts(res))
	}
	c, err := s.Campaign(context.Background(), "spring")
	if err != nil || c.StartsOn != "2026-12-01" || c.UTM["utm_medium"] != "social" || c.Color != "#e4572e" || c.Posts != 2 {
		t.Errorf("campaign %+v %v", c, err)
	}
	two, _ := s.Post(context.Background(), "two")
	if len(two.Media) != 1 || two.Media[0].Path != filepath.Join(dir, "img.png") || two.Media[0].Alt != "Une image" || !reflect.DeepEqual(two.Tags, []string{"launch"}) {
		t.Errorf("two %+v", two)
	}
	// The same campaign as JSON is unchanged.
	var e calendar.Export
	e, err = s.ExportPosts(context.Background(), calendar.PostFilter{})
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	if err := formats.WriteJSON(&b, e); err != nil {
		t.Fatal(err)
	}
	js := formats.ReadJSON([]byte(b.String()), filepath.Join(dir, "c.json"))
	if len(js.Problems) > 0 {
		t.Fatal(js.Problems)
	}
	res = mustLoad(t, s, js, calendar.LoadOptions{Zone: time.UTC})
	if counts(res) != "0 created, 0 updated, 2 unchanged, 0 conflicts" {
		t.Fatalf("json of the export: %s\n%s", counts(res), b.String())
	}
}

func TestReadMarkdownDirDefaultsSlugToPath(t *testing.T) {
	dir := t.TempDir()
	write := func(rel, text string) {
		path := filepath.Join(dir, rel)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("2026/Lancement Été.md", "---\nchannels: [acme-log]\nat: 2026-12-01 09:00\n---\nC'est l'été ☀️\n")
	write("named.md", "---\nslug: explicit\nchannels: acme-log\n---\nNamed\n")
	write("bad.md", "---\nchannels: acme-log\nat: someday\n---\nBad time\n")
	write("notes.txt", "ignored")
	set, err := formats.ReadMarkdownDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	slugs := []string{}
	for _, it := range set.Items {
		slugs = append(slugs, it.Slug)
	}
	if !reflect.DeepEqual(slugs, []string{"2026-lancement-ete", "bad", "explicit"}) {
		t.Errorf("slugs %v", slugs)
	}
	s := loadStore(t)
	res, err := s.Load(context.Background(), set, calendar.LoadOptions{Zone: time.UTC})
	if err == nil || len(res.Errors) != 1 || res.Errors[0].Line != 3 || res.Errors[0].Field != "at" || !strings.HasSuffix(res.Errors[0].File, "bad.md") {
		t.Fatalf("want bad.md:3 at, got %v %+v", err, res.Errors)
	}
}

// Export then load into an empty calendar gives the same posts and campaigns.
func TestExportRoundTrip(t *testing.T) {
	src := loadStore(t)
	ctx := context.Background()
	dir := t.TempDir()
	img := filepath.Join(dir, "img.png")
	if err := os.WriteFile(img, []byte("png"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := src.AddCampaign(ctx, &calendar.Campaign{Name: "hiver", StartsOn: "2026-12-01", EndsOn: "2026-12-31", UTM: map[string]string{"utm_medium": "social"}}); err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	for _, p := range []calendar.Post{
		{Slug: "a", Title: "Titre", Body: "Ligne 1\nLigne 2, \"citée\"; ok 🎉", Channels: []string{"acme-log", "acme-paris"}, PublishAt: &at, Status: calendar.StatusScheduled,
			Campaign: "hiver", Tags: []string{"t1", "t2"}, Link: "https://acme.example/x?a=1", Excerpt: "Résumé",
			Variants: map[string]string{"acme-paris": "Bonjour"}, Thread: []string{"deux", "trois"}, Media: []calendar.Media{{Path: img, Alt: "Une image"}}},
		{Slug: "b/c", Body: "Draft", Channels: []string{"acme-log"}, Status: calendar.StatusDraft},
		{Slug: "d", Body: "Canceled", Channels: []string{"acme-review"}, PublishAt: &at, Status: calendar.StatusCanceled},
	} {
		p := p
		if err := src.CreatePost(ctx, &p); err != nil {
			t.Fatal(err)
		}
	}
	e, err := src.ExportPosts(ctx, calendar.PostFilter{})
	if err != nil {
		t.Fatal(err)
	}
	canon := func(s *Store) []calendar.Canonical {
		posts, err := s.Posts(ctx, calendar.PostFilter{})
		if err != nil {
			t.Fatal(err)
		}
		var out []calendar.Canonical
		for i := range posts {
			out = append(out, calendar.CanonicalOf(&posts[i]))
		}
		return out
	}
	for _, format := range []string{"csv", "yaml", "json", "md"} {
		t.Run(format, func(t *testing.T) {
			var b strings.Builder
			var set *calendar.LoadSet
			switch format {
			case "csv":
				if err := formats.WriteCSV(&b, e.Posts); err != nil {
					t.Fatal(err)
				}
				set = formats.ReadCSV([]byte(b.String()), "x.csv", formats.ReadOptions{})
			case "yaml":
				if err := formats.WriteYAML(&b, e); err != nil {
					t.Fatal(err)
				}
				set = formats.ReadYAML([]byte(b.String()), "x.yaml")
			case "json":
				if err := formats.WriteJSON(&b, e); err != nil {
					t.Fatal(err)
				}
				set = formats.ReadJSON([]byte(b.String()), "x.json")
			case "md":
				out := filepath.Join(t.TempDir(), "md")
				if err := formats.WriteMarkdownDir(out, e.Posts, atomicfile.Shared); err != nil {
					t.Fatal(err)
				}
				set, err = formats.ReadMarkdownDir(out)
				if err != nil {
					t.Fatal(err)
				}
			}
			dst := loadStore(t)
			if format != "yaml" && format != "json" { // only documents carry campaign blocks
				if err := dst.AddCampaign(ctx, &calendar.Campaign{Name: "hiver", StartsOn: "2026-12-01", EndsOn: "2026-12-31", UTM: map[string]string{"utm_medium": "social"}}); err != nil {
					t.Fatal(err)
				}
			}
			// exports keep media as absolute paths: loading one back names where they lie
			res, err := dst.Load(ctx, set, calendar.LoadOptions{AllowPast: true, MediaRoot: dir})
			if err != nil || res.Created != 3 {
				t.Fatalf("%v %s\n%s", err, counts(res), b.String())
			}
			if got, want := canon(dst), canon(src); !reflect.DeepEqual(got, want) {
				t.Errorf("round trip differs:\n%+v\n%+v", got, want)
			}
			c, _ := dst.Campaign(ctx, "hiver")
			if c.EndsOn != "2026-12-31" || c.UTM["utm_medium"] != "social" {
				t.Errorf("campaign %+v", c)
			}
			// and the export loaded back into the source is a no-op
			res = mustLoad(t, src, set, calendar.LoadOptions{MediaRoot: dir})
			if res.Unchanged != 3 {
				t.Errorf("export loaded into its own calendar: %s", counts(res))
			}
		})
	}
}

// parseWhen's fast path reads exactly what when.Parse reads, DST changes included.
func TestParseWhenFastPathMatchesWhen(t *testing.T) {
	zones := []string{"UTC", "Europe/Paris", "America/New_York", "Australia/Lord_Howe", "Asia/Kathmandu"}
	inputs := []string{"2026-03-29 02:30", "2026-10-25 02:30", "2026-03-08 02:30", "2026-11-01 01:30", "2026-10-04 02:15",
		"2026-02-29 09:00", "2026-04-31 09:00", "2026-12-01 24:00", "2026-12-01 09:60", "2026-12-01T09:00:00+01:00",
		"2026-12-01T08:00:00Z", "2026-12-01T08:00:00.123Z", "2026-12-01T08:00:00+0100", "2026-12-01 9:00"}
	for h := 0; h < 365*24; h += 7 {
		inputs = append(inputs, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(h)*time.Hour+30*time.Minute).Format("2006-01-02 15:04"))
	}
	for _, z := range zones {
		loc, err := time.LoadLocation(z)
		if err != nil {
			t.Fatal(err)
		}
		for _, in := range inputs {
			want, werr := when.Parse(in, t0, loc)
			got, gerr := calendar.ParseWhen(in, t0, loc)
			if (werr == nil) != (gerr == nil) || !got.Equal(want) {
				t.Errorf("%s in %s: parseWhen %v %v, when.Parse %v %v", in, z, got, gerr, want, werr)
			}
		}
	}
}

// A network's refusal found while the transaction writes rolls it all back.
func TestLoadRollsBackWhenANetworkRefuses(t *testing.T) {
	s := loadStore(t)
	before := snapshot(t, s)
	var rows strings.Builder
	rows.WriteString("slug,at,channels,body\n")
	for i := 0; i < 500; i++ {
		fmt.Fprintf(&rows, "p%d,2026-12-01 09:00,acme-log,Text %d\n", i, i)
	}
	check := func(ch calendar.Channel, p *calendar.Post, _ *calendar.Campaign) []calendar.CheckProblem {
		if p.Slug == "p499" {
			return []calendar.CheckProblem{{Field: "title", Message: "a title is required"}}
		}
		return nil
	}
	res, err := s.Load(context.Background(), formats.ReadCSV([]byte(rows.String()), "r.csv", formats.ReadOptions{}), calendar.LoadOptions{Zone: time.UTC, Check: check})
	var ve *calendar.ValidationError
	if !errors.As(err, &ve) || len(res.Errors) != 1 || res.Errors[0].Line != 501 || res.Errors[0].Field != "title" || res.Created != 0 {
		t.Fatalf("want one problem at r.csv:501, got %v %+v", err, res)
	}
	if after := snapshot(t, s); after != before {
		t.Error("the refused load was committed")
	}
}
