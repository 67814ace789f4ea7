// Command analyticsbench measures the analytics service (bench/analytics/
// run.sh builds and runs it) and prints Markdown tables:
//
//   - ingest through track.batch at batches of -batch events, events/s,
//     beside a raw pipelined go-redis client doing the same counter,
//     HyperLogLog and sorted-set updates per event, in interleaved rounds;
//   - dashboard queries (stats.series over a day, a week, 30 days) at
//     -clients concurrent clients: p50/p99, and the CPU the server and the
//     load generator spent per call;
//   - from an event sent to the number on the dashboard, polled as the page
//     does (GET /dashboard/<app>/live every second with If-None-Match),
//     while other installs keep sending: p50/p99.
//
// It runs a real analytics (the binary given with -bin) on a database and a
// Redis namespace of its own, removed at the end, and writes the hub read
// model it needs (an app, an organizer) with hub's exported encoders. A
// JSON-RPC answer with an error member counts as a failure. -parts runs
// some of the three; -profile writes pprof profiles of each query range.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	mrand "math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/caarlos0/env/v11"
	"github.com/redis/go-redis/v9"

	"github.com/attendify/analytics"
	"github.com/attendify/hub"
	"github.com/attendify/platform/auth"
	"github.com/attendify/platform/benchkit"
	"github.com/attendify/platform/pg"
	"github.com/attendify/platform/redisx"
	"github.com/attendify/platform/rpc"
)

type config struct {
	Postgres pg.Config
	Redis    redisx.Config
	Auth     auth.Config
}

type params struct {
	bin      string
	batch    int
	clients  int
	ingest   int
	rounds   int
	duration time.Duration
	samples  int
	parts    string // the benchmarks to run: ingest, queries, latency
	profile  string // a directory for the server's profiles of each query range
}

func main() {
	var p params
	flag.StringVar(&p.bin, "bin", "", "path to the analytics binary")
	flag.IntVar(&p.batch, "batch", 100, "events per track.batch")
	flag.IntVar(&p.ingest, "ingest-clients", 16, "concurrent clients of the ingest benchmark")
	flag.IntVar(&p.clients, "clients", 64, "concurrent clients of the query benchmark")
	flag.IntVar(&p.rounds, "rounds", 3, "interleaved rounds of the ingest benchmark")
	flag.DurationVar(&p.duration, "duration", 10*time.Second, "duration of each timed load")
	flag.IntVar(&p.samples, "samples", 40, "events timed from send to dashboard")
	flag.StringVar(&p.parts, "parts", "ingest,queries,latency", "the benchmarks to run, comma-separated")
	flag.StringVar(&p.profile, "profile", "", "write the server's CPU and allocation profiles of each query range's back-to-back load to this directory")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, p); err != nil {
		fmt.Fprintln(os.Stderr, "analyticsbench:", err)
		os.Exit(1)
	}
}

func say(format string, args ...any) { fmt.Fprintf(os.Stderr, format+"\n", args...) }

type bench struct {
	p       params
	pid     int    // the analytics process, for its CPU time
	admin   string // its admin listener (pprof), with -profile
	rdb     redis.UniversalClient
	ns      string
	base    string
	client  *rpc.Client
	svc     *rpc.Client
	app     string
	orgTok  string
	dsn     string
	eventID string
	seq     atomic.Int64
}

