package social_test

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/attendify/hub"
	"github.com/attendify/platform/auth"
	"github.com/attendify/platform/events"
	"github.com/attendify/platform/redisx"
	"github.com/attendify/platform/rpc"
	"github.com/attendify/platform/testkit"
	"github.com/attendify/social"
	"github.com/attendify/social/internal/service"
	"github.com/attendify/social/internal/socialtest"
)

// TestInterruptedChangeIsAnnounced: every change of a post or comment that
// reaches CouchDB reaches the stream, even when the process dies right
// after the CouchDB write, before its event is recorded. The crash is a
// failpoint that ends the call there; the sweeper then publishes the
// change's event, and an idempotent consumer handles it exactly once.
func TestInterruptedChangeIsAnnounced(t *testing.T) {
	env := socialtest.Start(t, socialtest.Options{})
	ctx := testkit.Context(t)
	app := env.CreateApp()
	ada := env.AddMember(app, "Ada", auth.RoleAttendee)
	bob := env.AddMember(app, "Bob", auth.RoleAttendee)
	mod := env.AddMember(app, "Mo", auth.RoleModerator)
	c := env.Client
	ref := rpc.AppRef{App: app}
	consumer := consume(t, env, "post", "comment")

	newPost := func(m socialtest.Member, text string) string {
		t.Helper()
		p, err := social.CreatePost.Call(m.Ctx(ctx), c, social.CreatePostParams{AppRef: ref, Text: text})
		if err != nil {
			t.Fatal(err)
		}
		return p.ID
	}
	newComment := func(m socialtest.Member, post, text string) string {
		t.Helper()
		cm, err := social.CreateComment.Call(m.Ctx(ctx), c, social.CreateCommentParams{AppRef: ref, PostID: post, Text: text})
		if err != nil {
			t.Fatal(err)
		}
		return cm.ID
	}
	post := newPost(ada, "first")
	comment := newComment(bob, post, "nice")
	gone := newComment(bob, post, "to delete")
	mine := newPost(ada, "mine to delete")
	spam := newPost(ada, "spam")
	spam2 := newPost(ada, "more spam")
	bobs := newPost(bob, "bob's own")
	hidden := newPost(ada, "hidden")
	if _, err := social.HidePosts.Call(mod.Ctx(ctx), c, social.ModeratePostsParams{AppRef: ref, PostIDs: []string{hidden}}); err != nil {
		t.Fatal(err)
	}

	// The feed index is built (the first read builds it from CouchDB), so
	// that the sweep must bring it up to date.
	if _, err := social.GetFeed.Call(ada.Ctx(ctx), c, social.FeedParams{AppRef: ref, Kind: social.FeedApp}); err != nil {
		t.Fatal(err)
	}

	postDoc := func(id string) func() (string, bool) {
		return func() (string, bool) {
			d, err := env.Social.Docs.Post(ctx, app, id)
			if err != nil {
				t.Fatal(err)
			}
			return d.LastEvent, d.Visible()
		}
	}
	commentDoc := func(post, id string) func() (string, bool) {
		return func() (string, bool) {
			d, err := env.Social.Docs.Comment(ctx, service.CommentRef{App: app, Post: post, ID: id})
			if err != nil {
				t.Fatal(err)
			}
			return d.LastEvent, d.Visible()
		}
	}
	tests := []struct {
		name        string
		change      func() error
		doc         func() (lastEvent string, visible bool)
		wantVisible bool
	}{
		{"post edit", func() error {
			_, err := social.UpdatePost.Call(ada.Ctx(ctx), c, social.UpdatePostParams{AppRef: ref, PostID: post, Text: "first, edited"})
			return err
		}, postDoc(post), true},
		{"comment edit", func() error {
			_, err := social.UpdateComment.Call(bob.Ctx(ctx), c, social.UpdateCommentParams{AppRef: ref, PostID: post, CommentID: comment, Text: "nice, edited"})
			return err
		}, commentDoc(post, comment), true},
		{"hide", func() error {
			_, err := social.HidePosts.Call(mod.Ctx(ctx), c, social.ModeratePostsParams{AppRef: ref, PostIDs: []string{spam}, Reason: "spam"})
			return err
		}, postDoc(spam), false},
		{"unhide", func() error {
			_, err := social.UnhidePosts.Call(mod.Ctx(ctx), c, social.ModeratePostsParams{AppRef: ref, PostIDs: []string{hidden}})
			return err
		}, postDoc(hidden), true},
		{"author's delete", func() error {
			_, err := social.DeletePost.Call(ada.Ctx(ctx), c, social.PostParams{AppRef: ref, PostID: mine})
			return err
		}, postDoc(mine), false},
		{"moderator's bulk delete", func() error {
			_, err := social.DeletePosts.Call(mod.Ctx(ctx), c, social.ModeratePostsParams{AppRef: ref, PostIDs: []string{spam2}})
			return err
		}, postDoc(spam2), false},
		{"comment delete", func() error {
			_, err := social.DeleteComment.Call(bob.Ctx(ctx), c, social.CommentParams{AppRef: ref, PostID: post, CommentID: gone})
			return err
		}, commentDoc(post, gone), false},
		{"block", func() error { // its first write: one of Bob's posts
			_, err := social.BlockMember.Call(mod.Ctx(ctx), c, social.BlockParams{AppRef: ref, MemberID: bob.ID, Reason: "spam"})
			return err
		}, postDoc(bobs), false},
	}
	var want []string
	for _, tt := range tests {
		before, _ := tt.doc()
		crashOnce(env)
		if err := tt.change(); err == nil {
			t.Fatalf("%s: the call succeeded through the crash", tt.name)
		}
		ev, visible := tt.doc()
		if ev == before || visible != tt.wantVisible {
			t.Fatalf("%s: the change is not in CouchDB (last event %q, was %q; visible %v)", tt.name, ev, before, visible)
		}
		if slices.Contains(streamIDs(t, env, "post"), ev) || slices.Contains(streamIDs(t, env, "comment"), ev) {
			t.Fatalf("%s: event %s published although its process died before recording it", tt.name, ev)
		}
		want = append(want, ev)
	}

	// The sweeper finds every interrupted change in CouchDB.
	if n, err := env.Social.Domain.SettlePending(ctx, 0); err != nil || n != len(tests) {
		t.Fatalf("settled %d, %v; want %d", n, err, len(tests))
	}
	testkit.Eventually(t, "every interrupted change's event consumed", func() bool {
		return consumer.has(want...)
	})
	inStreams := append(streamIDs(t, env, "post"), streamIDs(t, env, "comment")...)
	for i, id := range want {
		if !slices.Contains(inStreams, id) {
			t.Errorf("%s: event %s not in the stream", tests[i].name, id)
		}
	}
	if n, _ := env.Social.Domain.SettlePending(ctx, 0); n != 0 {
		t.Errorf("%d changes still pending", n)
	}
	// The index caught up: the post shown again is in the feed, the others
	// are not, and the deleted comment is no longer counted.
	f, err := social.GetFeed.Call(ada.Ctx(ctx), c, social.FeedParams{AppRef: ref, Kind: social.FeedApp})
	if err != nil {
		t.Fatal(err)
	}
	var texts []string
	for _, it := range f.Items {
		texts = append(texts, it.Text)
	}
	if want := []string{"hidden", "first, edited"}; !slices.Equal(texts, want) {
		t.Errorf("app feed after the sweep = %q, want %q", texts, want)
	}
	if p, err := social.GetPost.Call(ada.Ctx(ctx), c, social.PostParams{AppRef: ref, PostID: post}); err != nil || p.CommentCount != 1 {
		t.Errorf("comment count after the sweep: %d, %v; want 1", p.CommentCount, err)
	}

	// A change written over an interrupted one records it first: no need to
	// wait for the sweeper.
	crashOnce(env)
	if _, err := social.UpdatePost.Call(ada.Ctx(ctx), c, social.UpdatePostParams{AppRef: ref, PostID: post, Text: "second edit"}); err == nil {
		t.Fatal("the edit succeeded through the crash")
	}
	interrupted, _ := postDoc(post)()
	if _, err := social.UpdatePost.Call(ada.Ctx(ctx), c, social.UpdatePostParams{AppRef: ref, PostID: post, Text: "third edit"}); err != nil {
		t.Fatal(err)
	}
	last, _ := postDoc(post)()
	testkit.Eventually(t, "both edits' events consumed", func() bool { return consumer.has(interrupted, last) })
	want = append(want, interrupted, last)

	// The comment deleted through the crash is uncounted once, also in the
	// ledger (after Redis is flushed). Bob's comment is hidden by his
	// block (interrupted after his first post): the block finishes when
	// retried.
	if _, err := social.BlockMember.Call(mod.Ctx(ctx), c, social.BlockParams{AppRef: ref, MemberID: bob.ID}); err != nil {
		t.Fatal(err)
	}
	env.DropSocialKeys()
	if p, err := social.GetPost.Call(ada.Ctx(ctx), c, social.PostParams{AppRef: ref, PostID: post}); err != nil || p.CommentCount != 0 {
		t.Errorf("comment count after the deletion and the block: %d, %v; want 0", p.CommentCount, err)
	}

	// Exactly once at the idempotent consumer, however often in the stream.
	// Every duplicate is in the outbox by now (nothing is pending), and a
	// marker recorded after them reaches each topic's stream after them
	// (the relay publishes the outbox in order) and is handled after them
	// (the consumer handles a stream in order): once the markers are
	// handled, any duplicate has been too.
	markers := []events.Event{
		{ID: events.NewID(), Type: "post.test_marker", App: app, Subject: "marker"},
		{ID: events.NewID(), Type: "comment.test_marker", App: app, Subject: "marker"},
	}
	if err := env.Social.Ledger.Record(ctx, service.Effects{App: app, Events: markers}); err != nil {
		t.Fatal(err)
	}
	testkit.Eventually(t, "the markers consumed", func() bool { return consumer.has(markers[0].ID, markers[1].ID) })
	for _, id := range want {
		if n := consumer.times(id); n != 1 {
			t.Errorf("event %s handled %d times, want once", id, n)
		}
	}
}

