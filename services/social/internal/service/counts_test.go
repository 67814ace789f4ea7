package service_test

import (
	"context"
	"encoding/json"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/attendify/hub"
	"github.com/attendify/platform/errs"
	"github.com/attendify/platform/events"
	"github.com/attendify/social"
	"github.com/attendify/social/internal/service"
)

// ignoreVersion compares counters without their version, which only
// orders them for the cache.
var ignoreVersion = cmpopts.IgnoreFields(service.Counts{}, "Version")

// TestReactionTransitions: a member's reactions to one post, step by step:
// what each answers, what the counters become, which event each change
// records, and that only a first reaction notifies the author.
func TestReactionTransitions(t *testing.T) {
	type step struct {
		member, kind string
		mine         string
		counts       map[string]int64
		event        string // "" when nothing changed
	}
	tests := []struct {
		name    string
		steps   []step
		notices int64 // the author's "liked" notifications
	}{
		{"like, then again", []step{
			{bob, social.ReactionLike, social.ReactionLike, map[string]int64{"like": 1}, social.EventLikeCreated},
			{bob, social.ReactionLike, social.ReactionLike, map[string]int64{"like": 1}, ""},
		}, 1},
		{"like, then love, then remove", []step{
			{bob, social.ReactionLike, social.ReactionLike, map[string]int64{"like": 1}, social.EventLikeCreated},
			{bob, social.ReactionLove, social.ReactionLove, map[string]int64{"love": 1}, social.EventLikeChanged},
			{bob, "", "", map[string]int64{}, social.EventLikeDeleted},
			{bob, "", "", map[string]int64{}, ""},
		}, 1},
		{"two members", []step{
			{bob, social.ReactionLike, social.ReactionLike, map[string]int64{"like": 1}, social.EventLikeCreated},
			{cy, social.ReactionLike, social.ReactionLike, map[string]int64{"like": 2}, social.EventLikeCreated},
			{cy, social.ReactionClap, social.ReactionClap, map[string]int64{"like": 1, "clap": 1}, social.EventLikeChanged},
		}, 2},
		{"the author's own reaction notifies nobody", []step{
			{ada, social.ReactionWow, social.ReactionWow, map[string]int64{"wow": 1}, social.EventLikeCreated},
		}, 0},
		{"removing what was never set", []step{
			{bob, "", "", map[string]int64{}, ""},
		}, 0},
		{"remove, then react again", []step{
			{bob, social.ReactionLike, social.ReactionLike, map[string]int64{"like": 1}, social.EventLikeCreated},
			{bob, "", "", map[string]int64{}, social.EventLikeDeleted},
			{bob, social.ReactionHaha, social.ReactionHaha, map[string]int64{"haha": 1}, social.EventLikeCreated},
		}, 1}, // one "liked" per liker and post
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t, service.NoLimits)
			post := w.post(ada, "react to me")
			for i, st := range tc.steps {
				before := len(w.events())
				got := w.react(st.member, post, st.kind)
				want := service.ReactionState{Post: post, MyReaction: st.mine, Counts: service.Counts{Reactions: st.counts}}
				if diff := cmp.Diff(want, got, ignoreVersion); diff != "" {
					t.Errorf("step %d (%s %q) (-want +got):\n%s", i, st.member, st.kind, diff)
				}
				var recorded string
				if evs := w.events(); len(evs) > before {
					recorded = evs[len(evs)-1]
				}
				if recorded != st.event {
					t.Errorf("step %d (%s %q) recorded %q, want %q", i, st.member, st.kind, recorded, st.event)
				}
				// What a reader sees afterwards agrees with the answer.
				it, err := w.svc.GetPost(as(st.member), app, post)
				if err != nil {
					t.Fatal(err)
				}
				if it.MyReaction != st.mine || !cmp.Equal(it.Counts.Reactions, st.counts) {
					t.Errorf("step %d: post.get shows %q %v", i, it.MyReaction, it.Counts.Reactions)
				}
			}
			if n := w.unread(ada); n != tc.notices {
				t.Errorf("the author's notifications = %d, want %d", n, tc.notices)
			}
		})
	}
}