func run(ctx context.Context, p params) error {
	if p.bin == "" {
		return fmt.Errorf("-bin is required")
	}
	var cfg config
	if err := env.Parse(&cfg); err != nil {
		return err
	}
	scratch, err := benchkit.OpenScratch(ctx, "analytics", cfg.Postgres.URL, cfg.Redis)
	if err != nil {
		return err
	}
	defer scratch.Close()
	dsn, rdb, ns, suffix := scratch.DatabaseURL, scratch.Redis, scratch.Namespace, scratch.Suffix

	b := &bench{p: p, rdb: rdb, ns: ns, dsn: dsn, app: "benchapp" + suffix, eventID: "ev1"}
	acfg := cfg.Auth
	acfg.ServiceName = "bench"
	issuer, err := acfg.Issuer()
	if err != nil {
		return err
	}
	if err := b.seedHub(ctx, issuer); err != nil {
		return err
	}
	addr, err := benchkit.FreeAddr()
	if err != nil {
		return err
	}
	proc := exec.CommandContext(ctx, p.bin)
	proc.Env = append(os.Environ(), "DATABASE_URL="+dsn, "REDIS_NAMESPACE="+ns, "ADDR="+addr,
		"RPC_ACCESS_LOG=false", "SHED_DISABLED=true", "LOG_LEVEL=WARN", "ANALYTICS_RATE_LIMIT=1000000000", "ANALYTICS_MEMBER_RATE_LIMIT=1000000000", "ANALYTICS_ANON_RATE_LIMIT=1000000000",
		"ANALYTICS_FOLD_INTERVAL=5s", "SHUTDOWN_DELAY=0")
	if p.profile != "" {
		if err := os.MkdirAll(p.profile, 0o755); err != nil {
			return err
		}
		if b.admin, err = benchkit.FreeAddr(); err != nil {
			return err
		}
		proc.Env = append(proc.Env, "ADMIN_ADDR="+b.admin, "DEBUG_PPROF=true")
	}
	proc.Stdout, proc.Stderr = os.Stderr, os.Stderr
	if err := proc.Start(); err != nil {
		return err
	}
	defer func() { _ = proc.Process.Signal(os.Interrupt); _ = proc.Wait() }()
	b.pid = proc.Process.Pid
	b.base = "http://" + addr
	if err := benchkit.WaitReady(ctx, b.base); err != nil {
		return err
	}
	say("analytics at %s", b.base)
	if b.client, err = rpc.NewClient(rpc.ClientOptions{Endpoints: []string{b.base}, MaxAttempts: 1}); err != nil {
		return err
	}
	signer, err := acfg.Signer()
	if err != nil {
		return err
	}
	if b.svc, err = rpc.NewClient(rpc.ClientOptions{Endpoints: []string{b.base}, Signer: &signer, MaxAttempts: 1}); err != nil {
		return err
	}

	fmt.Printf("## analytics benchmarks\n\n%d CPUs (GOMAXPROCS %d), %s; analytics, Postgres and Redis on this machine.\n\n",
		runtime.NumCPU(), runtime.GOMAXPROCS(0), time.Now().UTC().Format("2006-01-02 15:04 MST"))
	parts := strings.Split(p.parts, ",")
	if slices.Contains(parts, "ingest") {
		if err := b.ingestBench(ctx); err != nil {
			return err
		}
	}
	if slices.Contains(parts, "queries") {
		if err := b.queryBench(ctx); err != nil {
			return err
		}
	}
	if slices.Contains(parts, "latency") {
		return b.latencyBench(ctx)
	}
	return nil
}

// seedHub writes what hub would: the app (published) and its event, the
// read model's ready mark, and an organizer with a token.
func (b *bench) seedHub(ctx context.Context, issuer *auth.Issuer) error {
	keys := hub.NewReadModelKeys(b.ns)
	org := "org" + benchkit.Suffix()
	cfg := hub.EncodeAppConfig(hub.AppConfig{ID: b.app, Slug: b.app, Name: "Bench", Status: hub.StatusPublished, Access: hub.AccessOpen})
	mem := hub.EncodeMembership(hub.Membership{App: b.app, User: org, Role: auth.RoleOwner})
	start := time.Now().UTC().Truncate(time.Hour)
	list, err := hub.EncodeEvents([]hub.EventInfo{{ID: b.eventID, Name: "Bench", TimeZone: "UTC", Visibility: hub.VisibilityPublic,
		Access: hub.EventAccessOpen, StartUTC: start, EndUTC: start.Add(48 * time.Hour)}})
	if err != nil {
		return err
	}
	_, err = b.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.HSet(ctx, keys.Config(b.app), append(anys(cfg), hub.FieldVersion, 1)...)
		p.HSet(ctx, keys.Events(b.app), append(anys(list), hub.FieldVersion, 1)...)
		p.HSet(ctx, keys.Membership(b.app, org), append(anys(mem), hub.FieldVersion, 1)...)
		p.Set(ctx, keys.Ready(), "1", 0)
		return nil
	})
	if err != nil {
		return err
	}
	b.orgTok, err = issuer.Issue(auth.Claims{User: org, App: b.app, Role: auth.RoleOwner}, 2*time.Hour)
	return err
}

