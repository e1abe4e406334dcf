package ics

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/crieur/crieur/calendar/sqlstore"

	ical "github.com/arran4/golang-ical"
	"github.com/crieur/crieur/calendar"
	"github.com/crieur/crieur/internal/atomicfile"
)

var now = time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)

func fixture(t *testing.T) *sqlstore.Store {
	t.Helper()
	ctx := context.Background()
	st, err := sqlstore.Open(ctx, filepath.Join(t.TempDir(), "c.db"), sqlstore.Options{Create: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	st.Now = func() time.Time { return now }
	for _, c := range []*calendar.Channel{{Name: "acme-log", Network: "log"}, {Name: "acme-gated", Network: "log", RequireApproval: true}} {
		if err := st.AddChannel(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.AddCampaign(ctx, &calendar.Campaign{Name: "winter-sale"}); err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC)
	later := at.Add(26 * time.Hour)
	for _, p := range []*calendar.Post{
		{Slug: "sale", Title: "Winter sale; 20% off, today", Body: "Line one\nLine two, with a comma; and a \\ backslash",
			Channels: []string{"acme-gated", "acme-log"}, PublishAt: &at, Status: calendar.StatusScheduled, Campaign: "winter-sale"},
		{Slug: "long", Title: strings.Repeat("Écrire à l’heure — ", 8), Body: "é", Channels: []string{"acme-log"}, PublishAt: &later, Status: calendar.StatusScheduled},
		{Slug: "draft", Body: "no time", Channels: []string{"acme-log"}},
	} {
		if err := st.CreatePost(ctx, p); err != nil {
			t.Fatal(err)
		}
	}
	return st
}

func TestWriteParsesAsRFC5545(t *testing.T) {
	ctx := context.Background()
	st := fixture(t)
	entries, err := st.Entries(ctx, calendar.ViewFilter{WithBody: true})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := Write(&buf, "c0ffee", entries, now); err != nil {
		t.Fatal(err)
	}
	raw := buf.String()
	if !strings.HasSuffix(raw, "END:VCALENDAR\r\n") || strings.Contains(strings.ReplaceAll(raw, "\r\n", ""), "\n") {
		t.Fatal("lines must end with CRLF and only CRLF")
	}
	folded := false
	for _, l := range strings.Split(strings.TrimSuffix(raw, "\r\n"), "\r\n") {
		if len(l) > 75 {
			t.Fatalf("line of %d octets: %q", len(l), l)
		}
		folded = folded || strings.HasPrefix(l, " ")
	}
	if !folded {
		t.Fatal("the long title was not folded")
	}

	cal, err := ical.ParseCalendar(strings.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	events := cal.Events()
	if len(events) != 3 { // sale on two channels, long on one; the draft has no time
		t.Fatalf("%d events, want 3", len(events))
	}
	byUID := map[string]*ical.VEvent{}
	for _, e := range events {
		byUID[e.Id()] = e
	}
	prop := func(e *ical.VEvent, p ical.ComponentProperty) string {
		if v := e.GetProperty(p); v != nil {
			return v.Value
		}
		return ""
	}
	tests := []struct {
		uid, summary, status, category string
		start                          time.Time
		descHas                        string
	}{
		{UID(entries[0], "c0ffee"), "[acme-gated] Winter sale; 20% off, today", "TENTATIVE", "winter-sale", time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC), "Line two, with a comma; and a \\ backslash"},
		{UID(entries[1], "c0ffee"), "[acme-log] Winter sale; 20% off, today", "TENTATIVE", "winter-sale", time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC), "Line one\nLine two"},
		{UID(entries[2], "c0ffee"), "[acme-log] " + strings.TrimSpace(strings.Repeat("Écrire à l’heure — ", 8)), "CONFIRMED", "", time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC), "é"},
	}
	for _, tt := range tests {
		e, ok := byUID[tt.uid]
		if !ok {
			t.Fatalf("no event %s in %v", tt.uid, byUID)
		}
		if got := prop(e, ical.ComponentPropertySummary); got != tt.summary {
			t.Errorf("%s summary %q, want %q", tt.uid, got, tt.summary)
		}
		// The post on a gated channel waits for approval; the whole post is in review.
		if got := prop(e, ical.ComponentPropertyStatus); got != tt.status {
			t.Errorf("%s status %q, want %q", tt.uid, got, tt.status)
		}
		if got := prop(e, ical.ComponentPropertyCategories); got != tt.category {
			t.Errorf("%s categories %q, want %q", tt.uid, got, tt.category)
		}
		if got := prop(e, ical.ComponentPropertyDescription); !strings.Contains(got, tt.descHas) {
			t.Errorf("%s description %q lacks %q", tt.uid, got, tt.descHas)
		}
		if got, err := e.GetStartAt(); err != nil || !got.Equal(tt.start) {
			t.Errorf("%s start %v %v, want %v", tt.uid, got, err, tt.start)
		}
		if got := prop(e, ical.ComponentPropertyDtstamp); got != "20261125T100000Z" {
			t.Errorf("%s dtstamp %q", tt.uid, got)
		}
		if !strings.HasPrefix(tt.uid, "delivery-") || !strings.HasSuffix(tt.uid, "-c0ffee@crieur") {
			t.Errorf("uid %q", tt.uid)
		}
	}
}

// A remote URL or any text that tries to end its line and add a VEVENT (a
// hostile webhook reply, a title) stays one value: one VEVENT per delivery.
func TestWriteHostileValuesStayOneEvent(t *testing.T) {
	inject := "\r\nEND:VEVENT\r\nBEGIN:VEVENT\r\nUID:evil\r\nSUMMARY:injected\r\nEND:VEVENT\r\nBEGIN:VEVENT\r\nUID:evil2"
	at := time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC)
	entries := []calendar.Entry{
		{DeliveryID: 1, At: at, Channel: "hook", Slug: "a", Label: "title" + inject, Status: calendar.DeliveryPublished,
			RemoteURL: "https://example.com/x" + inject, Campaign: "c" + inject, Body: "b" + inject},
		{DeliveryID: 2, At: at, Channel: "hook", Slug: "b" + inject, Label: "plain", Status: calendar.DeliveryPublished,
			RemoteURL: "javascript:alert(1)"},
		{DeliveryID: 3, At: at, Channel: "hook", Slug: "c", Label: "ok", Status: calendar.DeliveryPublished,
			RemoteURL: "https://example.com/post/3?a=1&b=2"},
	}
	var buf bytes.Buffer
	if err := Write(&buf, "cal1", entries, now); err != nil {
		t.Fatal(err)
	}
	cal, err := ical.ParseCalendar(strings.NewReader(buf.String()))
	if err != nil {
		t.Fatal(err)
	}
	events := cal.Events()
	if len(events) != len(entries) {
		t.Fatalf("%d events for %d deliveries:\n%s", len(events), len(entries), buf.String())
	}
	for i, e := range events {
		if want := UID(entries[i], "cal1"); e.Id() != want {
			t.Errorf("event %d UID %q, want %q", i, e.Id(), want)
		}
	}
	url := func(e *ical.VEvent) string {
		if p := e.GetProperty(ical.ComponentPropertyUrl); p != nil {
			return p.Value
		}
		return ""
	}
	if got := url(events[0]); got != "" {
		t.Errorf("a URL with CR/LF was written: %q", got)
	}
	if got := url(events[1]); got != "" {
		t.Errorf("a non-http(s) URL was written: %q", got)
	}
	if got := url(events[2]); got != "https://example.com/post/3?a=1&b=2" {
		t.Errorf("a plain https URL was not written as it is: %q", got)
	}
	if got := events[0].GetProperty(ical.ComponentPropertySummary).Value; !strings.Contains(got, "BEGIN:VEVENT") {
		t.Errorf("the title's text was lost instead of escaped: %q", got)
	}
}

