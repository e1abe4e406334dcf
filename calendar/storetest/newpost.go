package storetest

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/crieur/crieur/calendar"
)

// A new post's status and content follow one rule whichever way it comes
// (post new, $EDITOR, a load): given a time and no status it is scheduled
// (calendar.InitialStatus; in review where a channel requires approval),
// without a time a draft; a post with media and no text is a photo post,
// accepted; a post with neither text nor media is refused
// (calendar.CheckPost, calendar.ContentProblem).
func testNewPostStatus(t *testing.T, h Harness) {
	when := time.Date(2026, 3, 10, 9, 0, 0, 0, time.UTC)
	tests := []struct {
		name        string
		title, body string
		media       bool
		at          bool
		status      string
		channel     string
		want        string // the status read back; "" for refused
	}{
		{name: "timed-no-status", body: "text", at: true, channel: "plain", want: calendar.StatusScheduled},
		{name: "timed-no-status-gated", body: "text", at: true, channel: "gated", want: calendar.StatusReview},
		{name: "untimed-no-status", body: "text", channel: "plain", want: calendar.StatusDraft},
		{name: "timed-draft", body: "text", at: true, status: calendar.StatusDraft, channel: "plain", want: calendar.StatusDraft},
		{name: "title-only", title: "A title", at: true, channel: "plain", want: calendar.StatusScheduled},
		{name: "media-only", media: true, at: true, channel: "plain", want: calendar.StatusScheduled},
		{name: "media-only-draft", media: true, channel: "plain", want: calendar.StatusDraft},
		{name: "no-text-no-media", at: true, channel: "plain"},
		{name: "blank-text-no-media", title: "  ", body: " \n\t", channel: "plain"},
	}
	for _, tt := range tests {
		for _, way := range []string{"create", "load"} {
			t.Run(tt.name+"/"+way, func(t *testing.T) {
				e := newEnv(t, h)
				e.channel("plain", nil)
				e.channel("gated", func(c *calendar.Channel) { c.RequireApproval = true })
				dir := t.TempDir()
				pic := filepath.Join(dir, "pic.png")
				if err := os.WriteFile(pic, []byte("\x89PNG\r\n\x1a\n"), 0o600); err != nil {
					t.Fatal(err)
				}
				var err error
				switch way {
				case "create":
					p := calendar.Post{Slug: "p", Title: tt.title, Body: tt.body, Status: tt.status, Channels: []string{tt.channel}}
					if tt.at {
						p.PublishAt = at(when)
					}
					if tt.media {
						p.Media = []calendar.Media{{Path: pic, Alt: "a picture"}}
					}
					err = e.s.CreatePost(e.ctx, &p)
				case "load":
					it := calendar.LoadItem{File: "plan.csv", Line: 2, Row: 1, Slug: "p", Title: tt.title, Body: tt.body, Status: tt.status,
						Channels: []string{tt.channel}, BaseDir: dir}
					if tt.at {
						it.At = when.Format("2006-01-02 15:04")
					}
					if tt.media {
						it.Media = []calendar.Media{{Path: "pic.png", Alt: "a picture"}}
					}
					var res calendar.LoadResult
					res, err = e.s.Load(e.ctx, &calendar.LoadSet{Items: []calendar.LoadItem{it}}, loadOpts)
					if tt.want == "" && !hasProblem(res.Errors, "plan.csv", 2, "body") {
						t.Errorf("the load's errors %v name no body at plan.csv:2", res.Errors)
					}
				}
				if tt.want == "" {
					var ve *calendar.ValidationError
					if !errors.As(err, &ve) {
						t.Fatalf("%s of a post with no text and no media: error %v, want a validation error", way, err)
					}
					if way == "create" {
						wantInvalid(t, "CreatePost", err, "body")
					}
					_, err := e.s.Post(e.ctx, "p")
					wantErr(t, "Post of a refused "+way, err, calendar.ErrNotFound)
					return
				}
				wantErr(t, way, err, nil)
				p := e.get("p")
				if p.Status != tt.want {
					t.Errorf("%s: status %s, want %s", way, p.Status, tt.want)
				}
				if tt.at != (p.PublishAt != nil) || tt.at && !sameTime(p.PublishAt, &when) {
					t.Errorf("%s: time %s", way, timeText(p.PublishAt))
				}
				if tt.media && !reflect.DeepEqual(p.Media, []calendar.Media{{Path: pic, Alt: "a picture"}}) {
					t.Errorf("%s: media read back %+v", way, p.Media)
				}
				switch tt.want {
				case calendar.StatusScheduled:
					timedAt(when, true)(t, e, p)
				default:
					notRunnable(t, e, p)
				}
			})
		}
	}
}

func hasProblem(errs []calendar.FieldError, file string, line int, field string) bool {
	for _, p := range errs {
		if p.File == file && p.Line == line && p.Field == field {
			return true
		}
	}
	return false
}
