package postgres_test

import (
	"testing"

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
