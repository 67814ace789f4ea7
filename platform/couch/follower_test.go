package couch_test

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/attendify/platform/couch"
	"github.com/attendify/platform/errs"
	"github.com/attendify/platform/testkit"
	kivik "github.com/go-kivik/kivik/v4"
	"github.com/go-kivik/kivik/v4/couchdb"
	"github.com/google/go-cmp/cmp"
)

// recorder is a Handle that remembers what it was given.
type recorder struct {
	mu   sync.Mutex
	ids  []string
	docs map[string]string
	// fail, when set, decides whether a delivery fails.
	fail func(c couch.Change, attempt int) error
	seen map[string]int
}

func (r *recorder) handle(_ context.Context, c couch.Change) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.seen == nil {
		r.seen = map[string]int{}
		r.docs = map[string]string{}
	}
	r.seen[c.ID]++
	r.ids = append(r.ids, c.ID)
	if r.fail != nil {
		if err := r.fail(c, r.seen[c.ID]); err != nil {
			return err
		}
	}
	if c.Doc != nil {
		r.docs[c.ID] = string(c.Doc)
	}
	return nil
}

func (r *recorder) got() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.ids...)
}

// start runs f until the returned stop is called or the test ends; stop
// returns Run's error.
func start(t *testing.T, f *couch.Follower) (stop func() error) {
	t.Helper()
	return testkit.Run(t, "follower Run", f.Run)
}

func putDocs(t *testing.T, db *kivik.DB, ids ...string) {
	t.Helper()
	for _, id := range ids {
		if _, err := db.Put(testkit.Context(t), id, map[string]any{"title": "doc " + id}); err != nil {
			t.Fatalf("Put(%s): %v", id, err)
		}
	}
}

func follower(db *kivik.DB, id string, r *recorder) *couch.Follower {
	return &couch.Follower{
		DB: db, ID: id, Handle: r.handle,
		FlushInterval: 20 * time.Millisecond,
		MinBackoff:    5 * time.Millisecond, MaxBackoff: 50 * time.Millisecond,
		Heartbeat: time.Second,
	}
}

func TestFollowerResumesFromCheckpoint(t *testing.T) {
	ctx := testkit.Context(t)
	db := newDB(t, testkit.CouchDB(t))
	putDocs(t, db, "d01", "d02", "d03", "d04", "d05")

	first := &recorder{}
	f := follower(db, "resume", first)
	f.IncludeDocs = true
	stop := start(t, f)
	testkit.Eventually(t, "5 changes", func() bool { return len(first.got()) >= 5 })
	if err := stop(); err != nil {
		t.Fatalf("Run: %v", err)
	}
	if diff := cmp.Diff([]string{"d01", "d02", "d03", "d04", "d05"}, first.got()); diff != "" {
		t.Errorf("first run (-want +got):\n%s", diff)
	}
	if got := first.docs["d03"]; !hasField(got, "title", "doc d03") {
		t.Errorf("IncludeDocs: doc d03 = %s", got)
	}
	if seq, err := f.Checkpoint(ctx); err != nil || seq == "" {
		t.Fatalf("Checkpoint() after a graceful stop = %q, %v; want the last sequence", seq, err)
	}

	// Changes made while no follower runs, then a new process.
	putDocs(t, db, "d06", "d07")
	rev, err := db.GetRev(ctx, "d01")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Delete(ctx, "d01", rev); err != nil {
		t.Fatal(err)
	}
	deleted := map[string]bool{}
	second := &recorder{fail: func(c couch.Change, _ int) error {
		if c.Deleted {
			deleted[c.ID] = true
		}
		return nil
	}}
	start(t, follower(db, "resume", second))
	testkit.Eventually(t, "3 changes", func() bool { return len(second.got()) >= 3 })
	putDocs(t, db, "d08") // and one while it runs
	testkit.Eventually(t, "4 changes", func() bool { return len(second.got()) >= 4 })
	if diff := cmp.Diff([]string{"d06", "d07", "d01", "d08"}, second.got()); diff != "" {
		t.Errorf("second run: nothing before the checkpoint again, nothing missed (-want +got):\n%s", diff)
	}
	if !deleted["d01"] {
		t.Error("the deletion of d01 came without Deleted set")
	}

	// Another follower ID has its own checkpoint and starts from the beginning.
	other := &recorder{}
	start(t, follower(db, "other", other))
	testkit.Eventually(t, "8 changes", func() bool { return len(other.got()) >= 8 })
}

