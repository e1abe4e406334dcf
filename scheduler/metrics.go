package scheduler

import (
	"context"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metrics are the daemon's Prometheus metrics. A nil *Metrics records nothing.
type Metrics struct {
	Registry  *prometheus.Registry
	published *prometheus.CounterVec
	failed    *prometheus.CounterVec
	retried   *prometheus.CounterVec
	lateness  prometheus.Histogram
	overdue   prometheus.Gauge
	pending   prometheus.Gauge
	inflight  prometheus.Gauge
}

// NewMetrics registers the scheduler's metrics in a registry of their own.
func NewMetrics() *Metrics {
	m := &Metrics{
		Registry: prometheus.NewRegistry(),
		published: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "crieur_deliveries_published_total",
			Help: "Deliveries the network confirmed, per network."}, []string{"network"}),
		failed: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "crieur_deliveries_failed_total",
			Help: "Deliveries failed for good or whose channel was paused, per network."}, []string{"network"}),
		retried: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "crieur_deliveries_retried_total",
			Help: "Attempts that will be retried, per network."}, []string{"network"}),
		lateness: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "crieur_delivery_lateness_seconds",
			Help:    "How long after its run time a delivery reached its publisher.",
			Buckets: []float64{.01, .05, .1, .25, .5, 1, 2, 5, 10, 30, 60, 300, 3600}}),
		overdue: prometheus.NewGauge(prometheus.GaugeOpts{Name: "crieur_queue_overdue",
			Help: "Runnable deliveries due more than a minute ago on unpaused channels."}),
		pending: prometheus.NewGauge(prometheus.GaugeOpts{Name: "crieur_queue_pending",
			Help: "Pending deliveries (scheduled or not)."}),
		inflight: prometheus.NewGauge(prometheus.GaugeOpts{Name: "crieur_deliveries_in_flight",
			Help: "Deliveries being published now by this daemon."}),
	}
	m.Registry.MustRegister(m.published, m.failed, m.retried, m.lateness, m.overdue, m.pending, m.inflight,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// outcome counts a recorded outcome: published, retried or failed.
func (m *Metrics) outcome(kind, network string) {
	if m == nil {
		return
	}
	switch kind {
	case "published":
		m.published.WithLabelValues(network).Inc()
	case "retried":
		m.retried.WithLabelValues(network).Inc()
	case "failed":
		m.failed.WithLabelValues(network).Inc()
	}
}

func (m *Metrics) observeLateness(d time.Duration) {
	if m != nil {
		m.lateness.Observe(max(d, 0).Seconds())
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
		prom := promhttp.HandlerFor(s.o.Metrics.Registry, promhttp.HandlerOpts{})
		mux.HandleFunc("/metrics", func(w http.ResponseWriter, r *http.Request) {
			// The queue is counted when asked, not by the idle daemon.
			s.countQueue(r.Context())
			prom.ServeHTTP(w, r)
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
