package main

// The fake X of the end-to-end tests (API v2, https://docs.x.com/x-api/).

import (
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/crieur/crieur/calendar"
	"github.com/crieur/crieur/publishers/publishertest"
)

const xToken = "x-Sup3rSecret-user-access-token"

// xCase is X in the table of networks: a channel pointing at the fake by
// its api setting, a thread over 280, an image with alt text.
func xCase() netCase {
	problem := func(status int, title, detail string) string {
		return `{"title":"` + title + `","detail":"` + detail + `","type":"about:blank","status":` + strconv.Itoa(status) + `}`
	}
	return netCase{
		network:  "x",
		settings: func(base, _ string) []string { return []string{"api=" + base} },
		secrets:  func(string) map[string]string { return map[string]string{"access_token": xToken} },
		media:    mediaFile, limit: 280, serve: serveX, check: checkX,
		faults: &faultSet{
			on:          is("POST", "/2/tweets"),
			auth:        fault{status: 401, body: problem(401, "Unauthorized", "Unauthorized")},
			transient:   fault{status: 503, body: problem(503, "Service Unavailable", "Service Unavailable")},
			limited:     fault{status: 429, header: resetIn("x-rate-limit-reset", 90*time.Second, unixReset), body: problem(429, "Too Many Requests", "Too Many Requests")},
			wait:        90 * time.Second,
			invalid:     fault{status: 400, body: `{"errors":[{"message":"Your Tweet text is too long."}],"title":"Invalid Request","detail":"One or more parameters to your request was invalid.","type":"https://api.twitter.com/2/problems/invalid-request"}`},
			invalidText: "One or more parameters to your request was invalid.",
		},
	}
}

func serveX(f *fakeNet, w http.ResponseWriter, r *http.Request, body []byte) {
	if got := r.Header.Get("Authorization"); got != "Bearer "+xToken {
		f.t.Errorf("%s %s: Authorization %q", r.Method, r.URL.Path, got)
		publishertest.WriteJSON(w, 401, map[string]any{"title": "Unauthorized", "status": 401})
		return
	}
	switch {
	case r.Method == "POST" && r.URL.Path == "/2/media/upload/initialize":
		publishertest.WriteJSON(w, 200, map[string]any{"data": map[string]any{"id": "1880028106020515840", "media_key": "3_1880028106020515840", "expires_after_secs": 86400}})
	case r.Method == "POST" && r.URL.Path == "/2/media/upload/1880028106020515840/append":
		publishertest.WriteJSON(w, 200, map[string]any{"data": map[string]any{"expires_at": time.Now().Add(24 * time.Hour).Unix()}})
	case r.Method == "POST" && r.URL.Path == "/2/media/upload/1880028106020515840/finalize":
		// A small image needs no processing: no processing_info.
		publishertest.WriteJSON(w, 200, map[string]any{"data": map[string]any{"id": "1880028106020515840", "size": 69}})
	case r.Method == "POST" && r.URL.Path == "/2/media/metadata":
		publishertest.WriteJSON(w, 200, map[string]any{"data": map[string]any{"id": "1880028106020515840"}})
	case r.Method == "GET" && r.URL.Path == "/2/users/me":
		publishertest.WriteJSON(w, 200, map[string]any{"data": map[string]string{"id": "42", "username": "acme", "name": "Acme"}})
	case r.Method == "GET" && r.URL.Path == "/2/users/42/tweets":
		// Before a retry the adapter looks for the earlier attempt's post.
		// A fault answers instead of this fake, so no attempt made one.
		publishertest.WriteJSON(w, 200, map[string]any{"meta": map[string]int{"result_count": 0}})
	case r.Method == "POST" && r.URL.Path == "/2/tweets":
		id := strconv.Itoa(100 + f.next())
		var in struct{ Text string }
		_ = json.Unmarshal(body, &in)
		publishertest.WriteJSON(w, 201, map[string]any{"data": map[string]string{"id": id, "text": in.Text}})
	default:
		unexpected(f, w, r)
	}
}

