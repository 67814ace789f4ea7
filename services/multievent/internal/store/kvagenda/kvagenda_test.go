package kvagenda_test

import (
	"testing"

	"github.com/attendify/multievent/internal/service"
	"github.com/attendify/multievent/internal/store/kvagenda"
	"github.com/attendify/multievent/internal/store/storetest"
	"github.com/attendify/multievent/migrations"
	"github.com/attendify/platform/kv/pgkv"
	"github.com/attendify/platform/testkit"
)

// TestAgendasOnPostgres runs the agendas' contract, two devices merging
// included, on the Postgres adapter of the key-value port (riak_test.go
// runs the same on Riak).
func TestAgendasOnPostgres(t *testing.T) {
	storetest.Agendas(t, func(t *testing.T) service.Agendas {
		return kvagenda.New(pgkv.New(testkit.Postgres(t, migrations.Schema, migrations.All...)))
	})
}