// hasField reports whether the JSON object doc has key set to the string want.
func hasField(doc, key, want string) bool {
	var m map[string]any
	return json.Unmarshal([]byte(doc), &m) == nil && m[key] == want
}

func TestFollowerRedeliversOnHandlerError(t *testing.T) {
	db := newDB(t, testkit.CouchDB(t))
	putDocs(t, db, "d1", "d2", "d3", "d4", "d5")

	r := &recorder{fail: func(c couch.Change, attempt int) error {
		if c.ID == "d3" && attempt <= 2 {
			return errors.New("transient failure")
		}
		return nil
	}}
	f := follower(db, "redeliver", r)
	stop := start(t, f)
	testkit.Eventually(t, "d5", func() bool { g := r.got(); return len(g) > 0 && g[len(g)-1] == "d5" })
	if err := stop(); err != nil {
		t.Fatalf("Run: %v", err)
	}
	// d1 and d2 were checkpointed before d3 failed: not delivered again.
	want := []string{"d1", "d2", "d3", "d3", "d3", "d4", "d5"}
	if diff := cmp.Diff(want, r.got()); diff != "" {
		t.Errorf("deliveries (-want +got):\n%s", diff)
	}
}

// dropper is an HTTP transport whose connections a test can cut.
type dropper struct {
	base  *http.Transport
	cut   atomic.Bool
	dials atomic.Int32
	mu    sync.Mutex
	conns []net.Conn
}

func newDropper() *dropper {
	d := &dropper{}
	d.base = &http.Transport{DialContext: d.dial}
	return d
}

func (d *dropper) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	if d.cut.Load() {
		return nil, errors.New("dropper: network cut")
	}
	c, err := (&net.Dialer{}).DialContext(ctx, network, addr)
	if err != nil {
		return nil, err
	}
	d.dials.Add(1)
	d.mu.Lock()
	d.conns = append(d.conns, c)
	d.mu.Unlock()
	return c, nil
}

func (d *dropper) RoundTrip(req *http.Request) (*http.Response, error) {
	if d.cut.Load() {
		return nil, errors.New("dropper: network cut")
	}
	return d.base.RoundTrip(req)
}

// drop closes every connection, open or idle.
func (d *dropper) drop() {
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, c := range d.conns {
		_ = c.Close()
	}
	d.conns = nil
}

func dropperClient(t *testing.T, d *dropper) *kivik.Client {
	t.Helper()
	client, err := kivik.New("couch", testConfig(t).URL, couchdb.OptionHTTPClient(&http.Client{Transport: d}))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = client.Close() })
	return client
}

// TestFollowerRedeliversAfterCrash: changes handled but not yet checkpointed
// when the process dies are delivered again; the ones before the checkpoint
// are not.
func TestFollowerRedeliversAfterCrash(t *testing.T) {
	ctx := testkit.Context(t)
	db := newDB(t, testkit.CouchDB(t))
	putDocs(t, db, "d1", "d2", "d3")

	nw := newDropper()
	first := &recorder{}
	f := follower(dropperClient(t, nw).DB(db.Name()), "crash", first)
	f.BatchSize = 2             // checkpoint after d2...
	f.FlushInterval = time.Hour // ...and not again until the "crash"
	stop := start(t, f)
	testkit.Eventually(t, "3 changes", func() bool { return len(first.got()) >= 3 })
	// The process dies: nothing it does reaches the server any more.
	nw.cut.Store(true)
	nw.drop()
	_ = stop()

	seq, err := (&couch.Follower{DB: db, ID: "crash", Handle: first.handle}).Checkpoint(ctx)
	if err != nil || seq == "" {
		t.Fatalf("checkpoint after d2 = %q, %v", seq, err)
	}

	second := &recorder{}
	start(t, follower(db, "crash", second))
	testkit.Eventually(t, "d3 again", func() bool { return len(second.got()) >= 1 })
	putDocs(t, db, "d4")
	testkit.Eventually(t, "d4", func() bool { return len(second.got()) >= 2 })
	if diff := cmp.Diff([]string{"d3", "d4"}, second.got()); diff != "" {
		t.Errorf("after the crash (-want +got):\n%s", diff)
	}
}

