// Package gate bounds how much expensive work runs at once: a password hash
// that takes 64 MiB and a CPU for a tenth of a second, an image decode that
// takes a hundred megabytes. Work past the bound waits in a short queue, for
// a short time; past the queue or the wait it is refused at once with the
// retryable overloaded error (errs.CodeOverloaded, with a RetryAfter hint),
// so that a flood costs the process at most Workers pieces of work in
// memory and CPU, and its callers a clear answer instead of a timeout.
//
//	hashing := gate.New(gate.Options{Name: "password", Registerer: reg})
//	err := hashing.Do(ctx, func() { hash, herr = argon2id.CreateHash(pw, params) })
//
// The load shedder of platform/shed protects a whole server by watching CPU
// and latency; a gate protects one kind of work by counting it, which is
// what bounds memory.
package gate

import (
	"context"
	"errors"
	"runtime"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/attendify/platform/errs"
)

// Options configure a Gate. The zero value of each field has a default.
type Options struct {
	// Name says what the work is, in refusals and as the label of the
	// gate's metrics (gate="password"). Default "expensive".
	Name string
	// Workers is how many pieces of work run at once. Default
	// runtime.GOMAXPROCS(0): CPU-bound work gains nothing from more.
	Workers int
	// Queue is how many callers may wait for a worker; more are refused
	// at once. Default 2 × Workers; negative means none wait.
	Queue int
	// MaxWait is how long a caller waits in the queue before it is
	// refused. Default 300ms.
	MaxWait time.Duration
	// RetryAfter is the hint sent with a refusal. Default 1s.
	RetryAfter time.Duration
	// Registerer receives the gate's metrics; nil keeps them unexported.
	Registerer prometheus.Registerer
}

// Gate admits at most Workers pieces of work at once. It is safe for
// concurrent use.
type Gate struct {
	name       string
	slots      chan struct{}
	queue      int64
	maxWait    time.Duration
	retryAfter time.Duration
	waiting    atomic.Int64
	m          gateMetrics
}

// New returns a Gate with o's settings.
func New(o Options) *Gate {
	if o.Name == "" {
		o.Name = "expensive"
	}
	if o.Workers <= 0 {
		o.Workers = runtime.GOMAXPROCS(0)
	}
	switch {
	case o.Queue == 0:
		o.Queue = 2 * o.Workers
	case o.Queue < 0:
		o.Queue = 0
	}
	if o.MaxWait <= 0 {
		o.MaxWait = 300 * time.Millisecond
	}
	if o.RetryAfter <= 0 {
		o.RetryAfter = time.Second
	}
	g := &Gate{
		name:       o.Name,
		slots:      make(chan struct{}, o.Workers),
		queue:      int64(o.Queue),
		maxWait:    o.MaxWait,
		retryAfter: o.RetryAfter,
		m:          newMetrics(o.Registerer, o.Name),
	}
	g.m.workers.Set(float64(o.Workers))
	return g
}

// Do runs fn once a worker is free, in the caller's goroutine. It returns
// an errs.CodeOverloaded error without running fn when the queue is full or
// the wait passes MaxWait, and the context's error (canceled, deadline
// exceeded) when ctx ends first.
func (g *Gate) Do(ctx context.Context, fn func()) error {
	leave, err := g.Enter(ctx)
	if err != nil {
		return err
	}
	defer leave()
	fn()
	return nil
}

// Enter takes a worker for work the caller runs itself, and returns the
// function that gives it back (call it exactly once). Its errors are Do's.
func (g *Gate) Enter(ctx context.Context) (leave func(), err error) {
	select {
	case g.slots <- struct{}{}:
		return g.admitted(0), nil
	default:
	}
	if g.waiting.Add(1) > g.queue {
		g.waiting.Add(-1)
		g.m.refusedFull.Inc()
		return nil, g.overloaded("queue full")
	}
	g.m.waiting.Inc()
	defer func() { g.waiting.Add(-1); g.m.waiting.Dec() }()
	start := time.Now()
	t := time.NewTimer(g.maxWait)
	defer t.Stop()
	select {
	case g.slots <- struct{}{}:
		return g.admitted(time.Since(start)), nil
	case <-t.C:
		g.m.refusedWait.Inc()
		return nil, g.overloaded("waited too long")
	case <-ctx.Done():
		return nil, errs.Wrap(errs.KindOf(ctx.Err()), ctx.Err(), "waiting for a %s worker: %v", g.name, ctx.Err())
	}
}

func (g *Gate) admitted(waited time.Duration) func() {
	g.m.wait.Observe(waited.Seconds())
	g.m.busy.Inc()
	var done atomic.Bool
	return func() {
		if !done.CompareAndSwap(false, true) {
			return
		}
		g.m.busy.Dec()
		<-g.slots
	}
}

func (g *Gate) overloaded(why string) error {
	return &errs.Error{
		Code:       errs.CodeOverloaded,
		Msg:        "too much " + g.name + " work at once (" + why + "); retry later",
		RetryAfter: g.retryAfter,
	}
}

// gateMetrics are a gate's collectors, labelled with its name.
type gateMetrics struct {
	workers, busy, waiting   prometheus.Gauge
	refusedFull, refusedWait prometheus.Counter
	wait                     prometheus.Observer
}

// The collectors are shared by every gate of a registry; each gate has its
// own label value.
type collectors struct {
	workers, busy, waiting *prometheus.GaugeVec
	refused                *prometheus.CounterVec
	wait                   *prometheus.HistogramVec
}

func newCollectors() collectors {
	return collectors{
		workers: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "gate_workers", Help: "Pieces of work a gate admits at once.",
		}, []string{"gate"}),
		busy: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "gate_busy", Help: "Pieces of work running through a gate.",
		}, []string{"gate"}),
		waiting: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "gate_waiting", Help: "Callers waiting in a gate's queue.",
		}, []string{"gate"}),
		refused: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "gate_refused_total", Help: "Work refused as overloaded by a gate, by reason (queue_full, timeout).",
		}, []string{"gate", "reason"}),
		wait: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "gate_wait_seconds", Help: "Time admitted work waited for a worker of a gate.",
			Buckets: []float64{0, .001, .005, .01, .025, .05, .1, .25, .5, 1},
		}, []string{"gate"}),
	}
}

func newMetrics(reg prometheus.Registerer, name string) gateMetrics {
	c := newCollectors()
	if reg != nil {
		c.workers = register(reg, c.workers)
		c.busy = register(reg, c.busy)
		c.waiting = register(reg, c.waiting)
		c.refused = register(reg, c.refused)
		c.wait = register(reg, c.wait)
	}
	return gateMetrics{
		workers:     c.workers.WithLabelValues(name),
		busy:        c.busy.WithLabelValues(name),
		waiting:     c.waiting.WithLabelValues(name),
		refusedFull: c.refused.WithLabelValues(name, "queue_full"),
		refusedWait: c.refused.WithLabelValues(name, "timeout"),
		wait:        c.wait.WithLabelValues(name),
	}
}

// register registers c, or returns the collector of the same name a gate
// registered before (several gates share one registry).
func register[C prometheus.Collector](reg prometheus.Registerer, c C) C {
	if err := reg.Register(c); err != nil {
		var are prometheus.AlreadyRegisteredError
		if errors.As(err, &are) {
			if existing, ok := are.ExistingCollector.(C); ok {
				return existing
			}
		}
		panic("gate: register metrics: " + err.Error())
	}
	return c
}
