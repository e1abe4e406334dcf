package sqlstore

import (
	"context"
	"fmt"
	"reflect"
	"testing"
	"time"

	calendar "github.com/crieur/crieur/calendar"
)

// A page of posts comes with each post's own deliveries' thread parts,
// variants, media and notes, in their order, read in one query for all
// kinds (loadPostExtras), never another post's.
func TestPostsPageChildren(t *testing.T) {
	for _, engine := range engines {
		t.Run(engine, func(t *testing.T) {
			ctx := context.Background()
			s := newEngineStore(t, engine, t0)
			addChannel(t, s, "a", "", false)
			addChannel(t, s, "b", "", false)
			at := t0.Add(time.Hour)
			type want struct {
				variants map[string]string
				media    []calendar.Media
				notes    []string
				parts    map[string][]string // channel → remote ids
			}
			wants := map[string]want{}
			for i := range 3 {
				slug := fmt.Sprintf("p%d", i)
				w := want{variants: map[string]string{}, media: []calendar.Media{}, parts: map[string][]string{}}
				if i != 1 { // p1 has none of them
					w.variants = map[string]string{"b": slug + " on b"}
					w.media = []calendar.Media{{Path: slug + "-2.png", Alt: "second"}, {Path: slug + "-1.png", Alt: "first"}}
					w.notes = []string{slug + " note 1", slug + " note 2"}
					w.parts = map[string][]string{"a": {slug + "-a0", slug + "-a1"}, "b": {slug + "-b0"}}
				}
				p := &calendar.Post{Slug: slug, Body: slug, Channels: []string{"a", "b"}, PublishAt: &at, Variants: w.variants, Media: w.media}
				if err := s.CreatePost(ctx, p); err != nil {
					t.Fatal(err)
				}
				for _, n := range w.notes {
					if _, err := s.AddNote(ctx, slug, n); err != nil {
						t.Fatal(err)
					}
				}
				got, err := s.Post(ctx, slug)
				if err != nil {
					t.Fatal(err)
				}
				for _, d := range got.Deliveries {
					// Recorded last part first: read back in order all the same.
					ids := w.parts[d.Channel]
					for k := len(ids) - 1; k >= 0; k-- {
						if err := s.RecordPart(ctx, d, "test", calendar.DeliveryPart{Index: k, RemoteID: ids[k]}); err != nil {
							t.Fatal(err)
						}
					}
				}
				wants[slug] = w
			}
			posts, err := s.Posts(ctx, calendar.PostFilter{Limit: 50})
			if err != nil {
				t.Fatal(err)
			}
			if len(posts) != 3 {
				t.Fatalf("%d posts, want 3", len(posts))
			}
			for _, p := range posts {
				w := wants[p.Slug]
				if !reflect.DeepEqual(p.Variants, w.variants) {
					t.Errorf("%s: variants %v, want %v", p.Slug, p.Variants, w.variants)
				}
				if !reflect.DeepEqual(p.Media, w.media) {
					t.Errorf("%s: media %v, want %v", p.Slug, p.Media, w.media)
				}
				var notes []string
				for _, n := range p.Notes {
					notes = append(notes, n.Text)
					if n.ID == 0 || n.At.IsZero() || n.Author == "" {
						t.Errorf("%s: note %+v without its id, time or author", p.Slug, n)
					}
				}
				if !reflect.DeepEqual(notes, w.notes) {
					t.Errorf("%s: notes %q, want %q", p.Slug, notes, w.notes)
				}
				if len(p.Deliveries) != 2 {
					t.Fatalf("%s: %d deliveries, want 2", p.Slug, len(p.Deliveries))
				}
				for _, d := range p.Deliveries {
					var ids []string
					for k, part := range d.Parts {
						if part.Index != k {
							t.Errorf("%s on %s: part %d has index %d", p.Slug, d.Channel, k, part.Index)
						}
						ids = append(ids, part.RemoteID)
					}
					if !reflect.DeepEqual(ids, w.parts[d.Channel]) {
						t.Errorf("%s on %s: parts %q, want %q", p.Slug, d.Channel, ids, w.parts[d.Channel])
					}
				}
			}
		})
	}
}