func anys(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}

// events makes a batch of n fresh events of one install: screen views and
// taps on sessions, in the last minutes, for the bench's event.
func (b *bench) events(n int, install string) []analytics.TrackEvent {
	now := time.Now().UTC()
	evs := make([]analytics.TrackEvent, n)
	for i := range evs {
		id := strconv.FormatInt(b.seq.Add(1), 36)
		at := now.Add(-time.Duration(i%5) * time.Minute)
		if i%4 == 3 {
			evs[i] = analytics.TrackEvent{ID: id, Type: analytics.TypeTap, At: at, Event: b.eventID, TargetType: analytics.TargetSession, TargetID: "s" + strconv.Itoa(i%20)}
		} else {
			evs[i] = analytics.TrackEvent{ID: id, Type: analytics.TypeScreenView, At: at, Event: b.eventID, Screen: "agenda"}
		}
	}
	return evs
}

// load runs fn from clients goroutines for d (benchkit.Phase) and says
// the first failure.
func load(ctx context.Context, clients int, d time.Duration, fn func(ctx context.Context, worker int) error) (benchkit.Result, error) {
	res, err := benchkit.Phase{Clients: clients, Duration: d}.Run(ctx, func(ctx context.Context, c benchkit.Call) error { return fn(ctx, c.Client) })
	if res.FirstErr != nil {
		say("  first error: %v", res.FirstErr)
	}
	return res, err
}

func (b *bench) ingestBench(ctx context.Context) error {
	p := b.p
	var kitCPU time.Duration
	var kitEvents int64
	kitRound := func() (float64, int64, error) {
		cpu0 := benchkit.ProcessCPU(b.pid)
		defer func() { kitCPU += benchkit.ProcessCPU(b.pid) - cpu0 }()
		res, err := load(ctx, p.ingest, p.duration, func(ctx context.Context, w int) error {
			inst := fmt.Sprintf("bench-install-%04d", w)
			res, err := analytics.Track.Call(ctx, b.client, analytics.TrackParams{AppRef: rpc.AppRef{App: b.app}, Install: inst, SentAt: time.Now().UTC(), Events: b.events(p.batch, inst)})
			if err == nil && res.Accepted != p.batch {
				err = fmt.Errorf("accepted %d of %d", res.Accepted, p.batch)
			}
			return err
		})
		kitEvents += int64(len(res.Latencies) * p.batch)
		return res.Rate() * float64(p.batch), int64(res.Failures), err
	}
	raw := redisx.NewKeys(b.ns, "rawbench")
	rawRound := func() (float64, int64, error) {
		res, err := load(ctx, p.ingest, p.duration, func(ctx context.Context, w int) error {
			inst := fmt.Sprintf("bench-install-%04d", w)
			evs := b.events(p.batch, inst)
			_, err := b.rdb.Pipelined(ctx, func(pp redis.Pipeliner) error {
				expire := map[string]bool{}
				for _, e := range evs {
					rawUpdates(ctx, pp, raw, b.app, inst, e, expire)
				}
				for k := range expire {
					pp.Expire(ctx, k, 96*time.Hour)
				}
				return nil
			})
			return err
		})
		return res.Rate() * float64(p.batch), int64(res.Failures), err
	}
	var kit, rawRates []float64
	var kitFails, rawFails int64
	for r := range p.rounds {
		say("ingest round %d: raw pipelined Redis...", r+1)
		rr, f, err := rawRound()
		if err != nil {
			return err
		}
		rawRates, rawFails = append(rawRates, rr), rawFails+f
		say("ingest round %d: track.batch...", r+1)
		kr, f, err := kitRound()
		if err != nil {
			return err
		}
		kit, kitFails = append(kit, kr), kitFails+f
	}
	fmt.Printf("### Ingest, batches of %d events, %d clients, %d interleaved rounds of %s\n\n", p.batch, p.ingest, p.rounds, p.duration)
	fmt.Printf("| path | events/s by round | median | spread | failures |\n|---|---|---|---|---|\n")
	row := func(name string, rates []float64, fails int64) {
		fmt.Printf("| %s | %s | %.0f | %.0f–%.0f | %d |\n", name, joinRates(rates), median(rates), slices.Min(rates), slices.Max(rates), fails)
	}
	row("baseline: raw pipelined go-redis, the same counter, HLL and sorted-set updates per event", rawRates, rawFails)
	row("track.batch (JSON-RPC, validation, rate limit, raw events in Postgres, one Lua script)", kit, kitFails)
	fmt.Printf("\nRatio of medians: %.2f (goal: at least 0.5). The analytics process used %.1f µs of CPU per event (%s over %d events).\n\n",
		median(kit)/median(rawRates), float64(kitCPU.Microseconds())/float64(max(kitEvents, 1)), kitCPU.Round(time.Millisecond), kitEvents)
	return nil
}

