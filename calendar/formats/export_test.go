package formats

import (
	"bytes"
	"encoding/csv"
	"strings"
	"testing"
	"time"

	calendar "github.com/crieur/crieur/calendar"
)

// A CSV export opened in a spreadsheet must not run formulas a post's text
// happens to start with, and loading the export back must give the text as
// it was, quotes and all.
func TestCSVExportNeutralisesFormulas(t *testing.T) {
	texts := []string{
		`=HYPERLINK("https://evil.example","click")`,
		"+cmd|' /C calc'!A0",
		"@SUM(1+1)*cmd|' /C calc'!A0",
		"-2+3",
		"\t=1+1",
		"'=1+1",           // a text that really starts with a quote and =
		"''@x",            // two quotes then a formula character
		"'Tis the season", // a quote before ordinary text stays as it is
		"plain text = fine",
	}
	at := time.Date(2030, 12, 1, 9, 0, 0, 0, time.UTC)
	var posts []calendar.Post
	for i, body := range texts {
		posts = append(posts, calendar.Post{Slug: "p" + string(rune('a'+i)), Body: body, Title: body, Status: calendar.StatusScheduled,
			PublishAt: &at, Channels: []string{"acme-log"}, Tags: []string{"=tag"}, Variants: map[string]string{"acme-log": body}})
	}
	var buf bytes.Buffer
	if err := WriteCSV(&buf, posts); err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(bytes.NewReader(buf.Bytes())).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	for _, rec := range recs[1:] {
		for i, cell := range rec {
			if cell != "" && strings.IndexByte("=+-@\t\r", cell[0]) >= 0 {
				t.Errorf("column %s: cell %q would run as a formula", recs[0][i], cell)
			}
		}
	}
	set := ReadCSV(buf.Bytes(), "export.csv", ReadOptions{})
	if len(set.Problems) > 0 {
		t.Fatalf("reading the export back: %v", set.Problems)
	}
	for i, it := range set.Items {
		if it.Body != texts[i] || it.Title != texts[i] || it.Variants["acme-log"] != texts[i] {
			t.Errorf("row %d: read back body %q, title %q, variant %q; want %q", i+1, it.Body, it.Title, it.Variants["acme-log"], texts[i])
		}
		if len(it.Tags) != 1 || it.Tags[0] != "=tag" {
			t.Errorf("row %d: tags %q, want [=tag]", i+1, it.Tags)
		}
	}
}
