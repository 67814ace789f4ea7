package memstore_test

import (
	"testing"

	"github.com/attendify/hub/internal/service"
	"github.com/attendify/hub/internal/store/memstore"
	"github.com/attendify/hub/internal/store/storetest"
)

// TestContract runs the contract the Postgres store passes.
func TestContract(t *testing.T) {
	storetest.Run(t, func(*testing.T) service.Store { return memstore.New() })
}
