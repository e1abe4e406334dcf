package main

import (
	"context"

	"github.com/crieur/crieur/calendar"
	"github.com/crieur/crieur/publishers"
)

// publishingStore is the calendar as publishing reads it (the scheduler,
// the stats collector): its channels come without the secrets only `crieur
// channel login` uses (forPublishing), so that a Meta app's client secret
// given as env:VAR, set only in the shell that logged in, stops no channel
// where crieur publishes. The adapters still read every secret through the
// channel's credentials, from the calendar itself; nothing writes a channel
// back through this view.
type publishingStore struct{ calendar.Store }

func (s publishingStore) ChannelByID(ctx context.Context, id int64) (calendar.Channel, error) {
	c, err := s.Store.ChannelByID(ctx, id)
	return forPublishing(c), err
}

func (s publishingStore) ChannelsByID(ctx context.Context, ids []int64) ([]calendar.Channel, error) {
	cs, err := s.Store.ChannelsByID(ctx, ids)
	for i := range cs {
		cs[i] = forPublishing(cs[i])
	}
	return cs, err
}

// forPublishing is c as its publisher is built from: without the secrets
// its network uses at login only (publishers.Network.PublishingSecrets).
// c's own map is left as it is.
func forPublishing(c calendar.Channel) calendar.Channel {
	nw, err := publishers.Lookup(c.Network)
	if err != nil {
		return c
	}
	c.Secrets = nw.PublishingSecrets(c.Secrets)
	return c
}
