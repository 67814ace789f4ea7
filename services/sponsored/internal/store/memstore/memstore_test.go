package memstore_test

import (
	"testing"

	"github.com/attendify/sponsored/internal/service"
	"github.com/attendify/sponsored/internal/store/memstore"
	"github.com/attendify/sponsored/internal/storetest"
)

func TestCampaignsContract(t *testing.T) {
	storetest.RunCampaigns(t, func(*testing.T) service.Campaigns { return memstore.NewCampaigns() })
}
