package postgres_test

import (
	"testing"

	"github.com/attendify/multievent/internal/store/postgres"
	"github.com/attendify/multievent/internal/store/storetest"
	"github.com/attendify/multievent/migrations"
	"github.com/attendify/platform/testkit"
)

func newStore(t *testing.T) storetest.Store {
	return postgres.New(testkit.Postgres(t, migrations.Schema, migrations.All...))
}

func TestProjectionContract(t *testing.T) { storetest.Projection(t, newStore) }
func TestSearchContract(t *testing.T)     { storetest.Search(t, newStore) }
func TestLinksContract(t *testing.T)      { storetest.Links(t, newStore) }
