package testkit

import (
	"context"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/attendify/platform/couch"
	envconfig "github.com/caarlos0/env/v11"
	kivik "github.com/go-kivik/kivik/v4"
)

// couchConfig is the server tests use: COUCHDB_URL (and COUCHDB_USER,
// COUCHDB_PASSWORD) when set, else the dev server of `make services`.
func couchConfig(t testing.TB) couch.Config {
	t.Helper()
	cfg, err := envconfig.ParseAs[couch.Config]()
	if err != nil {
		t.Fatalf("testkit: CouchDB config from the environment: %v", err)
	}
	return cfg
}

// CouchDB returns a client for the CouchDB server of the tests (the
// CouchDB-compatible dev server that `make services` starts, or COUCHDB_URL),
// closed when the test ends. When the server cannot be reached, the test fails
// with a message saying so.
func CouchDB(t testing.TB) *kivik.Client {
	t.Helper()
	cfg := couchConfig(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	client, err := couch.Open(ctx, cfg)
	if err != nil {
		t.Fatalf("testkit: CouchDB at %s is not usable (run make services): %v", cfg.Redacted(), err)
	}
	t.Cleanup(func() { _ = client.Close() })
	return client
}

var (
	couchCleanupOnce   sync.Once
	couchCleanupClient *kivik.Client
	couchCleanupErr    error
)

// cleanupClient is one client per test binary for deleting test databases,
// so that cleanups work after the test's own client is closed.
func cleanupClient(t testing.TB) (*kivik.Client, error) {
	couchCleanupOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		couchCleanupClient, couchCleanupErr = couch.Open(ctx, couchConfig(t))
	})
	return couchCleanupClient, couchCleanupErr
}

var nonNameChars = regexp.MustCompile(`[^a-z0-9_]+`)

// CouchDBName returns a database name no other test uses, valid for CouchDB
// ("test_<test name>_<random>"). The test creates the database itself (for
// instance with couch.EnsureDB); it is deleted when the test ends, if it
// exists.
func CouchDBName(t testing.TB) string {
	t.Helper()
	base := strings.Trim(nonNameChars.ReplaceAllString(strings.ToLower(t.Name()), "_"), "_")
	if len(base) > 40 {
		base = base[:40]
	}
	name := "test_" + base + "_" + randomHex(6)
	if !couch.ValidDBName(name) {
		t.Fatalf("testkit: made an invalid CouchDB name %q", name)
	}
	t.Cleanup(func() {
		client, err := cleanupClient(t)
		if err != nil {
			t.Errorf("testkit: cannot delete CouchDB database %s (run make services): %v", name, err)
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := client.DestroyDB(ctx, name); err != nil && kivik.HTTPStatus(err) != http.StatusNotFound {
			t.Errorf("testkit: delete CouchDB database %s: %v", name, err)
		}
	})
	return name
}
