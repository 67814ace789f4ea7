// Command events measures the events pipeline end to end, side by side with
// raw Redis Streams on the same servers, and prints a Markdown table:
//
//	raw            pipelined XADD -> XREADGROUP + XACK, no library
//	publish        events.Publisher -> events.Consumer (no-op handler)
//	publish+idem   the same, handler wrapped in Idempotent(RedisStore)
//	outbox+idem    AddToOutbox (one event per transaction) -> Relay -> stream
//	               -> Idempotent(RedisStore) consumer
//	outbox+tx      the same, consumer IdempotentTx (processed_events insert
//	               in its own Postgres transaction)
//
// Every row is msgs/s from the first write to the last acknowledged event,
// with the producer and the consumer running at once. Postgres and Redis are
// taken from DATABASE_URL and REDIS_URL (local defaults); the program works
// in a schema and a key namespace of its own and removes them at the end.
//
//	go run ./events -n 20000
package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"runtime"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/attendify/platform/events"
	"github.com/attendify/platform/pg"
	"github.com/attendify/platform/redisx"
	"github.com/attendify/platform/testkit"
	"github.com/caarlos0/env/v11"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/redis/go-redis/v9"
)

// config is where the stores are.
type config struct {
	Postgres pg.Config
	Redis    redisx.Config
}

// params are the knobs of a run.
type params struct {
	n           int // messages per scenario
	batch       int // pipeline / read / relay batch size
	writers     int // concurrent outbox writers
	concurrency int // handler concurrency of the events consumers
	subjects    int // distinct subjects (concurrency lanes)
	payload     int // bytes of data per event
	notify      bool
	rounds      int // measurements per scenario, interleaved; the median is shown
}

func main() {
	var p params
	flag.IntVar(&p.n, "n", 20000, "messages per scenario")
	flag.IntVar(&p.batch, "batch", 100, "XADD pipeline, XREADGROUP count and relay batch size")
	flag.IntVar(&p.writers, "writers", 8, "concurrent outbox writers (one event per transaction)")
	flag.IntVar(&p.concurrency, "concurrency", 8, "handler concurrency of the events consumers")
	flag.IntVar(&p.subjects, "subjects", 256, "distinct event subjects")
	flag.IntVar(&p.payload, "payload", 200, "approximate bytes of JSON data per event")
	flag.BoolVar(&p.notify, "notify", true, "keep the outbox NOTIFY trigger (false: the relay polls)")
	flag.IntVar(&p.rounds, "rounds", 3, "rounds (every scenario once per round); the table shows the median")
	only := flag.String("only", "", "run only this scenario")
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, p, *only); err != nil {
		fmt.Fprintln(os.Stderr, "events bench:", err)
		os.Exit(1)
	}
}

// scenario is one row of the table.
type scenario struct {
	name  string
	what  string
	run   func(ctx context.Context, b *bench) error
	setup func(b *bench, ctx context.Context) error // untimed, before run; may be nil
}

// bench holds the stores of a run.
type bench struct {
	p      params
	pool   *pgxpool.Pool
	rdb    redis.UniversalClient
	ns     string
	schema string
	data   json.RawMessage
	round  int
}

// topic names a scenario's topic in the current round, so that each round
// starts with a fresh stream and group.
func (b *bench) topic(name string) string { return name + strconv.Itoa(b.round) }

