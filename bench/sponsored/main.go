// Command sponsored benchmarks the cap check-and-charge of sponsored's
// placement package on one hot member under concurrent clients, beside the
// raw Redis command it wraps (HINCRBY on the member's hash), in interleaved
// rounds; then checks that the caps hold under that load: a member capped
// at -cap impressions gets exactly that many, however many pages ask.
// bench/sponsored/run.sh runs it; the figures go to bench/RESULTS.md.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/attendify/platform/benchkit"
	"github.com/attendify/platform/redisx"
	"github.com/attendify/platform/runner"
	"github.com/attendify/sponsored"
	"github.com/attendify/sponsored/placement"
)

func main() {
	var o opts
	flag.IntVar(&o.clients, "c", 64, "concurrent clients")
	flag.DurationVar(&o.duration, "duration", 5*time.Second, "duration of each round")
	flag.IntVar(&o.rounds, "rounds", 3, "rounds of each target, interleaved")
	flag.IntVar(&o.cap, "cap", 1000, "the flight cap of the cap check")
	flag.StringVar(&o.redis, "redis", "redis://127.0.0.1:6379/0", "Redis URL")
	flag.StringVar(&o.ns, "namespace", "bench-sponsored", "Redis namespace (its keys are deleted first)")
	flag.Parse()
	runner.Main(func(ctx context.Context) error { return run(ctx, o) })
}

type opts struct {
	clients, rounds, cap int
	duration             time.Duration
	redis, ns            string
}

type round struct {
	Target  string  `json:"target"`
	Ops     int64   `json:"ops"`
	Errors  int64   `json:"errors"`
	PerSec  float64 `json:"per_sec"`
	P50ms   float64 `json:"p50_ms"`
	P99ms   float64 `json:"p99_ms"`
	Charged int64   `json:"charged,omitempty"`
	// RedisUsPerOp is Redis' own time per call of the command (INFO
	// commandstats); ClientUsPerOp this process's CPU time per operation.
	RedisUsPerOp  float64 `json:"redis_us_per_op"`
	ClientUsPerOp float64 `json:"client_us_per_op"`
	Recorded      int64   `json:"recorded,omitempty"`
}

const app = "benchapp"

