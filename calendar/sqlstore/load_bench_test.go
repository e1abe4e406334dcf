package sqlstore

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/crieur/crieur/calendar/formats"

	calendar "github.com/crieur/crieur/calendar"
)

// benchCSV is a campaign of n posts on three channels, like scripts/bench-import.sh's.
func benchCSV(n int) []byte {
	var b strings.Builder
	b.WriteString("slug,at,channels,campaign,tags,title,body,link\n")
	start := time.Date(2031, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&b, "post-%06d,%s,\"bench-1,bench-2,bench-3\",bench,\"tag%d,bench\",Titre %d,\"Publication n°%d : les soldes d’été arrivent ☀️ — édition %d.\",https://acme.example/p/%d\n",
			i, start.Add(time.Duration(i)*5*time.Minute).Format(time.RFC3339), i%10, i, i, i%97, i)
	}
	return []byte(b.String())
}

// BenchmarkLoadCSV loads 10,000 new posts, then the same again (unchanged).
func BenchmarkLoadCSV(b *testing.B) {
	data := benchCSV(10000)
	for _, again := range []bool{false, true} {
		name := "create"
		if again {
			name = "unchanged"
		}
		b.Run(name, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				s, err := Open(context.Background(), filepath.Join(b.TempDir(), fmt.Sprintf("c%d.db", i)), Options{Create: true})
				if err != nil {
					b.Fatal(err)
				}
				s.Now = func() time.Time { return t0 }
				for c := 1; c <= 3; c++ {
					if err := s.AddChannel(context.Background(), &calendar.Channel{Name: fmt.Sprintf("bench-%d", c), Network: "log"}); err != nil {
						b.Fatal(err)
					}
				}
				if again {
					if _, err := s.Load(context.Background(), formats.ReadCSV(data, "bench.csv", formats.ReadOptions{}), calendar.LoadOptions{}); err != nil {
						b.Fatal(err)
					}
				}
				b.StartTimer()
				res, err := s.Load(context.Background(), formats.ReadCSV(data, "bench.csv", formats.ReadOptions{}), calendar.LoadOptions{})
				if err != nil {
					b.Fatal(err)
				}
				if again && res.Unchanged != 10000 || !again && res.Created != 10000 {
					b.Fatalf("%+v", res)
				}
				b.StopTimer()
				s.Close()
			}
		})
	}
}
