package testkit

import (
	"context"
	"strings"
	"sync"
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
	cfg := RedisConfig()
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
		// A cluster's primary may be failing over (make
		// test-redis-cluster): try again while it settles.
		err := DeleteKeys(ctx, c, ns+":")
		for i := 0; err != nil && i < 40 && ctx.Err() == nil; i++ {
			time.Sleep(500 * time.Millisecond)
			err = DeleteKeys(ctx, c, ns+":")
		}
		if err != nil {
			t.Errorf("testkit: delete the test's Redis keys %s*: %v", ns, err)
		}
		_ = c.Close()
	})
	return c, ns
}

// RedisConfig is the Redis the tests use: REDIS_CLUSTER_ADDRS when set (a
// Redis Cluster's seed nodes: `make test-redis-cluster`), else REDIS_URL, else
// DefaultRedisURL; REDIS_FAILOVER_WAIT as the services read it. For a child
// process of a test, which has no testing.TB.
func RedisConfig() redisx.Config {
	cfg := redisx.Config{URL: env("REDIS_URL", DefaultRedisURL)}
	if addrs := env("REDIS_CLUSTER_ADDRS", ""); addrs != "" {
		cfg.ClusterAddrs = splitComma(addrs)
	}
	if d, err := time.ParseDuration(env("REDIS_FAILOVER_WAIT", "")); err == nil {
		cfg.FailoverWait = d
	}
	return cfg
}

// Keys returns the keys that match pattern, on every primary of a cluster
// (KEYS on a cluster client asks one node only), riding a failover as
// redisx.EachPrimary does. For tests.
func Keys(ctx context.Context, c redis.UniversalClient, pattern string) ([]string, error) {
	var (
		mu  sync.Mutex
		out []string
	)
	err := redisx.EachPrimary(ctx, c, func() { out = nil }, func(ctx context.Context, node redis.Cmdable) error {
		ks, err := node.Keys(ctx, pattern).Result()
		mu.Lock()
		out = append(out, ks...)
		mu.Unlock()
		return err
	})
	return out, err
}

// DeleteKeys unlinks every key that starts with prefix, on every primary of
// a cluster. It scans, so it is for tests and maintenance, not request paths.
func DeleteKeys(ctx context.Context, c redis.UniversalClient, prefix string) error {
	return redisx.EachPrimary(ctx, c, nil, func(ctx context.Context, node redis.Cmdable) error {
		return deleteKeys(ctx, node, prefix)
	})
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
