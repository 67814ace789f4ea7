package redisstore_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/attendify/eventwall/internal/screen"
	"github.com/attendify/eventwall/internal/service"
	"github.com/attendify/eventwall/internal/store/redisstore"
	"github.com/attendify/platform/testkit"
)

func newStore(t *testing.T) *redisstore.Store {
	rdb, ns := testkit.Redis(t)
	return redisstore.New(rdb, ns)
}

func decision(post string, rev int64, outcome, text string) service.Decision {
	item, _ := json.Marshal(map[string]string{"id": post, "text": text})
	return service.Decision{Post: post, Rev: rev, Outcome: outcome, Entry: service.Entry{
		Post: post, Author: "m-" + post, Rev: rev, Hash: service.TextHash(text), Created: rev, Item: item,
	}}
}

func apply(t *testing.T, s *redisstore.Store, wall string, d service.Decision) service.Applied {
	t.Helper()
	a, err := s.Apply(testkit.Context(t), wall, d)
	if err != nil {
		t.Fatalf("apply %+v: %v", d, err)
	}
	return a
}

func shown(t *testing.T, s *redisstore.Store, wall string) map[string]string {
	t.Helper()
	st, err := s.Load(testkit.Context(t), wall)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for p, b := range st.Items {
		out[p] = string(b)
	}
	return out
}

func TestApplyOrdersRevisionsAndHonoursVerdicts(t *testing.T) {
	s := newStore(t)
	ctx := testkit.Context(t)
	const w = "W1"

	if a := apply(t, s, w, decision("p1", 2, service.Show, "two")); a.Outcome != service.Show || !a.Changed {
		t.Errorf("first show: %+v", a)
	}
	if a := apply(t, s, w, decision("p1", 2, service.Show, "two")); a.Changed {
		t.Errorf("the same item again moved the log: %+v", a)
	}
	if a := apply(t, s, w, decision("p1", 1, service.Drop, "")); a.Outcome != "" {
		t.Errorf("an older revision was applied: %+v", a)
	}
	if got := shown(t, s, w); len(got) != 1 {
		t.Errorf("shown = %v", got)
	}

	// Hold, then an approval of that text shows it; an edit holds it again.
	apply(t, s, w, decision("p2", 1, service.Hold, "hmm"))
	q, total, err := s.Queue(ctx, w, 0, 10)
	if err != nil || total != 1 || q[0].Post != "p2" {
		t.Fatalf("queue: %v %d %+v", err, total, q)
	}
	if err := s.SetVerdict(ctx, w, "p2", "a:"+service.TextHash("hmm")); err != nil {
		t.Fatal(err)
	}
	if a := apply(t, s, w, decision("p2", 1, service.Hold, "hmm")); a.Outcome != service.Show {
		t.Errorf("approved hold: %+v", a)
	}
	if a := apply(t, s, w, decision("p2", 2, service.Hold, "edited")); a.Outcome != service.Hold || !a.Changed {
		t.Errorf("edited after approval: %+v", a)
	}
	// A rejection drops whatever comes later.
	if err := s.SetVerdict(ctx, w, "p2", "r"); err != nil {
		t.Fatal(err)
	}
	if a := apply(t, s, w, decision("p2", 3, service.Show, "nice now")); a.Outcome != service.Drop {
		t.Errorf("rejected post: %+v", a)
	}
	if _, total, _ := s.Queue(ctx, w, 0, 10); total != 0 {
		t.Errorf("queue after the rejection: %d", total)
	}

	// A blocked author is dropped by the board itself.
	if err := s.SetBlocked(ctx, w, []string{"m-p3"}); err != nil {
		t.Fatal(err)
	}
	if a := apply(t, s, w, decision("p3", 1, service.Show, "x")); a.Outcome != service.Drop {
		t.Errorf("blocked author: %+v", a)
	}

	// A mark is added to the item on screen; refresh does nothing to posts off it.
	if err := s.SetMark(ctx, w, "p1", "pin"); err != nil {
		t.Fatal(err)
	}
	apply(t, s, w, decision("p1", 2, service.Refresh, "two"))
	if got := shown(t, s, w)["p1"]; got != `{"id":"p1","text":"two","mark":"pin"}` {
		t.Errorf("marked item = %s", got)
	}
	if a := apply(t, s, w, decision("p9", 1, service.Refresh, "x")); a.Outcome != "" {
		t.Errorf("refresh of an unknown post: %+v", a)
	}
	if ok, _ := s.Shown(ctx, w, "p1"); !ok {
		t.Error("p1 not shown")
	}
}

