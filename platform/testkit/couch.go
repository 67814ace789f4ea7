package testkit

import (
	"context"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/attendify/platform/couch"
	envconfig "github.com/caarlos0/env/v11"
	kivik "github.com/go-kivik/kivik/v4"
)

// couchPrefix starts the name of every CouchDB database testkit hands out:
// test_<unix seconds>_<test name>_<random>. The time lets a later test binary
// recognise and delete the leftovers of one that was killed.
const couchPrefix = "test_"

// couchStaleAfter is the age after which a test database is taken for the
// leftover of a killed test binary.
const couchStaleAfter = 6 * time.Hour

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

func openCouch(cfg couch.Config) (*kivik.Client, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return couch.Open(ctx, cfg)
}

// CouchDB returns a client for the CouchDB server of the tests (the
// CouchDB-compatible dev server that `make services` starts, or COUCHDB_URL),
// closed when the test ends. When the server cannot be reached, the test fails
// with a message saying so.
func CouchDB(t testing.TB) *kivik.Client {
	t.Helper()
	cfg := couchConfig(t)
	client, err := openCouch(cfg)
	if err != nil {
		t.Fatalf("testkit: CouchDB at %s is not usable (run make services): %v", cfg.Redacted(), err)
	}
	t.Cleanup(func() { _ = client.Close() })
	return client
}

var (
	couchAdminOnce sync.Once
	couchAdmin     *kivik.Client
	couchAdminErr  error
)

// couchAdminClient is one client per test binary for deleting test
// databases, so that cleanups still work once the test's own client is
// closed. The first call also deletes test databases left over by killed
// test binaries.
func couchAdminClient(t testing.TB) (*kivik.Client, error) {
	couchAdminOnce.Do(func() {
		couchAdmin, couchAdminErr = openCouch(couchConfig(t))
		if couchAdminErr == nil {
			sweepStaleCouchDBs(couchAdmin)
		}
	})
	return couchAdmin, couchAdminErr
}

// sweepStaleCouchDBs deletes test databases older than couchStaleAfter: no test
// runs that long, so their test binary died before its cleanup ran.
func sweepStaleCouchDBs(client *kivik.Client) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	names, err := client.AllDBs(ctx)
	if err != nil {
		return
	}
	for _, name := range names {
		stamp, _, ok := strings.Cut(strings.TrimPrefix(name, couchPrefix), "_")
		if !strings.HasPrefix(name, couchPrefix) || !ok {
			continue
		}
		secs, err := strconv.ParseInt(stamp, 10, 64)
		if err != nil || time.Since(time.Unix(secs, 0)) < couchStaleAfter {
			continue
		}
		_ = client.DestroyDB(ctx, name)
	}
}

var nonNameChars = regexp.MustCompile(`[^a-z0-9_]+`)

// CouchDBName returns a database name no other test uses, valid for CouchDB
// ("test_<unix seconds>_<test name>_<random>"). The test creates the database
// itself (couch.EnsureDB, or CreateDB); it is deleted when the test ends, if
// it exists.
func CouchDBName(t testing.TB) string {
	t.Helper()
	base := strings.Trim(nonNameChars.ReplaceAllString(strings.ToLower(t.Name()), "_"), "_")
	if len(base) > 40 {
		base = base[:40]
	}
	name := couchPrefix + strconv.FormatInt(time.Now().Unix(), 10) + "_" + base + "_" + randomHex(6)
	if !couch.ValidDBName(name) {
		t.Fatalf("testkit: made an invalid CouchDB name %q", name)
	}
	t.Cleanup(func() {
		client, err := couchAdminClient(t)
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