func checkX(t *testing.T, f *fakeNet, got published) {
	w := got.want
	inits := f.calls("POST", "/2/media/upload/initialize")
	if len(inits) != 1 {
		t.Fatalf("%d uploads initialized, want 1", len(inits))
	}
	var init struct {
		MediaType     string `json:"media_type"`
		TotalBytes    int    `json:"total_bytes"`
		MediaCategory string `json:"media_category"`
	}
	decodeJSON(t, inits[0], &init)
	if init.MediaType != "image/png" || init.TotalBytes != len(w.image) || init.MediaCategory != "tweet_image" {
		t.Errorf("initialize %+v, want the PNG's type, size and tweet_image", init)
	}
	appends := f.calls("POST", "/2/media/upload/1880028106020515840/append")
	if len(appends) != 1 {
		t.Fatalf("%d appends, want 1", len(appends))
	}
	form := readForm(t, appends[0])
	if form.Fields["segment_index"] != "0" || form.Files["media"] != string(w.image) {
		t.Errorf("append: segment_index %q, %d bytes: want segment 0 with the PNG", form.Fields["segment_index"], len(form.Files["media"]))
	}
	if n := len(f.calls("POST", "/2/media/upload/1880028106020515840/finalize")); n != 1 {
		t.Errorf("%d finalize calls, want 1", n)
	}
	metas := f.calls("POST", "/2/media/metadata")
	var meta struct {
		ID       string `json:"id"`
		Metadata struct {
			AltText struct{ Text string } `json:"alt_text"`
		} `json:"metadata"`
	}
	if len(metas) == 1 {
		decodeJSON(t, metas[0], &meta)
	}
	if len(metas) != 1 || meta.ID != "1880028106020515840" || meta.Metadata.AltText.Text != e2eAlt {
		t.Errorf("%d metadata calls (%+v), want the alt text set once", len(metas), meta)
	}
	var parts []string
	for i, r := range f.calls("POST", "/2/tweets") {
		var tw struct {
			Text  string `json:"text"`
			Reply *struct {
				InReplyToTweetID string `json:"in_reply_to_tweet_id"`
			} `json:"reply"`
			Media *struct {
				MediaIDs []string `json:"media_ids"`
			} `json:"media"`
		}
		decodeJSON(t, r, &tw)
		parts = append(parts, tw.Text)
		reply := ""
		if tw.Reply != nil {
			reply = tw.Reply.InReplyToTweetID
		}
		if want := map[bool]string{true: "", false: strconv.Itoa(100 + i)}[i == 0]; reply != want {
			t.Errorf("post %d replies to %q, want %q", i, reply, want)
		}
		if (i == 0) != (tw.Media != nil && slices.Equal(tw.Media.MediaIDs, []string{"1880028106020515840"})) {
			t.Errorf("post %d: media %+v, want the image on the first post only", i, tw.Media)
		}
		if strings.Contains(tw.Text, "https://") && !strings.Contains(tw.Text, "utm_source=x") && i == 0 {
			t.Errorf("post %d: link not tagged for x: %q", i, tw.Text)
		}
	}
	checkThread(t, parts, w)
	if got.remoteID != "101" || got.remoteURL != "https://x.com/i/status/101" {
		t.Errorf("remote %q %q, want the first post", got.remoteID, got.remoteURL)
	}
}

// X refuses the post as a duplicate of one the account made, and the
// account's recent posts do not hold it: crieur cannot tell whether it is
// out, so the delivery is held for a person, never marked published nor
// posted again by itself.
func TestXDuplicateIsHeld(t *testing.T) {
	env := newE2E(t, xCase())
	env.addPost(false)
	env.fake.setFault(fault{on: is("POST", "/2/tweets"), status: 403,
		body: `{"detail":"You are not allowed to create a Tweet with duplicate content.","type":"about:blank","title":"Forbidden","status":403}`})
	rep, code := env.publish(nil)
	if code != exitRuntime || rep.Held != 1 || rep.Results[0].Outcome != calendar.OutcomeHeld {
		t.Fatalf("exit %d, report %+v: want held for a person (exit 1)", code, rep)
	}
	d := env.delivery()
	if d.Status != calendar.DeliveryHeld || !strings.Contains(d.LastError, "duplicate") || !strings.Contains(d.LastError, "crieur post retry") {
		t.Errorf("delivery %+v: want held, saying X refused a duplicate and what to do", d)
	}
	if n := len(env.fake.calls("GET", "/2/users/42/tweets")); n != 1 {
		t.Errorf("the account's posts were read %d times, want once before holding", n)
	}
	later := time.Now().Add(time.Hour)
	if rep, _ := env.publish(&later); len(rep.Results) != 0 {
		t.Errorf("a held delivery was retried without a person: %+v", rep)
	}
}

// A 403 about one post (a reply the conversation does not allow) fails that
// delivery in X's words and leaves the channel running; a 403 about the app
// (not in a Project) pauses the channel, saying what to do.
func TestXForbiddenPostOrAccount(t *testing.T) {
	for _, c := range []struct {
		name, body, words string
		paused            bool
	}{
		{"reply restricted", `{"detail":"Reply to this conversation is not allowed because you have not been mentioned or otherwise engaged by the author of the post you are replying to.","type":"about:blank","title":"Forbidden","status":403}`,
			"Reply to this conversation is not allowed", false},
		{"app not in a project", `{"detail":"Requests to the v2 endpoints need keys from an App attached to a Project.","reason":"client-not-enrolled","title":"Client Forbidden","type":"https://api.twitter.com/2/problems/client-forbidden","status":403}`,
			"attach the channel's app", true},
	} {
		t.Run(c.name, func(t *testing.T) {
			env := newE2E(t, xCase())
			env.addPost(false)
			env.fake.setFault(fault{on: is("POST", "/2/tweets"), status: 403, body: c.body})
			rep, code := env.publish(nil)
			var ch calendar.Channel
			env.cliJSON(&ch, "channel", "show", env.channel)
			d := env.delivery()
			if !strings.Contains(d.LastError, c.words) {
				t.Errorf("delivery error %q lacks %q", d.LastError, c.words)
			}
			if c.paused {
				if code != exitRuntime || rep.Paused != 1 || !ch.Paused || !strings.Contains(ch.PauseReason, "`crieur channel login "+env.channel+"`") {
					t.Errorf("exit %d, report %+v, channel paused=%v %q: want paused, saying to log in again", code, rep, ch.Paused, ch.PauseReason)
				}
				return
			}
			if code != exitRuntime || rep.Failed != 1 || rep.Results[0].Outcome != calendar.OutcomeFailed || d.Status != calendar.DeliveryFailed {
				t.Errorf("exit %d, report %+v, delivery %s: want this delivery failed", code, rep, d.Status)
			}
			if ch.Paused {
				t.Errorf("the channel was paused for one post's refusal: %q", ch.PauseReason)
			}
		})
	}
}
