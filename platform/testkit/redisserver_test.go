package testkit_test

import (
	"errors"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/attendify/platform/testkit"
)

// TestRedisServerKillAndRestart: a private server holds what it is given,
// is unreachable once killed, and comes back empty on the same address; a
// client made before the kill works again without being rebuilt.
func TestRedisServerKillAndRestart(t *testing.T) {
	srv := testkit.StartRedisServer(t)
	c := srv.Client()
	ctx := testkit.Context(t)
	if err := c.Set(ctx, "k", "v", 0).Err(); err != nil {
		t.Fatal(err)
	}
	if got, err := c.Get(ctx, "k").Result(); err != nil || got != "v" {
		t.Fatalf("get = %q, %v", got, err)
	}

	srv.Kill()
	if err := c.Ping(ctx).Err(); err == nil {
		t.Fatal("a killed server answered PING")
	}
	srv.Kill() // killing it again does nothing

	srv.Restart()
	addr := srv.Addr
	if _, err := c.Get(ctx, "k").Result(); !errors.Is(err, redis.Nil) {
		t.Fatalf("after the restart get = %v, want redis.Nil (an empty server)", err)
	}
	if n, err := c.DBSize(ctx).Result(); err != nil || n != 0 {
		t.Fatalf("after the restart the server holds %d keys (%v)", n, err)
	}
	if srv.Addr != addr {
		t.Fatalf("restarted on %s, was %s", srv.Addr, addr)
	}
	// Restart also works on a running server.
	if err := c.Set(ctx, "k", "again", 0).Err(); err != nil {
		t.Fatal(err)
	}
	srv.Restart()
	if n, err := c.DBSize(ctx).Result(); err != nil || n != 0 {
		t.Fatalf("after a restart of a running server it holds %d keys (%v)", n, err)
	}
}

// TestRedisServerPrivate: two tests' servers are two servers.
func TestRedisServerPrivate(t *testing.T) {
	a, b := testkit.StartRedisServer(t), testkit.StartRedisServer(t)
	if a.Addr == b.Addr {
		t.Fatalf("two servers on %s", a.Addr)
	}
	ctx := testkit.Context(t)
	if err := a.Client().Set(ctx, "only-a", "1", 0).Err(); err != nil {
		t.Fatal(err)
	}
	if n, err := b.Client().Exists(ctx, "only-a").Result(); err != nil || n != 0 {
		t.Fatalf("b sees a's key (%d, %v)", n, err)
	}
}