// TestCommentCounts: a post's comment count counts its visible comments,
// through creations, deletions, blocks and unblocks, and after the cache
// is lost.
func TestCommentCounts(t *testing.T) {
	tests := []struct {
		name string
		do   func(w *world, post string)
		want int64
	}{
		{"two comments", func(w *world, post string) {
			w.comment(bob, post, "one")
			w.comment(cy, post, "two")
		}, 2},
		{"one deleted", func(w *world, post string) {
			w.comment(bob, post, "one")
			c := w.comment(cy, post, "two")
			mustOK(w, w.svc.DeleteComment(as(cy), service.CommentRef{App: app, Post: post, ID: c}))
		}, 1},
		{"deleted twice", func(w *world, post string) {
			c := w.comment(bob, post, "one")
			mustOK(w, w.svc.DeleteComment(as(bob), service.CommentRef{App: app, Post: post, ID: c}))
			mustOK(w, w.svc.DeleteComment(as(ada), service.CommentRef{App: app, Post: post, ID: c}))
		}, 0},
		{"the commenter blocked", func(w *world, post string) {
			w.comment(bob, post, "one")
			w.comment(cy, post, "two")
			_, err := w.svc.Block(as(mona), app, bob, "spam")
			mustOK(w, err)
		}, 1},
		{"blocked, then unblocked", func(w *world, post string) {
			w.comment(bob, post, "one")
			_, err := w.svc.Block(as(mona), app, bob, "spam")
			mustOK(w, err)
			mustOK(w, w.svc.Unblock(as(mona), app, bob))
		}, 1},
		{"a comment hidden by a block, then deleted, counts nothing more", func(w *world, post string) {
			c := w.comment(bob, post, "one")
			w.comment(cy, post, "two")
			_, err := w.svc.Block(as(mona), app, bob, "spam")
			mustOK(w, err)
			mustOK(w, w.svc.DeleteComment(as(mona), service.CommentRef{App: app, Post: post, ID: c}))
		}, 1},
		{"edits count nothing", func(w *world, post string) {
			c := w.comment(bob, post, "one")
			_, err := w.svc.UpdateComment(as(bob), service.CommentRef{App: app, Post: post, ID: c}, "one!")
			mustOK(w, err)
		}, 1},
		{"after the cache is lost", func(w *world, post string) {
			w.comment(bob, post, "one")
			w.comment(cy, post, "two")
			w.index.Flush()
		}, 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t, service.NoLimits)
			post := w.post(ada, "comment on me")
			tc.do(w, post)
			if got := w.get(post).Counts.Comments; got != tc.want {
				t.Errorf("comments = %d, want %d", got, tc.want)
			}
			items, _, err := w.svc.Feed(as(cy), app, service.Feed{Kind: social.FeedApp}, "", 10)
			if err != nil || len(items) != 1 || items[0].Counts.Comments != tc.want {
				t.Errorf("the feed's count: %+v, %v; want %d", items, err, tc.want)
			}
		})
	}
}

func mustOK(w *world, err error) {
	w.t.Helper()
	if err != nil {
		w.t.Fatal(err)
	}
}

