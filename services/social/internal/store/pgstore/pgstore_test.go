package pgstore_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/attendify/platform/events"
	"github.com/attendify/platform/testkit"
	"github.com/attendify/social/internal/service"
	"github.com/attendify/social/internal/store/pgstore"
	"github.com/attendify/social/internal/store/storetest"
	"github.com/attendify/social/migrations"
)

func newStore(t *testing.T) *pgstore.Store {
	t.Helper()
	return pgstore.New(testkit.Postgres(t, migrations.Schema, migrations.All...), nil)
}

func noEffects(string) service.Effects { return service.Effects{} }

// TestReactionsConcurrent: 64 members react to one post at once, each twice
// (a double tap) and some change their mind: the counters are exact, each
// change is reported once, and every member's index is right.
func TestReactionsConcurrent(t *testing.T) {
	s := newStore(t)
	ctx := testkit.Context(t)
	const members = 64
	var mu sync.Mutex
	changes := 0
	var wg sync.WaitGroup
	for i := range members {
		wg.Go(func() {
			m := fmt.Sprintf("m%02d", i)
			for _, k := range reactionTaps(i) {
				r, err := s.React(ctx, service.Reaction{App: "app1", Post: "p1", Member: m, Kind: k}, noEffects)
				if err != nil {
					t.Errorf("%s reacts %q: %v", m, k, err)
					return
				}
				if r.Changed {
					mu.Lock()
					changes++
					mu.Unlock()
				}
			}
		})
	}
	wg.Wait()
	checkReactionTaps(t, s)
	if changes != 64+16+8 {
		t.Errorf("%d changes reported, want %d", changes, 64+16+8)
	}
	// Another app's post of the same id is another post.
	if c, _ := s.Counts(ctx, "app2", "p1"); len(c.Reactions) != 0 {
		t.Errorf("app2's counts = %v", c)
	}
}

// reactionTaps is what member i of the 64 of the concurrent reaction tests
// sends, in pairs (a double tap): a like; every fourth member then a love;
// every eighth then takes the reaction back.
func reactionTaps(i int) []string {
	kinds := []string{"like", "like"}
	if i%4 == 0 {
		kinds = append(kinds, "love", "love")
	}
	if i%8 == 0 {
		kinds = append(kinds, "", "")
	}
	return kinds
}

// checkReactionTaps checks the post's counts and some members' indexes
// after the 64 members' reactionTaps on app1's post p1.
func checkReactionTaps(t *testing.T, s *pgstore.Store) {
	t.Helper()
	ctx := testkit.Context(t)
	got, err := s.Counts(ctx, "app1", "p1")
	if err != nil {
		t.Fatal(err)
	}
	// 64 members: 8 ended with nothing, 8 with love, 48 with like.
	want := map[string]int64{"like": 48, "love": 8}
	if diff := cmp.Diff(want, got.Reactions); diff != "" {
		t.Errorf("counts (-want +got):\n%s", diff)
	}
	// With pgkv, each of the 88 changes moved the counters' version once.
	if !got.Unversioned && got.Version != 64+16+8 {
		t.Errorf("version %d after %d changes", got.Version, 64+16+8)
	}
	for i, want := range map[int]string{1: "like", 4: "love", 8: ""} {
		r, err := s.MemberReactions(ctx, "app1", fmt.Sprintf("m%02d", i))
		if err != nil {
			t.Fatal(err)
		}
		if r["p1"] != want {
			t.Errorf("member %d's reaction = %q, want %q", i, r["p1"], want)
		}
	}
}

// TestNotificationsAndBlocks covers the ledger's Postgres tables.
func TestNotificationsAndBlocks(t *testing.T) {
	s := newStore(t)
	ctx := testkit.Context(t)
	n := service.Notification{App: "a", Member: "ada", Kind: "liked", Actor: "bob", Post: "p1"}
	for range 3 { // a like notifies once
		if err := s.Record(ctx, service.Effects{App: "a", Notifications: []service.Notification{n}}); err != nil {
			t.Fatal(err)
		}
	}
	n.Kind = "commented"
	if err := s.Record(ctx, service.Effects{App: "a", Notifications: []service.Notification{n}, Comments: map[string]int64{"p1": 1}}); err != nil {
		t.Fatal(err)
	}
	if u, _ := storetest.Unread(ctx, s, "a", "ada"); u != 2 {
		t.Errorf("unread = %d, want 2", u)
	}
	if c, _ := s.Counts(ctx, "a", "p1"); c.Comments != 1 {
		t.Errorf("comments = %d, want 1", c.Comments)
	}
	if err := s.MarkRead(ctx, "a", "ada", nil, true); err != nil {
		t.Fatal(err)
	}
	if u, _ := storetest.Unread(ctx, s, "a", "ada"); u != 0 {
		t.Errorf("unread after mark read = %d", u)
	}
	b := service.BlockRecord{App: "a", Member: "bob", Source: "social"}
	if on, _ := s.SetBlock(ctx, b, true); !on {
		t.Error("not blocked after a block")
	}
	hb := b
	hb.Source = "hub"
	_, _ = s.SetBlock(ctx, hb, true)
	if on, _ := s.SetBlock(ctx, b, false); !on {
		t.Error("hub's block should remain after lifting social's")
	}
	if on, _ := s.SetBlock(ctx, hb, false); on {
		t.Error("still blocked after lifting both")
	}
	_ = context.Background
}

