package bearer

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/crieur/crieur/publishers"
)

type rotating struct {
	next    string
	refused []string
}

func (r *rotating) Token(context.Context) (string, error) { return "old", nil }
func (r *rotating) Refused(_ context.Context, tok string) (string, error) {
	r.refused = append(r.refused, tok)
	return r.next, nil
}

// A refused token is told to the source once; the call runs again with the
// new token it gives, never a third time; without a new token it stops.
func TestCallRetriesOnceWithTheNewToken(t *testing.T) {
	for _, c := range []struct {
		name, next string
		refuse     map[string]bool
		want       []string
	}{
		{"accepted", "new", map[string]bool{}, []string{"old"}},
		{"refreshed", "new", map[string]bool{"old": true}, []string{"old", "new"}},
		{"refused twice", "new", map[string]bool{"old": true, "new": true}, []string{"old", "new"}},
		{"no new token", "", map[string]bool{"old": true}, []string{"old"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			src := &rotating{next: c.next}
			var sent []string
			err := Call(context.Background(), src, func(tok string) (bool, error) {
				sent = append(sent, tok)
				return c.refuse[tok], nil
			})
			if err != nil || strings.Join(sent, ",") != strings.Join(c.want, ",") {
				t.Errorf("sent %v (err %v), want %v", sent, err, c.want)
			}
		})
	}
}

// The stored token is read at each call, as saved since; a channel without
// one is an Auth error carrying the hint and no secret.
func TestStored(t *testing.T) {
	creds := publishers.NewStaticCredentials(map[string]string{"access_token": "tok-1"})
	src := Stored(publishers.Config{Credentials: creds}, "access_token", "run `crieur channel login fb`")
	if tok, err := src.Token(context.Background()); err != nil || tok != "tok-1" {
		t.Fatalf("Token = %q, %v", tok, err)
	}
	_ = creds.Save(context.Background(), "access_token", "tok-2")
	if tok, _ := src.Token(context.Background()); tok != "tok-2" {
		t.Errorf("Token = %q after a save, want tok-2", tok)
	}
	_, err := Stored(publishers.Config{}, "access_token", "run `crieur channel login fb`").Token(context.Background())
	var pe *publishers.Error
	if !errors.As(err, &pe) || pe.Class != publishers.Auth || !strings.Contains(err.Error(), "crieur channel login fb") {
		t.Errorf("no token: %v, want an Auth error naming the login", err)
	}
}
