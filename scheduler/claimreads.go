package scheduler

import (
	"context"
	"strconv"

	"github.com/crieur/crieur/calendar"
	"github.com/crieur/crieur/publishers"
)

// claimReads is what a claim's calls read before they start (their posts,
// channels and campaigns), read once for the whole claim right after it: a
// post going out on four channels is read once, not four times, in a few
// queries. A call whose part is missing reads it itself, as it would
// without (a nil *claimReads reads everything at the call).
type claimReads struct {
	posts     map[int64]calendar.Post
	channels  map[int64]calendar.Channel
	campaigns map[string]calendar.Campaign
}

// readClaimed reads what ds's calls need. When the reads fail, nil: each
// call reads for itself, and a failure there is the call's outcome (a
// retry), as before.
func (s *Scheduler) readClaimed(ctx context.Context, ds []calendar.Delivery) *claimReads {
	if len(ds) < 2 {
		return nil // one call reads as much on its own
	}
	var postIDs, channelIDs []int64
	seenP, seenC := map[int64]bool{}, map[int64]bool{}
	for _, d := range ds {
		if !seenP[d.PostID] {
			seenP[d.PostID] = true
			postIDs = append(postIDs, d.PostID)
		}
		if !seenC[d.ChannelID] {
			seenC[d.ChannelID] = true
			channelIDs = append(channelIDs, d.ChannelID)
		}
	}
	posts, err := s.st.PostsByID(ctx, postIDs)
	if err != nil {
		return nil
	}
	chans, err := s.st.ChannelsByID(ctx, channelIDs)
	if err != nil {
		return nil
	}
	r := &claimReads{posts: map[int64]calendar.Post{}, channels: map[int64]calendar.Channel{}, campaigns: map[string]calendar.Campaign{}}
	for _, p := range posts {
		r.posts[p.ID] = p
		if p.Campaign != "" {
			if _, ok := r.campaigns[p.Campaign]; !ok {
				c, err := s.st.Campaign(ctx, p.Campaign)
				if err != nil {
					return nil
				}
				r.campaigns[p.Campaign] = c
			}
		}
	}
	for _, c := range chans {
		r.channels[c.ID] = c
	}
	return r
}

// channel is the delivery's channel, as read for the claim or now.
func (r *claimReads) channel(ctx context.Context, st calendar.Deliveries, id int64) (calendar.Channel, error) {
	if r != nil {
		if c, ok := r.channels[id]; ok {
			return c, nil
		}
	}
	return st.ChannelByID(ctx, id)
}

// post is the delivery's post and its campaign (nil without one), as read
// for the claim or now.
func (r *claimReads) post(ctx context.Context, st calendar.Deliveries, id int64) (calendar.Post, *calendar.Campaign, error) {
	p, ok := calendar.Post{}, false
	if r != nil {
		p, ok = r.posts[id]
	}
	if !ok {
		var err error
		if p, err = st.Post(ctx, strconv.FormatInt(id, 10)); err != nil {
			return p, nil, err
		}
	}
	if p.Campaign == "" {
		return p, nil, nil
	}
	if r != nil {
		if c, ok := r.campaigns[p.Campaign]; ok {
			return p, &c, nil
		}
	}
	c, err := st.Campaign(ctx, p.Campaign)
	if err != nil {
		return p, nil, err
	}
	return p, &c, nil
}

// liveParts are the thread parts already live for d, as read for the claim
// (with its post's deliveries) or now.
func (r *claimReads) liveParts(ctx context.Context, s *Scheduler, d calendar.Delivery) ([]publishers.PartResult, error) {
	if r != nil {
		if p, ok := r.posts[d.PostID]; ok {
			for _, pd := range p.Deliveries {
				if pd.ID == d.ID {
					return partResults(pd.Parts), nil
				}
			}
		}
	}
	return s.liveParts(ctx, d)
}
