package couch_test

import (
	"context"
	"errors"
	"net"
	"strings"
	"testing"

	"github.com/attendify/platform/couch"
	"github.com/attendify/platform/errs"
	"github.com/attendify/platform/testkit"
	"github.com/caarlos0/env/v11"
	kivik "github.com/go-kivik/kivik/v4"
)

// testConfig is the configuration testkit.CouchDB uses.
func testConfig(t *testing.T) couch.Config {
	t.Helper()
	cfg, err := env.ParseAs[couch.Config]()
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

func TestConfigRedacted(t *testing.T) {
	cfg := couch.Config{URL: "http://admin:admin@127.0.0.1:5984", User: "svc", Password: "topsecret"}
	if got, want := cfg.Redacted(), "http://svc:xxxxx@127.0.0.1:5984"; got != want {
		t.Errorf("Redacted() with COUCHDB_USER = %q, want %q", got, want)
	}
}

func TestOpen(t *testing.T) {
	ctx := testkit.Context(t)
	cfg := testConfig(t)
	client, err := couch.Open(ctx, cfg)
	if err != nil {
		t.Fatalf("Open(%s): %v (run make services)", cfg.Redacted(), err)
	}
	defer client.Close()
	if err := couch.Ready(client)(ctx); err != nil {
		t.Errorf("Ready: %v", err)
	}
}

func TestOpenErrors(t *testing.T) {
	ctx := testkit.Context(t)
	good := testConfig(t)

	// A port nobody listens on.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://admin:s3cret@" + l.Addr().String()
	l.Close()

	tests := []struct {
		name string
		cfg  couch.Config
		kind errs.Kind
	}{
		{"unreachable", couch.Config{URL: closed}, errs.Unavailable},
		{"wrong password", couch.Config{URL: good.URL, User: "admin", Password: "not-the-s3cret"}, errs.Unauthenticated},
		{"not http", couch.Config{URL: "ftp://admin:s3cret@127.0.0.1:5984"}, errs.Invalid},
		{"no host", couch.Config{URL: "http://"}, errs.Invalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			client, err := couch.Open(ctx, tt.cfg)
			if err == nil {
				client.Close()
				t.Fatalf("Open succeeded; want a %v error", tt.kind)
			}
			if !errors.Is(err, tt.kind) {
				t.Errorf("Open: %v; want kind %v, got %v", err, tt.kind, errs.KindOf(err))
			}
			for _, secret := range []string{"s3cret", "not-the-s3cret"} {
				if strings.Contains(err.Error(), secret) {
					t.Errorf("error %q shows the password", err)
				}
			}
		})
	}
}

func TestEnsureDB(t *testing.T) {
	ctx := testkit.Context(t)
	client := testkit.CouchDB(t)
	name := testkit.CouchDBName(t)
	for i := range 2 {
		if err := couch.EnsureDB(ctx, client, name); err != nil {
			t.Fatalf("EnsureDB #%d: %v", i+1, err)
		}
	}
	if ok, err := client.DBExists(ctx, name); err != nil || !ok {
		t.Fatalf("DBExists(%s) = %v, %v after EnsureDB", name, ok, err)
	}
}

func TestErr(t *testing.T) {
	ctx := testkit.Context(t)
	client := testkit.CouchDB(t)
	name := testkit.CouchDBName(t)
	if err := couch.EnsureDB(ctx, client, name); err != nil {
		t.Fatal(err)
	}
	db := client.DB(name)
	rev, err := db.Put(ctx, "doc", map[string]any{"n": 1})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Put(ctx, "doc", map[string]any{"_rev": rev, "n": 2}); err != nil {
		t.Fatal(err)
	}

	anon, err := kivik.New("couch", strings.Replace(testConfig(t).Redacted(), "admin:xxxxx@", "", 1))
	if err != nil {
		t.Fatal(err)
	}
	defer anon.Close()

	tests := []struct {
		name string
		err  func() error
		kind errs.Kind
	}{
		{"missing document", func() error { return db.Get(ctx, "nope").Err() }, errs.NotFound},
		{"missing database", func() error { return client.DB(name+"_nope").Get(ctx, "doc").Err() }, errs.NotFound},
		{"stale revision", func() error { _, err := db.Put(ctx, "doc", map[string]any{"_rev": rev}); return err }, errs.Conflict},
		{"database exists", func() error { return client.CreateDB(ctx, name) }, errs.Conflict},
		{"delete missing database", func() error { return client.DestroyDB(ctx, name+"_nope") }, errs.NotFound},
		{"not an admin", func() error { return anon.CreateDB(ctx, name+"_anon") }, errs.Unauthenticated},
		{"reserved member", func() error { _, err := db.Put(ctx, "other", map[string]any{"_bogus": 1}); return err }, errs.Invalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := couch.Err(tt.err())
			if !errors.Is(got, tt.kind) {
				t.Errorf("Err() = %v (kind %v); want kind %v", got, errs.KindOf(got), tt.kind)
			}
		})
	}

	if couch.Err(nil) != nil {
		t.Error("Err(nil) != nil")
	}
	canceled, cancel := context.WithCancel(ctx)
	cancel()
	if err := couch.Err(db.Get(canceled, "doc").Err()); !errors.Is(err, errs.Canceled) && errs.KindOf(err) != errs.Canceled {
		t.Errorf("Err(canceled Get) = %v (kind %v); want canceled", err, errs.KindOf(err))
	}
}
