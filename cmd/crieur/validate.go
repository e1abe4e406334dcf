package main

import (
	"fmt"
	"io"

	"github.com/crieur/crieur/calendar"
	"github.com/crieur/crieur/publishers"
	"github.com/crieur/crieur/scheduler"
)

// placeholderSecrets are tried in turn as every secret's value: some
// adapters check a secret's shape (a webhook URL, an id:hex key) when built.
var placeholderSecrets = []string{
	"placeholder-for-validation",
	"https://placeholder.invalid/api/webhooks/services/0/placeholder",
	"placeholder:00",
}

// validator builds a channel's publisher for validation and preview, which
// never call the network: placeholder values stand in for its secrets, so a
// CI job without the tokens checks posts just the same.
func validator(ch calendar.Channel) (publishers.Publisher, error) {
	nw, err := publishers.Lookup(ch.Network)
	if err != nil {
		return nil, err
	}
	for _, value := range placeholderSecrets {
		secrets := map[string]string{}
		for _, f := range nw.Secrets {
			secrets[f.Name] = value
		}
		var pub publishers.Publisher
		pub, err = nw.New(publishers.Config{Channel: ch.Name, Settings: ch.Settings, Secrets: secrets, Out: io.Discard})
		if err == nil {
			return pub, nil
		}
	}
	return nil, err
}

// checkPost asks each of the post's channels whether its network would take
// the post, so that nothing it would reject gets into the calendar.
func (a *app) checkPost(st *calendar.Store, p calendar.Post) error {
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
		for _, prob := range append(pub.Validate(rp), publishers.CheckThreading(pub, rp)...) {
			verr.Add(calendar.FieldError{Field: prob.Field, Message: fmt.Sprintf("%s (%s): %s", name, ch.Network, prob.Message)})
		}
	}
	return verr.Err()
}

// campaignOf is the post's campaign (its UTM defaults tag the links), or nil.
func (a *app) campaignOf(st *calendar.Store, p calendar.Post) *calendar.Campaign {
	if p.Campaign == "" {
		return nil
	}
	c, err := st.Campaign(a.ctx, p.Campaign)
	if err != nil {
		return nil
	}
	return &c
}
