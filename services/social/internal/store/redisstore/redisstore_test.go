package redisstore_test

import (
	"testing"

	"github.com/attendify/platform/testkit"
	"github.com/attendify/social/internal/store/redisstore"
	"github.com/attendify/social/internal/store/storetest"
)

// TestContract runs the contract of the index's ports on Redis.
func TestContract(t *testing.T) {
	storetest.RunIndex(t, func(t *testing.T) storetest.Index {
		rdb, ns := testkit.Redis(t)
		return redisstore.New(rdb, ns)
	})
}
