package sqlstore

import (
	"reflect"
	"testing"
)

// decodeCounts reads what RecordSnapshot writes without reflection, and
// anything else through encoding/json; a 0 stays a known 0.
func TestDecodeCounts(t *testing.T) {
	for _, c := range []struct {
		in   string
		want map[string]int64
	}{
		{`{}`, nil},
		{``, nil},
		{`{"likes":3}`, map[string]int64{"likes": 3}},
		{`{"likes":3,"replies":0,"reposts":12}`, map[string]int64{"likes": 3, "replies": 0, "reposts": 12}},
		{`{"likes": 3, "views": 1200}`, map[string]int64{"likes": 3, "views": 1200}}, // spaces: encoding/json
		{`{"a\"b":1}`, map[string]int64{`a"b`: 1}},
		{`{"likes":-1}`, map[string]int64{"likes": -1}},
		{`{"likes":3,}`, nil},
		{`not json`, nil},
	} {
		if got := decodeCounts(c.in); !reflect.DeepEqual(got, c.want) {
			t.Errorf("decodeCounts(%s) = %v, want %v", c.in, got, c.want)
		}
	}
}
