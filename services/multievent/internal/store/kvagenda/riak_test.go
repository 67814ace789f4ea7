//go:build riak

package kvagenda_test

import (
	"context"
	"testing"
	"time"

	"github.com/caarlos0/env/v11"

	"github.com/attendify/multievent/internal/service"
	"github.com/attendify/multievent/internal/store/kvagenda"
	"github.com/attendify/multievent/internal/store/storetest"
	"github.com/attendify/platform/kv/riakkv"
)

// TestAgendasOnRiak runs the agendas' contract, two devices merging
// included, on Riak KV (RIAK_HOSTS; `make test` adds the riak tag when it
// is set), the same test code as TestAgendasOnPostgres. Every test's keys
// are fresh, so runs never meet.
//
//	RIAK_HOSTS=127.0.0.1:8087 go test -tags riak ./internal/store/kvagenda
func TestAgendasOnRiak(t *testing.T) {
	cfg, err := env.ParseAs[riakkv.Config]()
	if err != nil {
		t.Fatalf("riak config: %v", err)
	}
	if !cfg.Enabled() {
		t.Fatal("the riak tag needs RIAK_HOSTS (a Riak KV node with the sets and maps bucket types)")
	}
	store, err := riakkv.Open(cfg)
	if err != nil {
		t.Fatalf("open Riak %v: %v", cfg.Hosts, err)
	}
	t.Cleanup(func() { _ = store.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), cfg.StartupWait+10*time.Second)
	defer cancel()
	if err := store.Ping(ctx); err != nil {
		t.Fatalf("Riak at %v does not answer: %v", cfg.Hosts, err)
	}
	storetest.Agendas(t, func(*testing.T) service.Agendas { return kvagenda.New(store) })
}
