package couch_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/attendify/platform/couch"
	"github.com/attendify/platform/errs"
	"github.com/attendify/platform/testkit"
	kivik "github.com/go-kivik/kivik/v4"
	"github.com/google/go-cmp/cmp"
)

// What CouchDB promises about _changes, and all these tests assume:
// every change is delivered at least once; one document's changes come in
// the order they were made; nothing after a checkpoint is lost. Nothing
// more: Apache CouchDB 3 shards every database and interleaves the shards'
// feeds, so documents written d1, d2, d3 may arrive d2, d1, d3, and a feed
// resumed from a checkpoint may repeat changes from before it. The dev
// server does the same in sharded mode (dev/README.md), which CI runs
// these tests against too.

// delivery is one call of Handle.
type delivery struct {
	id, rev string
	deleted bool
	failed  bool // Handle returned an error
}

// recorder is a Handle that remembers what it was given.
type recorder struct {
	mu   sync.Mutex
	log  []delivery
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
	d := delivery{id: c.ID, deleted: c.Deleted}
	if len(c.Revs) > 0 {
		d.rev = c.Revs[0]
	}
	var err error
	if r.fail != nil {
		err = r.fail(c, r.seen[c.ID])
	}
	d.failed = err != nil
	r.log = append(r.log, d)
	if err == nil && c.Doc != nil {
		r.docs[c.ID] = string(c.Doc)
	}
	return err
}

// got returns the ids of the deliveries, in order, repeats included.
func (r *recorder) got() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	ids := make([]string, len(r.log))
	for i, d := range r.log {
		ids[i] = d.id
	}
	return ids
}

// has reports whether every id was handled successfully.
func (r *recorder) has(ids ...string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	ok := map[string]bool{}
	for _, d := range r.log {
		if !d.failed {
			ok[d.id] = true
		}
	}
	for _, id := range ids {
		if !ok[id] {
			return false
		}
	}
	return true
}

// deliveries returns a copy of the log.
func (r *recorder) deliveries() []delivery {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.log)
}

// wantDelivered checks that the documents handled are exactly want (in
// any order, each at least once) and that each document's revisions came
// in order: never an older one after a newer one.
func wantDelivered(t *testing.T, what string, r *recorder, want ...string) {
	t.Helper()
	got := distinct(r.got())
	slices.Sort(got)
	want = slices.Sorted(slices.Values(want))
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("%s: documents delivered (-want +got):\n%s", what, diff)
	}
	last := map[string]int{}
	for _, d := range r.deliveries() {
		gen := revGeneration(d.rev)
		if gen < last[d.id] {
			t.Errorf("%s: %s revision %s delivered after a later one (generation %d)", what, d.id, d.rev, last[d.id])
		}
		last[d.id] = max(last[d.id], gen)
	}
}

// revGeneration is the number before the dash of a revision ("3-abc": 3).
func revGeneration(rev string) int {
	n, _, _ := strings.Cut(rev, "-")
	g, _ := strconv.Atoi(n)
	return g
}

