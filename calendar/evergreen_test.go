package calendar

import (
	"testing"
	"time"
)

func TestParseGap(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want time.Duration
		bad  bool
	}{
		{"", 0, false},
		{"0", 0, false},
		{"30d", 30 * 24 * time.Hour, false},
		{"2w", 14 * 24 * time.Hour, false},
		{"36h", 36 * time.Hour, false},
		{" 7D ", 7 * 24 * time.Hour, false},
		{"soon", 0, true},
		{"-3d", 0, true},
		{"-1h", 0, true},
	} {
		got, err := ParseGap(tc.in)
		if (err != nil) != tc.bad || got != tc.want {
			t.Errorf("ParseGap(%q) = %v, %v; want %v (error: %v)", tc.in, got, err, tc.want, tc.bad)
		}
		if !tc.bad && tc.want > 0 {
			if back, _ := ParseGap(GapText(got)); back != got {
				t.Errorf("GapText(%v) = %q reads back as %v", got, GapText(got), back)
			}
		}
	}
}

func TestCheckOrder(t *testing.T) {
	for in, want := range map[string]string{"": OrderFIFO, "FIFO": OrderFIFO, "lifo": OrderLIFO, " shuffle ": OrderShuffle, "random": ""} {
		got, err := CheckOrder(in)
		if got != want || (err != nil) != (want == "") {
			t.Errorf("CheckOrder(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
}

func TestPickerAheadAndLimits(t *testing.T) {
	at := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	expired := at.Add(-time.Hour)
	cats := []Category{{ID: 1, Order: OrderFIFO, MaxRepeats: 2}}
	posts := []EvergreenPost{
		{ID: 10, CategoryID: 1, Copies: 2},             // repeated enough
		{ID: 11, CategoryID: 1, ExpiresAt: &expired},   // expired
		{ID: 12, CategoryID: 1, Channels: []int64{99}}, // another channel only
		{ID: 13, CategoryID: 1, Copies: 1, LastUse: at.Add(-48 * time.Hour)},
		{ID: 14, CategoryID: 1},
	}
	p := NewPicker(cats, posts, nil)
	slot := FillSlot{SlotID: 1, ChannelID: 5, CategoryID: 1, At: at}
	got, ok := p.Pick(slot, nil)
	if !ok || got.ID != 14 {
		t.Fatalf("Pick = %d, %v; want 14 (never used; the others are limited or used)", got.ID, ok)
	}
	p.Use(EvergreenUse{PostID: 14, ChannelID: 5, At: at, Copy: true})
	if got, _ := p.Pick(FillSlot{SlotID: 1, ChannelID: 5, CategoryID: 1, At: at.Add(24 * time.Hour)}, nil); got.ID != 13 {
		t.Errorf("next Pick = %d, want 13 (least recently used)", got.ID)
	}
	if _, ok := p.Pick(slot, func(id int64) bool { return id == 13 }); ok {
		t.Errorf("a pick at the instant 14 holds, with 13 skipped, found a post")
	}
	have := map[int64]bool{13: true}
	if ids := p.Ahead(10, 3, func(id int64) bool { return have[id] }); len(ids) != 3 || ids[0] != 10 || ids[1] == 13 || ids[2] == 13 {
		t.Errorf("Ahead = %v, want 10 then two posts not already read", ids)
	}
}
