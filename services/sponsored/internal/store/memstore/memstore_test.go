package memstore_test

import (
	"testing"
	"time"

	"github.com/attendify/sponsored/internal/service"
	"github.com/attendify/sponsored/internal/store/memstore"
	"github.com/attendify/sponsored/internal/storetest"
)

func TestCampaignsContract(t *testing.T) {
	storetest.RunCampaigns(t, func(*testing.T) service.Campaigns { return memstore.NewCampaigns() })
}

func TestBoardContract(t *testing.T) {
	storetest.RunBoard(t, 50*time.Millisecond, func(*testing.T) storetest.BoardStores { return memstore.NewBoard(50 * time.Millisecond) })
}

func TestLedgerContract(t *testing.T) {
	storetest.RunLedger(t, func(*testing.T) storetest.LedgerStores {
		c := memstore.NewCampaigns()
		return struct {
			*memstore.Campaigns
			*memstore.Ledger
		}{c, memstore.NewLedger(c)}
	})
}
