package memstore_test

import (
	"testing"

	"github.com/attendify/social/internal/store/memstore"
	"github.com/attendify/social/internal/store/storetest"
)

// TestDocsContract runs the contract the CouchDB adapter passes.
func TestDocsContract(t *testing.T) {
	storetest.RunDocs(t, func(*testing.T) storetest.Docs { return memstore.NewDocs() })
}

// TestLedgerContract runs the contract the Postgres ledger passes.
func TestLedgerContract(t *testing.T) {
	storetest.RunLedger(t, func(*testing.T) storetest.Ledger { return memstore.NewLedger() })
}

// TestIndexContract runs the contract the Redis index passes.
func TestIndexContract(t *testing.T) {
	storetest.RunIndex(t, func(*testing.T) storetest.Index { return memstore.NewIndex() })
}
