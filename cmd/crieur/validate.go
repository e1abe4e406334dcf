package main

import (
	"fmt"

	"github.com/crieur/crieur/calendar"
	"github.com/crieur/crieur/publishers"
	"github.com/crieur/crieur/scheduler"
)

// validator gives a channel's network rules for validation and preview,
// which never call the network and need none of the channel's secrets: a CI
// job without the tokens checks posts just the same.
func validator(ch calendar.Channel) (publishers.OfflineCheck, error) {
	nw, err := publishers.Lookup(ch.Network)
	if err != nil {
		return publishers.OfflineCheck{}, err
	}
	return nw.Check(ch.Name, ch.Settings)
}

// checkPost asks each of the post's channels whether its network would take
// the post, so that nothing it would reject gets into the calendar.
func (a *app) checkPost(st calendar.Store, p calendar.Post) error {
	verr := &calendar.ValidationError{}
	campaign := a.campaignOf(st, p)
	for _, name := range p.Channels {
		ch, err := st.Channel(a.ctx, name)
		if err != nil {
			return err
		}
		pub, err := validator(ch)
		if err != nil {
			verr.Add(calendar.FieldError{Field: "channels", Message: fmt.Sprintf("%s: %v", name, err)})
			continue
		}
		rp := scheduler.Render(p, ch, calendar.Delivery{}, campaign)
		for _, prob := range append(pub.Validate(rp), pub.Threading(rp)...) {
			verr.Add(calendar.FieldError{Field: prob.Field, Message: fmt.Sprintf("%s (%s): %s", name, ch.Network, prob.Message)})
		}
	}
	return verr.Err()
}

// campaignOf is the post's campaign (its UTM defaults tag the links), or nil.
func (a *app) campaignOf(st calendar.Store, p calendar.Post) *calendar.Campaign {
	if p.Campaign == "" {
		return nil
	}
	c, err := st.Campaign(a.ctx, p.Campaign)
	if err != nil {
		return nil
	}
	return &c
}
