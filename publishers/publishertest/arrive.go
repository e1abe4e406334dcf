package publishertest

import (
	"context"
	"html"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode"

	"github.com/crieur/crieur/publishers"
)

// Arrived is one thing the fake network created for a post (a status, a
// message, an article, a record), as the network stores it.
type Arrived struct {
	// Text is the text as the network received it: plain text, Markdown or
	// HTML source (entities are decoded before comparing).
	Text string
	// Title is the title, where the network has titles.
	Title string
	// Link is the network's own link field (a link card, an embed), if any.
	Link string
	// Media are the attachments, each named by file name or URL, with alt text.
	Media []Media
	// Key is the idempotency key the request carried, if any.
	Key string
}

// Media is one attachment that arrived.
type Media struct {
	Name, Alt string
}

// checkArrival publishes the suite's post and checks what arrived: the
// text, the link with its UTM tags, the title where the network has titles,
// media with alt text where it carries alt text.
func checkArrival(t *testing.T, s Suite, newPub func(*testing.T, http.Handler, time.Duration) publishers.Publisher) {
	if s.Received == nil {
		t.Fatal("the suite has no Received: it cannot tell what arrived")
	}
	post := s.Post
	if !strings.Contains(post.Link, "utm_") {
		t.Fatalf("the suite's post must carry a UTM-tagged link, got %q", post.Link)
	}
	inner := s.Handler(t)
	h := &dropReply{next: inner, received: func() int { return len(s.Received(inner)) }, dropped: true}
	p := newPub(t, h, 5*time.Second)
	if _, err := p.Publish(context.Background(), post); err != nil {
		t.Fatalf("Publish: %v", err)
	}
	got := h.read(func() []Arrived { return s.Received(inner) })
	if len(got) == 0 {
		t.Fatal("nothing arrived")
	}
	var texts, links []string
	var media []Media
	for _, a := range got {
		texts = append(texts, html.UnescapeString(a.Text))
		links = append(links, a.Link)
		media = append(media, a.Media...)
	}
	all := strings.Join(texts, "\n")
	if want := letters(post.Text, 24); !strings.Contains(letters(markup.ReplaceAllString(all, ""), -1), want) {
		t.Errorf("the text did not arrive: want %q in %q", post.Text, all)
	}
	if !strings.Contains(all, post.Link) && !contains(links, post.Link) {
		t.Errorf("the tagged link %s did not arrive: texts %q, link fields %q", post.Link, texts, links)
	}
	if s.Titles && got[0].Title != post.Title {
		t.Errorf("title = %q, want %q", got[0].Title, post.Title)
	}
	if len(media) < len(post.Media) {
		t.Errorf("%d media arrived, want %d", len(media), len(post.Media))
	}
	if s.Alt {
		for _, m := range post.Media {
			found := false
			for _, a := range media {
				found = found || a.Alt == m.Alt
			}
			if !found {
				t.Errorf("alt text %q did not arrive (media: %+v)", m.Alt, media)
			}
		}
	}
}

// markup matches HTML tags (and Slack's <url|text> links).
var markup = regexp.MustCompile(`<[^>]*>`)

// letters keeps the letters and digits of s, at most n of them (n < 0: all):
// what survives any network's escaping and markup.
func letters(s string, n int) string {
	var b strings.Builder
	for _, r := range s {
		if n >= 0 && b.Len() >= n {
			break
		}
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			b.WriteRune(r)
		}
	}
	return b.String()
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// dropReply serves next one request at a time, but the first time a request
// creates something (Received grows) it closes the connection instead of
// answering: the post is made, the reply is lost. Set dropped to answer
// every request. What the fake received is read under the same lock (read).
type dropReply struct {
	next     http.Handler
	received func() int
	mu       sync.Mutex
	dropped  bool
}

func (d *dropReply) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	d.mu.Lock()
	defer d.mu.Unlock()
	before := d.received()
	rec := httptest.NewRecorder()
	d.next.ServeHTTP(rec, r)
	if !d.dropped && d.received() > before {
		d.dropped = true
		if conn, _, err := http.NewResponseController(w).Hijack(); err == nil {
			_ = conn.Close()
			return
		}
	}
	for k, v := range rec.Header() {
		w.Header()[k] = v
	}
	w.WriteHeader(rec.Code)
	_, _ = w.Write(rec.Body.Bytes())
}

