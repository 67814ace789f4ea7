package pgstore_test

import (
	"testing"

	"github.com/attendify/social/internal/store/storetest"
)

// TestContract runs the contract of the ledger's ports on Postgres (pgkv).
func TestContract(t *testing.T) {
	storetest.RunLedger(t, func(t *testing.T) storetest.Ledger { return newStore(t) })
}
