package scheduler

import (
	"testing"
	"time"

	"github.com/crieur/crieur/calendar"
)

func TestRender(t *testing.T) {
	due := time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC)
	post := calendar.Post{
		Slug: "spring", Title: "Spring", Body: "See https://example.com/a?x=1 now.", Link: "https://example.com/l",
		Variants: map[string]string{"masto": "Toot https://example.com/m"},
		Thread:   []string{"More at https://example.com/t#frag"},
		Media:    []calendar.Media{{Path: "a.png", Alt: "A cat"}}, Tags: []string{"launch"},
	}
	masto := calendar.Channel{Name: "masto", Network: "mastodon"}
	blog := calendar.Channel{Name: "blog", Network: "ghost"}
	camp := &calendar.Campaign{Name: "spring-sale", UTM: map[string]string{"utm_medium": "social"}}
	d := calendar.Delivery{ID: 7, IdempotencyKey: "k7", DueAt: &due}
	tests := []struct {
		name     string
		ch       calendar.Channel
		campaign *calendar.Campaign
		wantText string
		wantLink string
		thread0  string
	}{
		{"variant, tagged", masto, camp, "Toot https://example.com/m?utm_campaign=spring-sale&utm_medium=social&utm_source=mastodon",
			"https://example.com/l?utm_campaign=spring-sale&utm_medium=social&utm_source=mastodon",
			"More at https://example.com/t?utm_campaign=spring-sale&utm_medium=social&utm_source=mastodon#frag"},
		{"body, campaign overrides", blog, &calendar.Campaign{Name: "c", UTM: map[string]string{"utm_campaign": "own", "utm_source": "newsletter"}},
			"See https://example.com/a?x=1&utm_campaign=own&utm_source=newsletter now.",
			"https://example.com/l?utm_campaign=own&utm_source=newsletter",
			"More at https://example.com/t?utm_campaign=own&utm_source=newsletter#frag"},
		{"no campaign, untouched", blog, nil, post.Body, post.Link, post.Thread[0]},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Render(post, tt.ch, d, tt.campaign)
			if got.Text != tt.wantText || got.Link != tt.wantLink || got.Thread[0] != tt.thread0 {
				t.Errorf("text %q\nlink %q\nthread %q", got.Text, got.Link, got.Thread[0])
			}
			if got.IdempotencyKey != "k7" || got.DeliveryID != 7 || !got.ScheduledAt.Equal(due) || got.Slug != "spring" {
				t.Errorf("identity: %+v", got)
			}
			if len(got.Media) != 1 || got.Media[0].Alt != "A cat" || got.Tags[0] != "launch" {
				t.Errorf("media/tags: %+v %v", got.Media, got.Tags)
			}
		})
	}
	if post.Thread[0] != "More at https://example.com/t#frag" {
		t.Error("Render changed the post's own thread")
	}
}
