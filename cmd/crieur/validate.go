package main

import (
	"context"
	"fmt"

	"github.com/crieur/crieur/calendar"
	"github.com/crieur/crieur/publishers"
	"github.com/crieur/crieur/scheduler"
)

// offlinePublisher builds a channel's publisher for validation and preview,
// which never call the network: when a secret cannot be resolved here (a CI
// job without the tokens), a placeholder stands in for it.
func offlinePublisher(ctx context.Context, st *calendar.Store, ch calendar.Channel) (publishers.Publisher, error) {
	nw, err := publishers.Lookup(ch.Network)
	if err != nil {
		return nil, err
	}
	secrets, err := st.ResolveSecrets(ch.Secrets)
	if err != nil {
		secrets = map[string]string{}
		for k := range ch.Secrets {
			secrets[k] = "placeholder"
		}
	}
	for _, f := range nw.Secrets {
		if secrets[f.Name] == "" && f.Required {
			secrets[f.Name] = "placeholder"
		}
	}
	return nw.New(publishers.Config{Channel: ch.Name, Settings: ch.Settings, Secrets: secrets})
}

// checkPost asks each of the post's channels whether its network would take
// the post, so that nothing it would reject gets into the calendar.
func (a *app) checkPost(st *calendar.Store, p calendar.Post) error {
	verr := &calendar.ValidationError{}
	var campaign *calendar.Campaign
	if p.Campaign != "" {
		if c, err := st.Campaign(a.ctx, p.Campaign); err == nil {
			campaign = &c
		}
	}
	for _, name := range p.Channels {
		ch, err := st.Channel(a.ctx, name)
		if err != nil {
			return err
		}
		pub, err := offlinePublisher(a.ctx, st, ch)
		if err != nil {
			verr.Add(calendar.FieldError{Field: "channels", Message: fmt.Sprintf("%s: %v", name, err)})
			continue
		}
		for _, prob := range pub.Validate(scheduler.Render(p, ch, calendar.Delivery{}, campaign)) {
			verr.Add(calendar.FieldError{Field: prob.Field, Message: fmt.Sprintf("%s (%s): %s", name, ch.Network, prob.Message)})
		}
	}
	return verr.Err()
}
