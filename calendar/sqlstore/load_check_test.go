package sqlstore

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/crieur/crieur/calendar/formats"

	calendar "github.com/crieur/crieur/calendar"
)

// While the load writes, its checks run on fewer workers; once the writer is
// done they get one more, so a slow check never leaves a
// processor idle. Here the first post's check only returns when another
// check runs beside it, which a single worker never does.
func TestCheckTakesAnotherWorkerWhenTheWriterIsDone(t *testing.T) {
	s := loadStore(t)
	var rows strings.Builder
	rows.WriteString("slug,at,channels,body\n")
	for i := 0; i < 200; i++ {
		fmt.Fprintf(&rows, "p%d,2026-12-01 09:00,acme-log,Text %d\n", i, i)
	}
	beside := make(chan struct{})
	var once sync.Once
	opt := calendar.LoadOptions{Zone: time.UTC, Check: func(ch calendar.Channel, p *calendar.Post, _ *calendar.Campaign) []calendar.CheckProblem {
		if p.Slug != "p0" {
			once.Do(func() { close(beside) })
			return nil
		}
		select {
		case <-beside:
		case <-time.After(10 * time.Second): // a failure guard, not a wait for a schedule
			return []calendar.CheckProblem{{Field: "text", Message: "no other check ran beside this one"}}
		}
		return []calendar.CheckProblem{{Field: "text", Message: "refused"}}
	}}
	pn, err := s.newPlanner(context.Background(), nil, opt)
	if err != nil {
		t.Fatal(err)
	}
	posts, _, err := pn.chunk(context.Background(), formats.ReadCSV([]byte(rows.String()), "c.csv", formats.ReadOptions{}).Items)
	if err != nil {
		t.Fatal(err)
	}
	c := newChecker(opt, 1)
	for _, pp := range posts {
		c.Add(pp)
	}
	c.Close()
	c.OneMore() // the writer is done
	c.Wait()
	var got []calendar.FieldError
	for _, pp := range posts {
		got = append(got, pp.Checked...)
	}
	if len(got) != 1 || got[0].Line != 2 || !strings.Contains(got[0].Message, "acme-log: refused") {
		t.Fatalf("want p0's refusal, got %+v", got)
	}
}