// rawUpdates is what the Lua script does for one anonymous event, as plain
// pipelined commands: the dedupe mark, the counters, uniques and waiting
// mark of each scope and level, presence, the top list and item counts.
// The keys to give a TTL are collected in expire (once per batch, as the
// script does).
func rawUpdates(ctx context.Context, p redis.Pipeliner, k redisx.Keys, app, inst string, e analytics.TrackEvent, expire map[string]bool) {
	tag := "a:" + app
	p.SetNX(ctx, k.Tagged(tag, "seen", inst, e.ID), "1", 96*time.Hour)
	counter := analytics.CountScreenViews
	if e.Type == analytics.TypeTap {
		counter = analytics.CountTaps
	}
	for _, scope := range []string{"all", e.Event} {
		for _, l := range []struct {
			name string
			d    time.Duration
		}{{"minute", time.Minute}, {"hour", time.Hour}, {"day", 24 * time.Hour}} {
			start := strconv.FormatInt(e.At.Truncate(l.d).Unix(), 10)
			ck := k.Tagged(tag, "c", scope, l.name, start)
			p.HIncrBy(ctx, ck, counter, 1)
			uk := k.Tagged(tag, "ui", scope, l.name, start)
			p.PFAdd(ctx, uk, inst)
			expire[ck], expire[uk] = true, true
		}
		p.ZAdd(ctx, k.Tagged(tag, "dirty"), redis.Z{Score: 1, Member: scope + "|" + strconv.FormatInt(e.At.Truncate(time.Minute).Unix(), 10)})
	}
	p.ZAddGT(ctx, k.Tagged(tag, "pi"), redis.Z{Score: float64(e.At.UnixMilli()), Member: inst})
	if e.Type == analytics.TypeTap {
		day := strconv.FormatInt(e.At.Truncate(24*time.Hour).Unix(), 10)
		tk, ik := k.Tagged(tag, "top", "sessions", day), k.Tagged(tag, "it", day)
		p.ZIncrBy(ctx, tk, 1.5, e.TargetID)
		p.HIncrBy(ctx, ik, "session|"+e.TargetID, 1)
		expire[tk], expire[ik] = true, true
	}
}

