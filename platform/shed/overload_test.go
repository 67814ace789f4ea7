package shed_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/attendify/platform/auth"
	"github.com/attendify/platform/errs"
	"github.com/attendify/platform/rpc"
	"github.com/attendify/platform/shed"
)

type burnParams struct{}

var burnMethod = rpc.Method[burnParams, string]{Name: "burn", Auth: auth.Public, Timeout: time.Minute}

// burning is an rpc server with one method that does a fixed amount of CPU
// work (a few milliseconds) in steps, yielding between them as a handler
// does at every I/O call, so that concurrent requests share the CPU rather
// than run one after another. It counts the calls running.
type burning struct {
	*rpc.Server
	running atomic.Int64
}

func newBurning(sh rpc.Shedder) *burning {
	b := &burning{Server: rpc.NewServer(rpc.Options{Shedder: sh})}
	rpc.Handle(b.Server, burnMethod, func(context.Context, burnParams) (string, error) {
		b.running.Add(1)
		defer b.running.Add(-1)
		buf := make([]byte, 1024)
		var sum [32]byte
		for range 20 {
			for range 100 {
				sum = sha256.Sum256(buf)
				buf[0] = sum[0]
			}
			runtime.Gosched()
		}
		return fmt.Sprintf("%x", sum[:4]), nil
	})
	return b
}

type loadResult struct {
	ok, shed  int
	latencies []time.Duration // of the calls that were served
	// running is the mean of the calls running in the handler, sampled
	// every few milliseconds over the second half of the load.
	running float64
}

func (r loadResult) p(q float64) time.Duration {
	if len(r.latencies) == 0 {
		return 0
	}
	s := slices.Clone(r.latencies)
	slices.Sort(s)
	return s[min(len(s)-1, int(q*float64(len(s))))]
}

// load calls burn from clients goroutines for d, each pausing think
// between calls (or until stop, checked after every answer, says so). A
// refusal must be the documented one: HTTP 503, Retry-After, JSON-RPC
// error 1529 marked retryable.
func load(t *testing.T, b *burning, clients int, think, d time.Duration, stop func(loadResult) bool) loadResult {
	t.Helper()
	srv := httptest.NewServer(b)
	defer srv.Close()
	tr := &http.Transport{MaxIdleConns: clients, MaxIdleConnsPerHost: clients}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: 30 * time.Second}
	body := []byte(`{"jsonrpc":"2.0","method":"burn","params":{},"id":1}`)
	var (
		mu      sync.Mutex
		res     loadResult
		done    atomic.Bool
		wg      sync.WaitGroup
		fail    atomic.Value
		samples []int64
	)
	start := time.Now()
	wg.Go(func() {
		for !done.Load() {
			if time.Since(start) > d/2 {
				samples = append(samples, b.running.Load())
			}
			time.Sleep(2 * time.Millisecond)
		}
	})
	for range clients {
		wg.Go(func() {
			for !done.Load() {
				begin := time.Now()
				resp, err := client.Post(srv.URL+"/rpc", "application/json", bytes.NewReader(body))
				if err != nil {
					fail.Store(err)
					done.Store(true)
					return
				}
				raw, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				took := time.Since(begin)
				mu.Lock()
				switch resp.StatusCode {
				case http.StatusOK:
					res.ok++
					res.latencies = append(res.latencies, took)
				case http.StatusServiceUnavailable:
					var answer struct {
						Error struct {
							Code int
							Data struct{ Retryable bool }
						}
					}
					_ = json.Unmarshal(raw, &answer)
					if resp.Header.Get("Retry-After") == "" || answer.Error.Code != int(errs.CodeOverloaded) || !answer.Error.Data.Retryable {
						fail.Store(fmt.Errorf("refusal is not the documented overloaded answer: Retry-After %q, %s",
							resp.Header.Get("Retry-After"), raw))
					}
					res.shed++
				default:
					fail.Store(fmt.Errorf("status %d: %s", resp.StatusCode, raw))
				}
				if time.Since(start) > d || (stop != nil && stop(res)) {
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
	var sum int64
	for _, s := range samples {
		sum += s
	}
	if len(samples) > 0 {
		res.running = float64(sum) / float64(len(samples))
	}
	return res
}

// TestOverload floods an rpc server whose method burns CPU, once with the
// shedder and once without. Under light load the shedder admits
// everything. Under the flood from 64 clients it refuses part of the calls
// with the documented overloaded answer, and it keeps the calls running in
// the handler few: on a CPU-bound server a call's latency is the calls
// running times the work of one (Little's law), so that count is what
// stays low before latency collapses, while without the shedder every
// client's call runs at once. The latencies themselves are logged, not
// asserted: they depend on the machine.
func TestOverload(t *testing.T) {
	const clients = 64
	// A fast-reacting sampler: the default one smooths over about 2s.
	cpu := shed.NewCPUSampler(20*time.Millisecond, 0.7)
	defer cpu.Close()
	sh := shed.New(shed.Options{CPU: cpu, CPUThreshold: 0.8})
	b := newBurning(sh)

	// Light load: two clients with a pause between calls. This also
	// teaches the shedder the unloaded response time.
	light := load(t, b, 2, 2*time.Millisecond, time.Minute, func(r loadResult) bool { return r.ok >= 300 })
	if light.shed != 0 || sh.Stats().Dropped != 0 {
		t.Fatalf("light load: %d calls shed, want none (stats %+v)", light.shed, sh.Stats())
	}
	t.Logf("light load:           %5d ok, p50 %v, p99 %v", light.ok, light.p(0.5), light.p(0.99))

	flood := load(t, b, clients, 0, 2*time.Second, nil)
	st := sh.Stats()
	t.Logf("flood, with shedder:  %5d ok, %5d shed, %4.1f running, p50 %v, p99 %v (cpu source %s, stats %+v)",
		flood.ok, flood.shed, flood.running, flood.p(0.5), flood.p(0.99), cpu.Source(), st)
	if flood.shed == 0 {
		t.Fatalf("flood: nothing was shed (stats %+v)", st)
	}
	if flood.ok == 0 {
		t.Fatalf("flood: nothing was served, the shedder refused everything (stats %+v)", st)
	}

	unshed := load(t, newBurning(nil), clients, 0, 2*time.Second, nil)
	t.Logf("flood, no shedder:    %5d ok, %4.1f running, p50 %v, p99 %v", unshed.ok, unshed.running, unshed.p(0.5), unshed.p(0.99))
	if unshed.running < clients/2 {
		t.Fatalf("without the shedder only %.1f of %d clients' calls ran at once: the flood is not a flood", unshed.running, clients)
	}
	if flood.running > clients/4 {
		t.Errorf("with the shedder %.1f calls ran at once on average, want at most %d of the %d clients': the queue was not kept short",
			flood.running, clients/4, clients)
	}
}
