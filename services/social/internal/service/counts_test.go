package service_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/attendify/social"
	"github.com/attendify/social/internal/service"
)

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
				if diff := cmp.Diff(want, got); diff != "" {
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
