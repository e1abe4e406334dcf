package scheduler

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/VictoriaMetrics/metrics"
)

// Metrics are the daemon's Prometheus metrics, in a set of their own. A nil
// *Metrics records nothing.
type Metrics struct {
	set      *metrics.Set
	lateness *metrics.PrometheusHistogram
	overdue  *metrics.Gauge
	pending  *metrics.Gauge
	inflight *metrics.Gauge
	help     map[string]string // HELP text of the families above
}

// NewMetrics makes the scheduler's metrics.
func NewMetrics() *Metrics {
	// # HELP and # TYPE lines, as Prometheus clients write them.
	metrics.ExposeMetadata(true)
	set := metrics.NewSet()
	return &Metrics{
		set: set,
		lateness: set.NewPrometheusHistogramExt("crieur_delivery_lateness_seconds",
			[]float64{.01, .05, .1, .25, .5, 1, 2, 5, 10, 30, 60, 300, 3600}),
		overdue:  set.NewGauge("crieur_queue_overdue", nil),
		pending:  set.NewGauge("crieur_queue_pending", nil),
		inflight: set.NewGauge("crieur_deliveries_in_flight", nil),
		help: map[string]string{
			"crieur_deliveries_published_total": "Deliveries the network confirmed, per network.",
			"crieur_deliveries_failed_total":    "Deliveries failed for good or whose channel was paused, per network.",
			"crieur_deliveries_retried_total":   "Attempts that will be retried, per network.",
			"crieur_delivery_lateness_seconds":  "How long after its run time a delivery reached its publisher.",
			"crieur_queue_overdue":              "Runnable deliveries due more than a minute ago on unpaused channels.",
			"crieur_queue_pending":              "Pending deliveries (scheduled or not).",
			"crieur_deliveries_in_flight":       "Deliveries being published now by this daemon.",
		},
	}
}

