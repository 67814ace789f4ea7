package pgstore_test

import (
	"testing"

	"github.com/attendify/platform/testkit"
	"github.com/attendify/sponsored/internal/service"
	"github.com/attendify/sponsored/internal/store/pgstore"
	"github.com/attendify/sponsored/internal/storetest"
	"github.com/attendify/sponsored/migrations"
)

func TestCampaignsContract(t *testing.T) {
	storetest.RunCampaigns(t, func(t *testing.T) service.Campaigns {
		return pgstore.New(testkit.Postgres(t, migrations.Schema, migrations.All...))
	})
}

func TestLedgerContract(t *testing.T) {
	storetest.RunLedger(t, func(t *testing.T) storetest.LedgerStores {
		return pgstore.New(testkit.Postgres(t, migrations.Schema, migrations.All...))
	})
}
