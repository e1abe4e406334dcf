// Command benchgen makes a large synthetic calendar for `make bench`:
//
//	go run ./internal/benchgen -db /tmp/big.db -posts 1000000 -channels 3
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"os"
	"time"

	"github.com/crieur/crieur/calendar"
)

func main() {
	db := flag.String("db", "", "database to create (must not exist)")
	posts := flag.Int("posts", 1_000_000, "how many posts")
	channels := flag.Int("channels", 3, "how many log channels")
	from := flag.String("from", "", "first publish time (RFC 3339; default: now minus half the span)")
	every := flag.Duration("every", time.Minute, "spacing between posts")
	flag.Parse()
	if *db == "" {
		log.Fatal("-db is required")
	}
	if _, err := os.Stat(*db); err == nil {
		log.Fatalf("%s exists", *db)
	}
	ctx := context.Background()
	st, err := calendar.Open(ctx, *db, calendar.Options{Create: true})
	if err != nil {
		log.Fatal(err)
	}
	defer st.Close()
	var names []string
	for i := 1; i <= *channels; i++ {
		c := &calendar.Channel{Name: fmt.Sprintf("bench-%d", i), Network: "log", Settings: map[string]string{"path": os.DevNull}}
		if err := st.AddChannel(ctx, c); err != nil {
			log.Fatal(err)
		}
		names = append(names, c.Name)
	}
	start := time.Now().Add(-time.Duration(*posts/2) * *every)
	if *from != "" {
		if start, err = time.Parse(time.RFC3339, *from); err != nil {
			log.Fatal(err)
		}
	}
	t0 := time.Now()
	if err := st.FillSynthetic(ctx, *posts, names, start, *every); err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%s: %d posts × %d channels from %s every %s, in %s\n", *db, *posts, *channels, start.UTC().Format(time.RFC3339), *every, time.Since(t0).Round(time.Millisecond))
}