func (b *bench) queryBench(ctx context.Context) error {
	say("folding what the ingest wrote...")
	if _, err := analytics.Fold.Call(ctx, b.svc, analytics.FoldParams{All: true}); err != nil {
		return err
	}
	say("seeding 30 days of rollups...")
	if err := b.seedRollups(ctx); err != nil {
		return err
	}
	octx := auth.WithCaller(ctx, auth.Caller{Kind: auth.CallerUser, Token: b.orgTok})
	now := time.Now().UTC()
	fmt.Printf("### Dashboard queries (stats.series as an organizer), %d clients, %s each\n\n", b.p.clients, b.p.duration)
	fmt.Printf("Back to back: each client calls again as soon as it has the answer. Paced: each client calls once a second, as a dashboard would.\n\n")
	fmt.Printf("| range | step | buckets | back to back calls/s | p50 | p99 | server CPU per call | clients' CPU per call | paced p50 | paced p99 | failures |\n|---|---|---|---|---|---|---|---|---|---|---|\n")
	var rows []string
	for _, q := range []struct {
		name string
		from time.Time
		step string
	}{
		{"a day", now.Add(-24 * time.Hour), analytics.StepHour},
		{"a week", now.Add(-7 * 24 * time.Hour), analytics.StepHour},
		{"30 days", now.Add(-30 * 24 * time.Hour), analytics.StepDay},
	} {
		say("queries: %s...", q.name)
		params := analytics.RangeParams{AppRef: rpc.AppRef{App: b.app}, From: q.from, To: now, Step: q.step}
		s, err := analytics.GetSeries.Call(octx, b.client, params)
		if err != nil {
			return err
		}
		// The first answer was decoded in full above; the timed clients
		// only check that each answer is a result (seriesCaller): the load
		// generator shares the two CPUs with the server, and decoding is
		// not what is measured.
		sc, err := b.newSeriesCaller(params)
		if err != nil {
			return err
		}
		stopProfile := b.startProfile(ctx, strings.ReplaceAll(q.name, " ", "-"))
		cpu0, self0 := benchkit.ProcessCPU(b.pid), benchkit.ProcessCPU(os.Getpid())
		bufs := make([]bytes.Buffer, b.p.clients)
		res, err := load(ctx, b.p.clients, b.p.duration, func(ctx context.Context, w int) error {
			return sc.call(ctx, &bufs[w])
		})
		if err != nil {
			return err
		}
		cpu, self := benchkit.ProcessCPU(b.pid)-cpu0, benchkit.ProcessCPU(os.Getpid())-self0
		if err := stopProfile(); err != nil {
			return err
		}
		// The same clients as dashboards: each asks once a second.
		pres, err := benchkit.Phase{Clients: b.p.clients, Duration: b.p.duration, Period: time.Second}.Run(ctx, func(ctx context.Context, _ benchkit.Call) error {
			var buf bytes.Buffer
			return sc.call(ctx, &buf)
		})
		if err != nil {
			return err
		}
		calls := len(res.Latencies) + res.Failures
		perCall := func(d time.Duration) float64 { return float64(d.Microseconds()) / float64(max(calls, 1)) }
		rows = append(rows, fmt.Sprintf("| %s | %s | %d | %.0f | %s | %s | %.0f µs | %.0f µs | %s | %s | %d |", q.name, q.step, len(s.Buckets), res.Rate(),
			benchkit.FormatPercentile(res.Latencies, 50), benchkit.FormatPercentile(res.Latencies, 99), perCall(cpu), perCall(self),
			benchkit.FormatPercentile(pres.Latencies, 50), benchkit.FormatPercentile(pres.Latencies, 99), res.Failures+pres.Failures))
	}
	for _, r := range rows {
		fmt.Println(r)
	}
	fmt.Println()
	return nil
}

// seriesCaller calls stats.series with the same params again and again,
// over HTTP/1.1 as the rpc client does, and reads each answer whole
// without decoding it: the rpc client would decode a week's 17 kB answer
// into Go values, which on the bench's shared CPUs costs about as much as
// the server's own work for it. An
// answer is a success when it is a JSON-RPC result (the server writes
// {"jsonrpc":"2.0","result": first); an error member fails the call.
type seriesCaller struct {
	hc    *http.Client
	url   string
	token string
	body  []byte
}