func run(ctx context.Context, o opts) error {
	rdb, err := redisx.Open(ctx, redisx.Config{URL: o.redis})
	if err != nil {
		return err
	}
	keys := placement.NewKeys(o.ns)
	clean := func() error {
		iter := rdb.Scan(ctx, 0, redisx.ScanPattern(o.ns+":"), 1000).Iterator()
		for iter.Next(ctx) {
			if err := rdb.Unlink(ctx, iter.Val()).Err(); err != nil {
				return err
			}
		}
		return iter.Err()
	}
	publish := func(caps sponsored.Caps) error {
		b, _ := json.Marshal(placement.Eligibility{Version: 1, Every: 5, Campaigns: []placement.Entry{{
			ID: "camp", Weight: 1, TimeZone: "UTC", End: time.Now().Add(24 * time.Hour), Caps: caps,
			Sponsor: sponsored.Sponsor{Name: "Acme"}, Text: "bench", CTA: sponsored.CTA{Kind: sponsored.CTALink, Label: "Go"}}}})
		_, err := rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
			p.Set(ctx, keys.Eligibility(app), b, 0)
			p.HSet(ctx, keys.Live(app), placement.BudgetField("camp"), 1<<40, placement.PaceField("camp"), 1<<40)
			return nil
		})
		return err
	}
	cfg := placement.Config{Enabled: true, PublicURL: "http://127.0.0.1:8084", Timeout: 5 * time.Second, CacheTTL: time.Hour}
	if err := cfg.LinkKeys.UnmarshalText([]byte(placement.DevLinkKey)); err != nil {
		return err
	}
	placer, err := placement.New(cfg, placement.Options{Redis: rdb, Namespace: o.ns})
	if err != nil {
		return err
	}
	hot := placement.Viewer{Member: "hot", MemberRole: "attendee"}
	member := keys.Member(app, "hot")

	script := placement.ChargeScript()
	rawKeys := []string{keys.Live(app), member, keys.Records(app)}
	targets := map[string]func(ctx context.Context) (bool, error){
		"charge (placement.Fill)": func(ctx context.Context) (bool, error) {
			return len(placer.Fill(ctx, app, "", hot, 5)) == 1, nil
		},
		"raw EVALSHA (same script)": func(ctx context.Context) (bool, error) {
			now := time.Now()
			res, err := script.Run(ctx, rdb, rawKeys, "hot", placement.HourBucket(now.Unix()), "0", 1, now.UnixMilli(), 86400, 1,
				"camp", now.UTC().Format(time.DateOnly), 0, 0, 0, placement.NewSecret()).StringSlice()
			return len(res) == 2, err
		},
		"raw HINCRBY": func(ctx context.Context) (bool, error) {
			return true, rdb.HIncrBy(ctx, member, "camp:f", 1).Err()
		},
	}
	order := []string{"charge (placement.Fill)", "raw EVALSHA (same script)", "raw HINCRBY"}
	var rounds []round
	for r := 0; r < o.rounds; r++ {
		for _, name := range order {
			if err := clean(); err != nil {
				return err
			}
			if err := publish(sponsored.Caps{}); err != nil {
				return err
			}
			cmd := "hincrby"
			if !strings.HasSuffix(name, "HINCRBY") {
				cmd = "evalsha"
			}
			calls0, usec0, _ := benchkit.RedisCommand(ctx, rdb, cmd)
			cpu0 := benchkit.SelfCPU()
			res := load(ctx, name, o.clients, o.duration, targets[name])
			calls1, usec1, _ := benchkit.RedisCommand(ctx, rdb, cmd)
			cpu1 := benchkit.SelfCPU()
			res.RedisUsPerOp = (usec1 - usec0) / float64(max(calls1-calls0, 1))
			res.ClientUsPerOp = float64((cpu1 - cpu0).Microseconds()) / float64(max(res.Ops, 1))
			if !strings.HasSuffix(name, "HINCRBY") {
				res.Charged, _ = rdb.HGet(ctx, keys.Live(app), placement.ServedField("camp")).Int64()
				res.Recorded, _ = rdb.XLen(ctx, keys.Records(app)).Result()
				if res.Charged != res.Ops || res.Recorded != res.Charged {
					return fmt.Errorf("%s: %d placed, %d charged, %d recorded", name, res.Ops, res.Charged, res.Recorded)
				}
			}
			fmt.Fprintf(os.Stderr, "round %d %-26s %9.0f/s p50 %.2f ms p99 %.2f ms errors %d; Redis %.1f µs/op, this process %.1f µs CPU/op\n",
				r+1, name, res.PerSec, res.P50ms, res.P99ms, res.Errors, res.RedisUsPerOp, res.ClientUsPerOp)
			rounds = append(rounds, res)
		}
	}
	// The cap under the same load: exactly -cap impressions.
	if err := clean(); err != nil {
		return err
	}
	if err := publish(sponsored.Caps{PerFlight: o.cap}); err != nil {
		return err
	}
	placer, err = placement.New(cfg, placement.Options{Redis: rdb, Namespace: o.ns}) // a fresh eligibility cache
	if err != nil {
		return err
	}
	var placed atomic.Int64
	var wg sync.WaitGroup
	for range o.clients {
		wg.Go(func() {
			for range 4 * o.cap / o.clients {
				placed.Add(int64(len(placer.Fill(ctx, app, "", hot, 5))))
			}
		})
	}
	wg.Wait()
	charged, _ := rdb.HGet(ctx, member, "camp:f").Int64()
	fmt.Fprintf(os.Stderr, "cap %d, %d clients, %d pages: %d placed, %d charged\n", o.cap, o.clients, 4*o.cap/o.clients*o.clients, placed.Load(), charged)
	if err := clean(); err != nil {
		return err
	}
	out := map[string]any{"rounds": rounds, "cap": o.cap, "cap_placed": placed.Load(), "cap_charged": charged}
	if placed.Load() != int64(o.cap) || charged != int64(o.cap) {
		_ = json.NewEncoder(os.Stdout).Encode(out)
		return fmt.Errorf("the cap did not hold: %d placed, %d charged, cap %d", placed.Load(), charged, o.cap)
	}
	return json.NewEncoder(os.Stdout).Encode(out)
}

// load runs op on c workers for d and measures it (benchkit.Phase: the
// end of the round stops the workers between calls, never during one, as a
// call cut by a deadline may have charged without knowing it). A call that
// places nothing is a failure.
func load(ctx context.Context, name string, c int, d time.Duration, op func(context.Context) (bool, error)) round {
	res, _ := benchkit.Phase{Clients: c, Duration: d}.Run(ctx, func(ctx context.Context, _ benchkit.Call) error {
		ok, err := op(ctx)
		if err == nil && !ok {
			err = errNothingPlaced
		}
		return err
	})
	return round{Target: name, Ops: int64(len(res.Latencies)), Errors: int64(res.Failures), PerSec: res.Rate(),
		P50ms: benchkit.Millis(res.Percentile(50)), P99ms: benchkit.Millis(res.Percentile(99))}
}

var errNothingPlaced = errors.New("nothing placed")
