package redisstore_test

import (
	"testing"

	"github.com/attendify/eventwall/internal/service"
	"github.com/attendify/eventwall/internal/store/redisstore"
	"github.com/attendify/eventwall/internal/store/storetest"
	"github.com/attendify/platform/testkit"
)

func newStore(t *testing.T) *redisstore.Store {
	rdb, ns := testkit.Redis(t)
	return redisstore.New(rdb, ns)
}

// TestBoardContract runs the contract of service.Board and screen.Source.
func TestBoardContract(t *testing.T) {
	storetest.RunBoard(t, func(t *testing.T) storetest.Board { return newStore(t) })
}

// TestLeasesContract runs the contract of service.Leases: two stores on
// one Redis are two replicas.
func TestLeasesContract(t *testing.T) {
	storetest.RunLeases(t, func(t *testing.T) (a, b service.Leases) {
		rdb, ns := testkit.Redis(t)
		return redisstore.New(rdb, ns), redisstore.New(rdb, ns)
	})
}