func (b *bench) newSeriesCaller(p analytics.RangeParams) (*seriesCaller, error) {
	body, err := json.Marshal(struct {
		JSONRPC string                `json:"jsonrpc"`
		Method  string                `json:"method"`
		Params  analytics.RangeParams `json:"params"`
		ID      int                   `json:"id"`
	}{"2.0", analytics.GetSeries.Name, p, 1})
	if err != nil {
		return nil, err
	}
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConnsPerHost = 256
	return &seriesCaller{hc: &http.Client{Transport: t}, url: b.base + "/rpc", token: b.orgTok, body: body}, nil
}

var resultPrefix = []byte(`{"jsonrpc":"2.0","result":`)

// call makes one call, reading the answer into buf.
func (c *seriesCaller) call(ctx context.Context, buf *bytes.Buffer) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.url, bytes.NewReader(c.body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	auth.SetBearerToken(req, c.token)
	resp, err := c.hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	buf.Reset()
	if _, err := buf.ReadFrom(resp.Body); err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK || !bytes.HasPrefix(buf.Bytes(), resultPrefix) {
		return fmt.Errorf("%s: %s %.200s", analytics.GetSeries.Name, resp.Status, buf.Bytes())
	}
	return nil
}

// startProfile, with -profile, starts recording the server's CPU profile
// and its allocations for the next timed load (its duration less a second)
// into <dir>/<name>-cpu.pprof and <name>-allocs.pprof, and the load
// generator's own CPU profile into <name>-clients-cpu.pprof; the function
// it returns stops and waits for them.
func (b *bench) startProfile(ctx context.Context, name string) func() error {
	if b.p.profile == "" {
		return func() error { return nil }
	}
	secs := max(1, int(b.p.duration/time.Second)-1)
	var wg sync.WaitGroup
	errc := make(chan error, 3)
	for _, kind := range []string{"profile", "allocs"} {
		file := filepath.Join(b.p.profile, name+"-cpu.pprof")
		if kind == "allocs" {
			file = filepath.Join(b.p.profile, name+"-allocs.pprof")
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			errc <- benchkit.FetchProfile(ctx, fmt.Sprintf("http://%s/debug/pprof/%s?seconds=%d", b.admin, kind, secs), file)
		}()
	}
	// The load generator's own profile: it shares the CPUs with the server.
	stopSelf, err := benchkit.StartCPUProfile(filepath.Join(b.p.profile, name+"-clients-cpu.pprof"))
	if err != nil {
		errc <- err
	}
	return func() error {
		if stopSelf != nil {
			errc <- stopSelf()
		}
		wg.Wait()
		close(errc)
		for err := range errc {
			if err != nil {
				return err
			}
		}
		return nil
	}
}

// seedRollups writes 30 days of folded minutes, hours and days (both
// scopes) before today, as the fold job would have.
func (b *bench) seedRollups(ctx context.Context) error {
	pool, err := pg.Open(ctx, pg.Config{URL: b.dsn}, "analytics")
	if err != nil {
		return err
	}
	defer pool.Close()
	const q = `
		INSERT INTO rollups (app, scope, level, start, counts, members, installs)
		SELECT $1, scope, lv, t, jsonb_build_object('screen_views', 40 + (extract(epoch FROM t)::bigint % 17), 'taps', 9),
			20 + (extract(epoch FROM t)::bigint % 7), 25
		FROM unnest(ARRAY['all', $2]) AS scope,
			(VALUES ('minute', interval '1 minute'), ('hour', interval '1 hour'), ('day', interval '1 day')) AS l(lv, step),
			generate_series(date_trunc('day', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' - interval '30 days',
				date_trunc('day', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' - l.step, l.step) AS t
		ON CONFLICT DO NOTHING`
	_, err = pool.Exec(ctx, q, b.app, b.eventID)
	return err
}

