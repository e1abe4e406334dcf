package when

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/robfig/cron/v3"
)

var errNotCalendar = errors.New("not a calendar schedule")

const slotExamples = `expected a cron spec like "0 9 * * 1-5" or a form like "mon-fri 09:00,12:30"`

// descriptors are the cron shorthands accepted, as 5-field specs.
var descriptors = map[string]string{
	"@yearly":   "0 0 1 1 *",
	"@annually": "0 0 1 1 *",
	"@monthly":  "0 0 1 * *",
	"@weekly":   "0 0 * * 0",
	"@daily":    "0 0 * * *",
	"@midnight": "0 0 * * *",
	"@hourly":   "0 * * * *",
}

var commaSpaces = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`\s*,\s*`) })

func parseSchedule(s string) (Schedule, error) {
	var specs []string
	for part := range strings.SplitSeq(s, ";") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		got, err := parseSlotPart(part)
		if err != nil {
			return Schedule{}, &invalid{fmt.Sprintf("bad slot %q: %v", s, err)}
		}
		for _, spec := range got {
			if !slices.Contains(specs, spec) {
				specs = append(specs, spec)
			}
		}
	}
	if len(specs) == 0 {
		return Schedule{}, &invalid{"empty slot spec: " + slotExamples}
	}
	return Schedule{Specs: specs}, nil
}

// parseSlotPart reads one ";"-separated part into canonical specs.
func parseSlotPart(part string) ([]string, error) {
	text := strings.ToLower(commaSpaces().ReplaceAllString(part, ","))
	if strings.HasPrefix(text, "@") {
		spec, ok := descriptors[text]
		if !ok {
			return nil, fmt.Errorf("unknown shorthand %q (known: @hourly, @daily, @weekly, @monthly, @yearly); %s", text, slotExamples)
		}
		return []string{spec}, nil
	}
	if strings.HasPrefix(text, "tz=") || strings.HasPrefix(text, "cron_tz=") {
		return nil, fmt.Errorf("a zone prefix is not allowed: a slot uses its channel's time zone; %s", slotExamples)
	}
	tokens := joinMeridiem(strings.Fields(text))
	for _, tok := range tokens {
		for item := range strings.SplitSeq(tok, ",") {
			if looksLikeClock(item) {
				return readableSpecs(tokens)
			}
		}
	}
	return cronSpec(tokens)
}

// cronSpec validates a 5-field cron spec and returns it in canonical form.
func cronSpec(fields []string) ([]string, error) {
	switch {
	case len(fields) == 6:
		return nil, fmt.Errorf(`6 fields, but seconds are not supported: use 5 fields (minute hour day-of-month month day-of-week), like "0 9 * * 1-5"`)
	case len(fields) != 5:
		if allDayWords(fields) {
			return nil, fmt.Errorf(`no time of day: add one, like "%s 09:00"`, strings.Join(fields, " "))
		}
		if len(fields) >= 3 {
			return nil, fmt.Errorf("%d fields, but a cron spec has 5; %s", len(fields), slotExamples)
		}
		return nil, errors.New(slotExamples)
	}
	fields = slices.Clone(fields)
	fields[4] = sundaySeven(fields[4])
	spec := strings.Join(fields, " ")
	if _, err := compile(spec); err != nil {
		return nil, cronFieldError(fields, err)
	}
	if err := checkFires(spec); err != nil {
		return nil, err
	}
	return []string{spec}, nil
}

var fieldNames = [5]string{"minute", "hour", "day-of-month", "month", "day-of-week"}

// cronFieldError names the first field robfig/cron rejects, since its own
// messages do not say which field is wrong.
func cronFieldError(fields []string, err error) error {
	for i, f := range fields {
		probe := []string{"*", "*", "*", "*", "*"}
		probe[i] = f
		if _, ferr := cron.ParseStandard(strings.Join(probe, " ")); ferr != nil {
			return fmt.Errorf("%s field %q: %v; %s", fieldNames[i], f, ferr, slotExamples)
		}
	}
	return fmt.Errorf("%v; %s", err, slotExamples)
}

