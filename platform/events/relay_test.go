package events_test

import (
	"context"
	"slices"
	"sync/atomic"
	"testing"

	"github.com/attendify/platform/events"
	"github.com/attendify/platform/testkit"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/redis/go-redis/v9"
)

// countingPublisher is a real publisher that counts its failures, so that
// a test can wait for the relay to have tried and failed.
type countingPublisher struct {
	events.EventPublisher
	failures atomic.Int32
}

func (p *countingPublisher) Publish(ctx context.Context, evs ...events.Event) error {
	err := p.EventPublisher.Publish(ctx, evs...)
	if err != nil {
		p.failures.Add(1)
	}
	return err
}

// outboxIDs lists the ids of the events in the outbox, in outbox order.
func outboxIDs(t *testing.T, pool *pgxpool.Pool) []string {
	t.Helper()
	rows, err := pool.Query(context.Background(), `SELECT id FROM outbox ORDER BY seq`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return ids
}

// streamIDs lists the event ids in topic's stream, in stream order,
// duplicates included; none when the stream does not exist or is not a
// stream.
func streamIDs(t *testing.T, rdb redis.Cmdable, st events.Streams, topic string) []string {
	t.Helper()
	key := st.Stream(topic)
	if typ, err := rdb.Type(context.Background(), key).Result(); err != nil || typ != "stream" {
		if err != nil {
			t.Fatal(err)
		}
		return nil
	}
	msgs, err := rdb.XRange(context.Background(), key, "-", "+").Result()
	if err != nil {
		t.Fatal(err)
	}
	ids := make([]string, len(msgs))
	for i, m := range msgs {
		ev, err := events.Decode(m.Values)
		if err != nil {
			t.Fatalf("entry %s of %s: %v", m.ID, key, err)
		}
		ids[i] = ev.ID
	}
	return ids
}

// checkNothingLeftUnpublished fails unless every event of want is still
// in the outbox or already in its stream: a row may leave the outbox only
// once its event is published. The outbox is read first: a row missing
// from it was deleted by a commit that came after the publish, so its
// event is in the stream read afterwards.
func checkNothingLeftUnpublished(t *testing.T, pool *pgxpool.Pool, rdb redis.Cmdable, st events.Streams, want []events.Event) {
	t.Helper()
	where := map[string]bool{}
	for _, id := range outboxIDs(t, pool) {
		where[id] = true
	}
	for _, topic := range topics(want) {
		for _, id := range streamIDs(t, rdb, st, topic) {
			where[id] = true
		}
	}
	for _, ev := range want {
		if !where[ev.ID] {
			t.Errorf("event %s (%s) left the outbox without being published: lost", ev.ID, ev.Type)
		}
	}
}

func topics(evs []events.Event) []string {
	var out []string
	for _, ev := range evs {
		if !slices.Contains(out, ev.Topic()) {
			out = append(out, ev.Topic())
		}
	}
	return out
}

// checkPublishedInOrder fails unless each event of want is in its topic's
// stream, the first copies in outbox order, and copies beyond the first
// only of the events mayRepeat allows.
func checkPublishedInOrder(t *testing.T, rdb redis.Cmdable, st events.Streams, want []events.Event, mayRepeat func(events.Event) bool) {
	t.Helper()
	for _, topic := range topics(want) {
		var wantIDs []string
		repeatable := map[string]bool{}
		for _, ev := range want {
			if ev.Topic() == topic {
				wantIDs = append(wantIDs, ev.ID)
				repeatable[ev.ID] = mayRepeat(ev)
			}
		}
		var first []string
		copies := map[string]int{}
		for _, id := range streamIDs(t, rdb, st, topic) {
			if copies[id]++; copies[id] == 1 {
				first = append(first, id)
			} else if !repeatable[id] {
				t.Errorf("%s: event %s published %d times", topic, id, copies[id])
			}
		}
		if !slices.Equal(first, wantIDs) {
			t.Errorf("%s stream, first copies:\n%v\nwant, in outbox order:\n%v", topic, first, wantIDs)
		}
	}
}

// interleaved returns n events alternating between the member and the app
// topic, as a service that changes both in its transactions would add them.
func interleaved(n int) []events.Event {
	var evs []events.Event
	for i := range n {
		typ, subject := "member.updated", "m1"
		if i%2 == 1 {
			typ, subject = "app.updated", "a1"
		}
		evs = append(evs, makeEvents(1, typ, subject)...)
	}
	return evs
}

// TestRelayPublisherDown: while the publisher fails every call (its Redis
// is down), the relay keeps every row in the outbox and tries again; once
// Redis is back every event is published, once, in outbox order.
func TestRelayPublisherDown(t *testing.T) {
	t.Parallel()
	pool := testkit.Postgres(t, "hub", events.OutboxMigrations)
	srv := testkit.StartRedisServer(t)
	rdb := srv.Client()
	st := events.NewStreams("")
	pub := &countingPublisher{EventPublisher: events.NewPublisher(rdb, st, events.PublisherConfig{})}
	srv.Kill()

	want := interleaved(30)
	for i := 0; i < len(want); i += 5 {
		addInTx(t, pool, want[i:i+5]...)
	}
	runRelay(t, &events.Relay{Pool: pool, Publisher: pub, BatchSize: 8, Logger: testLogger(t)})
	testkit.Eventually(t, "the relay to fail twice", func() bool { return pub.failures.Load() >= 2 })
	if got := outboxIDs(t, pool); !slices.Equal(got, ids(want)) {
		t.Fatalf("with every publish failing, the outbox holds %d of the %d events: rows left it unpublished", len(got), len(want))
	}

	srv.Restart() // empty: whatever the streams held is gone, and they held nothing
	testkit.Eventually(t, "the outbox to drain", func() bool { return outboxLen(t, pool) == 0 })
	checkPublishedInOrder(t, rdb, st, want, func(events.Event) bool { return false })
}

// TestRelayPublishFailsPartOfABatch: Redis refuses the events of one topic
// (its stream key holds a string: WRONGTYPE) and takes the others of the
// same pipeline. The batch fails; its rows stay in the outbox, and the
// ordered relay publishes nothing past it (the events after it wait, in
// order). Once the key is fixed every event is published in outbox order;
// the only duplicates are events of the topic that worked, appended by the
// failed attempts, as Publisher.Publish documents.
func TestRelayPublishFailsPartOfABatch(t *testing.T) {
	t.Parallel()
	pool := testkit.Postgres(t, "hub", events.OutboxMigrations)
	rdb, ns := testkit.Redis(t)
	st := events.NewStreams(ns)
	ctx := context.Background()
	if err := rdb.Set(ctx, st.Stream("app"), "not a stream", 0).Err(); err != nil {
		t.Fatal(err)
	}
	pub := &countingPublisher{EventPublisher: events.NewPublisher(rdb, st, events.PublisherConfig{})}

	want := interleaved(30)
	for i := 0; i < len(want); i += 5 {
		addInTx(t, pool, want[i:i+5]...)
	}
	runRelay(t, &events.Relay{Pool: pool, Publisher: pub, BatchSize: 8, Logger: testLogger(t)})
	testkit.Eventually(t, "the relay to fail three rounds", func() bool { return pub.failures.Load() >= 3 })
	checkNothingLeftUnpublished(t, pool, rdb, st, want)
	if got := outboxIDs(t, pool); !slices.Equal(got, ids(want)) {
		t.Errorf("the outbox holds %d of the %d events, want all: the first batch failed, and nothing may pass it", len(got), len(want))
	}
	// The member events of the failed batch went out, maybe several times;
	// no later one did.
	for _, id := range streamIDs(t, rdb, st, "member") {
		if i := slices.Index(ids(want), id); i >= 8 {
			t.Errorf("event %d of the outbox was published past the failed first batch", i)
		}
	}

	if err := rdb.Del(ctx, st.Stream("app")).Err(); err != nil {
		t.Fatal(err)
	}
	testkit.Eventually(t, "the outbox to drain", func() bool { return outboxLen(t, pool) == 0 })
	checkPublishedInOrder(t, rdb, st, want, func(ev events.Event) bool { return ev.Topic() == "member" })
}

// TestRelayStoppedWhileStarting: a relay stopped before it has looked up
// its outbox's schema stops cleanly, as it does once running (the stop
// came while the lookup ran, and the lookup's canceled query was reported
// as the relay's failure).
func TestRelayStoppedWhileStarting(t *testing.T) {
	t.Parallel()
	pool := testkit.Postgres(t, "hub", events.OutboxMigrations)
	rdb, ns := testkit.Redis(t)
	ctx, cancel := context.WithCancel(testkit.Context(t))
	cancel()
	r := &events.Relay{Pool: pool, Publisher: events.NewPublisher(rdb, events.NewStreams(ns), events.PublisherConfig{}), Logger: testLogger(t)}
	if err := r.Run(ctx); err != nil {
		t.Fatalf("a relay stopped while starting: %v, want a clean stop", err)
	}
}
