package sqlstore

import (
	"context"

	calendar "github.com/crieur/crieur/calendar"
)

// ExportPosts reads the posts f selects, with their children, and the
// campaigns they belong to.
func (s *Store) ExportPosts(ctx context.Context, f calendar.PostFilter) (calendar.Export, error) {
	var out calendar.Export
	const page = 2000 // loadChildren binds one parameter per post
	f.Light = false
	for offset := 0; ; offset += page {
		f.Limit, f.Offset = page, offset
		posts, err := s.Posts(ctx, f)
		if err != nil {
			return out, err
		}
		out.Posts = append(out.Posts, posts...)
		if len(posts) < page {
			break
		}
	}
	used := map[string]bool{}
	for _, p := range out.Posts {
		used[p.Campaign] = true
	}
	all, err := s.Campaigns(ctx)
	if err != nil {
		return out, err
	}
	for _, c := range all {
		if used[c.Name] {
			out.Campaigns = append(out.Campaigns, c)
		}
	}
	return out, nil
}