func run(ctx context.Context, p params, only string) error {
	var cfg config
	if err := env.Parse(&cfg); err != nil {
		return err
	}
	if err := pg.EnsureDatabase(ctx, cfg.Postgres.URL); err != nil {
		return err
	}
	suffix := randomHex(4)
	b := &bench{p: p, ns: "bench-events-" + suffix, schema: "bench_events_" + suffix, data: payload(p.payload)}

	cfg.Postgres.MaxConns = int32(p.writers + 8)
	pool, err := pg.Open(ctx, cfg.Postgres, b.schema)
	if err != nil {
		return err
	}
	defer pool.Close()
	defer func() {
		ctx := context.WithoutCancel(ctx)
		if _, err := pool.Exec(ctx, "DROP SCHEMA "+pg.QuoteIdent(b.schema)+" CASCADE"); err != nil {
			fmt.Fprintln(os.Stderr, "events bench: drop schema:", err)
		}
	}()
	if err := pg.Migrate(ctx, pool, b.schema, events.OutboxMigrations, events.ProcessedMigrations); err != nil {
		return err
	}
	b.pool = pool
	if !p.notify {
		if _, err := pool.Exec(ctx, "DROP TRIGGER outbox_notify ON outbox"); err != nil {
			return err
		}
	}

	rdb, err := redisx.Open(ctx, cfg.Redis)
	if err != nil {
		return err
	}
	defer rdb.Close()
	defer func() {
		if err := testkit.DeleteKeys(context.WithoutCancel(ctx), rdb, b.ns+":"); err != nil {
			fmt.Fprintln(os.Stderr, "events bench: delete keys:", err)
		}
	}()
	b.rdb = rdb

	scenarios := []scenario{
		{"raw", "pipelined XADD -> XREADGROUP + XACK",
			func(ctx context.Context, b *bench) error { return b.raw(ctx) }, nil},
		{"publish", "Publisher -> Consumer, no-op handler",
			func(ctx context.Context, b *bench) error { return b.publish(ctx, false) }, nil},
		{"publish+idem", "Publisher -> Consumer, Idempotent(RedisStore)",
			func(ctx context.Context, b *bench) error { return b.publish(ctx, true) }, nil},
		{"outbox insert", "AddToOutbox commits only (no relay): the writers' ceiling",
			func(ctx context.Context, b *bench) error { return b.insertOnly(ctx) }, nil},
		{"outbox+idem", "AddToOutbox -> Relay -> Consumer, Idempotent(RedisStore)",
			func(ctx context.Context, b *bench) error { return b.outbox(ctx, false) }, nil},
		{"outbox+tx", "AddToOutbox -> Relay -> Consumer, IdempotentTx (Postgres)",
			func(ctx context.Context, b *bench) error { return b.outbox(ctx, true) }, nil},
		{"relay drain", "a full outbox -> Relay -> Consumer, Idempotent(RedisStore)",
			func(ctx context.Context, b *bench) error { return b.drain(ctx) }, (*bench).fill},
	}

	fmt.Printf("events end to end: %d msgs per row, batch %d, %d outbox writers (1 event/tx), consumer concurrency %d, %d-byte payload, median of %d rounds\n",
		p.n, p.batch, p.writers, p.concurrency, len(b.data), p.rounds)
	fmt.Printf("%s/%s, %d CPUs, %s; %s\n\n", runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), runtime.Version(), servers(ctx, pool, rdb))

	rates := make([][]float64, len(scenarios))
	for b.round = 1; b.round <= p.rounds; b.round++ {
		for i, s := range scenarios {
			if only != "" && s.name != only {
				continue
			}
			if s.setup != nil {
				if err := s.setup(b, ctx); err != nil {
					return fmt.Errorf("%s: setup: %w", s.name, err)
				}
			}
			start := time.Now()
			if err := s.run(ctx, b); err != nil {
				return fmt.Errorf("%s: %w", s.name, err)
			}
			rates[i] = append(rates[i], float64(p.n)/time.Since(start).Seconds())
		}
	}

	fmt.Println("| pipeline | path | msgs/s (median) | min | max | vs raw |")
	fmt.Println("|---|---|---:|---:|---:|---:|")
	var raw float64
	for i, s := range scenarios {
		if len(rates[i]) == 0 {
			continue
		}
		r := slices.Sorted(slices.Values(rates[i]))
		med := r[len(r)/2]
		if s.name == "raw" {
			raw = med
		}
		rel := "-"
		if raw > 0 {
			rel = fmt.Sprintf("%.3f", med/raw)
		}
		fmt.Printf("| %s | %s | %.0f | %.0f | %.0f | %s |\n", s.name, s.what, med, r[0], r[len(r)-1], rel)
	}
	return nil
}

func servers(ctx context.Context, pool *pgxpool.Pool, rdb redis.UniversalClient) string {
	var pgv string
	_ = pool.QueryRow(ctx, "SHOW server_version").Scan(&pgv)
	info, _ := rdb.InfoMap(ctx, "server").Result()
	return fmt.Sprintf("PostgreSQL %s, Redis %s", pgv, info["Server"]["redis_version"])
}

