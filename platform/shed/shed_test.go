package shed

import (
	"errors"
	"math"
	"sync/atomic"
	"testing"
	"time"

	"github.com/attendify/platform/errs"
	"github.com/google/go-cmp/cmp"
)

// fakeCPU is a CPU reading the test sets.
type fakeCPU struct{ v atomic.Uint64 }

func (c *fakeCPU) Set(v float64)  { c.v.Store(math.Float64bits(v)) }
func (c *fakeCPU) Usage() float64 { return math.Float64frombits(c.v.Load()) }

// fakeClock is a clock the test advances.
type fakeClock struct{ t time.Time }

func (c *fakeClock) Now() time.Time          { return c.t }
func (c *fakeClock) Advance(d time.Duration) { c.t = c.t.Add(d) }

type harness struct {
	t     *testing.T
	s     *Shedder
	cpu   *fakeCPU
	clock *fakeClock
	open  []func(bool) // admitted, not yet done
}

func newHarness(t *testing.T) *harness {
	h := &harness{t: t, cpu: &fakeCPU{}, clock: &fakeClock{time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)}}
	// Defaults (0.9, 50 × 100ms, cool-off 1s) but no waiting for a slot:
	// the decisions here are about when to refuse; TestWaitForSlot covers
	// the wait.
	h.s = New(Options{CPU: h.cpu, Now: h.clock.Now, MaxWait: -1})
	return h
}

// warm runs a steady load through n buckets of 100ms: perBucket requests
// at the start of each bucket, all finishing after rt. That shows the
// shedder a throughput of perBucket per 100ms at a response time of rt,
// so a capacity of perBucket × rt / 100ms.
func (h *harness) warm(buckets, perBucket int, rt time.Duration) {
	h.t.Helper()
	for range buckets {
		for range perBucket {
			h.admit()
		}
		h.clock.Advance(rt)
		h.finishAll(true)
		h.clock.Advance(100*time.Millisecond - rt)
	}
}

// admit calls Allow and fails the test on a drop.
func (h *harness) admit() {
	h.t.Helper()
	done, err := h.s.Allow()
	if err != nil {
		h.t.Fatalf("dropped with %d in flight (stats %+v): %v", len(h.open), h.s.Stats(), err)
	}
	h.open = append(h.open, done)
}

// try calls Allow and reports whether the request was admitted.
func (h *harness) try() (bool, error) {
	done, err := h.s.Allow()
	if err != nil {
		return false, err
	}
	h.open = append(h.open, done)
	return true, nil
}

func (h *harness) finishAll(success bool) {
	for _, done := range h.open {
		done(success)
	}
	h.open = h.open[:0]
}

func TestCapacityEstimate(t *testing.T) {
	h := newHarness(t)
	h.warm(10, 10, 50*time.Millisecond)
	st := h.s.Stats()
	got := Stats{Capacity: st.Capacity, MaxPass: st.MaxPass, MinRT: st.MinRT, Passed: st.Passed, Dropped: st.Dropped}
	want := Stats{Capacity: 5, MaxPass: 10, MinRT: 50 * time.Millisecond, Passed: 100, Dropped: 0}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("stats (-want +got):\n%s", diff)
	}
}

func TestNoDropsWithoutCPUPressure(t *testing.T) {
	h := newHarness(t)
	h.warm(10, 10, 50*time.Millisecond) // capacity 5
	h.cpu.Set(0.5)
	for range 200 {
		h.admit() // 40 times the capacity in flight, and a cool CPU
	}
	if st := h.s.Stats(); st.Dropped != 0 || st.InFlight != 200 {
		t.Errorf("stats %+v: want 200 in flight and none dropped", st)
	}
}

func TestNoDropsWithoutHistory(t *testing.T) {
	h := newHarness(t)
	h.cpu.Set(1)
	for range 200 {
		h.admit() // no request has finished yet: no capacity is known
	}
}

func TestNoDropsWithinCapacity(t *testing.T) {
	h := newHarness(t)
	h.warm(10, 10, 50*time.Millisecond) // capacity 5
	h.cpu.Set(1)
	for range 20 {
		for range 5 {
			h.admit()
		}
		h.clock.Advance(50 * time.Millisecond)
		h.finishAll(true)
		h.clock.Advance(50 * time.Millisecond)
	}
}

func TestDropsWhenHotAndOverCapacity(t *testing.T) {
	h := newHarness(t)
	h.warm(10, 10, 50*time.Millisecond) // capacity 5
	h.cpu.Set(0.95)

	var err error
	admitted := 0
	for range 100 {
		var ok bool
		if ok, err = h.try(); !ok {
			break
		}
		admitted++
	}
	if err == nil {
		t.Fatalf("100 requests in flight on a hot CPU with capacity 5, none dropped (stats %+v)", h.s.Stats())
	}
	if admitted <= 5 {
		t.Errorf("dropped with %d in flight, want more than the capacity (5) admitted first", admitted)
	}
	if !errors.Is(err, errs.Overloaded) || errs.CodeOf(err) != errs.CodeOverloaded {
		t.Errorf("err = %v, want an overloaded error", err)
	}
	if e, _ := errs.As(err); e == nil || e.RetryAfter != time.Second {
		t.Errorf("err %#v: want RetryAfter 1s (the cool-off)", e)
	}
	if !errs.CodeOf(err).Retryable() {
		t.Error("the overloaded code is not retryable")
	}
	if st := h.s.Stats(); st.Dropped != 1 || !st.CoolingOff {
		t.Errorf("stats %+v: want 1 dropped, cooling off", st)
	}

	// Requests keep being dropped while the overload lasts...
	for range 10 {
		if ok, _ := h.try(); ok {
			t.Fatal("admitted while still hot and over capacity")
		}
	}
	// ...but once in-flight falls under the capacity, requests pass again,
	// even on a hot CPU.
	h.clock.Advance(50 * time.Millisecond)
	h.finishAll(true)
	h.admit()
}

