package couchstore

import (
	"testing"

	"github.com/attendify/social/internal/store/storetest"
)

// TestContract runs the contract of the document ports on CouchDB.
func TestContract(t *testing.T) {
	storetest.RunDocs(t, func(t *testing.T) storetest.Docs {
		s, _ := newStore(t) // its own database of storetest.App
		return s
	})
}
