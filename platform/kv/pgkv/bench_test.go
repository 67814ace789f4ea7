package pgkv_test

// Throughput of the Postgres adapter side by side with a raw SQL baseline:
// the same tables written with bare pgx statements, no validation, no
// causal dots. For bench/RESULTS.md:
//
//	go test -run '^$' -bench . -benchtime 3s ./kv/pgkv
//
// "hot" writes one key from every goroutine (likes on one popular post),
// "spread" writes 1,000 keys (likes across an event).

import (
	"context"
	"fmt"
	"runtime"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/attendify/platform/kv/pgkv"
	"github.com/attendify/platform/pg"
	"github.com/attendify/platform/testkit"
	"github.com/jackc/pgx/v5/pgxpool"
)

// benchConns is the pool size, and the number of goroutines writing.
const benchConns = 16

func benchPool(b *testing.B) *pgxpool.Pool {
	b.Helper()
	url := testkit.PostgresURL(b, schema, pgkv.Migrations)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	pool, err := pg.Open(ctx, pg.Config{URL: url, MaxConns: benchConns}, schema)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(pool.Close)
	return pool
}

type keyspace struct {
	name string
	keys int
}

var keyspaces = []keyspace{{"hot", 1}, {"spread", 1000}}

// runParallel runs op from benchConns goroutines and reports ops/s as unit.
func runParallel(b *testing.B, unit string, op func(ctx context.Context, i int64) error) {
	ctx := context.Background()
	var seq atomic.Int64
	procs := runtime.GOMAXPROCS(0)
	b.SetParallelism((benchConns + procs - 1) / procs) // goroutines = parallelism × GOMAXPROCS
	b.ResetTimer()
	b.RunParallel(func(p *testing.PB) {
		for p.Next() {
			if err := op(ctx, seq.Add(1)); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), unit)
}

func BenchmarkCounterIncr(b *testing.B) {
	pool := benchPool(b)
	store := pgkv.New(pool)
	for _, ks := range keyspaces {
		b.Run("port/"+ks.name, func(b *testing.B) {
			runParallel(b, "incr/s", func(ctx context.Context, i int64) error {
				_, err := store.Incr(ctx, "bench-port", strconv.FormatInt(i%int64(ks.keys), 10), 1)
				return err
			})
		})
		b.Run("raw-sql/"+ks.name, func(b *testing.B) {
			const q = `
				INSERT INTO kv_counters AS c (bucket, key, n) VALUES ($1, $2, $3)
				ON CONFLICT (bucket, key) DO UPDATE SET n = c.n + EXCLUDED.n
				RETURNING n`
			runParallel(b, "incr/s", func(ctx context.Context, i int64) error {
				var n int64
				return pool.QueryRow(ctx, q, "bench-raw", strconv.FormatInt(i%int64(ks.keys), 10), 1).Scan(&n)
			})
		})
	}
}

func BenchmarkSetAdd(b *testing.B) {
	pool := benchPool(b)
	store := pgkv.New(pool)
	for _, ks := range keyspaces {
		b.Run("port/"+ks.name, func(b *testing.B) {
			runParallel(b, "adds/s", func(ctx context.Context, i int64) error {
				return store.SetAdd(ctx, "bench-port", strconv.FormatInt(i%int64(ks.keys), 10), fmt.Sprintf("user-%d", i))
			})
		})
		b.Run("raw-sql/"+ks.name, func(b *testing.B) {
			// A plain set: no clock, no dots, so no observed-remove.
			const q = `
				INSERT INTO kv_set_members (bucket, key, member, dot) VALUES ($1, $2, $3, '0')
				ON CONFLICT (bucket, key, member) DO NOTHING`
			runParallel(b, "adds/s", func(ctx context.Context, i int64) error {
				_, err := pool.Exec(ctx, q, "bench-raw", strconv.FormatInt(i%int64(ks.keys), 10), fmt.Sprintf("user-%d", i))
				return err
			})
		})
	}
}
