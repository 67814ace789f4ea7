package benchkit

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// Phase is one load: Clients goroutines, each starting its next call as
// soon as its last one returned (a closed loop, no think time), or once
// every Period when Period > 0 (as a dashboard polls, each client from a
// random phase), for Duration, or until Calls calls have started when
// Calls > 0 (then Duration, when set, still ends the phase early).
type Phase struct {
	Clients  int
	Duration time.Duration
	Calls    int
	Period   time.Duration
}

// Call is what an operation of a phase is given: its client (0 to
// Clients-1), its sequence number in the phase (from 0), and the client's
// own random source (seeded by the client's number, so that runs repeat).
type Call struct {
	Client int
	Seq    int
	Rand   *rand.Rand
}

// Result is what a phase measured.
type Result struct {
	// Latencies are those of the successful calls, sorted.
	Latencies []time.Duration
	// Failures counts the calls that returned an error: a JSON-RPC error
	// answer is a failure, never a latency.
	Failures int
	// FirstErr is the first failure's error.
	FirstErr error
	// Elapsed runs from the phase's start until its last call returned.
	Elapsed time.Duration
}

// Rate is the successful calls a second.
func (r Result) Rate() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(len(r.Latencies)) / r.Elapsed.Seconds()
}

// Percentile is the nearest-rank p-th percentile (0 < p <= 100) of the
// successful calls' latencies, 0 when there were none.
func (r Result) Percentile(p float64) time.Duration { return Percentile(r.Latencies, p) }

// Run runs the phase: op is called from p.Clients goroutines until the
// phase ends. Calls run on ctx, not on the phase's window: the calls in
// flight when the window closes finish, and count, instead of failing for
// want of time; Elapsed includes them. It returns ctx's error when ctx
// ended the phase.
func (p Phase) Run(ctx context.Context, op func(ctx context.Context, c Call) error) (Result, error) {
	window, cancel := context.WithCancel(ctx)
	defer cancel()
	if p.Duration > 0 {
		stop := time.AfterFunc(p.Duration, cancel)
		defer stop.Stop()
	}
	var (
		next     atomic.Int64
		failures atomic.Int64
		firstErr atomic.Pointer[error]
		mu       sync.Mutex
		all      []time.Duration
		wg       sync.WaitGroup
	)
	start := time.Now()
	for client := range max(p.Clients, 1) {
		wg.Go(func() {
			c := Call{Client: client, Rand: rand.New(rand.NewPCG(uint64(client), 42))}
			var lat []time.Duration
			var due time.Time
			if p.Period > 0 {
				due = time.Now().Add(rand.N(p.Period))
			}
			for window.Err() == nil {
				if p.Period > 0 {
					if !sleepUntil(window, due) {
						break
					}
					due = due.Add(p.Period)
				}
				c.Seq = int(next.Add(1) - 1)
				if p.Calls > 0 && c.Seq >= p.Calls {
					break
				}
				t0 := time.Now()
				if err := op(ctx, c); err != nil {
					failures.Add(1)
					firstErr.CompareAndSwap(nil, &err)
					continue
				}
				lat = append(lat, time.Since(t0))
			}
			mu.Lock()
			all = append(all, lat...)
			mu.Unlock()
		})
	}
	wg.Wait()
	r := Result{Latencies: all, Failures: int(failures.Load()), Elapsed: time.Since(start)}
	slices.Sort(r.Latencies)
	if e := firstErr.Load(); e != nil {
		r.FirstErr = *e
	}
	return r, ctx.Err()
}

// sleepUntil waits until t; false when ctx ended first.
func sleepUntil(ctx context.Context, t time.Time) bool {
	timer := time.NewTimer(time.Until(t))
	defer timer.Stop()
	select {
	case <-timer.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// Percentile is the nearest-rank p-th percentile (0 < p <= 100) of sorted,
// 0 when it is empty.
func Percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(math.Ceil(p/100*float64(len(sorted)))) - 1
	return sorted[max(0, min(i, len(sorted)-1))]
}

// FormatPercentile is Latency(Percentile(sorted, p)), for a results table.
func FormatPercentile(sorted []time.Duration, p float64) string {
	return Latency(Percentile(sorted, p))
}

// Latency formats a latency for a results table: microseconds under a
// millisecond (with two decimals under 10 µs), milliseconds with two
// decimals above; "–" for 0, no measure.
func Latency(d time.Duration) string {
	switch {
	case d == 0:
		return "–"
	case d < 10*time.Microsecond:
		return fmt.Sprintf("%.2f µs", float64(d.Nanoseconds())/1e3)
	case d < time.Millisecond:
		return fmt.Sprintf("%.0f µs", float64(d.Nanoseconds())/1e3)
	}
	return fmt.Sprintf("%.2f ms", float64(d.Microseconds())/1e3)
}

// Millis is d in milliseconds, for JSON results.
func Millis(d time.Duration) float64 { return float64(d.Microseconds()) / 1e3 }
