package benchkit_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/caarlos0/env/v11"
	"github.com/jackc/pgx/v5"

	"github.com/attendify/platform/benchkit"
	"github.com/attendify/platform/redisx"
	"github.com/attendify/platform/testkit"
)

// TestPhaseCountsFailuresApart: a failed call is a failure, never a
// latency; a phase of Calls makes exactly that many calls; every client
// gets its own number and random source.
func TestPhaseCountsFailuresApart(t *testing.T) {
	var clients [4]atomic.Int64
	boom := errors.New("boom")
	r, err := benchkit.Phase{Clients: 4, Calls: 1000}.Run(context.Background(), func(_ context.Context, c benchkit.Call) error {
		clients[c.Client].Add(1)
		time.Sleep(50 * time.Microsecond) // long enough for every client to start
		if c.Rand == nil {
			t.Error("a call without its client's random source")
		}
		if c.Seq%10 == 0 {
			return boom
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Latencies) != 900 || r.Failures != 100 || !errors.Is(r.FirstErr, boom) {
		t.Fatalf("got %d latencies, %d failures, first error %v; want 900, 100, boom", len(r.Latencies), r.Failures, r.FirstErr)
	}
	for i := range clients {
		if clients[i].Load() == 0 {
			t.Errorf("client %d made no call", i)
		}
	}
	if r.Rate() <= 0 {
		t.Errorf("rate %v", r.Rate())
	}
}

// TestPhaseLetsTheLastCallsFinish: the window closing does not cancel the
// calls in flight: they finish, count, and the elapsed time includes them.
func TestPhaseLetsTheLastCallsFinish(t *testing.T) {
	r, err := benchkit.Phase{Clients: 2, Duration: 50 * time.Millisecond}.Run(context.Background(), func(ctx context.Context, _ benchkit.Call) error {
		select {
		case <-time.After(120 * time.Millisecond):
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Latencies) != 2 || r.Failures != 0 || r.Elapsed < 120*time.Millisecond {
		t.Fatalf("got %d latencies, %d failures after %s; want 2, 0, at least 120ms", len(r.Latencies), r.Failures, r.Elapsed)
	}
	if p := r.Percentile(99); p < 120*time.Millisecond {
		t.Errorf("p99 %s, want at least 120ms", p)
	}
}

// TestPhasePaced: with a Period each client calls once a period, not
// back to back.
func TestPhasePaced(t *testing.T) {
	var calls atomic.Int64
	r, err := benchkit.Phase{Clients: 3, Duration: 500 * time.Millisecond, Period: 100 * time.Millisecond}.Run(context.Background(), func(context.Context, benchkit.Call) error {
		calls.Add(1)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// 3 clients, 4 to 5 calls each in half a second (a random phase in the
	// first period); a closed loop would make millions.
	if n := calls.Load(); n < 9 || n > 18 || len(r.Latencies) != int(n) {
		t.Fatalf("%d calls (%d latencies), want 12 to 15 (9 to 18 on a busy machine)", n, len(r.Latencies))
	}
}

func TestPercentileIsNearestRank(t *testing.T) {
	var sorted []time.Duration
	for i := 1; i <= 100; i++ {
		sorted = append(sorted, time.Duration(i)*time.Millisecond)
	}
	for p, want := range map[float64]time.Duration{50: 50 * time.Millisecond, 99: 99 * time.Millisecond, 99.9: 100 * time.Millisecond, 100: 100 * time.Millisecond, 0.5: time.Millisecond} {
		if got := benchkit.Percentile(sorted, p); got != want {
			t.Errorf("p%v = %s, want %s", p, got, want)
		}
	}
	if benchkit.Percentile(nil, 99) != 0 || benchkit.Latency(0) != "–" {
		t.Error("an empty measure is not 0 / –")
	}
	for d, want := range map[time.Duration]string{2500 * time.Nanosecond: "2.50 µs", 420 * time.Microsecond: "420 µs", 12345 * time.Microsecond: "12.35 ms"} {
		if got := benchkit.Latency(d); got != want {
			t.Errorf("Latency(%s) = %q, want %q", d, got, want)
		}
	}
}

func TestWaitReady(t *testing.T) {
	var ready atomic.Bool
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/readyz" || !ready.Load() {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
	}))
	defer srv.Close()
	time.AfterFunc(300*time.Millisecond, func() { ready.Store(true) })
	if err := benchkit.WaitReady(context.Background(), srv.URL); err != nil || !ready.Load() {
		t.Fatalf("WaitReady: %v (ready %v)", err, ready.Load())
	}
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	if err := benchkit.WaitReady(ctx, srv.URL+"/nothing-here"); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("WaitReady of a service that never gets ready: %v", err)
	}
}

// TestScratch creates a run's database and namespace, uses both, and
// drops them, with a connection still open.
func TestScratch(t *testing.T) {
	dsn := testkit.PostgresURL(t, "") // the server, reachable (a database of the test's own)
	rdb, _ := testkit.Redis(t)
	rcfg, err := env.ParseAs[redisx.Config]()
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	s, err := benchkit.OpenScratch(ctx, "kit", dsn, rcfg)
	if err != nil {
		t.Fatal(err)
	}
	name := "bench_kit_" + s.Suffix
	conn, err := pgx.Connect(ctx, s.DatabaseURL)
	if err != nil {
		s.Close()
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var db string
	if err := conn.QueryRow(ctx, "SELECT current_database()").Scan(&db); err != nil || db != name {
		s.Close()
		t.Fatalf("connected to %q (%v), want %q", db, err, name)
	}
	key := s.Namespace + ":x"
	if err := s.Redis.Set(ctx, key, "1", time.Minute).Err(); err != nil {
		s.Close()
		t.Fatal(err)
	}
	s.Close()
	admin, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close(ctx)
	var exists bool
	if err := admin.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", name).Scan(&exists); err != nil || exists {
		t.Fatalf("after Close: database exists %v (%v)", exists, err)
	}
	if n, err := rdb.Exists(ctx, key).Result(); err != nil || n != 0 {
		t.Fatalf("after Close: key exists %d (%v)", n, err)
	}
	if _, err := benchkit.OpenScratch(ctx, "kit", "mysql://x/y", rcfg); err == nil {
		t.Error("a URL that is not postgres:// was taken")
	}
}
