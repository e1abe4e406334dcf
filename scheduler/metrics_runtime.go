package scheduler

import (
	"fmt"
	"io"
	"runtime/metrics"
	"strconv"
)

// writeRuntimeExtras writes the Go runtime and process metrics /metrics has
// always shown that the metrics library does not write.
func writeRuntimeExtras(w io.Writer) {
	samples := []metrics.Sample{{Name: "/gc/gogc:percent"}, {Name: "/gc/gomemlimit:bytes"}, {Name: "/sched/gomaxprocs:threads"}}
	metrics.Read(samples)
	for i, f := range []struct{ name, help string }{
		{"go_gc_gogc_percent", "The GOGC setting: the heap growth, in percent, that starts a collection (from /gc/gogc:percent)."},
		{"go_gc_gomemlimit_bytes", "The Go runtime's soft memory limit, GOMEMLIMIT (from /gc/gomemlimit:bytes)."},
		{"go_sched_gomaxprocs_threads", "The GOMAXPROCS setting (from /sched/gomaxprocs:threads)."},
	} {
		if samples[i].Value.Kind() == metrics.KindUint64 {
			writeFamily(w, f.name, f.help, "gauge", float64(samples[i].Value.Uint64()))
		}
	}
	writeProcessExtras(w)
}

// writeFamily writes a family of one unlabelled sample.
func writeFamily(w io.Writer, name, help, kind string, v float64) {
	writeHeader(w, name, help, kind)
	writeSample(w, name, v)
}

// writeHeader starts a family in the text format: its HELP and TYPE lines.
func writeHeader(w io.Writer, name, help, kind string) {
	fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, kind)
}

// writeSample writes one sample of a series (see series).
func writeSample(w io.Writer, series string, v float64) {
	fmt.Fprintf(w, "%s %s\n", series, strconv.FormatFloat(v, 'g', -1, 64))
}
