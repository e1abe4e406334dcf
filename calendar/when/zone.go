package when

import (
	"fmt"
	"strings"
	"time"
)

func loadZone(name string) (*time.Location, error) {
	trimmed := strings.TrimSpace(name)
	switch strings.ToLower(trimmed) {
	case "":
		return nil, &invalid{`no time zone given: expected an IANA name like "Europe/Paris", "America/New_York" or "UTC"`}
	case "utc":
		return time.UTC, nil
	case "local":
		return time.Local, nil
	}
	loc, err := time.LoadLocation(trimmed)
	if err != nil {
		return nil, &invalid{fmt.Sprintf(`unknown time zone %q: expected an IANA name like "Europe/Paris", "America/New_York" or "UTC"`, name)}
	}
	return loc, nil
}
