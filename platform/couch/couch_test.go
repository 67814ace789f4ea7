package couch_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
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

// standIn returns a client of a stand-in for CouchDB that serves handler.
func standIn(t *testing.T, handler http.HandlerFunc) *kivik.Client {
	t.Helper()
	srv := httptest.NewServer(handler)
	t.Cleanup(srv.Close)
	client, err := kivik.New("couch", srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = client.Close() })
	return client
}

// answer writes a CouchDB error answer: status and {"error", "reason"}.
func answer(w http.ResponseWriter, status int, body string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(body + "\n"))
}

// CouchDB's answers to PUT /{db}: chttpd:error_info(file_exists), and
// error_info({error, {nodedown, <<"progress not possible">>}}), fabric's
// error when nodes are down and a shard range has no copy left.
const (
	fileExists = `{"error":"file_exists","reason":"The database could not be created, the file already exists."}`
	nodeDown   = `{"error":"nodedown","reason":"progress not possible"}`
)

// TestErrClusterAnswers: Err on answers a CouchDB 3 cluster gives and the
// dev server never does, fed by a stand-in that answers as chttpd.erl's
// error_info/1 does (status, {"error", "reason"} body).
func TestErrClusterAnswers(t *testing.T) {
	tests := []struct {
		name   string
		status int
		body   string
		kind   errs.Kind
	}{
		// error_info(timeout): the coordinator gave up on its shards
		// ([fabric] request_timeout); another try may well succeed.
		{"timeout", 500, `{"error":"timeout","reason":"The request could not be processed in a reasonable amount of time."}`, errs.Unavailable},
		{"nodes down", 412, nodeDown, errs.Unavailable},
		// error_info(all_workers_died): nodes overloaded or in maintenance.
		{"all workers died", 503, `{"error":"service unavailable","reason":"Nodes are unable to service this request due to overloading or maintenance mode."}`, errs.Unavailable},
		{"file exists", 412, fileExists, errs.Conflict},
		// error_info({request_entity_too_large, DocID}): over [couchdb]
		// max_document_size (8000000 bytes of body, attachments apart).
		{"document too large", 413, `{"error":"document_too_large","reason":"post:1"}`, errs.Invalid},
		{"any other 500", 500, `{"error":"unknown_error","reason":"function_clause"}`, errs.Internal},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			client := standIn(t, func(w http.ResponseWriter, r *http.Request) { answer(w, tt.status, tt.body) })
			got := couch.Err(client.DB("db").Get(testkit.Context(t), "doc").Err())
			if errs.KindOf(got) != tt.kind {
				t.Errorf("Err() = %v (kind %v); want kind %v", got, errs.KindOf(got), tt.kind)
			}
		})
	}
}

// TestEnsureDBClusterAnswers: a 412 to PUT /{db} means the database exists
// only when it does; a cluster with nodes down answers 412 too.
func TestEnsureDBClusterAnswers(t *testing.T) {
	tests := []struct {
		name   string
		put    string // the body of the 412
		exists bool   // what HEAD /{db} says then
		kind   errs.Kind
		ok     bool
	}{
		{"file exists", fileExists, true, 0, true},
		{"nodes down", nodeDown, false, errs.Unavailable, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			client := standIn(t, func(w http.ResponseWriter, r *http.Request) {
				switch {
				case r.Method == http.MethodPut:
					answer(w, http.StatusPreconditionFailed, tt.put)
				case r.Method == http.MethodHead && tt.exists:
					w.WriteHeader(http.StatusOK)
				default:
					answer(w, http.StatusNotFound, `{"error":"not_found","reason":"Database does not exist."}`)
				}
			})
			err := couch.EnsureDB(testkit.Context(t), client, "db")
			switch {
			case tt.ok && err != nil:
				t.Errorf("EnsureDB: %v; want nil", err)
			case !tt.ok && errs.KindOf(err) != tt.kind:
				t.Errorf("EnsureDB = %v (kind %v); want kind %v", err, errs.KindOf(err), tt.kind)
			}
		})
	}
}
