package scheduler

import (
	"context"
	"encoding/json"
	"fmt"
	"html"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/crieur/crieur/calendar"
	"github.com/crieur/crieur/calendar/sqlstore"

	_ "github.com/crieur/crieur/publishers/mastodon"
)

// the real adapter, registered as "mastodon"

// The Mastodon crash test: as TestCrash, but through the real Mastodon
// adapter, against a local server that speaks enough of the Mastodon API
// and IGNORES Idempotency-Key (as GoToSocial does): every POST creates a
// status. Creating one takes 0-400 ms, so kills land mid-call, before and
// after the status exists; every fourth post is a thread of two statuses,
// so kills land between parts too. Recovery can only rely on the adapter's
// lookup among the account's statuses: a status must never be posted twice,
// no delivery lost, and no thread left without its second part.
func TestCrashMastodonIgnoringKeys(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns processes")
	}
	posts, kills, window := 20, 6, 3*time.Second
	if os.Getenv("CRIEUR_CRASH_TEST") == "long" {
		posts, kills, window = 200, 40, 20*time.Second
	}
	ctx := context.Background()
	dir := t.TempDir()
	dbPath := filepath.Join(dir, "crieur.db")
	st, err := sqlstore.Open(ctx, dbPath, sqlstore.Options{Create: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	const token = "crash-token"
	srv := newMastoServer(t, token, 400*time.Millisecond)
	ch := calendar.Channel{Name: "toot", Network: "mastodon",
		Settings: map[string]string{"instance": srv.srv.URL},
		Secrets:  map[string]string{"token": "env:CRIEUR_CRASH_MASTODON_TOKEN"}}
	if err := st.AddChannel(ctx, &ch); err != nil {
		t.Fatal(err)
	}
	start := time.Now().Add(500 * time.Millisecond)
	for i := range posts {
		at := start.Add(time.Duration(i) * window / time.Duration(posts))
		p := calendar.Post{Slug: fmt.Sprintf("p%04d", i), Body: fmt.Sprintf("Note %d of the crash test: café & <tags> stay text.", i),
			Channels: []string{"toot"}, Status: calendar.StatusScheduled, PublishAt: &at}
		if i%3 == 0 {
			p.Link = fmt.Sprintf("https://acme.example/notes/%d", i)
		}
		if i%4 == 1 { // a thread of two statuses, the second replying to the first
			p.Thread = []string{fmt.Sprintf("Part 2 of note %d.", i)}
		}
		if err := st.CreatePost(ctx, &p); err != nil {
			t.Fatal(err)
		}
	}
	open := func() int {
		sum, err := st.DeliverySummary(ctx, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		return sum.Counts[calendar.DeliveryPending] + sum.Counts[calendar.DeliveryPublishing]
	}
	runs, killed := 0, 0
	deadline := time.Now().Add(window + 3*time.Minute)
	// Daemons killed at random until every delivery is settled or the kills
	// are spent; then one last run, which ends gracefully (see below).
	for last := false; !last; {
		if time.Now().After(deadline) {
			t.Fatalf("not settled after %d runs: %d deliveries still open", runs, open())
		}
		last = killed >= kills || open() == 0
		cmd := exec.Command(os.Args[0], "-test.run=^TestCrashMastodonChild$", "-test.v=false")
		cmd.Env = append(os.Environ(), "CRIEUR_CRASH_MASTODON_CHILD="+dbPath, "CRIEUR_CRASH_MASTODON_TOKEN="+token)
		logf, _ := os.OpenFile(filepath.Join(dir, "child.log"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
		cmd.Stdout, cmd.Stderr = logf, logf
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		runs++
		exited := make(chan error, 1)
		go func() { exited <- cmd.Wait() }()
		if !last {
			select {
			case <-time.After(time.Duration(200+rand.IntN(800)) * time.Millisecond):
				_ = cmd.Process.Signal(syscall.SIGKILL)
				killed++
				<-exited
			case err := <-exited:
				t.Logf("child exited early: %v", err)
			}
		} else {
			// The last run: let it settle everything, keep it running for a
			// quiet period (a late second post would show), then stop it.
			for open() > 0 && time.Now().Before(deadline) {
				time.Sleep(50 * time.Millisecond)
			}
			time.Sleep(time.Second)
			_ = cmd.Process.Signal(syscall.SIGTERM)
			if err := <-exited; err != nil {
				t.Errorf("daemon stopped by SIGTERM exited with %v", err)
			}
		}
		logf.Close()
	}
	// Calls of killed daemons may still be creating statuses: wait them out.
	time.Sleep(time.Second)

	all, err := st.Posts(ctx, calendar.PostFilter{})
	if err != nil {
		t.Fatal(err)
	}
	bySlug := map[string]calendar.Delivery{}
	expired, found := 0, 0 // leases the kills left, and posts recovered by the lookup
	for _, p := range all {
		if len(p.Deliveries) != 1 {
			t.Fatalf("%s has %d deliveries, want 1", p.Slug, len(p.Deliveries))
		}
		bySlug[p.Slug] = p.Deliveries[0]
		evs, err := st.PostHistory(ctx, p.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, ev := range evs {
			switch {
			case ev.Kind == "delivery.lease_expired":
				expired++
			case ev.Kind == "delivery.published" && ev.Detail["found_by_lookup"] == true:
				found++
			}
		}
	}
	// Each status on the server belongs to exactly one delivery (its note
	// number), and no text went out twice.
	onServer := map[string][]mastoStatus{} // slug → statuses
	texts := map[string]int{}
	note := regexp.MustCompile(`^(?:Note|Part 2 of note) (\d+)\b`)
	statuses := srv.all()
	for _, s := range statuses {
		texts[s.Text]++
		m := note.FindStringSubmatch(s.Text)
		if m == nil {
			t.Errorf("status %s is no delivery's: %q", s.ID, s.Text)
			continue
		}
		n, _ := strconv.Atoi(m[1])
		slug := fmt.Sprintf("p%04d", n)
		if _, ok := bySlug[slug]; !ok {
			t.Errorf("status %s is no delivery's: %q", s.ID, s.Text)
			continue
		}
		onServer[slug] = append(onServer[slug], s)
	}
	dup := 0
	for text, n := range texts {
		if n > 1 {
			dup += n - 1
			t.Errorf("posted %d times: %q", n, text)
		}
	}
	var published, held, heldReached int
	for slug, d := range bySlug {
		got := onServer[slug] // in order of creation: the head first
		want := 1
		if n, _ := strconv.Atoi(slug[1:]); n%4 == 1 {
			want = 2
		}
		if len(got) > want {
			t.Errorf("%s: %d statuses on the server, want %d", slug, len(got), want)
		}
		switch d.Status {
		case calendar.DeliveryPublished:
			published++
			if d.RemoteID == "" {
				t.Errorf("%s published without the server's status id", slug)
			} else if len(got) == 0 || got[0].ID != d.RemoteID {
				t.Errorf("%s recorded published as status %q, the server has %v", slug, d.RemoteID, got)
			} else if len(got) != want || (want == 2 && got[1].InReplyTo != got[0].ID) {
				t.Errorf("%s recorded published, but the server has its thread as %v", slug, got)
			}
		case calendar.DeliveryHeld:
			held++
			if len(got) > 0 {
				heldReached++
			}
			t.Logf("%s held: %s", slug, d.LastError)
		default:
			t.Errorf("%s ended %s (%s)", slug, d.Status, d.LastError)
		}
	}
	lost := posts - published - held
	if held > killed {
		t.Errorf("%d deliveries held after %d kills: the lookup should settle most of them", held, killed)
	}
	msg := fmt.Sprintf("mastodon crash test (server ignores Idempotency-Key, 0-400 ms per status): %d deliveries, %d runs, %d SIGKILLs (%d leases expired mid-call: %d found published by the lookup, %d calls left before the status existed): %d published, %d held (%d of them had reached the server), %d duplicates, %d lost",
		posts, runs, killed, expired, found, srv.abandonedCalls(), published, held, heldReached, dup, lost)
	t.Log(msg)
	fmt.Println(msg)
	if b, err := os.ReadFile(filepath.Join(dir, "child.log")); err == nil && t.Failed() {
		t.Logf("child log:\n%s", b)
	}
}

// TestCrashMastodonChild is the daemon TestCrashMastodonIgnoringKeys starts
// and kills: the registry's networks, the real Mastodon adapter. It does
// nothing unless CRIEUR_CRASH_MASTODON_CHILD names a database.
func TestCrashMastodonChild(t *testing.T) {
	path := os.Getenv("CRIEUR_CRASH_MASTODON_CHILD")
	if path == "" {
		t.Skip("run by TestCrashMastodonIgnoringKeys")
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM)
	defer stop()
	st, err := sqlstore.Open(ctx, path, sqlstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	s := New(st, Options{
		Owner:         "child-" + strconv.Itoa(os.Getpid()),
		Concurrency:   4,
		Lease:         1500 * time.Millisecond,
		CallTimeout:   3 * time.Second,
		Backoff:       Backoff{Base: 200 * time.Millisecond, Cap: time.Second},
		Poll:          50 * time.Millisecond,
		Log:           slog.New(slog.NewTextHandler(os.Stderr, nil)),
		RecoverSpec:   "@every 1s",
		HeartbeatSpec: "@every 1s",
	})
	if err := s.Run(ctx); err != nil {
		t.Fatal(err)
	}
}

// mastoServer speaks enough of the Mastodon API for the adapter, as a
// server that ignores Idempotency-Key: instance, verify_credentials, status
// creation (slow: 0 to latency, the status created at a random moment of
// it) and the account's statuses, newest first, paged by max_id, their
// content rendered as HTML as Mastodon does.
type mastoServer struct {
	token   string
	latency time.Duration

	mu       sync.Mutex
	seq      int
	statuses []mastoStatus // oldest first
	// abandoned counts status creations the client left before they happened.
	abandoned int
	srv       *httptest.Server
}

type mastoStatus struct {
	ID, Text, InReplyTo string
	Created             time.Time
}

func newMastoServer(t testing.TB, token string, latency time.Duration) *mastoServer {
	m := &mastoServer{token: token, latency: latency, seq: 109000000000000000}
	m.srv = httptest.NewServer(http.HandlerFunc(m.serve))
	t.Cleanup(m.srv.Close)
	return m
}

func (m *mastoServer) abandonedCalls() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.abandoned
}

func (m *mastoServer) all() []mastoStatus {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]mastoStatus(nil), m.statuses...)
}

const mastoAccount = "42"

func (m *mastoServer) serve(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	if r.Header.Get("Authorization") != "Bearer "+m.token {
		w.WriteHeader(http.StatusUnauthorized)
		fmt.Fprint(w, `{"error":"The access token is invalid"}`)
		return
	}
	switch {
	case r.Method == http.MethodGet && (r.URL.Path == "/api/v2/instance" || r.URL.Path == "/api/v1/instance"):
		fmt.Fprint(w, `{"version":"0.18.3+git-crash (gotosocial)","configuration":{"statuses":{"max_characters":5000,"characters_reserved_per_url":25,"max_media_attachments":6},"media_attachments":{"description_limit":1500}}}`)
	case r.Method == http.MethodGet && r.URL.Path == "/api/v1/accounts/verify_credentials":
		fmt.Fprintf(w, `{"id":%q,"acct":"crieur","username":"crieur"}`, mastoAccount)
	case r.Method == http.MethodPost && r.URL.Path == "/api/v1/statuses":
		var req struct {
			Status      string `json:"status"`
			InReplyToID string `json:"in_reply_to_id"`
		}
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil || strings.TrimSpace(req.Status) == "" {
			w.WriteHeader(http.StatusUnprocessableEntity)
			fmt.Fprint(w, `{"error":"Validation failed: Text can't be blank"}`)
			return
		}
		// Idempotency-Key is ignored: every request creates a status. A
		// client gone before the status is created (a kill early in the
		// call) leaves none; after, the status stays, the reply is lost.
		total := time.Duration(rand.Int64N(int64(m.latency) + 1))
		before := time.Duration(rand.Int64N(int64(total) + 1))
		select {
		case <-time.After(before):
		case <-r.Context().Done():
			m.mu.Lock()
			m.abandoned++
			m.mu.Unlock()
			return
		}
		m.mu.Lock()
		m.seq++
		s := mastoStatus{ID: strconv.Itoa(m.seq), Text: req.Status, InReplyTo: req.InReplyToID, Created: time.Now().UTC()}
		m.statuses = append(m.statuses, s)
		m.mu.Unlock()
		time.Sleep(total - before)
		_ = json.NewEncoder(w).Encode(m.entity(s))
	case r.Method == http.MethodGet && r.URL.Path == "/api/v1/accounts/"+mastoAccount+"/statuses":
		limit, _ := strconv.Atoi(r.URL.Query().Get("limit"))
		if limit <= 0 || limit > 40 {
			limit = 20
		}
		maxID, _ := strconv.Atoi(r.URL.Query().Get("max_id"))
		out := []map[string]any{}
		m.mu.Lock()
		for i := len(m.statuses) - 1; i >= 0 && len(out) < limit; i-- {
			s := m.statuses[i]
			if id, _ := strconv.Atoi(s.ID); maxID > 0 && id >= maxID {
				continue
			}
			out = append(out, m.entity(s))
		}
		m.mu.Unlock()
		_ = json.NewEncoder(w).Encode(out)
	default:
		w.WriteHeader(http.StatusNotFound)
		fmt.Fprint(w, `{"error":"Record not found"}`)
	}
}

var mastoURL = regexp.MustCompile(`https?://\S+`)

// entity is the Status entity of s, its content HTML as Mastodon renders it:
// a paragraph, line breaks as <br />, links with their scheme and tail in
// invisible spans.
func (m *mastoServer) entity(s mastoStatus) map[string]any {
	var b strings.Builder
	b.WriteString("<p>")
	text := s.Text
	for len(text) > 0 {
		loc := mastoURL.FindStringIndex(text)
		if loc == nil {
			b.WriteString(html.EscapeString(text))
			break
		}
		b.WriteString(html.EscapeString(text[:loc[0]]))
		u := text[loc[0]:loc[1]]
		scheme, rest, _ := strings.Cut(u, "://")
		shown, tail := rest, ""
		if len(rest) > 30 {
			shown, tail = rest[:30], rest[30:]
		}
		fmt.Fprintf(&b, `<a href="%s" rel="nofollow noopener" target="_blank"><span class="invisible">%s://</span><span class="ellipsis">%s</span><span class="invisible">%s</span></a>`,
			html.EscapeString(u), scheme, html.EscapeString(shown), html.EscapeString(tail))
		text = text[loc[1]:]
	}
	b.WriteString("</p>")
	content := strings.ReplaceAll(b.String(), "\n", "<br />")
	var reply any
	if s.InReplyTo != "" {
		reply = s.InReplyTo
	}
	return map[string]any{
		"id": s.ID, "created_at": s.Created.Format("2006-01-02T15:04:05.000Z"),
		"url": m.srv.URL + "/@crieur/" + s.ID, "uri": m.srv.URL + "/users/crieur/statuses/" + s.ID,
		"content": content, "in_reply_to_id": reply, "media_attachments": []any{},
		"account": map[string]any{"id": mastoAccount, "acct": "crieur"},
	}
}
