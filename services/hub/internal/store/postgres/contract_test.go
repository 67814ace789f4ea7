package postgres_test

import (
	"testing"

	"github.com/attendify/hub/internal/service"
	"github.com/attendify/hub/internal/store/postgres"
	"github.com/attendify/hub/internal/store/storetest"
	"github.com/attendify/hub/migrations"
	"github.com/attendify/platform/testkit"
)

// TestContract runs the contract of every store port on Postgres, a
// database per port.
func TestContract(t *testing.T) {
	storetest.Run(t, func(t *testing.T) service.Store {
		return postgres.New(testkit.Postgres(t, migrations.Schema, migrations.All...))
	})
}
