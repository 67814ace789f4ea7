package screen

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/google/go-cmp/cmp"

	"github.com/attendify/eventwall"
	"github.com/attendify/eventwall/internal/service"
	"github.com/attendify/platform/errs"
	"github.com/attendify/platform/testkit"
)

// fakeSource is a wall store in memory.
type fakeSource struct {
	mu    sync.Mutex
	state map[string]State
	loads int
}

func (f *fakeSource) Load(_ context.Context, wall string) (State, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.loads++
	st, ok := f.state[wall]
	if !ok {
		return State{}, nil
	}
	return st, nil
}

func (f *fakeSource) Since(ctx context.Context, wall string, seq uint64) (Delta, error) {
	st, _ := f.Load(ctx, wall)
	d := Delta{Epoch: st.Epoch, Head: st.Head, Floor: st.Floor}
	for m, s := range st.Seqs {
		if s <= seq {
			continue
		}
		if m == ConfigMember {
			d.Config, d.ConfigSeq = st.Config, s
			continue
		}
		d.Changes = append(d.Changes, Change{Post: m, Seq: s, Item: st.Items[m]})
	}
	return d, nil
}

func (f *fakeSource) Heads(ctx context.Context, walls []string) (map[string]Head, error) {
	out := map[string]Head{}
	for _, w := range walls {
		st, _ := f.Load(ctx, w)
		out[w] = Head{Epoch: st.Epoch, Seq: st.Head}
	}
	return out, nil
}

func (f *fakeSource) SubscribeChanges(ctx context.Context, fn func(string, uint64)) error {
	<-ctx.Done()
	return nil
}

// fakeWalls is Postgres's part: the wall W1's screen token is T1.
type fakeWalls struct{}

func (fakeWalls) WallOfToken(_ context.Context, token string) (string, error) {
	if token == "T1" {
		return "W1", nil
	}
	return "", errs.New(errs.NotFound, "no such wall")
}

func (fakeWalls) Republish(context.Context, string) error {
	return errs.New(errs.NotFound, "no such wall")
}

func rec(t testing.TB, public bool, key string) []byte {
	scr, _ := json.Marshal(eventwall.Screen{ID: "W1", Title: "Wall", Layout: "grid", Version: 1})
	b, err := json.Marshal(service.ScreenRecord{Wall: "W1", App: "A", Version: 1, Public: public, Token: "T1", Key: key, Screen: scr})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// created is when the test's posts were created: p<i> at minute i, unless
// the test says otherwise.
var created = time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC)

func itemJSON(id, text string) []byte {
	at := created
	if len(id) == 2 {
		at = at.Add(time.Duration(id[1]-'0') * time.Minute)
	}
	return itemAt(id, text, at)
}

func itemAt(id, text string, at time.Time) []byte {
	b, _ := json.Marshal(eventwall.Item{ID: id, Text: text, Hashtags: []string{}, Photos: []eventwall.ItemPhoto{}, CreatedAt: at})
	return b
}

func newTestServer(t testing.TB, src *fakeSource) (*httptest.Server, *Handler) {
	return newTestServerOn(t, src, fakeWalls{}, CacheOptions{Check: 20 * time.Millisecond})
}

// newTestServerOn is newTestServer with truth as Postgres's part and o as
// the cache's options.
func newTestServerOn(t testing.TB, src *fakeSource, truth Walls, o CacheOptions) (*httptest.Server, *Handler) {
	cache := NewCache(src, truth, o)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { _ = cache.Run(ctx); close(done) }()
	mux := chi.NewRouter()
	h := NewHandler(cache, nil, 1<<20, nil)
	h.Routes(mux, mux)
	srv := httptest.NewServer(mux)
	t.Cleanup(func() { srv.Close(); cancel(); <-done })
	return srv, h
}

func get(t *testing.T, url string, header ...string) (int, http.Header, eventwall.Changes) {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var ch eventwall.Changes
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode == 200 && resp.Header.Get("Content-Type") == "application/json" {
		if err := json.Unmarshal(body, &ch); err != nil {
			t.Fatalf("decode %s: %v", body, err)
		}
	}
	return resp.StatusCode, resp.Header, ch
}