// labelValue quotes a label value for the text format.
var labelValue = strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`)

// series names a series of a family: name{label="value",…}.
func series(name string, labels []string, values []string) string {
	if len(labels) == 0 {
		return name
	}
	var b strings.Builder
	b.WriteString(name)
	for i, l := range labels {
		if i == 0 {
			b.WriteString("{")
		} else {
			b.WriteString(",")
		}
		b.WriteString(l + `="` + labelValue.Replace(values[i]) + `"`)
	}
	b.WriteString("}")
	return b.String()
}

// GaugeFunc adds a gauge family read at each scrape: read calls add once per
// series (with one value per label); a family read without series is left
// out of /metrics.
func (m *Metrics) GaugeFunc(name, help string, labels []string, read func(add func(v float64, values ...string))) {
	m.set.RegisterMetricsWriter(func(w io.Writer) {
		first := true
		read(func(v float64, values ...string) {
			if first {
				writeHeader(w, name, help, "gauge")
				first = false
			}
			writeSample(w, series(name, labels, values), v)
		})
	})
}

// goProcessFamilies are the Go runtime and process metrics /metrics shows.
var goProcessFamilies = []string{
	"go_gc_duration_seconds", "go_gc_gogc_percent", "go_gc_gomemlimit_bytes", "go_goroutines", "go_info",
	"go_memstats_alloc_bytes", "go_memstats_alloc_bytes_total", "go_memstats_buck_hash_sys_bytes",
	"go_memstats_frees_total", "go_memstats_gc_sys_bytes", "go_memstats_heap_alloc_bytes",
	"go_memstats_heap_idle_bytes", "go_memstats_heap_inuse_bytes", "go_memstats_heap_objects",
	"go_memstats_heap_released_bytes", "go_memstats_heap_sys_bytes", "go_memstats_last_gc_time_seconds",
	"go_memstats_mallocs_total", "go_memstats_mcache_inuse_bytes", "go_memstats_mcache_sys_bytes",
	"go_memstats_mspan_inuse_bytes", "go_memstats_mspan_sys_bytes", "go_memstats_next_gc_bytes",
	"go_memstats_other_sys_bytes", "go_memstats_stack_inuse_bytes", "go_memstats_stack_sys_bytes",
	"go_memstats_sys_bytes", "go_sched_gomaxprocs_threads", "go_threads",
	"process_cpu_seconds_total", "process_max_fds", "process_network_receive_bytes_total",
	"process_network_transmit_bytes_total", "process_open_fds", "process_resident_memory_bytes",
	"process_start_time_seconds", "process_virtual_memory_bytes", "process_virtual_memory_max_bytes",
}

// ServeHTTP writes the metrics in the Prometheus text format: crieur's own
// and the Go runtime's and process's, one block per family, sorted by name.
func (m *Metrics) ServeHTTP(w http.ResponseWriter, _ *http.Request) {
	var all bytes.Buffer
	m.set.WritePrometheus(&all)
	metrics.WriteProcessMetrics(&all)
	metrics.WriteFDMetrics(&all)
	writeRuntimeExtras(&all)
	// With metadata on, each family starts with its "# HELP name" line.
	families := map[string][]string{}
	var name string
	for _, line := range strings.SplitAfter(all.String(), "\n") {
		if h, ok := strings.CutPrefix(line, "# HELP "); ok {
			name, _, _ = strings.Cut(strings.TrimSuffix(h, "\n"), " ")
			if text, ok := m.help[name]; ok {
				line = "# HELP " + name + " " + text + "\n"
			}
		}
		if line != "" && name != "" {
			families[name] = append(families[name], line)
		}
	}
	var names []string
	for n := range families {
		if strings.HasPrefix(n, "crieur_") || slices.Contains(goProcessFamilies, n) {
			names = append(names, n)
		}
	}
	slices.Sort(names)
	w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
	var out bytes.Buffer
	for _, n := range names {
		out.WriteString(strings.Join(families[n], ""))
	}
	_, _ = w.Write(out.Bytes())
}

// outcome counts a recorded outcome: published, retried or failed.
func (m *Metrics) outcome(kind, network string) {
	if m == nil {
		return
	}
	switch kind {
	case "published", "retried", "failed":
		m.set.GetOrCreateCounter(series("crieur_deliveries_"+kind+"_total", []string{"network"}, []string{network})).Inc()
	}
}

func (m *Metrics) observeLateness(d time.Duration) {
	if m != nil {
		m.lateness.Update(max(d, 0).Seconds())
	}
}

func (m *Metrics) setQueue(overdue, pending int) {
	if m != nil {
		m.overdue.Set(float64(overdue))
		m.pending.Set(float64(pending))
	}
}

// countQueue sets the queue gauges from the calendar now.
func (s *Scheduler) countQueue(ctx context.Context) {
	overdue, err := s.st.OverdueCount(ctx, s.o.Clock.Now())
	if err != nil {
		s.log.Error("metrics: counting overdue deliveries", "err", err)
		return
	}
	pending, err := s.st.PendingCount(ctx)
	if err != nil {
		s.log.Error("metrics: counting pending deliveries", "err", err)
		return
	}
	s.o.Metrics.setQueue(overdue, pending)
}

func (m *Metrics) setInflight(n int) {
	if m != nil {
		m.inflight.Set(float64(n))
	}
}

// Handler serves /metrics and /healthz (503 while the daemon is not
// progressing; 200 under a pause, its body starting "paused:" under the kill
// switch and saying how many due deliveries each pause holds back).
func (s *Scheduler) Handler() http.Handler {
	mux := http.NewServeMux()
	if s.o.Metrics != nil {
		mux.HandleFunc("/metrics", func(w http.ResponseWriter, r *http.Request) {
			// The queue is counted when asked, not by the idle daemon.
			s.countQueue(r.Context())
			s.o.Metrics.ServeHTTP(w, r)
		})
	}
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, r *http.Request) {
		ok, why := s.Health(r.Context())
		if !ok {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
		_, _ = w.Write([]byte(why + "\n"))
	})
	return mux
}