var sevenRange = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^([0-6a-z]+)-7$`) })

// sundaySeven rewrites day-of-week 7 (Sunday in most crons) to the 0 that
// robfig/cron requires: "7" and "N-7" items of a comma list.
func sundaySeven(field string) string {
	items := strings.Split(field, ",")
	for i, item := range items {
		switch {
		case item == "7":
			items[i] = "0"
		case sevenRange().MatchString(item):
			items[i] = sevenRange().ReplaceAllString(item, "$1-6,0")
		}
	}
	return strings.Join(items, ",")
}

// checkFires rejects a spec that names no real day, such as February 30.
func checkFires(spec string) error {
	r, err := compile(spec)
	if err != nil {
		return err
	}
	if r.next(time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC), time.UTC).IsZero() {
		return fmt.Errorf("never fires: no month has that day; %s", slotExamples)
	}
	return nil
}

// readableSpecs reads "DAYS [at] TIMES" (days optional, meaning daily) into
// canonical specs: one per distinct minute, with that minute's hours listed.
func readableSpecs(tokens []string) ([]string, error) {
	var days uint8 // bit d set: time.Weekday(d) included
	var times []clock
	for _, tok := range tokens {
		if tok == "at" || tok == "every" || tok == "on" {
			continue
		}
		items := strings.Split(tok, ",")
		if looksLikeClock(items[0]) {
			for _, item := range items {
				c, err := parseClock(item)
				if err != nil {
					return nil, fmt.Errorf("%v; %s", err, slotExamples)
				}
				times = append(times, c)
			}
			continue
		}
		if len(times) > 0 {
			return nil, fmt.Errorf("%q after the time: write days first, like \"mon-fri 09:00,12:30\"", tok)
		}
		for _, item := range items {
			set, err := daySet(item)
			if err != nil {
				return nil, err
			}
			days |= set
		}
	}
	if days == 0 {
		days = 0x7f
	}
	byMinute := map[int]uint32{}
	for _, c := range times {
		byMinute[c.min] |= 1 << c.hour
	}
	minutes := make([]int, 0, len(byMinute))
	for m := range byMinute {
		minutes = append(minutes, m)
	}
	slices.Sort(minutes)
	dow := dowField(days)
	specs := make([]string, 0, len(minutes))
	for _, m := range minutes {
		specs = append(specs, fmt.Sprintf("%d %s * * %s", m, hourField(byMinute[m]), dow))
	}
	return specs, nil
}

// daySet reads one day item: a name, a range ("mon-fri", "fri-mon" wraps),
// or a group word.
func daySet(item string) (uint8, error) {
	switch item {
	case "daily", "everyday", "day", "days":
		return 0x7f, nil
	case "weekdays", "weekday":
		return 0x3e, nil
	case "weekends", "weekend":
		return 0x41, nil
	}
	if from, to, isRange := strings.Cut(item, "-"); isRange {
		a, ok := lookupWeekday(from)
		if !ok {
			return 0, unknownDay(from)
		}
		b, ok := lookupWeekday(to)
		if !ok {
			return 0, unknownDay(to)
		}
		var set uint8
		for d := a; ; d = (d + 1) % 7 {
			set |= 1 << d
			if d == b {
				return set, nil
			}
		}
	}
	d, ok := lookupWeekday(item)
	if !ok {
		return 0, unknownDay(item)
	}
	return 1 << d, nil
}

func unknownDay(item string) error {
	return fmt.Errorf(`unknown day %q: expected days like "mon-fri", "mon,wed,fri", "weekdays", "weekends" or "daily", as in "mon-fri 09:00,12:30"`, item)
}

func allDayWords(tokens []string) bool {
	for _, tok := range tokens {
		for item := range strings.SplitSeq(tok, ",") {
			if _, err := daySet(item); err != nil && item != "at" && item != "every" && item != "on" {
				return false
			}
		}
	}
	return len(tokens) > 0
}

// dowField writes a day-of-week set as a cron field: "*", "1-5", "0,6".
func dowField(days uint8) string {
	if days == 0x7f {
		return "*"
	}
	return listField(uint32(days), 7)
}

func hourField(hours uint32) string { return listField(hours, 24) }

// listField writes the set bits below n as a comma list, with runs of three
// or more as ranges.
func listField(set uint32, n int) string {
	var parts []string
	for i := 0; i < n; i++ {
		if set&(1<<i) == 0 {
			continue
		}
		j := i
		for j+1 < n && set&(1<<(j+1)) != 0 {
			j++
		}
		switch {
		case j-i >= 2:
			parts = append(parts, strconv.Itoa(i)+"-"+strconv.Itoa(j))
		case j > i:
			parts = append(parts, strconv.Itoa(i), strconv.Itoa(j))
		default:
			parts = append(parts, strconv.Itoa(i))
		}
		i = j
	}
	return strings.Join(parts, ",")
}
