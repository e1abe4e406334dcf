package scheduler

import (
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"
)

// scrape gets /metrics from m over HTTP.
func scrape(t *testing.T, m *Metrics) string {
	t.Helper()
	srv := httptest.NewServer(m)
	defer srv.Close()
	resp, err := http.Get(srv.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain; version=0.0.4") {
		t.Fatalf("%d %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	return string(b)
}

// TestMetricsExposition: /metrics keeps the names, labels, types and help
// texts Prometheus scrapes, crieur's own and the Go runtime's and process's.
func TestMetricsExposition(t *testing.T) {
	m := NewMetrics()
	m.outcome("published", "mastodon")
	m.outcome("published", "mastodon")
	m.outcome("failed", `we"ird`)
	m.outcome("retried", "bluesky")
	m.observeLateness(3 * time.Second)
	m.observeLateness(-time.Second) // early counts as on time
	m.setQueue(4, 7)
	m.setInflight(2)
	m.GaugeFunc("crieur_test_expiry_seconds", "Test gauge.", []string{"channel", "token"}, func(add func(float64, ...string)) {
		add(1.5e9, "acme", "access")
		add(2e9, "acme", "refresh")
	})
	m.GaugeFunc("crieur_test_nothing", "Nothing.", nil, func(func(float64, ...string)) {})
	body := scrape(t, m)

	for _, want := range []string{
		"# HELP crieur_deliveries_published_total Deliveries the network confirmed, per network.\n# TYPE crieur_deliveries_published_total counter\n" +
			`crieur_deliveries_published_total{network="mastodon"} 2` + "\n",
		"# TYPE crieur_deliveries_failed_total counter\n" + `crieur_deliveries_failed_total{network="we\"ird"} 1` + "\n",
		"# TYPE crieur_deliveries_retried_total counter\n" + `crieur_deliveries_retried_total{network="bluesky"} 1` + "\n",
		"# HELP crieur_delivery_lateness_seconds How long after its run time a delivery reached its publisher.\n" +
			"# TYPE crieur_delivery_lateness_seconds histogram\n" +
			`crieur_delivery_lateness_seconds_bucket{le="0.01"} 1` + "\n" +
			`crieur_delivery_lateness_seconds_bucket{le="0.05"} 1` + "\n" +
			`crieur_delivery_lateness_seconds_bucket{le="0.1"} 1` + "\n" +
			`crieur_delivery_lateness_seconds_bucket{le="0.25"} 1` + "\n" +
			`crieur_delivery_lateness_seconds_bucket{le="0.5"} 1` + "\n" +
			`crieur_delivery_lateness_seconds_bucket{le="1"} 1` + "\n" +
			`crieur_delivery_lateness_seconds_bucket{le="2"} 1` + "\n" +
			`crieur_delivery_lateness_seconds_bucket{le="5"} 2` + "\n" +
			`crieur_delivery_lateness_seconds_bucket{le="10"} 2` + "\n" +
			`crieur_delivery_lateness_seconds_bucket{le="30"} 2` + "\n" +
			`crieur_delivery_lateness_seconds_bucket{le="60"} 2` + "\n" +
			`crieur_delivery_lateness_seconds_bucket{le="300"} 2` + "\n" +
			`crieur_delivery_lateness_seconds_bucket{le="3600"} 2` + "\n" +
			`crieur_delivery_lateness_seconds_bucket{le="+Inf"} 2` + "\n" +
			"crieur_delivery_lateness_seconds_sum 3\ncrieur_delivery_lateness_seconds_count 2\n",
		"# TYPE crieur_queue_overdue gauge\ncrieur_queue_overdue 4\n",
		"# HELP crieur_queue_pending Pending deliveries (scheduled or not).\n# TYPE crieur_queue_pending gauge\ncrieur_queue_pending 7\n",
		"# TYPE crieur_deliveries_in_flight gauge\ncrieur_deliveries_in_flight 2\n",
		"# HELP crieur_test_expiry_seconds Test gauge.\n# TYPE crieur_test_expiry_seconds gauge\n" +
			`crieur_test_expiry_seconds{channel="acme",token="access"} 1.5e+09` + "\n" +
			`crieur_test_expiry_seconds{channel="acme",token="refresh"} 2e+09` + "\n",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks\n%s\nin:\n%s", want, grepLines(body, "crieur_"))
		}
	}
	if strings.Contains(body, "crieur_test_nothing") {
		t.Errorf("a gauge family without series is shown:\n%s", grepLines(body, "crieur_test_nothing"))
	}

	// Every family, once, with its type, sorted by name; the Go runtime's and
	// the process's as Prometheus's Go client named them, and no others.
	types := map[string]string{}
	var order []string
	for _, m := range regexp.MustCompile(`(?m)^# TYPE (\S+) (\S+)$`).FindAllStringSubmatch(body, -1) {
		if _, dup := types[m[1]]; dup {
			t.Errorf("family %s twice", m[1])
		}
		types[m[1]] = m[2]
		order = append(order, m[1])
	}
	if !slices.IsSorted(order) {
		t.Errorf("families not sorted: %v", order)
	}
	for name, typ := range map[string]string{
		"go_gc_duration_seconds": "summary", "go_gc_gogc_percent": "gauge", "go_gc_gomemlimit_bytes": "gauge",
		"go_goroutines": "gauge", "go_info": "gauge", "go_memstats_alloc_bytes": "gauge",
		"go_memstats_alloc_bytes_total": "counter", "go_memstats_buck_hash_sys_bytes": "gauge",
		"go_memstats_frees_total": "counter", "go_memstats_gc_sys_bytes": "gauge",
		"go_memstats_heap_alloc_bytes": "gauge", "go_memstats_heap_idle_bytes": "gauge",
		"go_memstats_heap_inuse_bytes": "gauge", "go_memstats_heap_objects": "gauge",
		"go_memstats_heap_released_bytes": "gauge", "go_memstats_heap_sys_bytes": "gauge",
		"go_memstats_last_gc_time_seconds": "gauge", "go_memstats_mallocs_total": "counter",
		"go_memstats_mcache_inuse_bytes": "gauge", "go_memstats_mcache_sys_bytes": "gauge",
		"go_memstats_mspan_inuse_bytes": "gauge", "go_memstats_mspan_sys_bytes": "gauge",
		"go_memstats_next_gc_bytes": "gauge", "go_memstats_other_sys_bytes": "gauge",
		"go_memstats_stack_inuse_bytes": "gauge", "go_memstats_stack_sys_bytes": "gauge",
		"go_memstats_sys_bytes": "gauge", "go_sched_gomaxprocs_threads": "gauge", "go_threads": "gauge",
		"process_cpu_seconds_total": "counter", "process_max_fds": "gauge",
		"process_network_receive_bytes_total": "counter", "process_network_transmit_bytes_total": "counter",
		"process_open_fds": "gauge", "process_resident_memory_bytes": "gauge",
		"process_start_time_seconds": "gauge", "process_virtual_memory_bytes": "gauge",
		"process_virtual_memory_max_bytes": "gauge",
	} {
		if runtime.GOOS != "linux" && strings.HasPrefix(name, "process_") {
			delete(types, name) // read from /proc
			continue
		}
		if types[name] != typ {
			t.Errorf("%s: type %q, want %s", name, types[name], typ)
		}
		delete(types, name)
	}
	for name := range types {
		if !strings.HasPrefix(name, "crieur_") {
			t.Errorf("unexpected family %s", name)
		}
	}
	if !regexp.MustCompile(`(?m)^go_info\{version="go[^"]+"\} 1$`).MatchString(body) {
		t.Errorf("go_info: %s", grepLines(body, "go_info"))
	}
	for _, q := range []string{"0", "0.25", "0.5", "0.75", "1"} {
		if !strings.Contains(body, `go_gc_duration_seconds{quantile="`+q+`"} `) {
			t.Errorf("go_gc_duration_seconds lacks quantile %s", q)
		}
	}
}