func TestUIDsDifferBetweenCalendars(t *testing.T) {
	ctx := context.Background()
	a, b := fixture(t), fixture(t)
	ida, err := a.CalendarID(ctx)
	if err != nil {
		t.Fatal(err)
	}
	again, _ := a.CalendarID(ctx)
	idb, _ := b.CalendarID(ctx)
	if ida == "" || ida != again || ida == idb {
		t.Fatalf("calendar ids %q, %q (again), %q (another calendar)", ida, again, idb)
	}
	e := calendar.Entry{DeliveryID: 1}
	if UID(e, ida) == UID(e, idb) {
		t.Errorf("delivery 1 of two calendars has one UID %q", UID(e, ida))
	}
}

func TestStatusMapping(t *testing.T) {
	tests := []struct {
		delivery, post, want string
	}{
		{calendar.DeliveryPending, calendar.StatusScheduled, "CONFIRMED"},
		{calendar.DeliveryPublished, calendar.StatusPublished, "CONFIRMED"},
		{calendar.DeliveryPending, calendar.StatusReview, "TENTATIVE"},
		{calendar.DeliveryPending, calendar.StatusDraft, "TENTATIVE"},
		{calendar.DeliveryCanceled, calendar.StatusScheduled, "CANCELLED"},
		{calendar.DeliveryCanceled, calendar.StatusCanceled, "CANCELLED"},
		{calendar.DeliveryFailed, calendar.StatusFailed, "TENTATIVE"},
	}
	for _, tt := range tests {
		if got := Status(calendar.Entry{Status: tt.delivery, PostStatus: tt.post}); got != tt.want {
			t.Errorf("%s/%s: %s, want %s", tt.delivery, tt.post, got, tt.want)
		}
	}
}