func TestChangeLog(t *testing.T) {
	s := newStore(t)
	s.SetMaxChanges(5)
	ctx := testkit.Context(t)
	const w = "W2"
	rec := service.ScreenRecord{Wall: w, App: "A", Version: 1, Public: true, Screen: json.RawMessage(`{"id":"W2"}`)}
	if err := s.PublishConfig(ctx, rec); err != nil {
		t.Fatal(err)
	}
	old := rec
	old.Version = 0
	if err := s.PublishConfig(ctx, old); err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= 4; i++ {
		apply(t, s, w, decision(fmt.Sprintf("p%d", i), 1, service.Show, "x"))
	}
	apply(t, s, w, decision("p1", 2, service.Drop, ""))
	st, err := s.Load(ctx, w)
	if err != nil {
		t.Fatal(err)
	}
	if st.Head != 6 || st.Epoch == "" || len(st.Items) != 3 || st.Seqs["p1"] != 6 || st.Seqs[screen.ConfigMember] != 1 {
		t.Errorf("state: head %d epoch %q items %d seqs %v", st.Head, st.Epoch, len(st.Items), st.Seqs)
	}
	d, err := s.Since(ctx, w, 4)
	if err != nil {
		t.Fatal(err)
	}
	want := []screen.Change{{Post: "p4", Seq: 5, Item: []byte(`{"id":"p4","text":"x"}`)}, {Post: "p1", Seq: 6}}
	if diff := cmp.Diff(want, d.Changes); diff != "" || d.Config != nil {
		t.Errorf("since 4 (-want +got):\n%s (config %s)", diff, d.Config)
	}
	// Past 5 entries the log is trimmed and the floor says where.
	apply(t, s, w, decision("p5", 1, service.Show, "x"))
	apply(t, s, w, decision("p6", 1, service.Show, "x"))
	d, err = s.Since(ctx, w, 0)
	if err != nil {
		t.Fatal(err)
	}
	if d.Floor != 3 || len(d.Changes) != 5 || d.Head != 8 {
		t.Errorf("after trimming: floor %d, %d changes, head %d", d.Floor, len(d.Changes), d.Head)
	}
	heads, err := s.Heads(ctx, []string{w, "none"})
	if err != nil || heads[w].Seq != 8 || heads["none"].Seq != 0 {
		t.Errorf("heads: %v %+v", err, heads)
	}
	fp, v, err := s.Filled(ctx, w)
	if err != nil || fp != "" || v != 1 {
		t.Errorf("filled: %q %d %v", fp, v, err)
	}

	// A removed wall keeps its gone settings and logs its posts' removal.
	gone := rec
	gone.Version, gone.Gone = 2, true
	if err := s.RemoveWall(ctx, gone); err != nil {
		t.Fatal(err)
	}
	st, err = s.Load(ctx, w)
	if err != nil || len(st.Items) != 0 || st.Config == nil {
		t.Fatalf("after removal: %v %+v", err, st)
	}
	var got service.ScreenRecord
	_ = json.Unmarshal(st.Config, &got)
	if !got.Gone {
		t.Errorf("record = %s", st.Config)
	}
}

func TestNotifications(t *testing.T) {
	s := newStore(t)
	ctx, cancel := context.WithCancel(testkit.Context(t))
	defer cancel()
	got := make(chan string, 4)
	go func() {
		_ = s.SubscribeChanges(ctx, func(w string, seq uint64) { got <- fmt.Sprintf("%s %d", w, seq) })
	}()
	go func() { _ = s.SubscribeWalls(ctx, func(app, m string) { got <- app + "/" + m }) }()
	deadline := time.Now().Add(5 * time.Second)
	var seen []string
	for len(seen) < 2 && time.Now().Before(deadline) {
		_ = s.NotifyWalls(ctx, "A", "m1")
		apply(t, s, "W3", decision(fmt.Sprintf("p%d", time.Now().UnixNano()), 1, service.Show, "x"))
		select {
		case m := <-got:
			seen = append(seen, m)
		case <-time.After(100 * time.Millisecond):
		}
	}
	if len(seen) < 2 {
		t.Fatalf("notifications: %v", seen)
	}
}

func TestLeases(t *testing.T) {
	rdb, ns := testkit.Redis(t)
	a, b := redisstore.New(rdb, ns), redisstore.New(rdb, ns)
	ctx := testkit.Context(t)
	if ok, err := a.Acquire(ctx, "app1", time.Minute); !ok || err != nil {
		t.Fatalf("a acquires: %v %v", ok, err)
	}
	if ok, _ := b.Acquire(ctx, "app1", time.Minute); ok {
		t.Error("b took a's lease")
	}
	if ok, _ := a.Acquire(ctx, "app1", time.Minute); !ok {
		t.Error("a could not renew")
	}
	if err := b.Release(ctx, "app1"); err != nil {
		t.Fatal(err)
	}
	if ok, _ := b.Acquire(ctx, "app1", time.Minute); ok {
		t.Error("b's release freed a's lease")
	}
	if err := a.Release(ctx, "app1"); err != nil {
		t.Fatal(err)
	}
	if ok, _ := b.Acquire(ctx, "app1", time.Minute); !ok {
		t.Error("b could not take a released lease")
	}
}

func TestProfiles(t *testing.T) {
	s := newStore(t)
	ctx := testkit.Context(t)
	if err := s.SetProfile(ctx, "A", "m1", service.Profile{Name: "Ada"}); err != nil {
		t.Fatal(err)
	}
	ps, err := s.Profiles(ctx, "A", []string{"m1", "m2"})
	if err != nil || !cmp.Equal(ps, map[string]service.Profile{"m1": {Name: "Ada"}}) {
		t.Errorf("profiles: %v %v", err, ps)
	}
	if err := s.DeleteProfile(ctx, "A", "m1"); err != nil {
		t.Fatal(err)
	}
	if ps, _ := s.Profiles(ctx, "A", []string{"m1"}); len(ps) != 0 {
		t.Errorf("deleted profile: %v", ps)
	}
}