// latencyBench times events from track.batch to the dashboard's data, as
// the page polls it (every second, with If-None-Match), while 4 other
// installs keep sending batches.
func (b *bench) latencyBench(ctx context.Context) error {
	bg, stopBG := context.WithCancel(ctx)
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			inst := fmt.Sprintf("bench-bg-%02d", w)
			for bg.Err() == nil {
				_, _ = analytics.Track.Call(bg, b.client, analytics.TrackParams{AppRef: rpc.AppRef{App: b.app}, Install: inst, SentAt: time.Now().UTC(), Events: b.events(b.p.batch, inst)})
				time.Sleep(50 * time.Millisecond)
			}
		}()
	}
	defer func() { stopBG(); wg.Wait() }()

	poller := &poller{url: b.base + "/dashboard/" + url.PathEscape(b.app) + "/live?minutes=5", token: b.orgTok}
	if _, err := poller.poll(ctx); err != nil {
		return err
	}
	go poller.run(bg, time.Second)
	var lat []time.Duration
	var fails int
	say("event -> dashboard: %d samples...", b.p.samples)
	for i := range b.p.samples {
		// A random phase against the page's polling.
		time.Sleep(time.Duration(200+mrand.IntN(900)) * time.Millisecond)
		want := poller.custom() + 1
		start := time.Now()
		_, err := analytics.Track.Call(ctx, b.client, analytics.TrackParams{AppRef: rpc.AppRef{App: b.app}, Install: "bench-probe", SentAt: time.Now().UTC(),
			Events: []analytics.TrackEvent{{ID: fmt.Sprint("probe-", i, "-", benchkit.Suffix()), Type: analytics.TypeCustom, At: time.Now().UTC(), Name: "probe"}}})
		if err != nil {
			fails++
			continue
		}
		seen := poller.waitCustom(ctx, want, 10*time.Second)
		if seen.IsZero() {
			fails++
			continue
		}
		lat = append(lat, seen.Sub(start))
	}
	slices.Sort(lat)
	fmt.Printf("### From an event sent (track.batch) to its number on the dashboard\n\n")
	fmt.Printf("The page's poll: GET /dashboard/<app>/live every second with If-None-Match; 4 other installs sending %d-event batches meanwhile.\n\n", b.p.batch)
	fmt.Printf("| samples | p50 | p99 | max | failures |\n|---|---|---|---|---|\n| %d | %s | %s | %s | %d |\n\n", len(lat), benchkit.FormatPercentile(lat, 50), benchkit.FormatPercentile(lat, 99), benchkit.FormatPercentile(lat, 100), fails)
	return nil
}

// poller polls the dashboard's data as the page does.
type poller struct {
	url, token string
	mu         sync.Mutex
	etag       string
	count      int64
	seenAt     time.Time
}

func (p *poller) poll(ctx context.Context) (int64, error) {
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, p.url, nil)
	auth.SetBearerToken(req, p.token)
	p.mu.Lock()
	if p.etag != "" {
		req.Header.Set("If-None-Match", p.etag)
	}
	p.mu.Unlock()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	switch resp.StatusCode {
	case http.StatusNotModified:
		return p.custom(), nil
	case http.StatusOK:
	default:
		return 0, fmt.Errorf("dashboard data: %s", resp.Status)
	}
	var l analytics.Live
	if err := json.NewDecoder(resp.Body).Decode(&l); err != nil {
		return 0, err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.etag = resp.Header.Get("ETag")
	if c := l.Today.Counts[analytics.CountCustom]; c != p.count {
		p.count, p.seenAt = c, time.Now()
	}
	return p.count, nil
}

func (p *poller) run(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			_, _ = p.poll(ctx)
		}
	}
}

func (p *poller) custom() int64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.count
}

// waitCustom returns when the poller first saw the custom count reach
// want, or zero after limit.
func (p *poller) waitCustom(ctx context.Context, want int64, limit time.Duration) time.Time {
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) && ctx.Err() == nil {
		p.mu.Lock()
		c, at := p.count, p.seenAt
		p.mu.Unlock()
		if c >= want {
			return at
		}
		time.Sleep(5 * time.Millisecond)
	}
	return time.Time{}
}

func joinRates(rs []float64) string {
	s := ""
	for i, r := range rs {
		if i > 0 {
			s += ", "
		}
		s += fmt.Sprintf("%.0f", r)
	}
	return s
}

func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}
