package memstore_test

import (
	"testing"

	"github.com/attendify/eventwall/internal/service"
	"github.com/attendify/eventwall/internal/store/memstore"
	"github.com/attendify/eventwall/internal/store/storetest"
)

// TestWallsContract runs the contract the Postgres store passes.
func TestWallsContract(t *testing.T) {
	storetest.RunWalls(t, func(*testing.T) storetest.Walls { return memstore.NewWalls() })
}

// TestProfilesContract runs the contract the Postgres store passes.
func TestProfilesContract(t *testing.T) {
	storetest.RunProfiles(t, func(*testing.T) service.Profiles { return memstore.NewWalls() })
}

// TestBoardContract runs the contract the Redis store passes.
func TestBoardContract(t *testing.T) {
	storetest.RunBoard(t, func(*testing.T) storetest.Board { return memstore.NewBoard() })
}

// TestLeasesContract runs the contract the Redis store passes.
func TestLeasesContract(t *testing.T) {
	storetest.RunLeases(t, func(*testing.T) (a, b service.Leases) {
		l := memstore.NewLeases()
		return l, l.Holder()
	})
}
