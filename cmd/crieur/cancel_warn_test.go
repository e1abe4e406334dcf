package main

import (
	"context"
	"strings"
	"testing"

	"github.com/spf13/viper"

	"github.com/crieur/crieur/calendar"
)

// TestWarnCanceledLive checks what `post cancel` says of the channels a
// cancel cannot reach: a post already out, one whose call is in flight
// (whose failure is then not retried), and the channels it did cancel.
func TestWarnCanceledLive(t *testing.T) {
	d := func(ch, status string) calendar.Delivery { return calendar.Delivery{Channel: ch, Status: status} }
	tests := []struct {
		name string
		ds   []calendar.Delivery
		want string
	}{
		{"nothing out", []calendar.Delivery{d("a", calendar.DeliveryCanceled)}, ""},
		{"out on one, canceled on the other", []calendar.Delivery{d("a", calendar.DeliveryPublished), d("b", calendar.DeliveryCanceled)},
			"crieur: warning: post p is already published on a: canceling does not take it back there; it is canceled on b only\n"},
		{"out on one, in flight on the other", []calendar.Delivery{d("a", calendar.DeliveryPublished), d("hook", calendar.DeliveryPublishing)},
			"crieur: warning: post p is already published on a and being published on hook at this moment: canceling does not take it back there; should the call in flight fail, it is not retried\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var errOut strings.Builder
			a := &app{v: viper.New(), in: strings.NewReader(""), out: &strings.Builder{}, errOut: &errOut, ctx: context.Background()}
			a.warnCanceledLive(calendar.Post{Slug: "p", Deliveries: tt.ds})
			if errOut.String() != tt.want {
				t.Errorf("stderr:\n%q\nwant\n%q", errOut.String(), tt.want)
			}
		})
	}
}