// TestReactionCountsFollowBlocks: a blocked member's reactions leave the
// posts' counters and come back when the last block is lifted, once,
// whatever repeats (a moderator's retry, hub's event redelivered), and a
// reaction they take back while blocked is not put back.
func TestReactionCountsFollowBlocks(t *testing.T) {
	both := map[string]int64{"like": 1, "love": 1}
	cysOnly := map[string]int64{"love": 1}
	tests := []struct {
		name string
		do   func(w *world, post string)
		want map[string]int64
	}{
		{"nobody blocked", func(*world, string) {}, both},
		{"the reactor blocked", func(w *world, _ string) { w.block(bob) }, cysOnly},
		{"blocked twice", func(w *world, _ string) { w.block(bob); w.block(bob) }, cysOnly},
		{"blocked, then unblocked", func(w *world, _ string) {
			w.block(bob)
			mustOK(w, w.svc.Unblock(as(mona), app, bob))
			mustOK(w, w.svc.Unblock(as(mona), app, bob))
		}, both},
		{"hub's block delivered twice", func(w *world, _ string) {
			ev := w.hubEvent(hub.EventMemberBlocked, bob, true)
			mustOK(w, w.svc.HandleMemberEvent(as(mona), ev))
			mustOK(w, w.svc.HandleMemberEvent(as(mona), ev))
		}, cysOnly},
		{"hub's block and unblock, each delivered twice", func(w *world, _ string) {
			blocked, unblocked := w.hubEvent(hub.EventMemberBlocked, bob, true), w.hubEvent(hub.EventMemberUnblocked, bob, false)
			for _, ev := range []events.Event{blocked, blocked, unblocked, unblocked} {
				mustOK(w, w.svc.HandleMemberEvent(as(mona), ev))
			}
		}, both},
		{"blocked by a moderator and by hub, hub's lifted", func(w *world, _ string) {
			w.block(bob)
			mustOK(w, w.svc.HandleMemberEvent(as(mona), w.hubEvent(hub.EventMemberBlocked, bob, true)))
			mustOK(w, w.svc.HandleMemberEvent(as(mona), w.hubEvent(hub.EventMemberUnblocked, bob, false)))
		}, cysOnly},
		{"taken back while blocked, then unblocked", func(w *world, post string) {
			w.block(bob)
			got := w.react(bob, post, "")
			want := service.ReactionState{Post: post, Counts: service.Counts{Reactions: cysOnly}}
			if diff := cmp.Diff(want, got, ignoreVersion); diff != "" {
				w.t.Errorf("bob takes his like back while blocked (-want +got):\n%s", diff)
			}
			mustOK(w, w.svc.Unblock(as(mona), app, bob))
		}, cysOnly},
		{"taken back while blocked, the post cached since the block", func(w *world, post string) {
			w.block(bob)
			w.index.Flush() // the block's tombstones gone with the rest
			w.get(post)
			w.react(bob, post, "")
		}, cysOnly},
		{"unblocked, reacting again", func(w *world, post string) {
			w.block(bob)
			w.react(bob, post, "")
			mustOK(w, w.svc.Unblock(as(mona), app, bob))
			w.react(bob, post, social.ReactionClap)
		}, map[string]int64{"clap": 1, "love": 1}},
		{"blocked before reactions followed blocks, then the settling round", func(w *world, _ string) {
			// The block's row, as a version that did not settle left it.
			_, err := w.ledger.SetBlock(asService(), service.BlockRecord{App: app, Member: bob, Source: "social", By: mona, At: time.Now()}, true)
			mustOK(w, err)
			mustOK(w, w.svc.SettleBlocks(asService()))
			mustOK(w, w.svc.SettleBlocks(asService())) // the next round, or another replica's
		}, cysOnly},
		{"blocked, after the cache is lost", func(w *world, _ string) {
			w.block(bob)
			w.index.Flush()
		}, cysOnly},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t, service.NoLimits)
			post := w.post(ada, "react to me")
			w.react(bob, post, social.ReactionLike)
			w.react(cy, post, social.ReactionLove)
			w.get(post) // cached, as a reader would leave it
			tc.do(w, post)
			if got := w.get(post).Counts.Reactions; !cmp.Equal(got, tc.want, cmpopts.EquateEmpty()) {
				t.Errorf("post.get counts %v, want %v", got, tc.want)
			}
			items, _, err := w.svc.Feed(as(cy), app, service.Feed{Kind: social.FeedApp}, "", 10)
			if err != nil || len(items) != 1 || !cmp.Equal(items[0].Counts.Reactions, tc.want, cmpopts.EquateEmpty()) {
				t.Errorf("the feed's counts: %+v, %v; want %v", items, err, tc.want)
			}
		})
	}
}

