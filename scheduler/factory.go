package scheduler

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/crieur/crieur/calendar"
	"github.com/crieur/crieur/publishers"
)

// Factory builds the publisher of a channel. Its zero value uses the
// registry of networks, the adapters' default HTTP client and the wall clock;
// tests set Lookup to hand out fakes.
type Factory struct {
	Lookup func(name string) (publishers.Network, error)
	HTTP   *http.Client
	Now    func() time.Time
	Out    io.Writer // where the log network writes when it has no path
	// Zone is the calendar's zone, for the times the log network writes
	// (nil: UTC).
	Zone *time.Location
}

// Network looks a network up.
func (f Factory) Network(name string) (publishers.Network, error) {
	if f.Lookup != nil {
		return f.Lookup(name)
	}
	return publishers.Lookup(name)
}

// Publisher resolves the channel's secrets and builds its publisher.
func (f Factory) Publisher(_ context.Context, st calendar.Deliveries, ch calendar.Channel) (publishers.Publisher, publishers.Network, error) {
	nw, err := f.Network(ch.Network)
	if err != nil {
		return nil, nw, err
	}
	// The adapter reads and saves through the channel's handle; Secrets
	// holds the values as they are now, for adapters that read them once.
	creds := credentials{st.Credentials(ch.Name)}
	// Secrets only `channel login` uses (a Meta app's client secret) are
	// not read to publish: a process without them publishes all the same.
	secrets, err := st.ResolveSecrets(nw.PublishingSecrets(ch.Secrets))
	if err != nil {
		return nil, nw, err
	}
	if missing := nw.Missing(ch.Settings, secrets); len(missing) > 0 {
		return nil, nw, fmt.Errorf("channel %s lacks %v", ch.Name, missing)
	}
	pub, err := nw.New(publishers.Config{Channel: ch.Name, Settings: ch.Settings, Secrets: secrets, Credentials: creds, HTTP: f.HTTP, Now: f.Now, Out: f.Out, Zone: f.Zone})
	if err != nil {
		return nil, nw, fmt.Errorf("channel %s: %w", ch.Name, err)
	}
	return pub, nw, nil
}

// The calendar's handle is what adapters get as their credentials.
var _ publishers.Credentials = calendar.Credentials(nil)

// credentials is the calendar's handle as adapters get it: a secret the
// channel does not have is publishers.ErrNoSecret, as the adapters test it.
type credentials struct{ calendar.Credentials }

func (c credentials) Get(name string) (string, error) {
	v, err := c.Credentials.Get(name)
	if errors.Is(err, calendar.ErrNoSecret) {
		return "", fmt.Errorf("%w: %w", publishers.ErrNoSecret, err)
	}
	return v, err
}

// Publisher builds channel ch's publisher from the registry of networks.
func Publisher(ctx context.Context, st calendar.Deliveries, ch calendar.Channel) (publishers.Publisher, error) {
	p, _, err := Factory{}.Publisher(ctx, st, ch)
	return p, err
}
