// Package shed is an adaptive load shedder: when the process is CPU-hot and
// more requests are in flight than it has shown it can serve, new requests
// are refused at once with a retryable "overloaded" error instead of
// queueing until every request is slow.
//
// The capacity estimate follows Little's law, in the manner of Kratos' BBR
// limiter and go-zero's adaptive shedder: over a rolling window of buckets
// (5 s of 100 ms by default), the most requests completed in one bucket
// gives the best throughput seen, the lowest mean response time of a bucket
// the latency without queueing, and their product the number of requests
// the server can hold in flight without a queue:
//
//	capacity = max completed per bucket × min mean rt / bucket length
//
// A request is over capacity when CPU usage (sampled in the background,
// smoothed) is at or above the threshold, or a drop happened within the
// cool-off period, and both the current and the average in-flight counts
// exceed the capacity. It then waits a short bounded time for a slot (a
// completion), and is dropped if none comes. The cool-off keeps the shedder from flapping when CPU dips for a
// moment under a flood; the average keeps one burst from tripping it.
//
// Allow is lock-free (atomics only) and allocates only the done func.
package shed

import (
	"math"
	"sync/atomic"
	"time"

	"github.com/attendify/platform/errs"
)

// Options tune a Shedder. The zero value gives the defaults.
type Options struct {
	// CPUThreshold is the CPU usage (0..1 of the cores the process may
	// use) from which the shedder may drop. Default 0.9.
	CPUThreshold float64
	// Window is the span of the rolling statistics. Default 5s.
	Window time.Duration
	// Buckets is the number of buckets in Window. Default 50.
	Buckets int
	// CoolOff is how long after a drop the shedder keeps dropping while
	// in-flight exceeds capacity, whatever the CPU; also the RetryAfter
	// hint. Default 1s.
	CoolOff time.Duration
	// MaxWait is how long a request over capacity may wait for a slot to
	// free before it is refused. A short bounded queue keeps clients that
	// retry at once (or hold a fixed number of connections) from turning
	// refusals into the server's main work, while latency stays bounded by
	// service time + MaxWait. Default 50ms; negative refuses at once.
	MaxWait time.Duration
	// CPU reports the process's CPU usage. Default: ProcessCPU().
	CPU CPU
	// Now is the clock. Default time.Now.
	Now func() time.Time
}

// CPU reports recent CPU usage as a fraction (0..1) of the CPU the process
// may use. Usage is called on every request while the shedder decides, so
// it must be cheap (an atomic load).
type CPU interface {
	Usage() float64
}

// Shedder decides, request by request, whether the server can take more
// work. It is safe for concurrent use.
type Shedder struct {
	threshold float64
	bucketDur int64 // nanoseconds
	coolOff   int64 // nanoseconds
	maxWait   time.Duration
	cpu       CPU
	elapsed   func() int64 // nanoseconds since New, monotonic

	inFlight  atomic.Int64
	avgFlying atomic.Uint64 // float64 bits: EWMA of in-flight, updated as requests come and go
	lastDrop  atomic.Int64  // elapsed nanoseconds at the last drop + 1; 0 = never
	dropped   atomic.Uint64
	passed    atomic.Uint64

	// capacity is cached per bucket: it depends only on finished buckets.
	capSlot atomic.Int64
	capVal  atomic.Int64

	buckets []bucket

	waiting atomic.Int64  // requests waiting for a slot
	freed   chan struct{} // a completion, for a waiting request to re-check
}

// bucket holds the requests that finished successfully in one bucket
// period. A bucket is reused for slot, slot+n, slot+2n...
type bucket struct {
	slot  atomic.Int64
	pass  atomic.Int64 // successful completions
	rtSum atomic.Int64 // their response times, nanoseconds
	_     [40]byte     // keep buckets on separate cache lines
}