func TestPollProtocol(t *testing.T) {
	src := &fakeSource{state: map[string]State{"W1": {
		Epoch: "e1", Head: 3, Config: rec(t, true, ""),
		Items: map[string][]byte{"p1": itemJSON("p1", "one"), "p2": itemJSON("p2", "two")},
		Seqs:  map[string]uint64{ConfigMember: 1, "p1": 2, "p2": 3, "p0": 2},
	}}}
	srv, h := newTestServer(t, src)
	poll := srv.URL + "/walls/T1/poll"

	st, hdr, ch := get(t, poll)
	if st != 200 || !ch.Reset || ch.Cursor != "e1.3" || hdr.Get("ETag") != `"e1.3"` || ch.Config == nil || ch.Config.Title != "Wall" {
		t.Fatalf("first poll: %d %+v %v", st, ch, hdr)
	}
	if diff := cmp.Diff([]string{"p2", "p1"}, ids(ch.Items)); diff != "" {
		t.Errorf("full state, newest first (-want +got):\n%s", diff)
	}
	if st, _, _ := get(t, poll+"?cursor=e1.3"); st != 304 {
		t.Errorf("up to date: %d, want 304", st)
	}
	if st, _, _ := get(t, poll, "If-None-Match", `"e1.3"`); st != 304 {
		t.Errorf("If-None-Match: %d, want 304", st)
	}
	st, _, ch = get(t, poll+"?cursor=e1.2")
	if st != 200 || ch.Reset || ch.Config != nil || !cmp.Equal(ids(ch.Items), []string{"p2"}) || len(ch.Removed) != 0 {
		t.Errorf("delta from 2: %d %+v", st, ch)
	}
	st, _, ch = get(t, poll+"?cursor=e1.1")
	if st != 200 || ch.Reset || !cmp.Equal(ids(ch.Items), []string{"p1", "p2"}) || !cmp.Equal(ch.Removed, []string{"p0"}) {
		t.Errorf("delta from 1: %d %+v", st, ch)
	}
	for _, c := range []string{"other.1", "e1.9", "garbage"} {
		if _, _, ch := get(t, poll+"?cursor="+c); !ch.Reset {
			t.Errorf("cursor %s: want a reset", c)
		}
	}
	if st, _, _ := get(t, srv.URL+"/walls/nope/poll"); st != 404 {
		t.Errorf("unknown wall: %d", st)
	}
	if st, _, _ := get(t, srv.URL+"/walls/W1/poll"); st != 404 {
		t.Errorf("the wall's id instead of its token: %d, want 404", st)
	}
	if st, _, _ := get(t, srv.URL+"/walls/a%2Fb/poll"); st != 404 {
		t.Errorf("bad id: %d", st)
	}

	// A long poll returns when the wall moves.
	done := make(chan eventwall.Changes, 1)
	go func() {
		_, _, ch := get(t, poll+"?cursor=e1.3&wait=10s")
		done <- ch
	}()
	testkit.Eventually(t, "the long poll waiting", func() bool { return h.Waiting() == 1 })
	src.mu.Lock()
	s := src.state["W1"]
	s.Head = 4
	delete(s.Items, "p1")
	s.Seqs["p1"] = 4
	src.state["W1"] = s
	src.mu.Unlock()
	select {
	case ch := <-done:
		if !cmp.Equal(ch.Removed, []string{"p1"}) || ch.Cursor != "e1.4" {
			t.Errorf("long poll: %+v", ch)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the long poll did not return")
	}
	if st, _, _ := get(t, poll+"?cursor=e1.4&wait=0.1"); st != 304 {
		t.Errorf("long poll with nothing new: %d, want 304", st)
	}
}

func TestScreenKey(t *testing.T) {
	src := &fakeSource{state: map[string]State{"W1": {Epoch: "e", Head: 1, Config: rec(t, false, "s3cret"), Items: map[string][]byte{}, Seqs: map[string]uint64{}}}}
	srv, _ := newTestServer(t, src)
	for _, tt := range []struct {
		name   string
		url    string
		header []string
		want   int
	}{
		{"no key", "/walls/T1/poll", nil, 404},
		{"wrong key", "/walls/T1/poll?key=nope", nil, 404},
		{"query key", "/walls/T1/poll?key=s3cret", nil, 200},
		{"header key", "/walls/T1/poll", []string{eventwall.HeaderScreenKey, "s3cret"}, 200},
		{"page without key", "/walls/T1", nil, 404},
		{"page with key", "/walls/T1?key=s3cret", nil, 200},
		{"the id with the key", "/walls/W1/poll?key=s3cret", nil, 404},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if st, _, _ := get(t, srv.URL+tt.url, tt.header...); st != tt.want {
				t.Errorf("HTTP %d, want %d", st, tt.want)
			}
		})
	}
}

