package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	calendar "github.com/crieur/crieur/calendar"
)

// benchFillCalendar prepares a calendar of 50 channels, each with two
// category slots a day (09:00 and 17:00 Europe/Paris), all drawing from one
// library of 10,000 evergreen posts (fifo, min gap 30 days), and returns
// its file.
func benchFillCalendar(b *testing.B) string {
	b.Helper()
	ctx := context.Background()
	path := filepath.Join(b.TempDir(), "prepared.db")
	s, err := Open(ctx, path, Options{Create: true})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	s.Now = func() time.Time { return monday }
	cat := calendar.Category{Name: "library", MinGap: 30 * 24 * time.Hour}
	if err := s.AddCategory(ctx, &cat); err != nil {
		b.Fatal(err)
	}
	for c := 1; c <= 50; c++ {
		name := fmt.Sprintf("ch-%02d", c)
		if err := s.AddChannel(ctx, &calendar.Channel{Name: name, Network: "log", TZ: "Europe/Paris"}); err != nil {
			b.Fatal(err)
		}
		if _, err := s.AddCategorySlot(ctx, name, "daily 09:00,17:00", "library"); err != nil {
			b.Fatal(err)
		}
	}
	err = s.tx(ctx, func(tx *sql.Tx) error {
		for i := 1; i <= 10000; i++ {
			if _, err := tx.ExecContext(ctx, `INSERT INTO posts (slug, title, body, category_id, created_at, updated_at) VALUES (?,?,?,?,?,?)`,
				fmt.Sprintf("evergreen-%05d", i), fmt.Sprintf("Tip %d", i), fmt.Sprintf("Evergreen tip n°%d: how to get the best of your skis — https://acme.example/tips/%d", i, i),
				cat.ID, ms(monday.Add(-time.Duration(10000-i)*time.Minute)), ms(monday)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	return path
}

func copyFile(b *testing.B, from, to string) {
	b.Helper()
	src, err := os.Open(from)
	if err != nil {
		b.Fatal(err)
	}
	defer src.Close()
	dst, err := os.Create(to)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := io.Copy(dst, src); err != nil {
		b.Fatal(err)
	}
	if err := dst.Close(); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkFillCategories is one leader run of the evergreen fill: 7 days
// of category slots on 50 channels (700 copies) from a library of 10,000
// posts ("week"), and the run after it, which finds every slot filled
// ("again", the usual run every 15 minutes).
func BenchmarkFillCategories(b *testing.B) {
	prepared := benchFillCalendar(b)
	for _, again := range []bool{false, true} {
		name := "week"
		if again {
			name = "again"
		}
		b.Run(name, func(b *testing.B) {
			ctx := context.Background()
			var cpu time.Duration
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				path := filepath.Join(b.TempDir(), "c.db")
				copyFile(b, prepared, path)
				s, err := Open(ctx, path, Options{})
				if err != nil {
					b.Fatal(err)
				}
				s.Now = func() time.Time { return monday }
				// A daemon's store is open already: its connection has
				// read the schema.
				if _, err := s.Categories(ctx); err != nil {
					b.Fatal(err)
				}
				if again {
					if _, err := s.FillCategories(ctx, calendar.FillOptions{Now: monday}); err != nil {
						b.Fatal(err)
					}
				}
				before := cpuTime()
				b.StartTimer()
				rep, err := s.FillCategories(ctx, calendar.FillOptions{Now: monday})
				b.StopTimer()
				cpu += cpuTime() - before
				if err != nil {
					b.Fatal(err)
				}
				if want := map[bool]int{false: 700, true: 0}[again]; len(rep.Filled) != want {
					b.Fatalf("filled %d, want %d", len(rep.Filled), want)
				}
				s.Close()
			}
			// The machine is shared: the process's CPU time says what the
			// fill costs when wall time is inflated by others' work.
			b.ReportMetric(float64(cpu.Microseconds())/1000/float64(b.N), "cpu-ms/op")
		})
	}
}
