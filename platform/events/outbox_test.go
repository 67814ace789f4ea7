package events_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/attendify/platform/events"
	"github.com/attendify/platform/pg"
	"github.com/attendify/platform/testkit"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// addInTx adds evs to the outbox in one committed transaction.
func addInTx(t *testing.T, pool *pgxpool.Pool, evs ...events.Event) {
	t.Helper()
	err := pg.InTx(context.Background(), pool, pgx.TxOptions{}, func(tx pgx.Tx) error {
		return events.AddToOutbox(context.Background(), tx, evs...)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// runRelay runs r until the test ends; Run must then return nil.
func runRelay(t *testing.T, r *events.Relay) {
	t.Helper()
	testkit.Run(t, "relay Run", r.Run)
}

func outboxLen(t *testing.T, pool *pgxpool.Pool) int {
	t.Helper()
	var n int
	if err := pool.QueryRow(context.Background(), `SELECT count(*) FROM outbox`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestOutboxPublishesCommittedEventsOnly(t *testing.T) {
	t.Parallel()
	pool := testkit.Postgres(t, "hub", events.OutboxMigrations)
	rdb, ns := testkit.Redis(t)
	st := events.NewStreams(ns)
	var rec recorder
	start(t, newConsumer(t, rdb, st, fastConfig(t, "social", "member"), rec.handle))
	// Polling once an hour: only the NOTIFY at commit can wake the relay.
	runRelay(t, &events.Relay{
		Pool: pool, Publisher: events.NewPublisher(rdb, st, events.PublisherConfig{}),
		PollInterval: time.Hour, Logger: testLogger(t),
	})

	first := makeEvents(3, "member.created", "m1")
	addInTx(t, pool, first...)
	testkit.Eventually(t, "the relay to wake on NOTIFY and publish", func() bool { return rec.len() == 3 })

	rolledBack := makeEvents(2, "member.deleted", "m1")
	err := pg.InTx(context.Background(), pool, pgx.TxOptions{}, func(tx pgx.Tx) error {
		if err := events.AddToOutbox(context.Background(), tx, rolledBack...); err != nil {
			return err
		}
		return errors.New("the service's write failed")
	})
	if err == nil {
		t.Fatal("the transaction should have failed")
	}
	last := makeEvents(1, "member.updated", "m1")
	addInTx(t, pool, last...)
	testkit.Eventually(t, "the last event", func() bool { return rec.len() >= 4 })

	want := append(first, last...)
	if diff := cmp.Diff(want, rec.events()); diff != "" {
		t.Errorf("published events (-want +got):\n%s", diff)
	}
	// The relay deletes the rows just after publishing them.
	testkit.Eventually(t, "the outbox to drain", func() bool { return outboxLen(t, pool) == 0 })
}

func TestAddToOutboxRejectsBadEvents(t *testing.T) {
	t.Parallel()
	pool := testkit.Postgres(t, "hub", events.OutboxMigrations)
	for _, bad := range []events.Event{{Type: "nodot"}, {Type: "member.x", Data: []byte("{")}} {
		err := pg.InTx(context.Background(), pool, pgx.TxOptions{}, func(tx pgx.Tx) error {
			return events.AddToOutbox(context.Background(), tx, bad)
		})
		if err == nil {
			t.Errorf("AddToOutbox(%+v) = nil, want an error", bad)
		}
	}
}

func TestRelayReplicas(t *testing.T) {
	t.Parallel()
	for _, parallel := range []bool{false, true} {
		name := map[bool]string{false: "ordered", true: "parallel"}[parallel]
		t.Run(name, func(t *testing.T) {
			pool := testkit.Postgres(t, "hub", events.OutboxMigrations)
			rdb, ns := testkit.Redis(t)
			st := events.NewStreams(ns)
			var rec recorder
			start(t, newConsumer(t, rdb, st, fastConfig(t, "social", "member"), rec.handle))
			for range 3 {
				runRelay(t, &events.Relay{
					Pool: pool, Publisher: events.NewPublisher(rdb, st, events.PublisherConfig{}),
					BatchSize: 7, Parallel: parallel, Logger: testLogger(t),
				})
			}
			var want []events.Event
			for range 40 {
				evs := makeEvents(5, "member.updated", "m1")
				addInTx(t, pool, evs...)
				want = append(want, evs...)
			}
			testkit.Eventually(t, "200 events", func() bool { return rec.len() >= 200 })
			testkit.Eventually(t, "the acks", func() bool { return settled(t, rdb, st.Stream("member"), "social") })

			opts := []cmp.Option{}
			if parallel {
				opts = append(opts, cmpopts.SortSlices(func(a, b string) bool { return a < b }))
			}
			if diff := cmp.Diff(ids(want), ids(rec.events()), opts...); diff != "" {
				t.Errorf("events (-want +got):\n%s", diff)
			}
		})
	}
}
