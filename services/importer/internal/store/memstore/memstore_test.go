package memstore_test

import (
	"testing"

	"github.com/attendify/importer/internal/store/memstore"
	"github.com/attendify/importer/internal/store/storetest"
)

// TestContract runs the contract the Postgres store passes.
func TestContract(t *testing.T) {
	storetest.Run(t, func(*testing.T) storetest.Adapter {
		s := memstore.New()
		return storetest.Adapter{Store: s, Jobs: func() []storetest.Enqueued {
			var out []storetest.Enqueued
			for _, j := range s.Jobs() {
				out = append(out, storetest.Enqueued{ID: j.ID, Job: j.Job})
			}
			return out
		}}
	})
}