// checkUncertain drives, for each fake (one that honours idempotency keys
// as the network does, one that ignores them), an attempt whose reply is
// lost after the post was made, then what the scheduler does next: hold
// for a person, or look the post up (Finder), or retry with the same key.
// Whatever the adapter declares, nothing may arrive twice.
func checkUncertain(t *testing.T, s Suite, nw publishers.Network, newPub func(*testing.T, http.Handler, time.Duration) publishers.Publisher) {
	if s.Received == nil {
		t.Fatal("the suite has no Received: it cannot tell what arrived")
	}
	for _, ignore := range []bool{false, true} {
		name := "keys-honoured"
		if ignore {
			name = "keys-ignored"
		}
		t.Run(name, func(t *testing.T) {
			inner := s.Handler(t)
			if ignore && s.IgnoreKeys != nil {
				s.IgnoreKeys(inner)
			}
			count := func() int { return len(s.Received(inner)) }
			h := &dropReply{next: inner, received: count}
			received := func() []Arrived { return h.read(func() []Arrived { return s.Received(inner) }) }
			post := s.Post

			_, err := newPub(t, h, 5*time.Second).Publish(context.Background(), post)
			first := received()
			if len(first) == 0 || !h.wasDropped() {
				t.Fatal("no reply was dropped after a post was made: the fake's Received does not see it")
			}
			if err == nil {
				// The adapter looked the post up itself (e.g. by its record key).
				checkOnce(t, received())
				return
			}
			if class, _ := publishers.Classify(err); class != publishers.Transient {
				t.Errorf("a lost reply is %v, want transient (error: %v)", class, err)
			}

			// What the scheduler does next, as it decides: a fresh publisher
			// for the next attempt, as each attempt builds one.
			p := newPub(t, h, 5*time.Second)
			finder, unsafe := nw.RetryGuard(p)
			switch {
			case unsafe && publishers.MayHaveReached(err):
				t.Logf("held for a person (%s)", nw.Safety)
			case finder != nil:
				// A lookup may find a thread cut short: it reports the live
				// parts, which the scheduler records, and the retry resumes
				// after them.
				var live []publishers.PartResult
				look := post
				look.OnPart = func(r publishers.PartResult) error { live = append(live, r); return nil }
				res, found, ferr := finder.Find(context.Background(), look)
				switch {
				case ferr != nil:
					t.Logf("the lookup failed: the delivery waits (%v)", ferr)
				case found:
					if res.RemoteID == "" {
						t.Errorf("Find found the post but returned no remote id")
					}
				case len(live) > 0:
					retry := post
					retry.Live = live
					if _, rerr := p.Publish(context.Background(), retry); rerr != nil {
						t.Errorf("resuming the thread after the %d live parts Find reported: %v", len(live), rerr)
					}
				default:
					t.Errorf("Find did not find the post the lost reply made: the scheduler would post it again")
				}
			default:
				_, rerr := p.Publish(context.Background(), post)
				if ignore && s.KeyContract != "" && s.IgnoreKeys == nil {
					t.Fatal("a suite with KeyContract needs IgnoreKeys")
				}
				if ignore && s.KeyContract != "" {
					got := received()
					if len(got) < 2 || got[len(got)-1].Key == "" || got[len(got)-1].Key != first[0].Key {
						t.Errorf("the retry did not carry the first attempt's key: %+v", got)
					}
					t.Logf("retried with the same key (%v); %s", rerr, s.KeyContract)
					return
				}
				if rerr != nil {
					t.Logf("the retry failed: %v", rerr)
				}
			}
			checkOnce(t, received())
		})
	}
}

// checkOnce fails the test for anything that arrived twice.
func checkOnce(t *testing.T, got []Arrived) {
	t.Helper()
	seen := map[string]bool{}
	for _, a := range got {
		k := a.Title + "\x00" + a.Text + "\x00" + a.Link
		for _, m := range a.Media {
			k += "\x00" + m.Name
		}
		if seen[k] {
			t.Errorf("posted twice: %+v", a)
		}
		seen[k] = true
	}
}

// read calls f while no request is being served.
func (d *dropReply) read(f func() []Arrived) []Arrived {
	d.mu.Lock()
	defer d.mu.Unlock()
	return f()
}

func (d *dropReply) wasDropped() bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.dropped
}