// TestScreenHeaders: the page's URL holds the screen token and a private
// wall's key, and the page shows images from any address (authors'
// photos): its requests carry no Referer. A private wall's answers are
// kept by no shared cache.
func TestScreenHeaders(t *testing.T) {
	for _, public := range []bool{true, false} {
		key := ""
		if !public {
			key = "s3cret"
		}
		src := &fakeSource{state: map[string]State{"W1": {Epoch: "e", Head: 1, Config: rec(t, public, key), Items: map[string][]byte{}, Seqs: map[string]uint64{}}}}
		srv, _ := newTestServer(t, src)
		st, hdr, _ := get(t, srv.URL+"/walls/T1?key="+key)
		if st != 200 || hdr.Get("Referrer-Policy") != "no-referrer" {
			t.Errorf("public %v: page %d, Referrer-Policy %q, want no-referrer", public, st, hdr.Get("Referrer-Policy"))
		}
		for _, url := range []string{"/walls/T1", "/walls/T1/poll", "/walls/T1/poll?cursor=e.1"} {
			st, hdr, _ := get(t, srv.URL+url, eventwall.HeaderScreenKey, key)
			cc := hdr.Get("Cache-Control")
			if st >= 400 || !strings.Contains(cc, "no-cache") || strings.Contains(cc, "private") == public {
				t.Errorf("public %v: %s: %d, Cache-Control %q", public, url, st, cc)
			}
		}
	}
}

// TestOrderByCreation: a wall's order is the posts' creation time, not the
// order in which they reached it (CouchDB's _changes interleaves shards) nor
// their ids.
func TestOrderByCreation(t *testing.T) {
	// p9 arrived first but was created last; p1 and p2 arrived last.
	src := &fakeSource{state: map[string]State{"W1": {
		Epoch: "e1", Head: 4, Config: rec(t, true, ""),
		Items: map[string][]byte{
			"p9": itemAt("p9", "made at 9:03", created.Add(3*time.Minute)),
			"a5": itemAt("a5", "made at 9:05", created.Add(5*time.Minute)),
			"p1": itemAt("p1", "made at 9:01", created.Add(time.Minute)),
			"p2": itemAt("p2", "made at 9:04", created.Add(4*time.Minute)),
		},
		Seqs: map[string]uint64{ConfigMember: 1, "p9": 1, "a5": 2, "p1": 3, "p2": 4},
	}}}
	srv, _ := newTestServer(t, src)
	_, _, full := get(t, srv.URL+"/walls/T1/poll")
	if diff := cmp.Diff([]string{"a5", "p2", "p9", "p1"}, ids(full.Items)); diff != "" {
		t.Errorf("full state, newest first (-want +got):\n%s", diff)
	}
	_, _, delta := get(t, srv.URL+"/walls/T1/poll?cursor=e1.1")
	if diff := cmp.Diff([]string{"p1", "p2", "a5"}, ids(delta.Items)); diff != "" {
		t.Errorf("delta, oldest first (-want +got):\n%s", diff)
	}
}

func TestQueryParam(t *testing.T) {
	for _, tt := range []struct{ raw, name, want string }{
		{"cursor=a.1&key=k", "cursor", "a.1"},
		{"cursor=a.1&key=k", "key", "k"},
		{"key=a%2Bb", "key", "a+b"},
		{"keyx=1&key=2", "key", "2"},
		{"", "key", ""},
		{"key", "key", ""},
	} {
		if got := queryParam(tt.raw, tt.name); got != tt.want {
			t.Errorf("queryParam(%q, %q) = %q, want %q", tt.raw, tt.name, got, tt.want)
		}
	}
}

func TestParseWait(t *testing.T) {
	for in, want := range map[string]time.Duration{"": 0, "25s": 25 * time.Second, "10": 10 * time.Second, "2h": eventwall.MaxWait, "-1s": 0, "x": 0} {
		if got := parseWait(in); got != want {
			t.Errorf("parseWait(%q) = %s, want %s", in, got, want)
		}
	}
}

