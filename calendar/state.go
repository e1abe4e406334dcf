package calendar

import (
	"fmt"
	"strconv"
)

// StatePauseAll is the state key of the kill switch; its value is the
// reason, absent when not paused. (Daemons' heartbeats have their own table.)
const StatePauseAll = "pause.all"

// HeldDue is what is due now but held back by a person's pause: the kill
// switch (pause --all) or a paused channel. A claim skips these, so without
// saying so `publish --due` would look as if nothing were due.
type HeldDue struct {
	// KillSwitch counts due deliveries on unpaused channels while the kill
	// switch is on; KillSwitchReason is its reason.
	KillSwitch       int    `json:"kill_switch"`
	KillSwitchReason string `json:"kill_switch_reason,omitempty"`
	// Channels lists the paused channels with due deliveries, by name.
	Channels []HeldChannel `json:"paused_channels"`
}

// HeldChannel is a paused channel and how many of its deliveries are due.
type HeldChannel struct {
	Channel string `json:"channel"`
	Reason  string `json:"reason"`
	Due     int    `json:"due"`
}

// Total counts every held due delivery.
func (h HeldDue) Total() int {
	n := h.KillSwitch
	for _, c := range h.Channels {
		n += c.Due
	}
	return n
}

// Lines says, one line per pause, what is held and how to release it.
func (h HeldDue) Lines() []string {
	var out []string
	due := func(n int) string {
		if n == 1 {
			return "1 delivery is due"
		}
		return strconv.Itoa(n) + " deliveries are due"
	}
	if h.KillSwitch > 0 {
		out = append(out, fmt.Sprintf("%s but held by the kill switch (pause --all, reason: %s); `crieur resume --all` to publish",
			due(h.KillSwitch), orNone(h.KillSwitchReason)))
	}
	for _, c := range h.Channels {
		out = append(out, fmt.Sprintf("%s but held: channel %s is paused (reason: %s); `crieur resume %s` to publish",
			due(c.Due), c.Channel, orNone(c.Reason), c.Channel))
	}
	return out
}

func orNone(s string) string {
	if s == "" {
		return "none given"
	}
	return s
}
