package storetest

import "testing"

// testCalendarZone: the calendar's zone is kept in the calendar, so that
// every process reads a channel's slots in the same zone.
func testCalendarZone(t *testing.T, h Harness) {
	e := newEnv(t, h)
	c := e.channel("a", nil)
	if z, err := e.s.CalendarZone(e.ctx); err != nil || z != "" {
		t.Fatalf("a new calendar's zone: %q, %v; want none", z, err)
	}
	if got := e.s.SlotZone(c).String(); got != "UTC" {
		t.Errorf("slot zone with none recorded: %s, want UTC", got)
	}
	z, err := e.s.AdoptCalendarZone(e.ctx, "Europe/Paris")
	wantErr(t, "AdoptCalendarZone", err, nil)
	if z != "Europe/Paris" {
		t.Errorf("AdoptCalendarZone recorded %q", z)
	}
	if got := e.s.SlotZone(c).String(); got != "Europe/Paris" {
		t.Errorf("slot zone after adopting: %s", got)
	}
	other := e.s
	if h.OpenSecond != nil {
		other = e.second()
	}
	if z, _ := other.CalendarZone(e.ctx); z != "Europe/Paris" {
		t.Errorf("another process reads the zone %q", z)
	}
	// A zone already recorded is kept: the first process to record one wins.
	z, err = other.AdoptCalendarZone(e.ctx, "America/New_York")
	wantErr(t, "AdoptCalendarZone again", err, nil)
	if z != "Europe/Paris" || other.SlotZone(c).String() != "Europe/Paris" {
		t.Errorf("adopting over a recorded zone: recorded %q, slot zone %s", z, other.SlotZone(c))
	}
	prev, err := other.SetCalendarZone(e.ctx, "utc")
	wantErr(t, "SetCalendarZone", err, nil)
	if prev != "Europe/Paris" {
		t.Errorf("SetCalendarZone replaced %q", prev)
	}
	if z, _ := e.s.CalendarZone(e.ctx); z != "UTC" {
		t.Errorf("after SetCalendarZone: %q, want UTC", z)
	}
	wantInvalid(t, "the machine's zone", func() error { _, err := e.s.SetCalendarZone(e.ctx, "Local"); return err }(), "tz")
	wantInvalid(t, "an unknown zone", func() error { _, err := e.s.AdoptCalendarZone(e.ctx, "Mars/Olympus"); return err }(), "tz")
	if z, _ := e.s.CalendarZone(e.ctx); z != "UTC" {
		t.Errorf("after refused changes: %q, want UTC", z)
	}
}