const (
	flyingDecay = 0.9 // weight of the old average of in-flight per admission or completion

	// unknownCapacity is the capacity before any request has finished: no
	// evidence of a limit, so nothing is dropped.
	unknownCapacity = math.MaxInt64
)

// New returns a Shedder with o's settings.
func New(o Options) *Shedder {
	if o.CPUThreshold <= 0 {
		o.CPUThreshold = 0.9
	}
	if o.Window <= 0 {
		o.Window = 5 * time.Second
	}
	if o.Buckets <= 1 {
		o.Buckets = 50
	}
	if o.CoolOff <= 0 {
		o.CoolOff = time.Second
	}
	if o.MaxWait == 0 {
		o.MaxWait = 50 * time.Millisecond
	}
	if o.CPU == nil {
		o.CPU = ProcessCPU()
	}
	s := &Shedder{
		threshold: o.CPUThreshold,
		bucketDur: max(1, int64(o.Window)/int64(o.Buckets)),
		coolOff:   int64(o.CoolOff),
		maxWait:   max(0, o.MaxWait),
		cpu:       o.CPU,
		buckets:   make([]bucket, o.Buckets),
		freed:     make(chan struct{}, 64),
	}
	if o.Now == nil {
		// time.Since reads only the monotonic clock: several times cheaper
		// than time.Now on some virtual machines.
		start := time.Now()
		s.elapsed = func() int64 { return int64(time.Since(start)) }
	} else {
		start := o.Now()
		s.elapsed = func() int64 { return int64(o.Now().Sub(start)) }
	}
	for i := range s.buckets {
		s.buckets[i].slot.Store(math.MinInt64)
	}
	s.capSlot.Store(math.MinInt64)
	return s
}

// Allow admits or refuses one request. When admitted, the caller must call
// done exactly once when the request finishes, with success false for
// failures that say nothing about capacity (the request failed fast, or was
// canceled). When refused, err is an errs.CodeOverloaded error carrying a
// RetryAfter hint; answer it at once (HTTP 503 with Retry-After).
func (s *Shedder) Allow() (done func(success bool), err error) {
	now := s.elapsed()
	if s.shouldDrop(now) && !s.waitForSlot(now) {
		now = s.elapsed()
		s.dropped.Add(1)
		s.lastDrop.Store(now + 1)
		return nil, &errs.Error{
			Code:       errs.CodeOverloaded,
			Msg:        "the server is overloaded; retry later",
			RetryAfter: time.Duration(s.coolOff),
		}
	}
	s.observe(s.inFlight.Add(1))
	s.passed.Add(1)
	return func(success bool) { s.finish(now, success) }, nil
}

func (s *Shedder) shouldDrop(now int64) bool {
	if s.cpu.Usage() < s.threshold {
		last := s.lastDrop.Load()
		if last == 0 || now-(last-1) >= s.coolOff {
			return false
		}
	}
	c := s.capacity(now)
	return s.inFlight.Load() > c && s.avgInFlight() > float64(c)
}

// waitForSlot waits up to maxWait for completions to bring in-flight back
// under capacity; it reports whether the request may go ahead. Its time
// counts in the request's response time: queueing is part of the latency.
func (s *Shedder) waitForSlot(start int64) bool {
	if s.maxWait <= 0 {
		return false
	}
	s.waiting.Add(1)
	defer s.waiting.Add(-1)
	t := time.NewTimer(s.maxWait)
	defer t.Stop()
	for {
		select {
		case <-s.freed:
			if !s.shouldDrop(s.elapsed()) {
				return true
			}
		case <-t.C:
			return false
		}
	}
}

func (s *Shedder) finish(started int64, success bool) {
	now := s.elapsed()
	s.observe(s.inFlight.Add(-1))
	if success {
		s.record(now, max(0, now-started))
	}
	if s.waiting.Load() > 0 {
		select {
		case s.freed <- struct{}{}:
		default:
		}
	}
}