// TestPendingCommentCounts: a pending change's comment count delta applies
// once, whoever settles it (Record, the next change's Intend, or Settle),
// and not at all when the change is dropped.
func TestPendingCommentCounts(t *testing.T) {
	s := newStore(t)
	ctx := testkit.Context(t)
	pending := func(delta int64) service.PendingEvent {
		return service.PendingEvent{
			App: "a", DocID: "comment:p1:c1", Comments: map[string]int64{"p1": delta},
			Event: events.Event{ID: events.NewID(), Type: "comment.updated", App: "a", Subject: "c1"},
		}
	}
	comments := func() int64 {
		t.Helper()
		c, err := s.Counts(ctx, "a", "p1")
		if err != nil {
			t.Fatal(err)
		}
		return c.Comments
	}
	intend := func(p service.PendingEvent, prev string, wantRecorded bool) {
		t.Helper()
		if recorded, err := s.Intend(ctx, p, prev); err != nil || recorded != wantRecorded {
			t.Fatalf("intend: recorded %v, %v; want %v", recorded, err, wantRecorded)
		}
	}

	// Recorded by its writer.
	created := pending(1)
	intend(created, "", false)
	if err := s.Record(ctx, service.Effects{App: "a", Events: []events.Event{created.Event}}); err != nil {
		t.Fatal(err)
	}
	if got := comments(); got != 1 {
		t.Fatalf("after the record: %d comments, want 1", got)
	}
	// Its writer died: the next change records it first; the late Record
	// of the first (a writer that was only slow) counts nothing more.
	hidden := pending(-1)
	intend(hidden, created.Event.ID, false) // recorded already
	shown := pending(1)
	intend(shown, hidden.Event.ID, true)
	if got := comments(); got != 0 {
		t.Fatalf("after the next change's intent: %d comments, want 0", got)
	}
	if err := s.Record(ctx, service.Effects{App: "a", Events: []events.Event{hidden.Event}}); err != nil {
		t.Fatal(err)
	}
	if got := comments(); got != 0 {
		t.Fatalf("after a late record: %d comments, want 0", got)
	}
	// Settled by the sweeper, twice (two replicas): once.
	for range 2 {
		if err := s.Settle(ctx, shown, true); err != nil {
			t.Fatal(err)
		}
	}
	if got := comments(); got != 1 {
		t.Fatalf("after the sweep: %d comments, want 1", got)
	}
	// A change never written is dropped with its delta.
	lost := pending(-1)
	intend(lost, "", false)
	if err := s.Settle(ctx, lost, false); err != nil {
		t.Fatal(err)
	}
	if err := s.Settle(ctx, lost, true); err != nil { // too late: gone
		t.Fatal(err)
	}
	if got := comments(); got != 1 {
		t.Fatalf("after a dropped change: %d comments, want 1", got)
	}
	if ps, err := s.Pending(ctx, 0, 10); err != nil || len(ps) != 0 {
		t.Errorf("pending after all: %v %v", ps, err)
	}
}

// TestBlockSettlesWhileMemberReacts: a member's reactions to 8 posts,
// each changed over and over, while their block is set and lifted, each
// time settled (SettleBlocked), as a moderator's calls and hub's events
// would, at once: whatever the interleaving, each post then counts the
// member's reaction exactly once while they are unblocked and not at all
// while blocked, beside another member's like.
func TestBlockSettlesWhileMemberReacts(t *testing.T) {
	s := newStore(t)
	ctx := testkit.Context(t)
	const posts = 8
	post := func(i int) string { return fmt.Sprintf("p%d", i) }
	for i := range posts {
		if _, err := s.React(ctx, service.Reaction{App: "app1", Post: post(i), Member: "m2", Kind: "like"}, noEffects); err != nil {
			t.Fatal(err)
		}
	}
	block := func(on bool) {
		t.Helper()
		if _, err := s.SetBlock(ctx, service.BlockRecord{App: "app1", Member: "m1", Source: "social"}, on); err != nil {
			t.Error(err)
		}
		if _, err := s.SettleBlocked(ctx, "app1", "m1"); err != nil {
			t.Error(err)
		}
	}
	var wg sync.WaitGroup
	for i := range posts {
		wg.Go(func() {
			for _, k := range []string{"like", "love", "", "like", "", "love", "like", "love", "", "like"}[i%3:] {
				if _, err := s.React(ctx, service.Reaction{App: "app1", Post: post(i), Member: "m1", Kind: k}, noEffects); err != nil {
					t.Errorf("m1 reacts %q to %s: %v", k, post(i), err)
				}
			}
		})
	}
	wg.Go(func() {
		for range 12 {
			block(true)
			block(false)
		}
	})
	wg.Wait()
	check := func(state string, blocked bool) {
		t.Helper()
		mine, err := s.MemberReactions(ctx, "app1", "m1")
		if err != nil {
			t.Fatal(err)
		}
		for i := range posts {
			want := map[string]int64{"like": 1}
			if k := mine[post(i)]; k != "" && !blocked {
				want[k]++
			}
			c, err := s.Counts(ctx, "app1", post(i))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want, c.Reactions); diff != "" {
				t.Errorf("%s: %s's counts, m1's reaction %q (-want +got):\n%s", state, post(i), mine[post(i)], diff)
			}
		}
	}
	check("unblocked at last", false)
	block(true)
	check("blocked", true)
	block(false)
	check("unblocked", false)
}
