package calendar

import (
	"encoding/json"
	"slices"
	"strconv"
)

// RunList groups consecutive new posts on the same channels.
type RunList struct {
	runs []postRun
}

type postRun struct {
	lo, hi int64
	chans  []*Channel
}

func (l *RunList) Add(id int64, chans []*Channel) {
	if n := len(l.runs); n > 0 && l.runs[n-1].hi == id-1 && slices.Equal(l.runs[n-1].chans, chans) {
		l.runs[n-1].hi = id
		return
	}
	l.runs = append(l.runs, postRun{lo: id, hi: id, chans: chans})
}

// json is [[first id, last id, [channel ids], [channel names]], …].
func (l *RunList) JSON() string {
	var b []byte
	b = append(b, '[')
	for i, r := range l.runs {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '[')
		b = strconv.AppendInt(b, r.lo, 10)
		b = append(b, ',')
		b = strconv.AppendInt(b, r.hi, 10)
		b = append(b, ",["...)
		for j, c := range r.chans {
			if j > 0 {
				b = append(b, ',')
			}
			b = strconv.AppendInt(b, c.ID, 10)
		}
		b = append(b, "],["...)
		for j, c := range r.chans {
			if j > 0 {
				b = append(b, ',')
			}
			name, _ := json.Marshal(c.Name)
			b = append(b, name...)
		}
		b = append(b, "]]"...)
	}
	b = append(b, ']')
	return string(b)
}