// observe folds the in-flight count after an admission or a completion
// into the average.
func (s *Shedder) observe(flying int64) {
	for {
		old := s.avgFlying.Load()
		avg := math.Float64frombits(old)*flyingDecay + float64(flying)*(1-flyingDecay)
		if s.avgFlying.CompareAndSwap(old, math.Float64bits(avg)) {
			return
		}
	}
}

// record counts a successful completion of response time rt in the
// bucket of now. Resetting a reused bucket races with concurrent adds (a
// few samples can be lost at a bucket boundary); the estimate does not
// need better.
func (s *Shedder) record(now, rt int64) {
	slot := now / s.bucketDur
	b := &s.buckets[slot%int64(len(s.buckets))]
	if cur := b.slot.Load(); cur != slot {
		if cur > slot {
			return // this goroutine stalled for a whole window; drop the sample
		}
		if b.slot.CompareAndSwap(cur, slot) {
			b.pass.Store(0)
			b.rtSum.Store(0)
		} else if b.slot.Load() != slot {
			return
		}
	}
	b.pass.Add(1)
	b.rtSum.Add(rt)
}

// capacity estimates how many requests can be in flight without queueing,
// from the finished buckets of the window (the current one is partial).
func (s *Shedder) capacity(now int64) int64 {
	slot := now / s.bucketDur
	if s.capSlot.Load() == slot {
		return s.capVal.Load()
	}
	maxPass, minRT := s.window(slot)
	c := int64(unknownCapacity)
	if maxPass > 0 {
		c = max(1, int64(math.Round(float64(maxPass)*minRT/float64(s.bucketDur))))
	}
	s.capVal.Store(c)
	s.capSlot.Store(slot)
	return c
}

// window returns the most completions in one finished bucket and the
// lowest mean response time (nanoseconds) of a finished bucket.
func (s *Shedder) window(slot int64) (maxPass int64, minRT float64) {
	n := int64(len(s.buckets))
	minRT = math.Inf(1)
	for i := range s.buckets {
		b := &s.buckets[i]
		bs := b.slot.Load()
		if bs >= slot || bs <= slot-n {
			continue
		}
		pass, sum := b.pass.Load(), b.rtSum.Load()
		if pass == 0 || b.slot.Load() != bs {
			continue
		}
		maxPass = max(maxPass, pass)
		minRT = min(minRT, float64(sum)/float64(pass))
	}
	if maxPass == 0 {
		return 0, 0
	}
	return maxPass, minRT
}

func (s *Shedder) avgInFlight() float64 { return math.Float64frombits(s.avgFlying.Load()) }

// Stats is a snapshot of the shedder for metrics and logs.
type Stats struct {
	InFlight    int64         // requests admitted and not yet done
	AvgInFlight float64       // smoothed in-flight
	Capacity    int64         // estimated in-flight capacity; -1 while unknown
	MaxPass     int64         // most successful completions in one bucket of the window
	MinRT       time.Duration // lowest mean response time of a bucket of the window
	CPU         float64       // CPU usage, 0..1
	Passed      uint64        // requests admitted since New
	Dropped     uint64        // requests refused since New
	CoolingOff  bool          // a drop happened within the cool-off period
}

// Stats returns the current statistics.
func (s *Shedder) Stats() Stats {
	now := s.elapsed()
	maxPass, minRT := s.window(now / s.bucketDur)
	c := s.capacity(now)
	if c == unknownCapacity {
		c = -1
	}
	last := s.lastDrop.Load()
	return Stats{
		InFlight:    s.inFlight.Load(),
		AvgInFlight: s.avgInFlight(),
		Capacity:    c,
		MaxPass:     maxPass,
		MinRT:       time.Duration(minRT),
		CPU:         s.cpu.Usage(),
		Passed:      s.passed.Load(),
		Dropped:     s.dropped.Load(),
		CoolingOff:  last != 0 && now-(last-1) < s.coolOff,
	}
}
