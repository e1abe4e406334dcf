package bluesky

import (
	"fmt"
	"testing"
)

func TestRecordKey(t *testing.T) {
	// Pinned values: changing the derivation would make a retry after an
	// upgrade miss the post an older version made, and post it twice.
	pinned := []struct {
		key  string
		part int
		want string
	}{
		{"delivery-42", 0, "aagipd24ih7az"},
		{"delivery-42", 1, "azie5bvejegkt"},
		{"", 0, "3d7cvl2qhn3ss"},
	}
	for _, p := range pinned {
		if got := recordKey(p.key, p.part); got != p.want {
			t.Errorf("recordKey(%q, %d) = %q, want %q", p.key, p.part, got, p.want)
		}
	}
	seen := map[string]string{}
	for _, key := range []string{"delivery-42", "delivery-43", "", "é-ключ-🔑"} {
		for part := 0; part < 5; part++ {
			k := recordKey(key, part)
			if !tidPattern.MatchString(k) {
				t.Errorf("recordKey(%q, %d) = %q is not a TID", key, part, k)
			}
			if k != recordKey(key, part) {
				t.Errorf("recordKey(%q, %d) is not deterministic", key, part)
			}
			id := fmt.Sprintf("%s/%d", key, part)
			if other, dup := seen[k]; dup {
				t.Errorf("recordKey collision between %s and %s", id, other)
			}
			seen[k] = id
		}
	}
}

func TestTID(t *testing.T) {
	cases := []struct {
		v    uint64
		want string
	}{
		{0, "2222222222222"},
		{1, "2222222222223"},
		{31, "222222222222z"},
		{32, "2222222222232"},
		{1<<63 - 1, "bzzzzzzzzzzzz"},
	}
	for _, c := range cases {
		if got := tid(c.v); got != c.want {
			t.Errorf("tid(%d) = %q, want %q", c.v, got, c.want)
		}
	}
}
