package postgres_test

import (
	"testing"
	"time"

	"github.com/attendify/analytics/internal/service"
	"github.com/attendify/analytics/internal/store/postgres"
	"github.com/attendify/analytics/internal/store/storetest"
	"github.com/attendify/analytics/migrations"
	"github.com/attendify/platform/testkit"
)

func newStore(t *testing.T) *postgres.Store {
	return postgres.New(testkit.Postgres(t, migrations.Schema, migrations.All...))
}

func TestContract(t *testing.T) {
	ctx := testkit.Context(t)
	t.Run("RawEvents", func(t *testing.T) {
		storetest.RawEvents(t, ctx, func(t *testing.T) service.RawEvents { return newStore(t) })
	})
	t.Run("Members", func(t *testing.T) {
		storetest.Members(t, ctx, func(t *testing.T) service.Members { return newStore(t) })
	})
	t.Run("Rollups", func(t *testing.T) {
		storetest.Rollups(t, ctx, func(t *testing.T) service.Rollups { return newStore(t) })
	})
	t.Run("Jobs", func(t *testing.T) {
		storetest.Jobs(t, ctx, func(t *testing.T) service.Jobs { return newStore(t) })
	})
}

// TestInsertAfterAnotherReplicaDropped: a day's partition dropped by
// another replica's retention is created again by the next insert.
func TestInsertAfterAnotherReplicaDropped(t *testing.T) {
	ctx := testkit.Context(t)
	pool := testkit.Postgres(t, migrations.Schema, migrations.All...)
	a, b := postgres.New(pool), postgres.New(pool) // two replicas
	day := time.Date(2026, 3, 14, 10, 0, 0, 0, time.UTC)
	ev := func(key string) service.Event {
		return service.Event{App: "a1", Key: key, Source: service.SourceApp, Kind: "screen_view", At: day}
	}
	if _, err := a.Insert(ctx, []service.Event{ev("k1")}); err != nil {
		t.Fatal(err)
	}
	if _, err := b.DropBefore(ctx, day.AddDate(0, 0, 1)); err != nil {
		t.Fatal(err)
	}
	got, err := a.Insert(ctx, []service.Event{ev("k2")})
	if err != nil || !got[0] {
		t.Fatalf("insert after the drop = %v, %v", got, err)
	}
}