// TestBlockUncountsComments: the comments of a blocked member leave the
// comment counts with their documents, and come back when unblocked, in the
// cache and in the ledger it is rebuilt from.
func TestBlockUncountsComments(t *testing.T) {
	env := socialtest.Start(t, socialtest.Options{})
	ctx := testkit.Context(t)
	app := env.CreateApp()
	ada := env.AddMember(app, "Ada", auth.RoleAttendee)
	bob := env.AddMember(app, "Bob", auth.RoleAttendee)
	cy := env.AddMember(app, "Cy", auth.RoleAttendee)
	mod := env.AddMember(app, "Mo", auth.RoleModerator)
	c := env.Client
	ref := rpc.AppRef{App: app}

	post, err := social.CreatePost.Call(ada.Ctx(ctx), c, social.CreatePostParams{AppRef: ref, Text: "hello"})
	if err != nil {
		t.Fatal(err)
	}
	var bobs []string
	for _, m := range []socialtest.Member{bob, cy, bob, bob} {
		cm, err := social.CreateComment.Call(m.Ctx(ctx), c, social.CreateCommentParams{AppRef: ref, PostID: post.ID, Text: "from " + m.Name})
		if err != nil {
			t.Fatal(err)
		}
		if m.ID == bob.ID {
			bobs = append(bobs, cm.ID)
		}
	}
	// counts reads the post's comment count from post.get and the app feed,
	// and the comments listed, from the cache and again after Redis is
	// flushed.
	counts := func(want int64) {
		t.Helper()
		for _, flushed := range []bool{false, true} {
			if flushed {
				env.DropSocialKeys()
			}
			p, err := social.GetPost.Call(cy.Ctx(ctx), c, social.PostParams{AppRef: ref, PostID: post.ID})
			if err != nil {
				t.Fatal(err)
			}
			f, err := social.GetFeed.Call(cy.Ctx(ctx), c, social.FeedParams{AppRef: ref, Kind: social.FeedApp})
			if err != nil || len(f.Items) != 1 {
				t.Fatalf("feed: %+v %v", f, err)
			}
			l, err := social.ListComments.Call(cy.Ctx(ctx), c, social.ListCommentsParams{AppRef: ref, PostID: post.ID})
			if err != nil {
				t.Fatal(err)
			}
			if p.CommentCount != want || f.Items[0].CommentCount != want || int64(len(l.Items)) != want {
				t.Errorf("flushed %v: post.get counts %d comments, the feed %d, the list shows %d; want %d",
					flushed, p.CommentCount, f.Items[0].CommentCount, len(l.Items), want)
			}
		}
	}
	counts(4)

	// A moderator blocks Bob: his three comments leave the counts.
	if _, err := social.BlockMember.Call(mod.Ctx(ctx), c, social.BlockParams{AppRef: ref, MemberID: bob.ID, Reason: "spam"}); err != nil {
		t.Fatal(err)
	}
	counts(1)
	// Deleting one of them while he is blocked uncounts nothing more.
	if _, err := social.DeleteComment.Call(mod.Ctx(ctx), c, social.CommentParams{AppRef: ref, PostID: post.ID, CommentID: bobs[0]}); err != nil {
		t.Fatal(err)
	}
	counts(1)
	// Blocking again changes nothing.
	if _, err := social.BlockMember.Call(mod.Ctx(ctx), c, social.BlockParams{AppRef: ref, MemberID: bob.ID}); err != nil {
		t.Fatal(err)
	}
	counts(1)
	// Unblocked, his two remaining comments count again.
	if _, err := social.UnblockMember.Call(mod.Ctx(ctx), c, social.BlockParams{AppRef: ref, MemberID: bob.ID}); err != nil {
		t.Fatal(err)
	}
	counts(3)

	// Hub's block does the same, through its member events.
	env.Publish(hub.EventMemberBlocked, bob, true)
	memberEventsHandled(t, env, bob)
	counts(1)
	env.Publish(hub.EventMemberUnblocked, bob, false)
	memberEventsHandled(t, env, bob)
	counts(3)
}