// block blocks member (a moderator's block).
func (w *world) block(member string) {
	w.t.Helper()
	_, err := w.svc.Block(as(mona), app, member, "spam")
	mustOK(w, err)
}

// hubEvent is hub's member event about member.
func (w *world) hubEvent(typ, member string, blocked bool) events.Event {
	data, err := json.Marshal(hub.MemberPayload{ID: member, AppID: app, Name: member, Blocked: blocked})
	mustOK(w, err)
	return events.Event{ID: events.NewID(), Type: typ, App: app, Subject: member, Time: time.Now(), Data: data}
}

// TestCachedCountersRaceReaders: a reader loading a post's counters into
// the cache (Redis lost the entry: an eviction, a flush) and a change of
// the counters, in the orders that used to miscount for good. The reader
// read before the reaction committed and cached after the reaction's
// cache step found no entry to move (the like was lost); or it read after
// the commit and cached before the reaction's cache step (the like was
// counted twice); the same for a comment. Whatever the order, readers
// then see the ledger's counters.
func TestCachedCountersRaceReaders(t *testing.T) {
	tests := []struct {
		name string
		race func(w *world, post string)
	}{
		{"read before the reaction, cached after its cache step", func(w *world, post string) {
			read, done := make(chan struct{}), make(chan struct{})
			var cached sync.WaitGroup
			w.racing.beforeReact = func() {
				w.index.Flush()
				w.racing.afterCounts = func() { close(read); <-done }
				cached.Add(1)
				go func() {
					defer cached.Done()
					if _, err := w.svc.GetPost(as(cy), app, post); err != nil {
						t.Error(err)
					}
				}()
				<-read // the reader has the counters before the like
			}
			w.react(bob, post, social.ReactionLike)
			close(done)
			cached.Wait()
		}},
		{"read after the reaction, cached before its cache step", func(w *world, post string) {
			w.racing.afterReact = func() {
				w.index.Flush()
				if _, err := w.svc.GetPost(as(cy), app, post); err != nil {
					t.Error(err)
				}
			}
			w.react(bob, post, social.ReactionLike)
		}},
		{"read after the comment, cached before its cache step", func(w *world, post string) {
			w.racing.afterRecord = func() {
				w.index.Flush()
				if _, err := w.svc.GetPost(as(cy), app, post); err != nil {
					t.Error(err)
				}
			}
			w.comment(bob, post, "me too")
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t, service.NoLimits)
			post := w.post(ada, "count me")
			w.react(cy, post, social.ReactionLike)
			w.comment(cy, post, "first")
			tc.race(w, post)
			want, err := w.ledger.Counts(context.Background(), app, post)
			if err != nil {
				t.Fatal(err)
			}
			for _, reader := range []string{ada, bob, cy} {
				it, err := w.svc.GetPost(as(reader), app, post)
				if err != nil {
					t.Fatal(err)
				}
				if diff := cmp.Diff(want, it.Counts, ignoreVersion); diff != "" {
					t.Errorf("%s reads counters (-ledger +cached):\n%s", reader, diff)
				}
			}
		})
	}
}

