package rpc

import (
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the Prometheus collectors of a server: request counts by
// method and code, a latency histogram and the in-flight gauge per method,
// and the count of exchanges refused by the load shedder.
type metrics struct {
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
	inflight *prometheus.GaugeVec
	shed     prometheus.Counter
	unknown  *methodMetrics // requests that named no known method
}

func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "rpc_requests_total",
			Help: "JSON-RPC requests by method and code (0 for success).",
		}, []string{"method", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "rpc_request_duration_seconds",
			Help:    "JSON-RPC request latency by method.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"method"}),
		inflight: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "rpc_in_flight_requests",
			Help: "JSON-RPC requests being handled, by method.",
		}, []string{"method"}),
		shed: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "rpc_shed_total",
			Help: "HTTP exchanges refused by the load shedder with 503.",
		}),
	}
	if reg != nil {
		reg.MustRegister(m.requests, m.duration, m.inflight, m.shed)
	}
	m.unknown = m.forMethod("unknown")
	return m
}

// methodMetrics holds one method's collectors, resolved once so that the hot
// path does no label lookups for the common outcome.
type methodMetrics struct {
	name     string
	parent   *metrics
	ok       prometheus.Counter
	duration prometheus.Observer
	inflight prometheus.Gauge
	codes    sync.Map // int -> prometheus.Counter
}

func (m *metrics) forMethod(name string) *methodMetrics {
	return &methodMetrics{
		name:     name,
		parent:   m,
		ok:       m.requests.WithLabelValues(name, "0"),
		duration: m.duration.WithLabelValues(name),
		inflight: m.inflight.WithLabelValues(name),
	}
}

func (mm *methodMetrics) observe(code int, d time.Duration) {
	mm.duration.Observe(d.Seconds())
	if code == 0 {
		mm.ok.Inc()
		return
	}
	c, ok := mm.codes.Load(code)
	if !ok {
		c, _ = mm.codes.LoadOrStore(code, mm.parent.requests.WithLabelValues(mm.name, strconv.Itoa(code)))
	}
	c.(prometheus.Counter).Inc()
}