// memberEventsHandled waits until social has handled every event of hub
// about m published so far: it publishes one more (m under a new name,
// which changes nothing else) and waits for the name in the stored profile,
// as hub's events of one member are handled in order. Waiting instead for
// a count to show in post.get raced the handler: each poll that missed
// the post's cache entry (lost in a Redis failover) read the counters and
// cached them, and one that read them before the handler's last change
// and cached them after it (a change moves the cached counters only while
// the entry exists) kept a stale count in the cache for good.
func memberEventsHandled(t *testing.T, env *socialtest.Env, m socialtest.Member) {
	t.Helper()
	ctx := testkit.Context(t)
	m.Name = "Marker " + events.NewID()
	env.Publish(hub.EventMemberUpdated, m, false)
	testkit.Eventually(t, "hub's events about "+m.ID+" handled", func() bool {
		ps, err := env.Social.Ledger.Profiles(ctx, m.App, []string{m.ID})
		return err == nil && ps[m.ID].Name == m.Name
	})
}

// crashOnce makes the next change of a post or comment stop right after
// its CouchDB write, as if the process died there.
func crashOnce(env *socialtest.Env) {
	var fired atomic.Bool
	env.Social.Domain.SetFailpoint(func(point string) error {
		if point == "written" && fired.CompareAndSwap(false, true) {
			return errors.New("killed after the CouchDB write")
		}
		return nil
	})
}

