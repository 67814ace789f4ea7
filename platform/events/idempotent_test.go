package events_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/attendify/platform/errs"
	"github.com/attendify/platform/events"
	"github.com/attendify/platform/pg"
	"github.com/attendify/platform/redisx"
	"github.com/attendify/platform/testkit"
	"github.com/jackc/pgx/v5"
)

// counting counts handler calls per event id and fails the first call of
// the events listed in failFirst.
type counting struct {
	mu        sync.Mutex
	calls     map[string]int
	failFirst map[string]bool
}

func (c *counting) handle(_ context.Context, ev events.Event) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.calls == nil {
		c.calls = map[string]int{}
	}
	c.calls[ev.ID]++
	if c.failFirst[ev.ID] && c.calls[ev.ID] == 1 {
		return errors.New("first try fails")
	}
	return nil
}

func (c *counting) get(id string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.calls[id]
}

func TestRedisStore(t *testing.T) {
	t.Parallel()
	rdb, ns := testkit.Redis(t)
	s := events.NewRedisStore(rdb, redisx.NewKeys(ns, "social"), "feed", events.RedisStoreConfig{})
	ctx := context.Background()
	id := events.NewID()

	done, err := s.Begin(ctx, id)
	if err != nil || done {
		t.Fatalf("first Begin = %v, %v; want false, nil", done, err)
	}
	if _, err := s.Begin(ctx, id); !errors.Is(err, errs.Conflict) {
		t.Fatalf("Begin while reserved = %v, want a Conflict", err)
	}
	if err := s.Abort(ctx, id); err != nil {
		t.Fatal(err)
	}
	if done, err := s.Begin(ctx, id); err != nil || done {
		t.Fatalf("Begin after Abort = %v, %v; want false, nil", done, err)
	}
	if err := s.Done(ctx, id); err != nil {
		t.Fatal(err)
	}
	if err := s.Abort(ctx, id); err != nil { // a late Abort must not forget a done event
		t.Fatal(err)
	}
	if done, err := s.Begin(ctx, id); err != nil || !done {
		t.Fatalf("Begin after Done = %v, %v; want true, nil", done, err)
	}
	other := events.NewRedisStore(rdb, redisx.NewKeys(ns, "social"), "notify", events.RedisStoreConfig{})
	if done, err := other.Begin(ctx, id); err != nil || done {
		t.Fatalf("Begin in another scope = %v, %v; want false, nil", done, err)
	}
	ttl, err := rdb.PTTL(ctx, redisx.NewKeys(ns, "social").Key("processed", "feed", id)).Result()
	if err != nil || ttl <= time.Hour {
		t.Errorf("TTL of a done mark = %v, %v; want about the default 24h", ttl, err)
	}
}

func TestRedisStoreLeaseExpires(t *testing.T) {
	t.Parallel()
	rdb, ns := testkit.Redis(t)
	s := events.NewRedisStore(rdb, redisx.NewKeys(ns, "social"), "feed", events.RedisStoreConfig{Lease: 50 * time.Millisecond})
	ctx := context.Background()
	id := events.NewID()
	if _, err := s.Begin(ctx, id); err != nil {
		t.Fatal(err)
	}
	// The consumer that reserved it crashed; the reservation expires.
	testkit.Eventually(t, "the lease to expire", func() bool {
		done, err := s.Begin(ctx, id)
		return err == nil && !done
	})
}

func TestIdempotentSkipsRedeliveries(t *testing.T) {
	t.Parallel()
	rdb, ns := testkit.Redis(t)
	st := events.NewStreams(ns)
	dup := makeEvents(2, "post.created", "p1")
	h := counting{failFirst: map[string]bool{dup[1].ID: true}}
	store := events.NewRedisStore(rdb, redisx.NewKeys(ns, "social"), "social", events.RedisStoreConfig{Lease: 50 * time.Millisecond})
	start(t, newConsumer(t, rdb, st, fastConfig(t, "social", "post"), events.Idempotent(store, h.handle)))

	// Each event is in the stream three times, as after relay retries.
	pub := events.NewPublisher(rdb, st, events.PublisherConfig{})
	for range 3 {
		if err := pub.Publish(context.Background(), dup...); err != nil {
			t.Fatal(err)
		}
	}
	testkit.Eventually(t, "all six entries handled", func() bool { return settled(t, rdb, st.Stream("post"), "social") })
	if got := h.get(dup[0].ID); got != 1 {
		t.Errorf("event 0: handler called %d times, want 1", got)
	}
	// Event 1 failed once (its reservation was released) and succeeded once.
	if got := h.get(dup[1].ID); got != 2 {
		t.Errorf("event 1: handler called %d times, want 2 (one failure, one success)", got)
	}
}

// likesMigrations is a consuming service's own table for the tests.
var likesMigrations = pg.Source{Name: "test", FS: fstest.MapFS{
	"00001_likes.sql": {Data: []byte(`
-- +goose Up
CREATE TABLE likes (post text PRIMARY KEY, n int NOT NULL);
-- +goose Down
DROP TABLE likes;
`)},
}}

func TestIdempotentTxTakesEffectOnce(t *testing.T) {
	t.Parallel()
	pool := testkit.Postgres(t, "social", events.ProcessedMigrations, likesMigrations)
	rdb, ns := testkit.Redis(t)
	st := events.NewStreams(ns)
	ctx := context.Background()

	failed := map[string]bool{}
	var mu sync.Mutex
	h := events.IdempotentTx(pool, "social", func(ctx context.Context, tx pgx.Tx, ev events.Event) error {
		const q = `INSERT INTO likes (post, n) VALUES ($1, 1) ON CONFLICT (post) DO UPDATE SET n = likes.n + 1`
		if _, err := tx.Exec(ctx, q, ev.Subject); err != nil {
			return err
		}
		mu.Lock()
		defer mu.Unlock()
		if ev.Subject == "p2" && !failed[ev.ID] {
			failed[ev.ID] = true
			return errors.New("fails after writing: the write must roll back")
		}
		return nil
	})
	start(t, newConsumer(t, rdb, st, fastConfig(t, "social", "like"), h))

	evs := append(makeEvents(1, "like.added", "p1"), makeEvents(1, "like.added", "p2")...)
	pub := events.NewPublisher(rdb, st, events.PublisherConfig{})
	for range 3 {
		if err := pub.Publish(ctx, evs...); err != nil {
			t.Fatal(err)
		}
	}
	testkit.Eventually(t, "all entries handled", func() bool { return settled(t, rdb, st.Stream("like"), "social") })

	for _, post := range []string{"p1", "p2"} {
		var n int
		if err := pool.QueryRow(ctx, `SELECT n FROM likes WHERE post = $1`, post).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != 1 {
			t.Errorf("likes of %s = %d, want 1", post, n)
		}
	}
	var marks int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM processed_events WHERE scope = 'social'`).Scan(&marks); err != nil {
		t.Fatal(err)
	}
	if marks != 2 {
		t.Errorf("%d processed_events rows, want 2", marks)
	}
	if n, err := events.PruneProcessed(ctx, pool, time.Hour); err != nil || n != 0 {
		t.Errorf("PruneProcessed(1h) = %d, %v; want 0 fresh rows deleted", n, err)
	}
	if n, err := events.PruneProcessed(ctx, pool, -time.Hour); err != nil || n != 2 {
		t.Errorf("PruneProcessed(-1h) = %d, %v; want 2", n, err)
	}
}