// TestCachedMyReactionRacesReader: a member's reactions loaded into the
// cache (Redis lost them) while the member's own reaction commits. The
// reader read before the reaction committed and cached after the
// reaction's cache step found no reactions to change: the reaction was
// missing from "my reaction" (a removal showed the old one) until Redis
// lost the key again. Whatever the order, the member then reads their
// reaction as the ledger holds it.
func TestCachedMyReactionRacesReader(t *testing.T) {
	tests := []struct {
		name        string
		before, now string // bob's reaction before the race, and the one racing
		race        func(w *world, post, kind string)
	}{
		{"read before the reaction, cached after its cache step", "", social.ReactionLike, readBeforeCachedAfter},
		{"read before the removal, cached after its cache step", social.ReactionLove, "", readBeforeCachedAfter},
		{"read before the change, cached after its cache step", social.ReactionLove, social.ReactionHaha, readBeforeCachedAfter},
		{"read after the reaction, cached before its cache step", "", social.ReactionLike, func(w *world, post, kind string) {
			w.racing.afterReact = func() {
				w.index.Flush()
				if _, err := w.svc.GetPost(as(bob), app, post); err != nil {
					w.t.Error(err)
				}
			}
			w.react(bob, post, kind)
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t, service.NoLimits)
			post := w.post(ada, "react to me")
			other := w.post(ada, "and to me")
			w.react(bob, other, social.ReactionClap)
			if tc.before != "" {
				w.react(bob, post, tc.before)
			}
			tc.race(w, post, tc.now)
			for p, want := range map[string]string{post: tc.now, other: social.ReactionClap} {
				it, err := w.svc.GetPost(as(bob), app, p)
				if err != nil {
					t.Fatal(err)
				}
				if it.MyReaction != want {
					t.Errorf("bob's reaction to %s = %q, want %q", p, it.MyReaction, want)
				}
			}
		})
	}
}

// TestReactionCommittedCountsUnread: the reaction commits, then reading
// the post's counters for the cache fails (the database went away). The
// call fails, retryable, and the cache must not keep what the reaction
// changed from before it: bob's own reaction (his cached reactions stayed
// as they were, for good: they have no expiry) and the counters.
func TestReactionCommittedCountsUnread(t *testing.T) {
	for _, tc := range []struct{ before, now string }{
		{"", social.ReactionLike},
		{social.ReactionLove, ""},
		{social.ReactionLove, social.ReactionHaha},
	} {
		t.Run(tc.before+"->"+tc.now, func(t *testing.T) {
			w := newWorld(t, service.NoLimits)
			post := w.post(ada, "react to me")
			if tc.before != "" {
				w.react(bob, post, tc.before)
			}
			for _, reader := range []string{ada, bob} { // both cached
				if _, err := w.svc.GetPost(as(reader), app, post); err != nil {
					t.Fatal(err)
				}
			}
			w.racing.countsErr = errs.New(errs.Unavailable, "the database went away")
			if _, err := w.svc.React(as(bob), app, post, tc.now); errs.KindOf(err) != errs.Unavailable {
				t.Fatalf("react: %v, want the database's error", err)
			}
			want, err := w.ledger.Counts(context.Background(), app, post)
			if err != nil {
				t.Fatal(err)
			}
			for _, reader := range []string{ada, bob} {
				it, err := w.svc.GetPost(as(reader), app, post)
				if err != nil {
					t.Fatal(err)
				}
				if diff := cmp.Diff(want, it.Counts, ignoreVersion); diff != "" {
					t.Errorf("%s reads counters (-ledger +cached):\n%s", reader, diff)
				}
				if reader == bob && it.MyReaction != tc.now {
					t.Errorf("bob's reaction = %q, want %q", it.MyReaction, tc.now)
				}
			}
		})
	}
}

// readBeforeCachedAfter reacts as bob while a reader of bob's (Redis
// having lost everything) loads bob's reactions before the reaction
// commits and caches them after the reaction's cache step.
func readBeforeCachedAfter(w *world, post, kind string) {
	read, done := make(chan struct{}), make(chan struct{})
	var cached sync.WaitGroup
	w.racing.beforeReact = func() {
		w.index.Flush()
		w.racing.afterMine = func() { close(read); <-done }
		cached.Add(1)
		go func() {
			defer cached.Done()
			if _, err := w.svc.GetPost(as(bob), app, post); err != nil {
				w.t.Error(err)
			}
		}()
		<-read // the reader has bob's reactions before this one
	}
	w.react(bob, post, kind)
	close(done)
	cached.Wait()
}