// The daemon rewrites the feed after each change: the file is replaced whole,
// and UIDs do not change between writes (a re-import updates, never duplicates).
func TestWriteFileIsAtomicAndStable(t *testing.T) {
	ctx := context.Background()
	st := fixture(t)
	dir := t.TempDir()
	path := filepath.Join(dir, "calendar.ics")
	if err := WriteFile(ctx, st, path, calendar.ViewFilter{}, atomicfile.Shared); err != nil {
		t.Fatal(err)
	}
	first, _ := os.ReadFile(path)
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o644 {
		t.Fatalf("new shared feed mode %v, want 0644", fi.Mode().Perm())
	}
	if _, err := st.MovePost(ctx, "long", time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC), false); err != nil {
		t.Fatal(err)
	}
	// The mode follows the export rule, not the file it replaces.
	if err := WriteFile(ctx, st, path, calendar.ViewFilter{}, atomicfile.Private); err != nil {
		t.Fatal(err)
	}
	second, _ := os.ReadFile(path)
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
		t.Fatalf("private feed mode %v, want 0600", fi.Mode().Perm())
	}
	uids := func(b []byte) []string {
		cal, err := ical.ParseCalendar(bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, e := range cal.Events() {
			out = append(out, e.Id())
		}
		return out
	}
	a, b := uids(first), uids(second)
	if strings.Join(a, ",") != strings.Join(b, ",") || bytes.Equal(first, second) {
		t.Fatalf("uids %v then %v (content changed: %v)", a, b, !bytes.Equal(first, second))
	}
	if !bytes.Contains(second, []byte("DTSTART:20261203T090000Z")) {
		t.Fatal("the move is not in the new feed")
	}
	left, _ := os.ReadDir(dir)
	if len(left) != 1 {
		t.Fatalf("temporary files left: %v", left)
	}
	if err := WriteFile(ctx, st, filepath.Join(dir, "no", "such", "dir.ics"), calendar.ViewFilter{}, atomicfile.Shared); err == nil {
		t.Fatal("writing into a missing directory succeeded")
	}
}

// End to end: a webhook's reply whose url carries CRLF and a VEVENT is
// recorded (without the address) and the feed still has one VEVENT per
// delivery.
func TestHostileRemoteURLFromAReplyStaysOutOfTheFeed(t *testing.T) {
	ctx := context.Background()
	st := fixture(t)
	st.Now = func() time.Time { return time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC) }
	res, err := st.ClaimDue(ctx, calendar.ClaimOptions{Owner: "me", Now: st.Now(), Lease: time.Minute, Limit: 10})
	if err != nil || len(res.Claimed) == 0 {
		t.Fatalf("claim: %v %+v", err, res)
	}
	for _, d := range res.Claimed {
		o := calendar.Outcome{Kind: calendar.OutcomePublished, RemoteID: "r",
			RemoteURL: "https://hooks.example/x\r\nEND:VEVENT\r\nBEGIN:VEVENT\r\nUID:evil\r\nSUMMARY:injected"}
		if err := st.RecordOutcome(ctx, d, "me", o); err != nil {
			t.Fatal(err)
		}
	}
	entries, err := st.Entries(ctx, calendar.ViewFilter{WithBody: true})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "feed.ics")
	if err := WriteFile(ctx, st, path, calendar.ViewFilter{}, atomicfile.Shared); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(path)
	cal, err := ical.ParseCalendar(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	if got := len(cal.Events()); got != len(entries) {
		t.Fatalf("%d VEVENTs for %d deliveries:\n%s", got, len(entries), b)
	}
	if strings.Contains(string(b), "injected") {
		t.Fatalf("the reply's text reached the feed:\n%s", b)
	}
}
