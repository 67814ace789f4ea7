package storetest

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/attendify/platform/events"
	"github.com/attendify/platform/flake"
	"github.com/attendify/platform/testkit"
	"github.com/attendify/social"
	"github.com/attendify/social/internal/service"
)

// Ledger is what the Postgres ledger implements.
type Ledger interface {
	service.ReactionStore
	service.ChangeLog
	service.NotificationStore
	service.ReportStore
	service.BlockStore
	service.ProfileStore
}

func newEvent(typ, subject string) events.Event {
	return events.Event{ID: events.NewID(), Type: typ, App: App, Subject: subject, Time: time.Now(), Data: []byte(`{}`)}
}

// RunLedger runs the contract of ReactionStore, ChangeLog,
// NotificationStore, ReportStore, BlockStore and ProfileStore; newLedger
// returns an empty ledger.
// Unread counts member's unread notifications in the store.
func Unread(ctx context.Context, s service.NotificationStore, app, member string) (int64, error) {
	ns, err := s.Notifications(ctx, service.NotificationQuery{App: app, Member: member, UnreadOnly: true, Limit: 10_000})
	return int64(len(ns)), err
}

func RunLedger(t *testing.T, newLedger func(t *testing.T) Ledger) {
	t.Run("reactions", func(t *testing.T) {
		s := newLedger(t)
		ctx := testkit.Context(t)
		var calls []string
		react := func(member, kind string) service.Reacted {
			t.Helper()
			r, err := s.React(ctx, service.Reaction{App: App, Post: "p1", Member: member, Kind: kind}, func(prev string) service.Effects {
				calls = append(calls, prev+">"+kind)
				return service.Effects{App: App, Notifications: []service.Notification{{
					App: App, Member: "author", Kind: social.NotifyLiked, Actor: member, Post: "p1", Reaction: kind, CreatedAt: time.Now(),
				}}}
			})
			if err != nil {
				t.Fatal(err)
			}
			return r
		}
		steps := []struct {
			member, kind string
			want         service.Reacted
		}{
			{"m1", social.ReactionLike, service.Reacted{Prev: "", Changed: true}},
			{"m1", social.ReactionLike, service.Reacted{Prev: social.ReactionLike}},
			{"m2", social.ReactionLike, service.Reacted{Prev: "", Changed: true}},
			{"m1", social.ReactionLove, service.Reacted{Prev: social.ReactionLike, Changed: true}},
			{"m2", "", service.Reacted{Prev: social.ReactionLike, Changed: true}},
			{"m2", "", service.Reacted{}},
		}
		for _, st := range steps {
			if got := react(st.member, st.kind); got != st.want {
				t.Errorf("%s reacts %q: %+v, want %+v", st.member, st.kind, got, st.want)
			}
		}
		if diff := cmp.Diff([]string{">like", ">like", "like>love", "like>"}, calls); diff != "" {
			t.Errorf("effects asked of (-want +got):\n%s", diff)
		}
		c, err := s.Counts(ctx, App, "p1")
		if err != nil {
			t.Fatal(err)
		}
		// Four changes moved the counters, each moving their version.
		if diff := cmp.Diff(service.Counts{Reactions: map[string]int64{social.ReactionLove: 1}, Version: 4}, c); diff != "" {
			t.Errorf("counts (-want +got):\n%s", diff)
		}
		mine, err := s.MemberReactions(ctx, App, "m1")
		if err != nil || !cmp.Equal(map[string]string{"p1": social.ReactionLove}, mine) {
			t.Errorf("m1's reactions = %v, %v", mine, err)
		}
		if mine, err := s.MemberReactions(ctx, App, "m2"); err != nil || len(mine) != 0 {
			t.Errorf("m2's reactions = %v, %v", mine, err)
		}
		// Each change recorded its effects; a "liked" notification is kept
		// once per liker and post.
		if n, err := Unread(ctx, s, App, "author"); n != 2 || err != nil {
			t.Errorf("the author's unread = %d, %v; want 2 (one per liker)", n, err)
		}
		if c, _ := s.Counts(ctx, "app2", "p1"); len(c.Reactions) != 0 {
			t.Errorf("another app's post of the same id counts %v", c)
		}
	})

	t.Run("blocked members' reactions", func(t *testing.T) {
		s := newLedger(t)
		ctx := testkit.Context(t)
		react := func(member, post, kind string, wantUncounted bool) {
			t.Helper()
			r, err := s.React(ctx, service.Reaction{App: App, Post: post, Member: member, Kind: kind}, func(string) service.Effects { return service.Effects{App: App} })
			if err != nil {
				t.Fatal(err)
			}
			if !r.Changed || r.Uncounted != wantUncounted {
				t.Errorf("%s reacts %q to %s: %+v, want changed, uncounted %v", member, kind, post, r, wantUncounted)
			}
		}
		block := func(source string, on bool) {
			t.Helper()
			if _, err := s.SetBlock(ctx, service.BlockRecord{App: App, Member: "m1", Source: source, By: "mod", At: time.Now()}, on); err != nil {
				t.Fatal(err)
			}
		}
		settle := func(want ...string) {
			t.Helper()
			moved, err := s.SettleBlocked(ctx, App, "m1")
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want, moved, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("posts moved (-want +got):\n%s", diff)
			}
		}
		// unsettled checks the members of App that Unsettled names.
		unsettled := func(step string, want ...string) {
			t.Helper()
			refs, err := s.Unsettled(ctx, 100000)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, r := range refs {
				if r.App == App {
					got = append(got, r.Member)
				}
			}
			if diff := cmp.Diff(want, got, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("%s: unsettled members (-want +got):\n%s", step, diff)
			}
		}
		// counts checks the posts' counters, and that their version moved
		// when they did (the cache orders them by it).
		versions := map[string]service.Counts{}
		counts := func(step string, want map[string]map[string]int64) {
			t.Helper()
			for _, post := range []string{"p1", "p2", "p3"} {
				c, err := s.Counts(ctx, App, post)
				if err != nil {
					t.Fatal(err)
				}
				if diff := cmp.Diff(want[post], c.Reactions, cmpopts.EquateEmpty()); diff != "" {
					t.Errorf("%s: %s's counts (-want +got):\n%s", step, post, diff)
				}
				if was, ok := versions[post]; ok && !cmp.Equal(was.Reactions, c.Reactions, cmpopts.EquateEmpty()) && c.Version <= was.Version {
					t.Errorf("%s: %s's counters moved from %v to %v, their version from %d to %d", step, post, was.Reactions, c.Reactions, was.Version, c.Version)
				}
				versions[post] = c
			}
		}
		react("m1", "p1", social.ReactionLike, false)
		react("m1", "p2", social.ReactionLove, false)
		react("m2", "p1", social.ReactionLike, false)
		settle() // not blocked: nothing to move
		counts("before the block", map[string]map[string]int64{"p1": {"like": 2}, "p2": {"love": 1}})
		unsettled("before the block")

		block("social", true)
		unsettled("blocked, not settled yet", "m1")
		settle("p1", "p2")
		unsettled("blocked and settled")
		counts("blocked", map[string]map[string]int64{"p1": {"like": 1}})
		settle() // the block retried
		block("hub", true)
		settle() // hub's block too, and its event redelivered
		settle()
		counts("blocked again", map[string]map[string]int64{"p1": {"like": 1}})

		// While blocked, m1 takes a reaction back, and a like of theirs
		// that passed its check before the block lands: neither counts.
		react("m1", "p2", "", true)
		react("m1", "p3", social.ReactionLike, true)
		counts("changed while blocked", map[string]map[string]int64{"p1": {"like": 1}})
		if mine, err := s.MemberReactions(ctx, App, "m1"); err != nil || !cmp.Equal(mine, map[string]string{"p1": "like", "p3": "like"}) {
			t.Errorf("m1's reactions while blocked = %v, %v", mine, err)
		}

		block("social", false)
		settle() // hub's block remains
		counts("one block lifted", map[string]map[string]int64{"p1": {"like": 1}})
		block("hub", false)
		unsettled("unblocked, not settled yet", "m1")
		settle("p1", "p3")
		unsettled("unblocked and settled")
		settle() // the unblock repeated
		counts("unblocked", map[string]map[string]int64{"p1": {"like": 2}, "p3": {"like": 1}})

		// Counted again: a change moves the counters.
		react("m1", "p1", "", false)
		counts("after the unblock", map[string]map[string]int64{"p1": {"like": 1}, "p3": {"like": 1}})
		// Blocked with no reaction: nothing to take out, nor to put back.
		if _, err := s.SetBlock(ctx, service.BlockRecord{App: App, Member: "m3", Source: "social", At: time.Now()}, true); err != nil {
			t.Fatal(err)
		}
		if moved, err := s.SettleBlocked(ctx, App, "m3"); err != nil || len(moved) != 0 {
			t.Errorf("settling m3, blocked without reactions: %v, %v", moved, err)
		}
		react("m3", "p2", social.ReactionWow, true)
		counts("m3's reaction while blocked", map[string]map[string]int64{"p1": {"like": 1}, "p3": {"like": 1}})
	})

	t.Run("changes count once", func(t *testing.T) {
		s := newLedger(t)
		ctx := testkit.Context(t)
		// comments is p1's comment count, whose version moves when it
		// does, and only then.
		var last service.Counts
		comments := func() int64 {
			t.Helper()
			c, err := s.Counts(ctx, App, "p1")
			if err != nil {
				t.Fatal(err)
			}
			if moved := c.Comments != last.Comments; moved != (c.Version > last.Version) || c.Version < last.Version {
				t.Errorf("comments went from %d to %d, their version from %d to %d", last.Comments, c.Comments, last.Version, c.Version)
			}
			last = c
			return c.Comments
		}
		pending := func(ev events.Event) service.PendingEvent {
			return service.PendingEvent{App: App, DocID: "comment:p1:" + ev.ID, Event: ev, Comments: map[string]int64{"p1": 1}}
		}
		// Intend, then Record: counted once, whatever repeats.
		e1 := pending(newEvent(social.EventCommentCreated, "c1"))
		if rec, err := s.Intend(ctx, e1, ""); rec || err != nil {
			t.Fatalf("Intend = %v, %v", rec, err)
		}
		if n := comments(); n != 0 {
			t.Errorf("comments while pending = %d, want 0", n)
		}
		for range 2 {
			if err := s.Record(ctx, service.Effects{App: App, Events: []events.Event{e1.Event}}); err != nil {
				t.Fatal(err)
			}
		}
		if n := comments(); n != 1 {
			t.Errorf("comments after Record (twice) = %d, want 1", n)
		}
		// A change replacing one still pending records it first.
		e2 := pending(newEvent(social.EventCommentCreated, "c2"))
		e3 := pending(newEvent(social.EventCommentUpdated, "c2"))
		e3.Comments = nil
		if _, err := s.Intend(ctx, e2, ""); err != nil {
			t.Fatal(err)
		}
		if rec, err := s.Intend(ctx, e3, e2.Event.ID); !rec || err != nil {
			t.Errorf("Intend over a pending change = %v, %v; want recorded", rec, err)
		}
		if n := comments(); n != 2 {
			t.Errorf("comments after the replaced change = %d, want 2", n)
		}
		if err := s.Settle(ctx, e2, true); err != nil { // no longer pending: no-op
			t.Fatal(err)
		}
		if n := comments(); n != 2 {
			t.Errorf("comments after settling a recorded change = %d, want 2", n)
		}
		// The sweeper: a change older than age is listed, then dropped
		// (never written) or published.
		if err := s.Settle(ctx, e3, false); err != nil {
			t.Fatal(err)
		}
		e4, e5 := pending(newEvent(social.EventCommentCreated, "c4")), pending(newEvent(social.EventCommentCreated, "c5"))
		for _, p := range []service.PendingEvent{e4, e5} {
			if _, err := s.Intend(ctx, p, ""); err != nil {
				t.Fatal(err)
			}
		}
		if ps, err := s.Pending(ctx, time.Hour, 10); len(ps) != 0 || err != nil {
			t.Errorf("Pending older than an hour = %v, %v", ps, err)
		}
		time.Sleep(2 * time.Millisecond)
		ps, err := s.Pending(ctx, time.Millisecond, 10)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, p := range ps {
			got = append(got, p.Event.ID)
			if !cmp.Equal(p.Comments, map[string]int64{"p1": 1}) || p.DocID != "comment:p1:"+p.Event.ID || p.App != App {
				t.Errorf("pending %+v", p)
			}
		}
		if diff := cmp.Diff([]string{e4.Event.ID, e5.Event.ID}, got); diff != "" {
			t.Errorf("pending, oldest first (-want +got):\n%s", diff)
		}
		if err := s.Settle(ctx, e4, false); err != nil {
			t.Fatal(err)
		}
		if err := s.Settle(ctx, e5, true); err != nil {
			t.Fatal(err)
		}
		if n := comments(); n != 3 {
			t.Errorf("comments after one dropped and one published = %d, want 3", n)
		}
		if ps, _ := s.Pending(ctx, 0, 10); len(ps) != 0 {
			t.Errorf("still pending: %v", ps)
		}
	})

	t.Run("notifications", func(t *testing.T) {
		s := newLedger(t)
		ctx := testkit.Context(t)
		ids := flake.New(0)
		var all []string
		var ns []service.Notification
		for i := range 5 {
			id := ids.Next().String()
			all = append([]string{id}, all...)
			ns = append(ns, service.Notification{ID: id, App: App, Member: "m1", Kind: social.NotifyCommented, Actor: "m2", Post: "p" + id, CreatedAt: time.Now()})
			if i == 0 {
				ns = append(ns, service.Notification{ID: ids.Next().String(), App: App, Member: "m2", Kind: social.NotifyMentioned, Actor: "m1", Post: "p", CreatedAt: time.Now()})
			}
		}
		if err := s.Record(ctx, service.Effects{App: App, Notifications: ns}); err != nil {
			t.Fatal(err)
		}
		page := func(unreadOnly bool, before string, limit int) []string {
			t.Helper()
			got, err := s.Notifications(ctx, service.NotificationQuery{App: App, Member: "m1", UnreadOnly: unreadOnly, Before: before, Limit: limit})
			if err != nil {
				t.Fatal(err)
			}
			var out []string
			for _, n := range got {
				out = append(out, n.ID)
			}
			return out
		}
		if diff := cmp.Diff(all[:2], page(false, "", 2)); diff != "" {
			t.Errorf("first page (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff(all[2:4], page(false, all[1], 2)); diff != "" {
			t.Errorf("second page (-want +got):\n%s", diff)
		}
		if err := s.MarkRead(ctx, App, "m1", []string{all[0], all[3]}, false); err != nil {
			t.Fatal(err)
		}
		if n, _ := Unread(ctx, s, App, "m1"); n != 3 {
			t.Errorf("unread = %d, want 3", n)
		}
		want := slices.DeleteFunc(slices.Clone(all), func(id string) bool { return id == all[0] || id == all[3] })
		if diff := cmp.Diff(want, page(true, "", 10)); diff != "" {
			t.Errorf("unread only (-want +got):\n%s", diff)
		}
		if err := s.MarkRead(ctx, App, "m1", nil, true); err != nil {
			t.Fatal(err)
		}
		if n, _ := Unread(ctx, s, App, "m1"); n != 0 {
			t.Errorf("unread after all = %d", n)
		}
		if n, _ := Unread(ctx, s, App, "m2"); n != 1 {
			t.Errorf("another member's unread = %d, want 1", n)
		}
	})

	t.Run("reports", func(t *testing.T) {
		s := newLedger(t)
		ctx := testkit.Context(t)
		ids := flake.New(0)
		add := func(post, reporter string) string {
			t.Helper()
			id := ids.Next().String()
			if err := s.AddReport(ctx, service.Report{ID: id, App: App, Post: post, Reporter: reporter, Reason: "spam", CreatedAt: time.Now()}); err != nil {
				t.Fatal(err)
			}
			return id
		}
		r1 := add("p1", "m1")
		add("p1", "m1") // once per reporter and post
		r2 := add("p1", "m2")
		r3 := add("p2", "m1")
		open := func(after string, limit int) []string {
			t.Helper()
			rs, err := s.OpenReports(ctx, App, after, limit)
			if err != nil {
				t.Fatal(err)
			}
			var out []string
			for _, r := range rs {
				out = append(out, r.ID)
			}
			return out
		}
		if diff := cmp.Diff([]string{r1, r2}, open("", 2)); diff != "" {
			t.Errorf("first page (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff([]string{r3}, open(r2, 2)); diff != "" {
			t.Errorf("second page (-want +got):\n%s", diff)
		}
		if err := s.ResolveReports(ctx, App, []string{"p1"}, "mod"); err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([]string{r3}, open("", 10)); diff != "" {
			t.Errorf("open after resolving p1 (-want +got):\n%s", diff)
		}
		// m1 reports p1 again after its report was resolved (the post
		// edited since, say): the report opens again, with the new reason,
		// note and time, last in the queue. Reported once more while open,
		// it stays as it is.
		at := time.Now().UTC().Truncate(time.Millisecond).Add(time.Hour)
		r4 := ids.Next().String()
		if err := s.AddReport(ctx, service.Report{ID: r4, App: App, Post: "p1", Reporter: "m1", Reason: "harassment", Note: "edited", CreatedAt: at}); err != nil {
			t.Fatal(err)
		}
		if err := s.AddReport(ctx, service.Report{ID: ids.Next().String(), App: App, Post: "p1", Reporter: "m1", Reason: "other", CreatedAt: at.Add(time.Hour)}); err != nil {
			t.Fatal(err)
		}
		rs, err := s.OpenReports(ctx, App, "", 10)
		if err != nil {
			t.Fatal(err)
		}
		want := []service.Report{
			{ID: r3, App: App, Post: "p2", Reporter: "m1", Reason: "spam"},
			{ID: r4, App: App, Post: "p1", Reporter: "m1", Reason: "harassment", Note: "edited"},
		}
		if diff := cmp.Diff(want, rs, cmpopts.IgnoreFields(service.Report{}, "CreatedAt")); diff != "" {
			t.Errorf("open after m1 reported p1 again (-want +got):\n%s", diff)
		}
		if len(rs) == 2 && !rs[1].CreatedAt.Equal(at) {
			t.Errorf("the report opened again is dated %v, want %v (the new report's time)", rs[1].CreatedAt, at)
		}
	})

	t.Run("blocks by source", func(t *testing.T) {
		s := newLedger(t)
		ctx := testkit.Context(t)
		set := func(source string, on bool) bool {
			t.Helper()
			b, err := s.SetBlock(ctx, service.BlockRecord{App: App, Member: "m1", Source: source, By: "mod", At: time.Now()}, on)
			if err != nil {
				t.Fatal(err)
			}
			return b
		}
		steps := []struct {
			source string
			on     bool
			want   bool
		}{{"social", true, true}, {"hub", true, true}, {"social", true, true}, {"social", false, true}, {"hub", false, false}, {"hub", false, false}}
		for _, st := range steps {
			if got := set(st.source, st.on); got != st.want {
				t.Errorf("SetBlock(%s, %v) = %v, want %v", st.source, st.on, got, st.want)
			}
			if b, _ := s.Blocked(ctx, App, "m1"); b != st.want {
				t.Errorf("Blocked after SetBlock(%s, %v) = %v", st.source, st.on, b)
			}
		}
	})

	t.Run("blocked among members", func(t *testing.T) {
		s := newLedger(t)
		ctx := testkit.Context(t)
		for _, b := range []service.BlockRecord{
			{App: App, Member: "m1", Source: "social"}, {App: App, Member: "m1", Source: "hub"},
			{App: App, Member: "m2", Source: "hub"}, {App: "other", Member: "m3", Source: "social"},
		} {
			b.At = time.Now()
			if _, err := s.SetBlock(ctx, b, true); err != nil {
				t.Fatal(err)
			}
		}
		got, err := s.BlockedAmong(ctx, App, []string{"m1", "m2", "m3", "m4", "m1"})
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(map[string]bool{"m1": true, "m2": true}, got); diff != "" {
			t.Errorf("blocked among m1-m4 (-want +got):\n%s", diff)
		}
		if got, err := s.BlockedAmong(ctx, App, nil); err != nil || len(got) != 0 {
			t.Errorf("blocked among nobody = %v, %v", got, err)
		}
	})

	t.Run("profiles", func(t *testing.T) {
		s := newLedger(t)
		ctx := testkit.Context(t)
		t0 := time.Now().UTC().Truncate(time.Millisecond)
		save := func(member, name string, at time.Time, deleted bool) {
			t.Helper()
			if err := s.SaveProfile(ctx, service.Profile{App: App, Member: member, Name: name, Deleted: deleted}, at); err != nil {
				t.Fatal(err)
			}
		}
		name := func(member string) string {
			t.Helper()
			ps, err := s.Profiles(ctx, App, []string{member})
			if err != nil {
				t.Fatal(err)
			}
			p, ok := ps[member]
			if !ok {
				return "(none)"
			}
			if p.Deleted {
				return "(deleted)"
			}
			return p.Name
		}
		save("m1", "Ada 2", t0.Add(2*time.Second), false)
		save("m1", "Ada 1", t0.Add(time.Second), false) // older: ignored
		if got := name("m1"); got != "Ada 2" {
			t.Errorf("after an older event: %s", got)
		}
		save("m1", "Ada 3", t0.Add(3*time.Second), false)
		if got := name("m1"); got != "Ada 3" {
			t.Errorf("after a newer event: %s", got)
		}
		// A resync replaces a profile older than its start only.
		resync := func(member, name string, before time.Time) {
			t.Helper()
			if err := s.ResyncProfile(ctx, service.Profile{App: App, Member: member, Name: name}, t0.Add(4*time.Second), before); err != nil {
				t.Fatal(err)
			}
		}
		resync("m1", "Ada hub", t0.Add(3*time.Second))
		if got := name("m1"); got != "Ada 3" {
			t.Errorf("resync over a profile as new as its start: %s", got)
		}
		resync("m1", "Ada hub", t0.Add(3*time.Second+time.Millisecond))
		if got := name("m1"); got != "Ada hub" {
			t.Errorf("resync over an older profile: %s", got)
		}
		resync("m3", "Cy", t0)
		if got := name("m3"); got != "Cy" {
			t.Errorf("resync of a new member: %s", got)
		}
		save("m2", "Bo", t0, false)
		save("m2", "", t0.Add(time.Second), true)
		save("m2", "Bo again", t0.Add(2*time.Second), false) // deleted stays deleted
		resync("m2", "Bo hub", t0.Add(time.Hour))
		if got := name("m2"); got != "(deleted)" {
			t.Errorf("a deleted member's profile: %s", got)
		}
		if got := name("m9"); got != "(none)" {
			t.Errorf("an unknown member's profile: %s", got)
		}
		members, err := s.ProfileMembers(ctx, App, t0.Add(5*time.Second))
		if err != nil {
			t.Fatal(err)
		}
		slices.Sort(members)
		if diff := cmp.Diff([]string{"m1", "m3"}, members); diff != "" {
			t.Errorf("members with profiles older than t0+5s (-want +got):\n%s", diff)
		}
		if members, _ := s.ProfileMembers(ctx, App, t0.Add(4*time.Second)); len(members) != 0 {
			t.Errorf("members with profiles older than t0+4s: %v", members)
		}
	})

	t.Run("forget member", func(t *testing.T) {
		s := newLedger(t)
		ctx := testkit.Context(t)
		ids := flake.New(0)
		note := func(member, actor string) service.Notification {
			return service.Notification{ID: ids.Next().String(), App: App, Member: member, Kind: social.NotifyCommented, Actor: actor, Post: "p1", CreatedAt: time.Now()}
		}
		if err := s.Record(ctx, service.Effects{App: App, Notifications: []service.Notification{note("m1", "m2"), note("m2", "m1"), note("m3", "m2")}}); err != nil {
			t.Fatal(err)
		}
		for _, r := range []string{"m1", "m2"} {
			if err := s.AddReport(ctx, service.Report{ID: ids.Next().String(), App: App, Post: "p1", Reporter: r, Reason: "spam", CreatedAt: time.Now()}); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.ForgetMember(ctx, App, "m1"); err != nil {
			t.Fatal(err)
		}
		for m, want := range map[string]int64{"m1": 0, "m2": 0, "m3": 1} {
			if n, _ := Unread(ctx, s, App, m); n != want {
				t.Errorf("%s's notifications after forgetting m1: %d, want %d", m, n, want)
			}
		}
		rs, _ := s.OpenReports(ctx, App, "", 10)
		if len(rs) != 1 || rs[0].Reporter != "m2" {
			t.Errorf("reports after forgetting m1: %+v", rs)
		}
	})
}
