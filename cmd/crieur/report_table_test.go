package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/spf13/viper"

	"github.com/crieur/crieur/internal/report"
)

// A channel whose network gives no numbers, listed before one that does,
// must not push the other rows' figures out of their columns: each figure
// starts where its heading does.
func TestReportTableColumnsAlign(t *testing.T) {
	med := 4.0
	numbers := report.Group{Key: "fake-masto", Posts: 8, WithNumbers: 8, Engagement: 40, Median: &med,
		Metrics: map[string]int64{"replies": 7, "reposts": 11, "likes": 22}}
	quiet := report.Group{Key: "acme-facebook", Posts: 1, NoNumbers: true}
	for _, tc := range []struct {
		name   string
		groups []report.Group
	}{
		{"no numbers first", []report.Group{quiet, numbers}},
		{"no numbers last", []report.Group{numbers, quiet}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			total := numbers
			total.Posts = 9
			rep := &report.Report{By: "channel", Zone: "UTC", Metrics: []string{"replies", "reposts", "likes"},
				Groups: tc.groups, Total: total}
			var out bytes.Buffer
			a := &app{v: viper.New()}
			if err := a.reportTable(&out, rep); err != nil {
				t.Fatal(err)
			}
			lines := strings.Split(out.String(), "\n")
			var head, masto, tot, fb string
			for _, l := range lines {
				switch {
				case strings.HasPrefix(l, "CHANNEL"):
					head = l
				case strings.HasPrefix(l, "fake-masto"):
					masto = l
				case strings.HasPrefix(l, "TOTAL"):
					tot = l
				case strings.HasPrefix(l, "acme-facebook"):
					fb = l
				}
			}
			if !strings.Contains(fb, "no numbers from this network") {
				t.Errorf("the row of a network without numbers does not say so: %q", fb)
			}
			for _, c := range []struct{ col, masto, total string }{
				{"WITH NUMBERS", "8", "8"}, {"ENGAGEMENT", "40", "40"}, {"MEDIAN/POST", "4", "4"},
				{"REPLIES", "7", "7"}, {"REPOSTS", "11", "11"}, {"LIKES", "22", "22"},
			} {
				at := strings.Index(head, c.col)
				if at < 0 {
					t.Fatalf("no %s heading:\n%s", c.col, out.String())
				}
				for _, row := range []struct{ line, want string }{{masto, c.masto}, {tot, c.total}} {
					if len(row.line) < at+len(row.want) || row.line[at:at+len(row.want)] != row.want {
						t.Errorf("%s: %q is not under its heading:\n%s", c.col, row.want, out.String())
					}
				}
			}
		})
	}
}
