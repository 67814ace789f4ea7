package testkit

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/attendify/platform/redisx"
	"github.com/redis/go-redis/v9"
)

// DefaultRedisURL is the server used when REDIS_URL is not set: the local
// one that `make services` runs.
const DefaultRedisURL = "redis://127.0.0.1:6379/0"

// Redis returns a client (on REDIS_URL, or REDIS_CLUSTER_ADDRS when set) and a
// namespace unique to this test. Build every key with
// redisx.NewKeys(namespace, service): when the test ends, every key that
// starts with the namespace is deleted and the client is closed. Keys that
// do not start with the namespace are not cleaned up.
func Redis(t testing.TB) (redis.UniversalClient, string) {
	t.Helper()
	cfg := redisx.Config{URL: env("REDIS_URL", DefaultRedisURL)}
	if addrs := env("REDIS_CLUSTER_ADDRS", ""); addrs != "" {
		cfg.ClusterAddrs = splitComma(addrs)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	c, err := redisx.Open(ctx, cfg)
	if err != nil {
		t.Fatalf("testkit: Redis at %s is not reachable: run `make services` (or set REDIS_URL): %v", cfg.Redacted(), err)
	}
	ns := "test-" + randomHex(8)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := DeleteKeys(ctx, c, ns+":"); err != nil {
			t.Errorf("testkit: delete the test's Redis keys %s*: %v", ns, err)
		}
		_ = c.Close()
	})
	return c, ns
}

// DeleteKeys unlinks every key that starts with prefix, on every master of a
// cluster. It scans, so it is for tests and maintenance, not request paths.
func DeleteKeys(ctx context.Context, c redis.UniversalClient, prefix string) error {
	if cc, ok := c.(*redis.ClusterClient); ok {
		return cc.ForEachMaster(ctx, func(ctx context.Context, node *redis.Client) error {
			return deleteKeys(ctx, node, prefix)
		})
	}
	return deleteKeys(ctx, c, prefix)
}

func deleteKeys(ctx context.Context, c redis.Cmdable, prefix string) error {
	iter := c.Scan(ctx, 0, redisx.ScanPattern(prefix), 500).Iterator()
	batch := make([]string, 0, 500)
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		// One UNLINK per key: keys of different slots may not share a
		// command on a cluster node.
		_, err := c.Pipelined(ctx, func(p redis.Pipeliner) error {
			for _, k := range batch {
				p.Unlink(ctx, k)
			}
			return nil
		})
		batch = batch[:0]
		return err
	}
	for iter.Next(ctx) {
		batch = append(batch, iter.Val())
		if len(batch) == cap(batch) {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	if err := iter.Err(); err != nil {
		return err
	}
	return flush()
}

func splitComma(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}
