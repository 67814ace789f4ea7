//go:build riak

package riakkv

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/attendify/platform/errs"
	"github.com/attendify/platform/kv"
	"github.com/attendify/platform/kv/kvtest"
	"github.com/caarlos0/env/v11"
)

// TestContract runs the kv contract suite against the Riak cluster named by
// RIAK_HOSTS (with the bucket types of the package comment):
//
//	RIAK_HOSTS=127.0.0.1:8087 go test -tags riak ./kv/riakkv
func TestContract(t *testing.T) {
	cfg := riakConfig(t)
	store := openRiak(t, cfg)
	ctx, cancel := context.WithTimeout(context.Background(), cfg.StartupWait+10*time.Second)
	defer cancel()
	if err := store.Ping(ctx); err != nil {
		t.Fatalf("Riak at %v does not answer or is not set up: %v", cfg.Hosts, err)
	}
	kvtest.Run(t, func(*testing.T) kv.Store { return store })
}

// TestBucketTypeCheck points the store at bucket types that are missing or
// of the wrong kind: Ping, and the commands on such a type, must say which
// type is wrong and which riak admin command sets it up, from the answers
// of a real node.
func TestBucketTypeCheck(t *testing.T) {
	base := riakConfig(t)
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	absent := "riakkv-absent-" + hex.EncodeToString(b)
	for _, tc := range []struct {
		name    string
		modify  func(*Config)
		command func(context.Context, *Store) error // on the wrong type; nil: none
		want    string
	}{
		{"missing objects type", func(c *Config) { c.ObjectsType = absent },
			func(ctx context.Context, s *Store) error { _, err := s.Get(ctx, "b", "k"); return err },
			"riak admin bucket-type create " + absent + ` '{"props":{"allow_mult":true}}' && riak admin bucket-type activate ` + absent},
		{"missing counters type", func(c *Config) { c.CountersType = absent },
			func(ctx context.Context, s *Store) error { _, err := s.Incr(ctx, "b", "c", 1); return err },
			"riak admin bucket-type create " + absent + ` '{"props":{"datatype":"counter"}}'`},
		{"missing sets type", func(c *Config) { c.SetsType = absent },
			func(ctx context.Context, s *Store) error { return s.SetAdd(ctx, "b", "s", "x") },
			"riak admin bucket-type create " + absent + ` '{"props":{"datatype":"set"}}'`},
		{"missing maps type", func(c *Config) { c.MapsType = absent },
			func(ctx context.Context, s *Store) error { _, _, err := s.MapGet(ctx, "b", "m"); return err },
			"riak admin bucket-type create " + absent + ` '{"props":{"datatype":"map"}}'`},
		{"sets in the maps type", func(c *Config) { c.SetsType = c.MapsType },
			func(ctx context.Context, s *Store) error { return s.SetAdd(ctx, "b", "s", "x") },
			`(RIAK_SETS_TYPE) holds the data type "map", not "set"`},
		{"objects in the counters type", func(c *Config) { c.ObjectsType = c.CountersType }, nil,
			`(RIAK_OBJECTS_TYPE) holds the data type "counter", not plain objects`},
		{"counters in the objects type", func(c *Config) { c.CountersType = c.ObjectsType },
			func(ctx context.Context, s *Store) error { _, err := s.Incr(ctx, "b", "c", 1); return err },
			`(RIAK_COUNTERS_TYPE) holds plain objects, not the data type "counter"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := base
			tc.modify(&cfg)
			store := openRiak(t, cfg)
			ctx, cancel := context.WithTimeout(context.Background(), cfg.StartupWait+10*time.Second)
			defer cancel()
			err := store.Ping(ctx)
			if !errors.Is(err, errs.Internal) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Ping = %v\nwant kind internal, saying %q", err, tc.want)
			}
			if tc.command == nil {
				return
			}
			err = tc.command(ctx, store)
			if !errors.Is(err, errs.Internal) || !strings.Contains(err.Error(), "it is set up with: riak admin bucket-type create") {
				t.Errorf("command on the wrong type = %v\nwant kind internal, naming the commands that set it up", err)
			}
		})
	}
}

func riakConfig(t *testing.T) Config {
	t.Helper()
	cfg, err := env.ParseAs[Config]()
	if err != nil {
		t.Fatalf("riak config: %v", err)
	}
	if !cfg.Enabled() {
		t.Fatal("the riak contract test needs RIAK_HOSTS (host:port of a Riak KV node with the objects, counters, sets and maps bucket types)")
	}
	return cfg
}

func openRiak(t *testing.T, cfg Config) *Store {
	t.Helper()
	store, err := Open(cfg)
	if err != nil {
		t.Fatalf("open Riak %v: %v", cfg.Hosts, err)
	}
	t.Cleanup(func() { _ = store.Close() })
	return store
}