// TestWaitForSlot checks the bounded queue: a request over capacity is
// admitted when a completion brings in-flight back under capacity within
// MaxWait, and refused when none comes.
func TestWaitForSlot(t *testing.T) {
	h := newHarness(t)
	h.s.maxWait = time.Second
	h.warm(10, 10, 50*time.Millisecond) // capacity 5
	h.cpu.Set(0.95)
	for len(h.open) < 20 { // past the capacity, as long as the average in-flight lags
		if ok, _ := h.try(); !ok {
			break
		}
	}
	over := len(h.open)

	got := make(chan error, 1)
	go func() {
		_, err := h.s.Allow()
		got <- err
	}()
	for h.s.waiting.Load() == 0 { // the request is now waiting for a slot
		time.Sleep(time.Millisecond)
	}
	for _, done := range h.open { // the load drains
		done(true)
	}
	h.open = nil
	if err := <-got; err != nil {
		t.Fatalf("a waiting request was refused although %d requests finished: %v", over, err)
	}

	h.s.maxWait = 20 * time.Millisecond
	for len(h.open) < 20 {
		if ok, _ := h.try(); !ok {
			break
		}
	}
	start := time.Now()
	if _, err := h.s.Allow(); !errors.Is(err, errs.Overloaded) {
		t.Fatalf("no slot freed, yet Allow = %v", err)
	}
	if waited := time.Since(start); waited < 20*time.Millisecond {
		t.Errorf("refused after %v, before MaxWait", waited)
	}
}

func TestCoolOff(t *testing.T) {
	h := newHarness(t)
	h.warm(10, 10, 50*time.Millisecond) // capacity 5
	h.cpu.Set(1)
	for {
		if ok, _ := h.try(); !ok {
			break
		}
	}
	// The CPU cools down for a moment, but the flood is still there: within
	// the cool-off period the shedder keeps dropping.
	h.cpu.Set(0.3)
	h.clock.Advance(500 * time.Millisecond)
	if ok, _ := h.try(); ok {
		t.Fatal("admitted over capacity 500ms after a drop (cool-off is 1s)")
	}
	// A cool CPU for a full cool-off period after the last drop: admit again.
	h.clock.Advance(time.Second)
	for range 20 {
		h.admit()
	}
	if st := h.s.Stats(); st.CoolingOff {
		t.Errorf("stats %+v: still cooling off", st)
	}
}

func TestFailuresDoNotCountAsCapacity(t *testing.T) {
	h := newHarness(t)
	for range 10 {
		for range 10 {
			h.admit()
		}
		h.clock.Advance(50 * time.Millisecond)
		h.finishAll(false)
		h.clock.Advance(50 * time.Millisecond)
	}
	if st := h.s.Stats(); st.Capacity != -1 || st.MaxPass != 0 {
		t.Errorf("stats %+v: want no capacity learned from failures", st)
	}
}

func TestHistoryExpires(t *testing.T) {
	h := newHarness(t)
	h.warm(10, 10, 50*time.Millisecond)
	h.clock.Advance(6 * time.Second) // longer than the 5s window
	if st := h.s.Stats(); st.Capacity != -1 {
		t.Errorf("stats %+v: want the capacity forgotten after the window", st)
	}
	// A request finishing now starts a fresh bucket.
	h.admit()
	h.clock.Advance(20 * time.Millisecond)
	h.finishAll(true)
	h.clock.Advance(100 * time.Millisecond)
	if st := h.s.Stats(); st.MaxPass != 1 || st.MinRT != 20*time.Millisecond {
		t.Errorf("stats %+v: want one pass of 20ms", st)
	}
}

func TestCPUSampler(t *testing.T) {
	c := NewCPUSampler(10*time.Millisecond, 0.5)
	defer c.Close()
	stop := make(chan struct{})
	go func() { // keep one core busy
		for {
			select {
			case <-stop:
				return
			default:
			}
			for range 10000 {
			}
		}
	}()
	defer close(stop)
	for range 500 { // up to 5s, usually a few samples
		if c.Usage() > 0 {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if u := c.Usage(); u <= 0 || u > 1 {
		t.Errorf("Usage = %v while a goroutine spins, want in (0, 1]", u)
	}
}

func BenchmarkAllow(b *testing.B) {
	b.Run("cool", func(b *testing.B) {
		cpu := &fakeCPU{}
		s := New(Options{CPU: cpu})
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				done, err := s.Allow()
				if err != nil {
					b.Fatal(err)
				}
				done(true)
			}
		})
	})
	b.Run("hot", func(b *testing.B) { // every Allow consults the capacity
		cpu := &fakeCPU{}
		cpu.Set(1)
		s := New(Options{CPU: cpu})
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if done, err := s.Allow(); err == nil {
					done(true)
				}
			}
		})
	})
}
