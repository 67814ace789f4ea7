//go:build riak

package riakkv

import (
	"context"
	"testing"
	"time"

	"github.com/attendify/platform/kv"
	"github.com/attendify/platform/kv/kvtest"
	"github.com/caarlos0/env/v11"
)

// TestContract runs the kv contract suite against the Riak cluster named by
// RIAK_HOSTS (with the bucket types of the package comment):
//
//	RIAK_HOSTS=127.0.0.1:8087 go test -tags riak ./kv/riakkv
func TestContract(t *testing.T) {
	cfg, err := env.ParseAs[Config]()
	if err != nil {
		t.Fatalf("riak config: %v", err)
	}
	if !cfg.Enabled() {
		t.Fatal("the riak contract test needs RIAK_HOSTS (host:port of a Riak KV node with the objects, counters, sets and maps bucket types)")
	}
	store, err := Open(cfg)
	if err != nil {
		t.Fatalf("open Riak %v: %v", cfg.Hosts, err)
	}
	t.Cleanup(func() { _ = store.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), cfg.StartupWait+10*time.Second)
	defer cancel()
	if err := store.Ping(ctx); err != nil {
		t.Fatalf("Riak at %v does not answer: %v", cfg.Hosts, err)
	}
	kvtest.Run(t, func(*testing.T) kv.Store { return store })
}
