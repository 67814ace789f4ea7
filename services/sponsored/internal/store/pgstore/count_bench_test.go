package pgstore_test

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/url"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/redis/go-redis/v9"

	"github.com/attendify/platform/benchkit"
	"github.com/attendify/platform/events"
	"github.com/attendify/platform/pg"
	"github.com/attendify/platform/testkit"
	"github.com/attendify/sponsored"
	"github.com/attendify/sponsored/internal/service"
	"github.com/attendify/sponsored/internal/store/pgstore"
	"github.com/attendify/sponsored/internal/store/redisstore"
	"github.com/attendify/sponsored/internal/storetest"
	"github.com/attendify/sponsored/migrations"
	"github.com/attendify/sponsored/placement"
)

// BenchmarkCount is the counter's path for impressions, measured in CPU
// (the machine is shared: wall time says little): b.N batches of impression
// records (service.CountBatch, or SPONSORED_BENCH_BATCH), appended to a throwaway app's record stream as the
// cap script appends them, then read (redisstore.Read), counted
// (pgstore.Count) and acknowledged (redisstore.Ack) as CountApp does, with
// the outbox relay running beside it on its own pool (publishing to a
// throwaway namespace), until the outbox is empty. It reports per
// impression counted:
//
//	pg-count-µs/imp  CPU of the counter's Postgres backends
//	pg-relay-µs/imp  CPU of the relay's Postgres backends
//	pg-all-µs/imp    CPU of every postgres process of the machine (WAL
//	                 writer, checkpointer, autovacuum, and whatever else
//	                 runs: noisy on a shared machine)
//	go-µs/imp        this process's CPU (read, decode, count, ack, relay)
//	redis-µs/imp     Redis' own time in the counter's and the relay's
//	                 stream commands (INFO commandstats; all clients)
//
// One impression a record, 4 campaigns, 5,000 members, over a table
// already holding SPONSORED_BENCH_PREFILL impressions (default 100,000);
// 50 batches of 1,024 (51,200 impressions), or 200 of 256:
//
//	cd services/sponsored && go test -run '^$' -bench Count -benchtime 50x ./internal/store/pgstore
//	SPONSORED_BENCH_BATCH=256 go test -run '^$' -bench Count -benchtime 200x ./internal/store/pgstore
func BenchmarkCount(b *testing.B) {
	ctx := context.Background()
	prefill := 100_000
	if v := os.Getenv("SPONSORED_BENCH_PREFILL"); v != "" {
		prefill, _ = strconv.Atoi(v)
	}
	dsn := testkit.PostgresURL(b, migrations.Schema, migrations.All...)
	countPool := openNamed(b, dsn, "bench-count")
	relayPool := openNamed(b, dsn, "bench-relay")
	store := pgstore.New(countPool)
	rdb, ns := testkit.Redis(b)
	board := redisstore.New(rdb, ns, redisstore.Options{})
	keys := placement.NewKeys(ns)
	const app = "benchapp"
	batch := service.CountBatch
	if v := os.Getenv("SPONSORED_BENCH_BATCH"); v != "" {
		batch, _ = strconv.Atoi(v)
	}
	camps := []string{"C1", "C2", "C3", "C4"}
	t0 := time.Now().Add(-time.Hour)
	for _, id := range camps {
		c := storetest.Campaign(app, id, t0)
		c.State, c.Budget = sponsored.StateLive, 1<<40
		c.Start, c.End = t0, t0.Add(48*time.Hour)
		if err := store.Create(ctx, c); err != nil {
			b.Fatal(err)
		}
	}
	if prefill > 0 {
		const q = `INSERT INTO impressions (id, app_id, campaign_id, member_id, served_at, day, internal, billable)
			SELECT md5(g::text), $1, 'C' || (1 + g % 4), 'm' || (g % 5000), now() - g * interval '10 ms', current_date, false, true
			FROM generate_series(1, $2) g`
		if _, err := countPool.Exec(ctx, q, app, prefill); err != nil {
			b.Fatal(err)
		}
		if _, err := countPool.Exec(ctx, `VACUUM ANALYZE impressions`); err != nil {
			b.Fatal(err)
		}
	}
	// The records, as the cap script writes them: one impression a page.
	stream := keys.Records(app)
	if _, err := board.Read(ctx, app, 1); err != nil { // creates the group
		b.Fatal(err)
	}
	now := time.Now()
	for i := 0; i < b.N*batch; i += 1000 {
		_, err := rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
			for j := i; j < min(i+1000, b.N*batch); j++ {
				p.XAdd(ctx, &redis.XAddArgs{Stream: stream, Values: []any{
					placement.RecKind, placement.RecordImpression, placement.RecMember, fmt.Sprintf("m%d", rand.IntN(5000)),
					placement.RecTime, now.Add(time.Duration(j) * time.Millisecond).UnixMilli(), placement.RecInternal, "0",
					placement.RecItems, camps[rand.IntN(len(camps))] + " " + placement.NewSecret(),
				}})
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	relay := &events.Relay{
		Pool: relayPool, Publisher: events.NewPublisher(rdb, events.NewStreams(ns), events.PublisherConfig{}),
		Schema: migrations.Schema, Logger: slog.New(slog.DiscardHandler),
	}
	rctx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- relay.Run(rctx) }()
	defer func() { stop(); <-done }()
	waitOutbox(b, countPool)

	pgBefore, allBefore := backendCPU(b, countPool), benchkit.CommandCPU("postgres")["postgres"]
	redisBefore := streamUsec(b, rdb)
	goBefore := benchkit.SelfCPU()
	b.ResetTimer()
	counted := 0
	for range b.N {
		recs, err := board.Read(ctx, app, batch)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := store.Count(ctx, app, recs); err != nil {
			b.Fatal(err)
		}
		ids := make([]string, len(recs))
		for i, r := range recs {
			ids[i] = r.ID
		}
		if err := board.Ack(ctx, app, ids); err != nil {
			b.Fatal(err)
		}
		counted += len(recs)
	}
	waitOutbox(b, countPool)
	b.StopTimer()
	goCPU := benchkit.SelfCPU() - goBefore
	redisUs := streamUsec(b, rdb) - redisBefore
	allCPU := benchkit.CommandCPU("postgres")["postgres"] - allBefore
	pgAfter := backendCPU(b, countPool)
	var n int
	if err := countPool.QueryRow(ctx, `SELECT count(*) FROM impressions`).Scan(&n); err != nil {
		b.Fatal(err)
	}
	if n != prefill+counted {
		b.Fatalf("%d impressions stored, want %d", n, prefill+counted)
	}
	per := func(d time.Duration) float64 { return float64(d.Microseconds()) / float64(counted) }
	b.ReportMetric(per(pgAfter["bench-count"]-pgBefore["bench-count"]), "pg-count-µs/imp")
	b.ReportMetric(per(pgAfter["bench-relay"]-pgBefore["bench-relay"]), "pg-relay-µs/imp")
	b.ReportMetric(per(allCPU), "pg-all-µs/imp")
	b.ReportMetric(per(goCPU), "go-µs/imp")
	b.ReportMetric(redisUs/float64(counted), "redis-µs/imp")
	b.ReportMetric(0, "ns/op")
}

// openNamed opens a pool on dsn whose backends carry application_name name.
func openNamed(b *testing.B, dsn, name string) *pgxpool.Pool {
	u, err := url.Parse(dsn)
	if err != nil {
		b.Fatal(err)
	}
	q := u.Query()
	q.Set("application_name", name)
	u.RawQuery = q.Encode()
	pool, err := pg.Open(context.Background(), pg.Config{URL: u.String(), MaxConns: 4}, migrations.Schema)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(pool.Close)
	return pool
}

func waitOutbox(b *testing.B, pool *pgxpool.Pool) {
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(5 * time.Millisecond) {
		var n int
		if err := pool.QueryRow(context.Background(), `SELECT count(*) FROM outbox`).Scan(&n); err != nil {
			b.Fatal(err)
		}
		if n == 0 {
			return
		}
		if time.Now().After(deadline) {
			b.Fatalf("the outbox still holds %d events", n)
		}
	}
}

// backendCPU is the CPU time of this database's backends by application
// name (from /proc: Postgres runs on this machine).
func backendCPU(b *testing.B, pool *pgxpool.Pool) map[string]time.Duration {
	rows, err := pool.Query(context.Background(), `SELECT pid, application_name FROM pg_stat_activity WHERE datname = current_database()`)
	if err != nil {
		b.Fatal(err)
	}
	defer rows.Close()
	out := map[string]time.Duration{}
	for rows.Next() {
		var pid int
		var name string
		if err := rows.Scan(&pid, &name); err != nil {
			b.Fatal(err)
		}
		cpu := benchkit.ProcessCPU(pid)
		if cpu == 0 { // unknown, or a backend that has not used a tick yet
			if _, err := os.Stat(fmt.Sprintf("/proc/%d", pid)); err != nil {
				b.Fatalf("no /proc/%d: is Postgres on this machine?", pid)
			}
		}
		out[name] += cpu
	}
	return out
}

// streamUsec is Redis' total time in the stream commands (µs).
func streamUsec(b *testing.B, rdb redis.UniversalClient) float64 {
	var sum float64
	for _, cmd := range []string{"xreadgroup", "xautoclaim", "xack", "xdel", "xadd", "multi", "exec"} {
		_, usec, err := benchkit.RedisCommand(context.Background(), rdb, cmd)
		if err != nil {
			b.Fatal(err)
		}
		sum += usec
	}
	return sum
}