// recorder is an idempotent consumer's record of the events it handled.
type recorder struct {
	mu   sync.Mutex
	seen map[string]int
}

func (r *recorder) handle(_ context.Context, ev events.Event) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.seen[ev.ID]++
	return nil
}

func (r *recorder) has(ids ...string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, id := range ids {
		if r.seen[id] == 0 {
			return false
		}
	}
	return true
}

func (r *recorder) times(id string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.seen[id]
}

// consume runs, until the test ends, a consumer of social's topics made
// idempotent by the platform's Redis store, as another service would.
func consume(t *testing.T, env *socialtest.Env, topics ...string) *recorder {
	t.Helper()
	r := &recorder{seen: map[string]int{}}
	store := events.NewRedisStore(env.Redis, redisx.NewKeys(env.Namespace, "wall"), "wall", events.RedisStoreConfig{})
	cons, err := events.NewConsumer(env.Redis, events.NewStreams(env.Namespace), events.ConsumerConfig{
		Group: "wall", Topics: topics, FromStart: true, ClaimIdle: 500 * time.Millisecond, Block: 50 * time.Millisecond,
		Logger: slog.New(slog.DiscardHandler),
	}, events.Idempotent(store, r.handle))
	if err != nil {
		t.Fatal(err)
	}
	testkit.Run(t, "consumer", cons.Run)
	return r
}

