// Command h2cbench measures service-to-service calls through the kit's
// client over HTTP/1.1 and over HTTP/2 cleartext (h2c), side by side: the
// echo.typed call of a running bench kit server (bench/rpc/kit), from C
// concurrent callers for D per round, the two protocols interleaved for R
// rounds. Per round and protocol it prints calls/s, p50 and p99 of the
// successful calls, errors (a failed call counts there, never as a latency),
// and the CPU time per call of this process (the caller) and of the server
// (-server-pid, read from /proc).
//
//	h2cbench -url http://127.0.0.1:18480 -server-pid 1234 -c 64 -d 8s -rounds 5
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/attendify/bench/rpc/echo"
	"github.com/attendify/platform/benchkit"
	"github.com/attendify/platform/rpc"
)

func main() {
	url := flag.String("url", "http://127.0.0.1:18480", "the kit server's base URL")
	pid := flag.Int("server-pid", 0, "the server's process id, for its CPU time (0: not measured)")
	c := flag.Int("c", 64, "concurrent callers")
	d := flag.Duration("d", 8*time.Second, "duration of each measured round")
	rounds := flag.Int("rounds", 5, "rounds (each: HTTP/1.1, then h2c)")
	flag.Parse()
	if err := run(*url, *pid, *c, *d, *rounds); err != nil {
		fmt.Fprintln(os.Stderr, "h2cbench:", err)
		os.Exit(1)
	}
}

type result struct {
	proto              string
	calls, errs        int
	perSec, p50, p99   float64 // calls/s, ms
	clientUS, serverUS float64 // CPU µs per call
	firstErr           string
}

func run(url string, pid, c int, d time.Duration, rounds int) error {
	clients := map[string]*rpc.Client{}
	for _, proto := range []string{"http1", "h2c"} {
		cl, err := rpc.NewClient(rpc.ClientOptions{Endpoints: []string{url}, HTTP2: proto == "h2c", MaxAttempts: 1, ConsecutiveFailures: 1 << 30})
		if err != nil {
			return err
		}
		clients[proto] = cl
		load(clients[proto], c, 2*time.Second) // warm-up: connections made
	}
	fmt.Printf("load average before: %s\n", loadavg())
	fmt.Println("| round | protocol | calls/s | p50 | p99 | errors | caller CPU per call | server CPU per call |")
	fmt.Println("| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: |")
	all := map[string][]result{}
	for r := 1; r <= rounds; r++ {
		for _, proto := range []string{"http1", "h2c"} {
			cpu0, srv0 := benchkit.SelfCPU(), benchkit.ProcessCPU(pid)
			res := load(clients[proto], c, d)
			res.proto = proto
			res.clientUS = float64((benchkit.SelfCPU() - cpu0).Microseconds()) / float64(max(res.calls, 1))
			if pid > 0 {
				res.serverUS = float64((benchkit.ProcessCPU(pid) - srv0).Microseconds()) / float64(max(res.calls, 1))
			}
			all[proto] = append(all[proto], res)
			fmt.Printf("| %d | %s | %.0f | %.2f ms | %.2f ms | %d | %.1f µs | %.1f µs |\n", r, proto, res.perSec, res.p50, res.p99, res.errs, res.clientUS, res.serverUS)
			if res.firstErr != "" {
				fmt.Fprintln(os.Stderr, "first error:", res.firstErr)
			}
		}
	}
	fmt.Printf("load average after: %s\n\nMedians over %d rounds:\n\n", loadavg(), rounds)
	fmt.Println("| protocol | calls/s | p50 | p99 | errors (all rounds) | caller CPU per call | server CPU per call |")
	fmt.Println("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
	for _, proto := range []string{"http1", "h2c"} {
		rs := all[proto]
		errs := 0
		for _, r := range rs {
			errs += r.errs
		}
		fmt.Printf("| %s | %.0f | %.2f ms | %.2f ms | %d | %.1f µs | %.1f µs |\n", proto,
			median(rs, func(r result) float64 { return r.perSec }), median(rs, func(r result) float64 { return r.p50 }),
			median(rs, func(r result) float64 { return r.p99 }), errs,
			median(rs, func(r result) float64 { return r.clientUS }), median(rs, func(r result) float64 { return r.serverUS }))
	}
	return nil
}

// load calls echo.typed from c goroutines for d.
func load(cl *rpc.Client, c int, d time.Duration) result {
	res, _ := benchkit.Phase{Clients: c, Duration: d}.Run(context.Background(), func(ctx context.Context, _ benchkit.Call) error {
		got, err := echo.KitEchoTyped.Call(ctx, cl, echo.KitParams(echo.Sample))
		if err == nil && got != echo.KitParams(echo.Sample) {
			err = fmt.Errorf("echo returned %+v", got)
		}
		return err
	})
	r := result{calls: len(res.Latencies), errs: res.Failures, perSec: res.Rate(),
		p50: benchkit.Millis(res.Percentile(50)), p99: benchkit.Millis(res.Percentile(99))}
	if res.FirstErr != nil {
		r.firstErr = res.FirstErr.Error()
	}
	return r
}

func median(rs []result, f func(result) float64) float64 {
	v := make([]float64, len(rs))
	for i, r := range rs {
		v[i] = f(r)
	}
	slices.Sort(v)
	if len(v) == 0 {
		return 0
	}
	if len(v)%2 == 1 {
		return v[len(v)/2]
	}
	return (v[len(v)/2-1] + v[len(v)/2]) / 2
}

func loadavg() string {
	b, _ := os.ReadFile("/proc/loadavg")
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}
