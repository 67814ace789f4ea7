package shed

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/attendify/platform/errs"
)

// shedding answers 503 with Retry-After when s refuses a request, the way
// the rpc server does.
func shedding(s *Shedder, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		done, err := s.Allow()
		if err != nil {
			secs := 1
			if e, ok := errs.As(err); ok && e.RetryAfter > time.Second {
				secs = int((e.RetryAfter + time.Second - 1) / time.Second)
			}
			w.Header().Set("Retry-After", strconv.Itoa(secs))
			http.Error(w, "overloaded", http.StatusServiceUnavailable)
			return
		}
		next.ServeHTTP(w, r)
		done(true)
	})
}

// burn is a handler doing a fixed amount of CPU work (a few milliseconds)
// in steps, yielding between them as a handler does at every I/O call, so
// that concurrent requests share the CPU rather than run one after another.
var burn = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	buf := make([]byte, 1024)
	var sum [32]byte
	for range 20 {
		for range 100 {
			sum = sha256.Sum256(buf)
			buf[0] = sum[0]
		}
		runtime.Gosched()
	}
	fmt.Fprintf(w, "%x", sum[:4])
})

type loadResult struct {
	ok, shed  int
	latencies []time.Duration // of the requests that were served
}

func (r loadResult) p(q float64) time.Duration {
	if len(r.latencies) == 0 {
		return 0
	}
	s := slices.Clone(r.latencies)
	slices.Sort(s)
	return s[min(len(s)-1, int(q*float64(len(s))))]
}

// load sends requests from clients goroutines, each pausing think between
// requests, until stop reports true (checked after every response).
func load(t *testing.T, url string, clients int, think time.Duration, stop func(loadResult) bool) loadResult {
	t.Helper()
	tr := &http.Transport{MaxIdleConns: clients, MaxIdleConnsPerHost: clients}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: 30 * time.Second}
	var (
		mu   sync.Mutex
		res  loadResult
		done atomic.Bool
		wg   sync.WaitGroup
		fail atomic.Value
	)
	for range clients {
		wg.Go(func() {
			for !done.Load() {
				start := time.Now()
				resp, err := client.Get(url)
				if err != nil {
					fail.Store(err)
					done.Store(true)
					return
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				took := time.Since(start)
				mu.Lock()
				switch resp.StatusCode {
				case http.StatusOK:
					res.ok++
					res.latencies = append(res.latencies, took)
				case http.StatusServiceUnavailable:
					if resp.Header.Get("Retry-After") == "" {
						fail.Store(errors.New("503 without Retry-After"))
					}
					res.shed++
				default:
					fail.Store(fmt.Errorf("status %d", resp.StatusCode))
				}
				if stop(res) {
					done.Store(true)
				}
				mu.Unlock()
				if think > 0 {
					time.Sleep(think)
				}
			}
		})
	}
	wg.Wait()
	if err, _ := fail.Load().(error); err != nil {
		t.Fatalf("load: %v", err)
	}
	return res
}

// TestOverload overloads a server whose handler burns CPU. Under light load
// the shedder admits everything; under a flood from many clients it refuses
// part of the requests with 503 and Retry-After, which keeps the latency of
// the admitted ones near the unloaded latency, while the same flood on a
// server without the shedder queues every request. The latencies are
// logged, not asserted: they depend on the machine.
func TestOverload(t *testing.T) {
	if testing.Short() {
		t.Skip("overload demonstration: a few seconds of CPU")
	}
	// A fast-reacting sampler: the default one smooths over about 2s.
	cpu := NewCPUSampler(20*time.Millisecond, 0.7)
	defer cpu.Close()
	s := New(Options{CPU: cpu, CPUThreshold: 0.8})
	srv := httptest.NewServer(shedding(s, burn))
	defer srv.Close()

	// Light load: two clients with a pause between requests. This also
	// teaches the shedder the unloaded response time.
	light := load(t, srv.URL, 2, 2*time.Millisecond, func(r loadResult) bool { return r.ok >= 300 })
	if light.shed != 0 || s.Stats().Dropped != 0 {
		t.Fatalf("light load: %d requests shed, want none (stats %+v)", light.shed, s.Stats())
	}
	t.Logf("light load:           %5d ok, p50 %v, p99 %v", light.ok, light.p(0.5), light.p(0.99))

	// Flood: 64 clients without pause, for two seconds (or until the
	// shedder has refused plenty).
	start := time.Now()
	flood := load(t, srv.URL, 64, 0, func(r loadResult) bool {
		return time.Since(start) > 2*time.Second || (r.shed >= 2000 && r.ok >= 500)
	})
	st := s.Stats()
	t.Logf("flood, with shedder:  %5d ok, %5d shed, p50 %v, p99 %v (cpu source %s, stats %+v)",
		flood.ok, flood.shed, flood.p(0.5), flood.p(0.99), cpu.Source(), st)
	if flood.shed == 0 {
		t.Fatalf("flood: nothing was shed (stats %+v)", st)
	}
	if flood.ok == 0 {
		t.Fatalf("flood: nothing was served, the shedder refused everything (stats %+v)", st)
	}

	// The same flood on a server without the shedder, for comparison.
	bare := httptest.NewServer(burn)
	defer bare.Close()
	start = time.Now()
	unshed := load(t, bare.URL, 64, 0, func(r loadResult) bool {
		return time.Since(start) > 2*time.Second || r.ok >= flood.ok
	})
	t.Logf("flood, no shedder:    %5d ok, p50 %v, p99 %v", unshed.ok, unshed.p(0.5), unshed.p(0.99))
}
