package testkit_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/attendify/platform/redisx"
	"github.com/attendify/platform/testkit"
)

// TestKeysThroughAKill: Keys and DeleteKeys walk every primary of a
// cluster; right after a primary is killed they wait for its replica's
// promotion instead of failing on the dead node.
func TestKeysThroughAKill(t *testing.T) {
	cluster := testkit.StartRedisCluster(t)
	ctx := testkit.Context(t)
	c, err := redisx.Open(ctx, redisx.Config{URL: "redis://unused:6379/0", ClusterAddrs: cluster.Addrs()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	const n = 100
	for i := range n {
		if err := c.Set(ctx, fmt.Sprintf("k:%d", i), i, 0).Err(); err != nil {
			t.Fatal(err)
		}
	}
	time.Sleep(time.Second) // the replicas catch up (asynchronous replication)
	cluster.Primaries()[0].Kill()
	keys, err := testkit.Keys(ctx, c, "k:*")
	if err != nil || len(keys) != n {
		t.Fatalf("Keys after the kill: %d keys, %v; want %d", len(keys), err, n)
	}
	if err := testkit.DeleteKeys(ctx, c, "k:"); err != nil {
		t.Fatalf("DeleteKeys after the kill: %v", err)
	}
	if keys, err := testkit.Keys(ctx, c, "k:*"); err != nil || len(keys) != 0 {
		t.Fatalf("after DeleteKeys: %d keys left, %v", len(keys), err)
	}
}