// TestFollowerReconnects: a dropped connection is reopened and following goes
// on from where it was.
func TestFollowerReconnects(t *testing.T) {
	db := newDB(t, testkit.CouchDB(t))
	putDocs(t, db, "d1", "d2")

	nw := newDropper()
	r := &recorder{}
	start(t, follower(dropperClient(t, nw).DB(db.Name()), "reconnect", r))
	testkit.Eventually(t, "2 changes", func() bool { return len(r.got()) >= 2 })
	dials := nw.dials.Load()
	nw.drop()
	putDocs(t, db, "d3", "d4")
	testkit.Eventually(t, "4 changes", func() bool { return len(dedupe(r.got())) >= 4 })
	if diff := cmp.Diff([]string{"d1", "d2", "d3", "d4"}, dedupe(r.got())); diff != "" {
		t.Errorf("deliveries across the reconnect (-want +got):\n%s", diff)
	}
	if nw.dials.Load() == dials {
		t.Error("no new connection after the drop")
	}

	// And again.
	nw.drop()
	putDocs(t, db, "d5")
	testkit.Eventually(t, "5 changes", func() bool { return len(dedupe(r.got())) >= 5 })
}

func dedupe(ids []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, id := range ids {
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}

func TestFollowerInvalid(t *testing.T) {
	ctx := testkit.Context(t)
	client := testkit.CouchDB(t)
	db := newDB(t, client)
	handle := func(context.Context, couch.Change) error { return nil }
	tests := []struct {
		name string
		f    couch.Follower
	}{
		{"no db", couch.Follower{ID: "x", Handle: handle}},
		{"no id", couch.Follower{DB: db, Handle: handle}},
		{"slash in id", couch.Follower{DB: db, ID: "a/b", Handle: handle}},
		{"no handler", couch.Follower{DB: db, ID: "x"}},
		{"feed param", couch.Follower{DB: db, ID: "x", Handle: handle, Params: map[string]any{"feed": "normal"}}},
		{"since param", couch.Follower{DB: db, ID: "x", Handle: handle, Params: map[string]any{"since": "0"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.f.Run(ctx); !errors.Is(err, errs.Invalid) {
				t.Errorf("Run() = %v; want an errs.Invalid error", err)
			}
		})
	}
}

// TestFollowerWaitsForDatabase: a follower started before its database
// exists keeps retrying and delivers once it is created.
func TestFollowerWaitsForDatabase(t *testing.T) {
	ctx := testkit.Context(t)
	client := testkit.CouchDB(t)
	name := testkit.CouchDBName(t)
	r := &recorder{}
	start(t, follower(client.DB(name), "early", r))
	time.Sleep(50 * time.Millisecond) // let it fail a few times
	if err := couch.EnsureDB(ctx, client, name); err != nil {
		t.Fatal(err)
	}
	putDocs(t, client.DB(name), "d1")
	testkit.Eventually(t, "d1", func() bool { return len(r.got()) >= 1 })
}

// TestFollowerDatabaseRecreated: when its database is deleted and created
// anew, the follower starts the new one from the beginning.
func TestFollowerDatabaseRecreated(t *testing.T) {
	ctx := testkit.Context(t)
	client := testkit.CouchDB(t)
	db := newDB(t, client)
	putDocs(t, db, "old1", "old2")
	r := &recorder{}
	start(t, follower(db, "recreated", r))
	testkit.Eventually(t, "2 changes", func() bool { return len(r.got()) >= 2 })

	if err := client.DestroyDB(ctx, db.Name()); err != nil {
		t.Fatal(err)
	}
	if err := client.CreateDB(ctx, db.Name()); err != nil {
		t.Fatal(err)
	}
	putDocs(t, db, "new1")
	testkit.Eventually(t, "new1", func() bool { return slices.Contains(r.got(), "new1") })
	if diff := cmp.Diff([]string{"old1", "old2", "new1"}, dedupe(r.got())); diff != "" {
		t.Errorf("deliveries (-want +got):\n%s", diff)
	}
}