// raw is the baseline: the same number of entries through one stream with
// plain commands, a producer pipelining XADDs and a consumer reading with
// XREADGROUP and acknowledging each read with one XACK.
func (b *bench) raw(ctx context.Context) error {
	stream := redisx.NewKeys(b.ns, "raw").Tagged(b.topic("raw"))
	if err := b.rdb.XGroupCreateMkStream(ctx, stream, "g", "$").Err(); err != nil {
		return err
	}
	ev := events.Event{ID: events.NewID(), Type: "raw.x", Time: time.Now(), Data: b.data}
	vals := []any{"id", ev.ID, "type", ev.Type, "subject", "s", "time", ev.Time.Format(time.RFC3339Nano), "data", string(b.data)}

	errc := make(chan error, 1)
	go func() {
		for sent := 0; sent < b.p.n; {
			k := min(b.p.batch, b.p.n-sent)
			_, err := b.rdb.Pipelined(ctx, func(pipe redis.Pipeliner) error {
				for range k {
					pipe.XAdd(ctx, &redis.XAddArgs{Stream: stream, Values: vals, MaxLen: events.DefaultMaxLen, Approx: true})
				}
				return nil
			})
			if err != nil {
				errc <- err
				return
			}
			sent += k
		}
		errc <- nil
	}()
	for got := 0; got < b.p.n; {
		res, err := b.rdb.XReadGroup(ctx, &redis.XReadGroupArgs{
			Group: "g", Consumer: "c", Streams: []string{stream, ">"}, Count: int64(b.p.batch), Block: time.Second,
		}).Result()
		if err == redis.Nil {
			continue
		}
		if err != nil {
			return err
		}
		var ids []string
		for _, m := range res[0].Messages {
			ids = append(ids, m.ID)
		}
		if err := b.rdb.XAck(ctx, stream, "g", ids...).Err(); err != nil {
			return err
		}
		got += len(ids)
	}
	return <-errc
}

// makeEvents returns the n events of a scenario, of topic.
func (b *bench) makeEvents(topic string) []events.Event {
	evs := make([]events.Event, b.p.n)
	for i := range evs {
		evs[i] = events.Event{
			Type:    topic + ".happened",
			App:     "app1",
			Subject: "s" + strconv.Itoa(i%b.p.subjects),
			Data:    b.data,
		}
	}
	return evs
}

// consume runs a consumer of topic until it has handled n distinct events,
// then stops it. h is wrapped around a counting handler.
func (b *bench) consume(ctx context.Context, topic string, wrap func(events.Handler) events.Handler, ready chan<- struct{}) error {
	var (
		count atomic.Int64
		done  = make(chan struct{})
		once  sync.Once
	)
	counting := func(context.Context, events.Event) error {
		if count.Add(1) == int64(b.p.n) {
			once.Do(func() { close(done) })
		}
		return nil
	}
	c, err := events.NewConsumer(b.rdb, events.NewStreams(b.ns), events.ConsumerConfig{
		Group:       "bench",
		Topics:      []string{topic},
		BatchSize:   b.p.batch,
		Concurrency: b.p.concurrency,
		Block:       100 * time.Millisecond,
		Logger:      slog.New(slog.NewTextHandler(io.Discard, nil)),
	}, wrap(counting))
	if err != nil {
		return err
	}
	if err := c.Setup(ctx); err != nil {
		return err
	}
	close(ready)
	cctx, cancel := context.WithCancel(ctx)
	errc := make(chan error, 1)
	go func() { errc <- c.Run(cctx) }()
	select {
	case <-done:
	case <-ctx.Done():
	}
	cancel()
	if err := <-errc; err != nil {
		return err
	}
	return ctx.Err()
}

func (b *bench) redisIdem(scope string) func(events.Handler) events.Handler {
	store := events.NewRedisStore(b.rdb, redisx.NewKeys(b.ns, "bench"), scope, events.RedisStoreConfig{})
	return func(h events.Handler) events.Handler { return events.Idempotent(store, h) }
}

func plain(h events.Handler) events.Handler { return h }

