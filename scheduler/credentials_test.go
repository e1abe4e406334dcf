package scheduler

import (
	"context"
	"testing"

	"github.com/crieur/crieur/internal/seal"
	"github.com/crieur/crieur/publishers"
)

// An adapter gets its channel's credentials handle: a token it saves (a
// rotated refresh token) is what the next build of the channel reads, in
// Config.Secrets and through the handle alike.
func TestFactoryGivesAdaptersTheirCredentials(t *testing.T) {
	k, err := seal.New()
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("CRIEUR_KEY", k.Encode())
	e := newEnv(t)
	t.Setenv("CRIEUR_TEST_REFRESH", "first")
	ch := e.channel("x", "oauth", nil)
	ch.Secrets = map[string]string{"refresh_token": "env:CRIEUR_TEST_REFRESH"}
	if err := e.st.UpdateChannel(context.Background(), &ch); err != nil {
		t.Fatal(err)
	}
	var got []publishers.Config
	f := Factory{Lookup: func(string) (publishers.Network, error) {
		return publishers.Network{Name: "oauth", New: func(cfg publishers.Config) (publishers.Publisher, error) {
			got = append(got, cfg)
			return e.fakes["fake"], nil
		}}, nil
	}}
	ctx := context.Background()
	if _, _, err := f.Publisher(ctx, e.st, ch); err != nil {
		t.Fatal(err)
	}
	creds := got[0].Credentials
	if creds == nil || got[0].Secrets["refresh_token"] != "first" {
		t.Fatalf("first build: credentials %v, secrets %v", creds, len(got[0].Secrets))
	}
	unlock, err := creds.Lock(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := creds.Save(ctx, "refresh_token", "rotated"); err != nil {
		t.Fatal(err)
	}
	unlock()
	ch, _ = e.st.Channel(ctx, "x")
	if _, _, err := f.Publisher(ctx, e.st, ch); err != nil {
		t.Fatal(err)
	}
	if v, err := got[1].Credentials.Get("refresh_token"); v != "rotated" || err != nil || got[1].Secrets["refresh_token"] != "rotated" {
		t.Errorf("second build reads %q (%v), Secrets %q; want the saved token", v, err, got[1].Secrets["refresh_token"])
	}
}
