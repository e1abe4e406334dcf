package sqlstore

import (
	"strings"
	"testing"
	"time"

	"github.com/crieur/crieur/calendar/formats"

	calendar "github.com/crieur/crieur/calendar"
)

// fuzzPlan is a plan with two channels and no database, enough to build items.
func fuzzPlan() *calendar.Plan {
	return &calendar.Plan{Channels: map[string]*calendar.Channel{
		"acme-log":   {ID: 1, Name: "acme-log", Network: "log"},
		"acme-paris": {ID: 2, Name: "acme-paris", Network: "log", TZ: "Europe/Paris"},
	}, ByName: map[string]*calendar.PlannedCampaign{}}
}

// checkProblems fails unless every problem says where it is.
func checkProblems(t *testing.T, file string, probs []calendar.FieldError) {
	t.Helper()
	for _, p := range probs {
		if p.File != file || p.Line < 1 || p.Message == "" {
			t.Fatalf("a problem without its place: %+v", p)
		}
	}
}

func buildAllItems(t *testing.T, set *calendar.LoadSet) {
	t.Helper()
	pl := fuzzPlan()
	paris, _ := time.LoadLocation("Europe/Paris")
	built := pl.BuildAll(set.Items, calendar.LoadOptions{Zone: time.UTC}, map[string]*time.Location{"acme-paris": paris}, t0)
	for i := range built {
		pp := &built[i]
		checkProblems(t, pp.Src.File, pp.Problems)
		if pp.Post.Slug == "" || len(pp.Hash) != 32 {
			t.Fatalf("built post without a key: %+v", pp.Post)
		}
	}
}

func FuzzCSV(f *testing.F) {
	for _, seed := range []string{
		frenchCSV,
		"slug,at,channels,body\na,2030-12-01 09:00,acme-log,Hello\n",
		"date,message,link\n01/12/2030 09:30,Hi,https://x.example\n",
		"slug;at;channels;body\r\na;2030-12-01 09:00;acme-paris;\"multi\r\nline\"\r\n",
		"slug,body\n\"unterminated,x\n",
		"slug,body,variant:acme-log,media,alt,thread\na,b,c,x.png|y.png,A|B,one\n---\ntwo\n",
		"slug,body\na,\xff\n",
		"bogus,body\n",
		"",
		"slug,at,body\na,31/02/2030 09:00,x\n",
	} {
		f.Add([]byte(seed), false)
		f.Add([]byte(seed), true)
	}
	f.Fuzz(func(t *testing.T, data []byte, dmy bool) {
		opt := formats.ReadOptions{}
		if dmy {
			opt.DateFormat = formats.DateDMY
		}
		set := formats.ReadCSV(data, "f.csv", opt)
		for _, p := range set.Problems {
			if p.File != "f.csv" || p.Line < 1 {
				t.Fatalf("a problem without its line: %+v", p)
			}
		}
		lines := strings.Count(string(data), "\n") + 1
		for _, it := range set.Items {
			if it.Line < 2 || it.Line > lines {
				t.Fatalf("item line %d outside the file's %d lines", it.Line, lines)
			}
		}
		buildAllItems(t, set)
	})
}

func FuzzFrontMatter(f *testing.F) {
	for _, seed := range []string{
		"---\nslug: a\nchannels: [acme-log]\nat: 2030-12-01 09:00\n---\nBody\n",
		"---\r\nchannels: acme-paris\r\nvariants: {acme-paris: Bonjour}\r\n---\r\nCorps é 🎉\r\n",
		"\xef\xbb\xbf---\ntitle: BOM\n---\nx",
		"---\nslug: a\n",
		"---\nbogus: 1\n---\nx",
		"---\nmedia: [{path: a.png, alt: A}, b.png#B]\n---\n",
		"---\nat: [1, 2]\n---\n",
		"no front matter at all",
		"---\n\xff\n---\n",
		"---\n---\n",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		set := formats.ReadMarkdown(data, "f.md", "dir/f.md")
		checkProblems(t, "f.md", set.Problems)
		if len(set.Problems)+len(set.Items) != 1 {
			t.Fatalf("a Markdown file is one post or one problem: %+v", set)
		}
		lines := strings.Count(string(data), "\n") + 1
		for _, it := range set.Items {
			for field, l := range it.FieldLines {
				if l < 1 || l > lines+1 {
					t.Fatalf("field %s at line %d of %d", field, l, lines)
				}
			}
		}
		buildAllItems(t, set)
	})
}

func FuzzDocument(f *testing.F) {
	for _, seed := range []string{campaignYAML, `{"posts": [{"slug": "a", "body": "x", "channels": "acme-log"}]}`, "posts: [", "{\"posts\": [}", "[]", "null"} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, set := range []*calendar.LoadSet{formats.ReadYAML(data, "f"), formats.ReadJSON(data, "f")} {
			checkProblems(t, "f", set.Problems)
			for _, it := range set.Items {
				if it.Line < 1 {
					t.Fatalf("item without a line: %+v", it)
				}
			}
			buildAllItems(t, set)
		}
	})
}