func ids(items []eventwall.Item) []string {
	out := []string{}
	for _, it := range items {
		out = append(out, it.ID)
	}
	return out
}

// BenchmarkPoll304 is the up-to-date poll served from memory: it should
// allocate next to nothing and make no store call.
func BenchmarkPoll304(b *testing.B) {
	src := &fakeSource{state: map[string]State{"W1": {Epoch: "e1", Head: 3, Config: rec(b, true, ""), Items: map[string][]byte{"p1": itemJSON("p1", "x")}, Seqs: map[string]uint64{"p1": 3}}}}
	cache := NewCache(src, fakeWalls{}, CacheOptions{})
	mux := chi.NewRouter()
	NewHandler(cache, nil, 1<<20, nil).Routes(mux, mux)
	req := httptest.NewRequest("GET", "/walls/T1/poll?cursor=e1.3", nil)
	w := &discard{h: http.Header{}}
	mux.ServeHTTP(w, req)
	loads := src.loads
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		clear(w.h)
		mux.ServeHTTP(w, req)
	}
	b.StopTimer()
	if w.code != 304 || src.loads != loads {
		b.Fatalf("status %d, %d loads", w.code, src.loads-loads)
	}
}

type discard struct {
	h    http.Header
	code int
}

func (d *discard) Header() http.Header         { return d.h }
func (d *discard) Write(p []byte) (int, error) { return len(p), nil }
func (d *discard) WriteHeader(c int)           { d.code = c }

// slowWalls is a truth that takes a while to say that no wall has a
// token, and counts the lookups running at once.
type slowWalls struct {
	fakeWalls
	running, most, calls atomic.Int64
}

func (w *slowWalls) WallOfToken(ctx context.Context, token string) (string, error) {
	n := w.running.Add(1)
	defer w.running.Add(-1)
	w.calls.Add(1)
	for {
		m := w.most.Load()
		if n <= m || w.most.CompareAndSwap(m, n) {
			break
		}
	}
	time.Sleep(20 * time.Millisecond)
	return w.fakeWalls.WallOfToken(ctx, token)
}

// TestUnknownTokenFlood: a flood of made-up tokens (each costs a lookup
// in Postgres) gets at most Lookups of them running at once; the rest are
// refused at once, as 503 with Retry-After, and the known wall still opens.
func TestUnknownTokenFlood(t *testing.T) {
	truth := &slowWalls{}
	src := &fakeSource{state: map[string]State{"W1": {Epoch: "e1", Head: 1, Seqs: map[string]uint64{ConfigMember: 1}, Config: rec(t, true, "")}}}
	srv, _ := newTestServerOn(t, src, truth, CacheOptions{Lookups: 2})

	const flood = 60
	codes := make([]int, flood)
	var wg sync.WaitGroup
	for i := range flood {
		wg.Go(func() {
			resp, err := http.Get(fmt.Sprintf("%s/walls/made-up-%d/poll", srv.URL, i))
			if err != nil {
				t.Error(err)
				return
			}
			resp.Body.Close()
			codes[i] = resp.StatusCode
			if resp.StatusCode == http.StatusServiceUnavailable && resp.Header.Get("Retry-After") == "" {
				t.Error("503 without Retry-After")
			}
		})
	}
	wg.Wait()
	n := map[int]int{}
	for _, c := range codes {
		n[c]++
	}
	if most := truth.most.Load(); most > 2 {
		t.Errorf("%d lookups at once, want at most 2", most)
	}
	if n[http.StatusNotFound]+n[http.StatusServiceUnavailable] != flood || n[http.StatusServiceUnavailable] == 0 {
		t.Errorf("answers %v, want 404 and 503 only, some 503", n)
	}
	if int(truth.calls.Load()) != n[http.StatusNotFound] {
		t.Errorf("%d lookups for %d answers 404: a refused token cost a lookup", truth.calls.Load(), n[http.StatusNotFound])
	}
	if code, _, _ := get(t, srv.URL+"/walls/T1/poll"); code != http.StatusOK {
		t.Errorf("the known wall after the flood: %d", code)
	}
}