// publish publishes the events in pipelined batches while a consumer reads.
func (b *bench) publish(ctx context.Context, idem bool) error {
	{
		topic, wrap := b.topic("pub"), plain
		if idem {
			topic = b.topic("pubidem")
			wrap = b.redisIdem(topic)
		}
		evs := b.makeEvents(topic)
		pub := events.NewPublisher(b.rdb, events.NewStreams(b.ns), events.PublisherConfig{})
		ready := make(chan struct{})
		errc := make(chan error, 1)
		go func() {
			<-ready
			for i := 0; i < len(evs); i += b.p.batch {
				if err := pub.Publish(ctx, evs[i:min(i+b.p.batch, len(evs))]...); err != nil {
					errc <- err
					return
				}
			}
			errc <- nil
		}()
		if err := b.consume(ctx, topic, wrap, ready); err != nil {
			return err
		}
		return <-errc
	}
}

// outbox has writers commit one event per transaction while a relay and a
// consumer run.
func (b *bench) outbox(ctx context.Context, tx bool) error {
	{
		topic := b.topic("outbox")
		wrap := b.redisIdem(topic)
		if tx {
			topic = b.topic("outboxtx")
			wrap = func(h events.Handler) events.Handler {
				return events.IdempotentTx(b.pool, topic, func(ctx context.Context, _ pgx.Tx, ev events.Event) error {
					return h(ctx, ev)
				})
			}
		}
		evs := b.makeEvents(topic)
		defer b.startRelay(ctx)()

		ready := make(chan struct{})
		errc := make(chan error, 1)
		go func() {
			<-ready
			errc <- b.write(ctx, evs)
		}()
		if err := b.consume(ctx, topic, wrap, ready); err != nil {
			return err
		}
		return <-errc
	}
}

// startRelay runs a relay until the returned stop function is called.
func (b *bench) startRelay(ctx context.Context) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	relay := &events.Relay{
		Pool:      b.pool,
		Publisher: events.NewPublisher(b.rdb, events.NewStreams(b.ns), events.PublisherConfig{}),
		BatchSize: b.p.batch,
		Logger:    slog.New(slog.NewTextHandler(io.Discard, nil)),
	}
	errc := make(chan error, 1)
	go func() { errc <- relay.Run(ctx) }()
	return func() { cancel(); <-errc }
}

// fill puts the drain scenario's events in the outbox, 100 per
// transaction, before the clock starts.
func (b *bench) fill(ctx context.Context) error {
	evs := b.makeEvents(b.topic("drain"))
	for i := 0; i < len(evs); i += 100 {
		err := pg.InTx(ctx, b.pool, pgx.TxOptions{}, func(tx pgx.Tx) error {
			return events.AddToOutbox(ctx, tx, evs[i:min(i+100, len(evs))]...)
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// drain times a relay and a consumer working through a full outbox, as
// after an outage of Redis or of the relays.
func (b *bench) drain(ctx context.Context) error {
	ready, stopped := make(chan struct{}), make(chan struct{})
	rctx, stopRelay := context.WithCancel(ctx)
	go func() {
		defer close(stopped)
		select {
		case <-ready:
		case <-rctx.Done():
			return
		}
		defer b.startRelay(rctx)()
		<-rctx.Done()
	}()
	defer func() { stopRelay(); <-stopped }()
	return b.consume(ctx, b.topic("drain"), b.redisIdem(b.topic("drain")), ready)
}

// write commits the events, one per transaction, from p.writers goroutines.
func (b *bench) write(ctx context.Context, evs []events.Event) error {
	var (
		next atomic.Int64
		wg   sync.WaitGroup
		errc = make(chan error, b.p.writers)
	)
	for range b.p.writers {
		wg.Go(func() {
			for i := next.Add(1) - 1; i < int64(len(evs)); i = next.Add(1) - 1 {
				err := pg.InTx(ctx, b.pool, pgx.TxOptions{}, func(tx pgx.Tx) error {
					return events.AddToOutbox(ctx, tx, evs[i])
				})
				if err != nil {
					errc <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errc)
	return <-errc
}

// insertOnly measures the outbox writes alone, then empties the outbox.
func (b *bench) insertOnly(ctx context.Context) error {
	if err := b.write(ctx, b.makeEvents(b.topic("insert"))); err != nil {
		return err
	}
	_, err := b.pool.Exec(ctx, "TRUNCATE outbox")
	return err
}

// payload is a JSON object of about n bytes.
func payload(n int) json.RawMessage {
	pad := make([]byte, max(n-40, 1))
	for i := range pad {
		pad[i] = 'a' + byte(i%26)
	}
	b, _ := json.Marshal(map[string]any{"post": "p123", "user": "u456", "text": string(pad)})
	return b
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