// TestBlockUncountsReactions: blocking a member takes their reactions out
// of the posts' counters and unblocking puts them back, once, whether the
// block is a moderator's (retried) or hub's (its events delivered twice);
// a reaction they take back while blocked is not put back. Read from
// post.get and the feed, and again after Redis is flushed.
func TestBlockUncountsReactions(t *testing.T) {
	env := socialtest.Start(t, socialtest.Options{})
	ctx := testkit.Context(t)
	app := env.CreateApp()
	ada := env.AddMember(app, "Ada", auth.RoleAttendee)
	bob := env.AddMember(app, "Bob", auth.RoleAttendee)
	cy := env.AddMember(app, "Cy", auth.RoleAttendee)
	mod := env.AddMember(app, "Mo", auth.RoleModerator)
	c := env.Client
	ref := rpc.AppRef{App: app}

	post, err := social.CreatePost.Call(ada.Ctx(ctx), c, social.CreatePostParams{AppRef: ref, Text: "react to me"})
	if err != nil {
		t.Fatal(err)
	}
	react := func(m socialtest.Member, kind string) (social.ReactionState, error) {
		if kind == "" {
			return social.Unreact.Call(m.Ctx(ctx), c, social.PostParams{AppRef: ref, PostID: post.ID})
		}
		return social.React.Call(m.Ctx(ctx), c, social.ReactParams{AppRef: ref, PostID: post.ID, Reaction: kind})
	}
	for _, r := range []struct {
		m    socialtest.Member
		kind string
	}{{bob, social.ReactionLike}, {cy, social.ReactionLove}} {
		if _, err := react(r.m, r.kind); err != nil {
			t.Fatal(err)
		}
	}
	// counts reads the post's counters from post.get and the app feed,
	// from the cache and again after Redis is flushed.
	counts := func(want map[string]int64) {
		t.Helper()
		for _, flushed := range []bool{false, true} {
			if flushed {
				env.DropSocialKeys()
			}
			p, err := social.GetPost.Call(cy.Ctx(ctx), c, social.PostParams{AppRef: ref, PostID: post.ID})
			if err != nil {
				t.Fatal(err)
			}
			f, err := social.GetFeed.Call(cy.Ctx(ctx), c, social.FeedParams{AppRef: ref, Kind: social.FeedApp})
			if err != nil {
				t.Fatal(err)
			}
			i := slices.IndexFunc(f.Items, func(it social.Post) bool { return it.ID == post.ID })
			if i < 0 {
				t.Fatalf("the feed lacks the post: %+v", f.Items)
			}
			if !cmp.Equal(p.Reactions, want, cmpopts.EquateEmpty()) || !cmp.Equal(f.Items[i].Reactions, want, cmpopts.EquateEmpty()) {
				t.Errorf("flushed %v: post.get counts %v, the feed %v; want %v", flushed, p.Reactions, f.Items[i].Reactions, want)
			}
		}
	}
	both := map[string]int64{"like": 1, "love": 1}
	cysOnly := map[string]int64{"love": 1}
	block := func(on bool) {
		t.Helper()
		var err error
		if on {
			_, err = social.BlockMember.Call(mod.Ctx(ctx), c, social.BlockParams{AppRef: ref, MemberID: bob.ID, Reason: "spam"})
		} else {
			_, err = social.UnblockMember.Call(mod.Ctx(ctx), c, social.BlockParams{AppRef: ref, MemberID: bob.ID})
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	counts(both)

	// A moderator blocks Bob, twice (a retry): his like leaves the counts,
	// once; unblocked, twice, it comes back once.
	block(true)
	block(true)
	counts(cysOnly)
	block(false)
	block(false)
	counts(both)

	// Blocked again, he takes his like back: it stays out after the unblock.
	block(true)
	if st, err := react(bob, ""); err != nil || st.ReactionCount != 1 || st.MyReaction != "" {
		t.Errorf("bob takes his like back while blocked: %+v %v; want 1 reaction, none his", st, err)
	}
	counts(cysOnly)
	block(false)
	counts(cysOnly)

	// Hub's block, its events delivered twice: Bob likes again first.
	if _, err := react(bob, social.ReactionLike); err != nil {
		t.Fatal(err)
	}
	counts(both)
	env.Publish(hub.EventMemberBlocked, bob, true)
	env.Publish(hub.EventMemberBlocked, bob, true)
	memberEventsHandled(t, env, bob)
	counts(cysOnly)
	if st, err := react(bob, ""); err != nil || st.ReactionCount != 1 {
		t.Errorf("bob takes his like back while hub blocks him: %+v %v; want 1 reaction", st, err)
	}
	env.Publish(hub.EventMemberUnblocked, bob, false)
	env.Publish(hub.EventMemberUnblocked, bob, false)
	memberEventsHandled(t, env, bob)
	counts(cysOnly)
	if st, err := react(bob, social.ReactionClap); err != nil || st.ReactionCount != 2 {
		t.Errorf("bob claps, unblocked: %+v %v; want 2 reactions", st, err)
	}
	counts(map[string]int64{"clap": 1, "love": 1})
}