// distinct returns ids without repeats, in first-seen order.
func distinct(ids []string) []string {
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

// proxied returns a client of the test server that goes through a proxy
// the test controls.
func proxied(t *testing.T) (*kivik.Client, *testkit.Proxy) {
	t.Helper()
	cfg := testConfig(t)
	u, err := url.Parse(cfg.URL)
	if err != nil {
		t.Fatal(err)
	}
	target := u.Host
	if u.Port() == "" {
		target = net.JoinHostPort(u.Hostname(), map[string]string{"http": "80", "https": "443"}[u.Scheme])
	}
	p := testkit.NewProxy(t, target)
	u.Host = p.Addr()
	cfg.URL = u.String()
	client, err := couch.Open(testkit.Context(t), cfg)
	if err != nil {
		t.Fatalf("open %s through a proxy: %v", cfg.Redacted(), err)
	}
	t.Cleanup(func() { _ = client.Close() })
	return client, p
}

func TestFollowerResumesFromCheckpoint(t *testing.T) {
	ctx := testkit.Context(t)
	db := newDB(t, testkit.CouchDB(t))
	putDocs(t, db, "d01", "d02", "d03", "d04", "d05")

	first := &recorder{}
	f := follower(db, "resume", first)
	f.IncludeDocs = true
	stop := start(t, f)
	testkit.Eventually(t, "5 documents", func() bool { return first.has("d01", "d02", "d03", "d04", "d05") })
	if err := stop(); err != nil {
		t.Fatalf("Run: %v", err)
	}
	wantDelivered(t, "first run", first, "d01", "d02", "d03", "d04", "d05")
	if got := first.docs["d03"]; !hasField(got, "title", "doc d03") {
		t.Errorf("IncludeDocs: doc d03 = %s", got)
	}
	if seq, err := f.Checkpoint(ctx); err != nil || seq == "" {
		t.Fatalf("Checkpoint() after a graceful stop = %q, %v; want the last sequence", seq, err)
	}

	// Changes made while no follower runs, then a new process: it gets
	// them (the feed may repeat some from before the checkpoint).
	putDocs(t, db, "d06", "d07")
	rev, err := db.GetRev(ctx, "d01")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Delete(ctx, "d01", rev); err != nil {
		t.Fatal(err)
	}
	second := &recorder{}
	start(t, follower(db, "resume", second))
	deletedD01 := func() bool {
		return slices.ContainsFunc(second.deliveries(), func(d delivery) bool { return d.id == "d01" && d.deleted })
	}
	testkit.Eventually(t, "d06, d07 and the deletion of d01", func() bool { return second.has("d06", "d07") && deletedD01() })
	putDocs(t, db, "d08") // and one while it runs
	testkit.Eventually(t, "d08", func() bool { return second.has("d08") })
	for _, d := range second.deliveries() {
		if !slices.Contains([]string{"d01", "d02", "d03", "d04", "d05", "d06", "d07", "d08"}, d.id) {
			t.Errorf("second run: unexpected change of %s", d.id)
		}
		if d.id == "d01" && !d.deleted && revGeneration(d.rev) > 1 {
			t.Errorf("the deletion of d01 came without Deleted set (rev %s)", d.rev)
		}
	}
	wantDelivered(t, "second run", second, distinct(second.got())...)

	// Another follower ID has its own checkpoint and starts from the beginning.
	other := &recorder{}
	start(t, follower(db, "other", other))
	all := []string{"d01", "d02", "d03", "d04", "d05", "d06", "d07", "d08"}
	testkit.Eventually(t, "8 documents", func() bool { return other.has(all...) })
	wantDelivered(t, "another follower", other, all...)
}

// hasField reports whether the JSON object doc has key set to the string want.
func hasField(doc, key, want string) bool {
	var m map[string]any
	return json.Unmarshal([]byte(doc), &m) == nil && m[key] == want
}

// TestFollowerRedeliversOnHandlerError: a change whose handling fails is
// delivered again until it succeeds, and every other change is handled.
func TestFollowerRedeliversOnHandlerError(t *testing.T) {
	ctx := testkit.Context(t)
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
	testkit.Eventually(t, "every document handled", func() bool { return r.has("d1", "d2", "d3", "d4", "d5") })
	if err := stop(); err != nil {
		t.Fatalf("Run: %v", err)
	}
	wantDelivered(t, "deliveries", r, "d1", "d2", "d3", "d4", "d5")
	var d3 []bool
	for _, d := range r.deliveries() {
		if d.id == "d3" {
			d3 = append(d3, d.failed)
		}
	}
	if diff := cmp.Diff([]bool{true, true, false}, d3); diff != "" {
		t.Errorf("deliveries of d3, failed or not (-want +got):\n%s", diff)
	}
	// What was handled is checkpointed: a new run gets no change it must
	// handle, only (perhaps) a few repeats, and then new ones.
	again := &recorder{}
	start(t, follower(db, "redeliver", again))
	putDocs(t, db, "d6")
	testkit.Eventually(t, "d6", func() bool { return again.has("d6") })
	if seq, err := f.Checkpoint(ctx); err != nil || seq == "" {
		t.Errorf("Checkpoint() = %q, %v", seq, err)
	}
}

// TestFollowerRedeliversAfterCrash: changes handled but not yet checkpointed
// when the process dies are delivered again, and so is everything after
// them.
func TestFollowerRedeliversAfterCrash(t *testing.T) {
	ctx := testkit.Context(t)
	db := newDB(t, testkit.CouchDB(t))
	putDocs(t, db, "d1", "d2", "d3")

	client, nw := proxied(t)
	first := &recorder{}
	f := follower(client.DB(db.Name()), "crash", first)
	f.BatchSize = 2             // checkpoint after two changes...
	f.FlushInterval = time.Hour // ...and not again until the "crash"
	stop := start(t, f)
	testkit.Eventually(t, "3 documents", func() bool { return first.has("d1", "d2", "d3") })
	// The process dies: nothing it does reaches the server any more.
	nw.Cut()
	_ = stop()
	seq, err := (&couch.Follower{DB: db, ID: "crash", Handle: first.handle}).Checkpoint(ctx)
	if err != nil || seq == "" {
		t.Fatalf("checkpoint after two changes = %q, %v", seq, err)
	}
	// The last change handled is after the checkpoint (saved after two
	// changes) as a rule. A feed error before the crash flushes what was
	// handled, and then nothing is owed: expect it again only when the
	// server's feed still has it after the checkpoint.
	handled := first.got()
	var unsaved []string
	if last := handled[len(handled)-1]; slices.Contains(changedSince(t, db, seq), last) {
		unsaved = append(unsaved, last)
	} else {
		t.Logf("the first run saved its checkpoint past %s before the crash (a feed error made it flush)", last)
	}

	second := &recorder{}
	start(t, follower(db, "crash", second))
	testkit.Eventually(t, fmt.Sprint(unsaved, " again"), func() bool { return second.has(unsaved...) })
	putDocs(t, db, "d4")
	testkit.Eventually(t, "d4", func() bool { return second.has("d4") })
	for _, id := range second.got() {
		if !slices.Contains([]string{"d1", "d2", "d3", "d4"}, id) {
			t.Errorf("after the crash: unexpected change of %s", id)
		}
	}
}

// TestFollowerReconnects: dropped connections are reopened and following
// goes on from where it was.
func TestFollowerReconnects(t *testing.T) {
	db := newDB(t, testkit.CouchDB(t))
	putDocs(t, db, "d1", "d2")

	client, nw := proxied(t)
	r := &recorder{}
	start(t, follower(client.DB(db.Name()), "reconnect", r))
	testkit.Eventually(t, "d1 and d2", func() bool { return r.has("d1", "d2") })
	dials := nw.Dials()
	nw.Drop()
	putDocs(t, db, "d3", "d4")
	testkit.Eventually(t, "d3 and d4", func() bool { return r.has("d3", "d4") })
	if nw.Dials() == dials {
		t.Error("no new connection after the drop")
	}

	// And again.
	nw.Drop()
	putDocs(t, db, "d5")
	testkit.Eventually(t, "d5", func() bool { return r.has("d5") })
	wantDelivered(t, "deliveries across the reconnects", r, "d1", "d2", "d3", "d4", "d5")
}

// warnings counts the records at level Warn or above: the follower's
// "changes feed failed; reconnecting".
type warnings struct{ n atomic.Int64 }

func (w *warnings) Enabled(_ context.Context, l slog.Level) bool { return l >= slog.LevelWarn }
func (w *warnings) Handle(context.Context, slog.Record) error    { w.n.Add(1); return nil }
func (w *warnings) WithAttrs([]slog.Attr) slog.Handler           { return w }
func (w *warnings) WithGroup(string) slog.Handler                { return w }

// TestFollowerSurvivesServerRestart: the server goes away while a follower
// reads it (every connection cut, new ones refused). The follower keeps
// retrying (it does not give up and return) and, once the server is back,
// gets what changed meanwhile and goes on.
func TestFollowerSurvivesServerRestart(t *testing.T) {
	db := newDB(t, testkit.CouchDB(t))
	putDocs(t, db, "d1", "d2")

	client, nw := proxied(t)
	r := &recorder{}
	var warned warnings
	f := follower(client.DB(db.Name()), "restart", r)
	f.Logger = slog.New(&warned)
	stop := start(t, f)
	testkit.Eventually(t, "d1 and d2", func() bool { return r.has("d1", "d2") })

	nw.Cut()
	before := warned.n.Load()
	testkit.Eventually(t, "the follower retrying while the server is away", func() bool { return warned.n.Load() >= before+3 })
	putDocs(t, db, "d3") // written by others meanwhile

	nw.Restore()
	putDocs(t, db, "d4")
	testkit.Eventually(t, "d3 and d4 after the restart", func() bool { return r.has("d3", "d4") })
	wantDelivered(t, "deliveries across the restart", r, "d1", "d2", "d3", "d4")
	if err := stop(); err != nil {
		t.Errorf("follower Run: %v", err)
	}
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
	testkit.Eventually(t, "d1", func() bool { return r.has("d1") })
}

// TestFollowerDatabaseRecreated: when its database is deleted and created
// anew, the follower starts the new one from the beginning.
func TestFollowerDatabaseRecreated(t *testing.T) {
	ctx := testkit.Context(t)
	client := testkit.CouchDB(t)
	db := newDB(t, client)
	putDocs(t, db, "old1", "old2")
	r := &recorder{}
	f := follower(db, "recreated", r)
	start(t, f)
	testkit.Eventually(t, "old1 and old2", func() bool { return r.has("old1", "old2") })
	// Once their checkpoint is saved: a save racing the deletion would
	// write the old database's sequence into the new one. (CouchDB starts
	// a feed over from such a sequence, which names the shards of the old
	// database; the dev server cannot tell it from one of the new.)
	testkit.Eventually(t, "the checkpoint", func() bool { seq, err := f.Checkpoint(ctx); return err == nil && seq != "" })

	if err := client.DestroyDB(ctx, db.Name()); err != nil {
		t.Fatal(err)
	}
	if err := client.CreateDB(ctx, db.Name()); err != nil {
		t.Fatal(err)
	}
	putDocs(t, db, "new1")
	testkit.Eventually(t, "new1", func() bool { return r.has("new1") })
	wantDelivered(t, "deliveries", r, "old1", "old2", "new1")
}

// changedSince lists the documents db's feed gives after since.
func changedSince(t *testing.T, db *kivik.DB, since string) []string {
	t.Helper()
	changes := db.Changes(testkit.Context(t), kivik.Param("since", since))
	defer changes.Close()
	var ids []string
	for changes.Next() {
		ids = append(ids, changes.ID())
	}
	if err := changes.Err(); err != nil {
		t.Fatalf("changes since %s: %v", since, err)
	}
	return ids
}

// malformedSince is what Apache CouchDB 3 answers to a _changes request
// whose since it cannot decode (fabric_view_changes:validate_start_seq/2's
// {bad_request, Reason}, sent by chttpd as 400), and the dev server in
// sharded mode too.
const malformedSince = `{"error":"bad_request","reason":"Malformed sequence supplied in 'since' parameter."}`

// front returns db as seen through a stand-in in front of the test server:
// intercept answers the requests it wants to (returning true), the server
// all others.
func front(t *testing.T, db *kivik.DB, intercept func(w http.ResponseWriter, r *http.Request) bool) *kivik.DB {
	t.Helper()
	cfg := testConfig(t)
	u, err := url.Parse(cfg.URL)
	if err != nil {
		t.Fatal(err)
	}
	proxy := httputil.NewSingleHostReverseProxy(&url.URL{Scheme: u.Scheme, Host: u.Host})
	proxy.FlushInterval = -1 // pass the feed's heartbeats on at once
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !intercept(w, r) {
			proxy.ServeHTTP(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	u.Host = strings.TrimPrefix(srv.URL, "http://")
	cfg.URL = u.String()
	client, err := couch.Open(testkit.Context(t), cfg)
	if err != nil {
		t.Fatalf("open the front of %s: %v", cfg.Redacted(), err)
	}
	t.Cleanup(func() { _ = client.Close() })
	return client.DB(db.Name())
}

// refusing returns db, through a front that answers a feed from since as
// CouchDB 3 answers a malformed sequence when the server does not (the
// plain dev server takes any since: PouchDB answers no changes and waits).
func refusing(t *testing.T, db *kivik.DB, since string) *kivik.DB {
	t.Helper()
	changes := db.Changes(testkit.Context(t), kivik.Param("since", since))
	for changes.Next() {
	}
	err := changes.Err()
	_ = changes.Close()
	if kivik.HTTPStatus(err) == http.StatusBadRequest {
		t.Logf("the server itself refuses since=%s: %v", since, err)
		return db
	}
	t.Logf("the server takes since=%s (%v): a front refuses it as CouchDB 3 does", since, err)
	return front(t, db, func(w http.ResponseWriter, r *http.Request) bool {
		if strings.HasSuffix(r.URL.Path, "/_changes") && r.URL.Query().Get("since") == since {
			answer(w, http.StatusBadRequest, malformedSince)
			return true
		}
		return false
	})
}

// syncLog is a log destination safe for the follower's goroutines.
type syncLog struct {
	mu  sync.Mutex
	buf strings.Builder
}

func (l *syncLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *syncLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// TestFollowerBadCheckpoint: a follower whose checkpoint is unusable (a
// sequence the server refuses as malformed, or a document that does not
// decode) logs an error and follows the database from its beginning,
// overwriting the checkpoint with its own once it has handled changes.
func TestFollowerBadCheckpoint(t *testing.T) {
	// notJSON serves the checkpoint as a body that is not JSON (no CouchDB
	// does; a proxy in the way might).
	notJSON := func(t *testing.T, db *kivik.DB) *kivik.DB {
		return front(t, db, func(w http.ResponseWriter, r *http.Request) bool {
			if r.Method == http.MethodGet && strings.HasSuffix(r.URL.Path, "/_local/bad") {
				answer(w, http.StatusOK, `{"seq": garbage`)
				return true
			}
			return false
		})
	}
	tests := []struct {
		name string
		seq  any    // the seq of the checkpoint written by hand (nil: none)
		log  string // what the error logged says of it
		// feed, when set, is the database the follower reads.
		feed func(t *testing.T, db *kivik.DB) *kivik.DB
	}{
		{"seq refused as malformed", "garbage", `seq=garbage`, func(t *testing.T, db *kivik.DB) *kivik.DB {
			return refusing(t, db, "garbage")
		}},
		{"seq an object", map[string]any{"shard": 1}, `checkpoint=`, nil},
		{"seq a list", []any{12, "g1AAAA"}, `checkpoint=`, nil},
		{"seq true", true, `checkpoint=`, nil},
		{"not JSON", nil, `checkpoint=`, notJSON},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := testkit.Context(t)
			db := newDB(t, testkit.CouchDB(t))
			if tt.seq != nil {
				if _, err := db.Put(ctx, "_local/bad", map[string]any{"seq": tt.seq}); err != nil {
					t.Fatal(err)
				}
			}
			putDocs(t, db, "d1", "d2", "d3")
			feed := db
			if tt.feed != nil {
				feed = tt.feed(t, db)
			}
			r := &recorder{}
			var logs syncLog
			f := follower(feed, "bad", r)
			f.Logger = slog.New(slog.NewTextHandler(&logs, nil))
			start(t, f)
			testkit.Eventually(t, "d1, d2 and d3", func() bool { return r.has("d1", "d2", "d3") })
			putDocs(t, db, "d4")
			testkit.Eventually(t, "d4", func() bool { return r.has("d4") })
			wantDelivered(t, "deliveries", r, "d1", "d2", "d3", "d4")
			saved := &couch.Follower{DB: db, ID: "bad", Handle: r.handle}
			testkit.Eventually(t, "the checkpoint overwritten", func() bool {
				seq, err := saved.Checkpoint(ctx)
				return err == nil && seq != "" && seq != "garbage"
			})
			var logged bool
			for _, line := range strings.Split(logs.String(), "\n") {
				logged = logged || strings.Contains(line, "level=ERROR") && strings.Contains(line, "follower=bad") && strings.Contains(line, tt.log)
			}
			if !logged {
				t.Errorf("no error logged naming the follower and %s; log:\n%s", tt.log, logs.String())
			}
		})
	}
}

// TestFollowerCheckpointNumber: a checkpoint whose seq is a JSON number (as
// PouchDB and CouchDB 1 sequences are, or an operator's reset to 0) is
// followed from.
func TestFollowerCheckpointNumber(t *testing.T) {
	ctx := testkit.Context(t)
	db := newDB(t, testkit.CouchDB(t))
	if _, err := db.Put(ctx, "_local/number", map[string]any{"seq": 0}); err != nil {
		t.Fatal(err)
	}
	putDocs(t, db, "d1", "d2")
	r := &recorder{}
	start(t, follower(db, "number", r))
	testkit.Eventually(t, "d1 and d2", func() bool { return r.has("d1", "d2") })
}

// TestFollowerOtherBadRequest: the server refusing the feed for another
// reason than a malformed since is a configuration that cannot work: Run
// returns it (errs.Invalid) and leaves the checkpoint alone.
func TestFollowerOtherBadRequest(t *testing.T) {
	ctx := testkit.Context(t)
	db := newDB(t, testkit.CouchDB(t))
	if _, err := db.Put(ctx, "_local/other", map[string]any{"seq": "garbage"}); err != nil {
		t.Fatal(err)
	}
	putDocs(t, db, "d1")
	feed := front(t, db, func(w http.ResponseWriter, r *http.Request) bool {
		if strings.HasSuffix(r.URL.Path, "/_changes") {
			answer(w, http.StatusBadRequest, `{"error":"bad_request","reason":"invalid_json"}`)
			return true
		}
		return false
	})
	r := &recorder{}
	f := follower(feed, "other", r)
	if err := f.Run(ctx); !errors.Is(err, errs.Invalid) {
		t.Errorf("Run() = %v; want an errs.Invalid error", err)
	}
	if seq, err := f.Checkpoint(ctx); err != nil || seq != "garbage" {
		t.Errorf("Checkpoint() = %q, %v; want the one written, garbage", seq, err)
	}
	if got := r.got(); len(got) != 0 {
		t.Errorf("delivered %v; want nothing", got)
	}
}
