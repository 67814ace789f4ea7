package service_test

import (
	"bytes"
	"context"
	"image/color"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/attendify/platform/errs"
	"github.com/attendify/social"
	"github.com/attendify/social/internal/service"
	"github.com/attendify/social/internal/testimage"
)

// TestHiddenStaysHidden: a post a moderator hid, and the comments of a
// post that is hidden or deleted, are out of their authors' hands as they
// are out of every feed: an edit would change what the moderator judged
// and tell the members it mentions about a post they cannot open. Not
// found, as the post is to its author (TestNotFound); nothing changes and
// nobody is notified.
func TestHiddenStaysHidden(t *testing.T) {
	check(t, []call{
		{name: "the author edits a hidden post", do: func(f fixture) error {
			_, err := f.w.svc.UpdatePost(as(ada), app, f.hidden, "now it is fine @[Cy](cy)")
			return err
		}, then: func(t *testing.T, f fixture) {
			if it := f.w.get(f.hidden); it.Doc.Text != "to hide" || it.Doc.EditedAt != nil {
				t.Errorf("the hidden post changed: %+v", it.Doc)
			}
			if n := f.w.unread(cy); n != 0 {
				t.Errorf("cy has %d unread notifications about a hidden post", n)
			}
		}},
		{name: "a comment's author edits it on a hidden post", do: func(f fixture) error {
			c := f.w.comment(bob, f.adaPost, "first")
			if _, _, err := f.w.svc.Hide(as(mona), app, []string{f.adaPost}, "spam"); err != nil {
				return err
			}
			_, err := f.w.svc.UpdateComment(as(bob), service.CommentRef{App: app, Post: f.adaPost, ID: c}, "hey @[Cy](cy)")
			return err
		}, then: func(t *testing.T, f fixture) {
			if n := f.w.unread(cy); n != 0 {
				t.Errorf("cy has %d unread notifications about a hidden post", n)
			}
		}},
		{name: "the author opens a photo of a hidden post", do: func(f fixture) error {
			post := f.w.postPhoto(ada, "look")
			if _, _, err := f.w.svc.Hide(as(mona), app, []string{post}, "spam"); err != nil {
				return err
			}
			if _, err := f.w.svc.GetPost(as(ada), app, post); !isKind(err, errs.NotFound) {
				f.w.t.Errorf("the hidden post to its author: %v, want not found", err)
			}
			return openPhoto(f.w, ada, post, "0t")
		}},
		{name: "a blocked member opens a photo of their hidden post", do: func(f fixture) error {
			post := f.w.postPhoto(ada, "look")
			blockAda(f)
			return openPhoto(f.w, ada, post, "0")
		}},
		{name: "a comment's author edits it on a deleted post", do: func(f fixture) error {
			c := f.w.comment(bob, f.adaPost, "first")
			if err := f.w.svc.DeletePost(as(ada), app, f.adaPost); err != nil {
				return err
			}
			_, err := f.w.svc.UpdateComment(as(bob), service.CommentRef{App: app, Post: f.adaPost, ID: c}, "still here")
			return err
		}},
	}, errs.NotFound)
}

// TestBlockedMemberReports: a member a moderator blocked writes nothing,
// reports included (the queue is the moderators' time).
func TestBlockedMemberReports(t *testing.T) {
	check(t, []call{
		{name: "a blocked member reports a post", do: func(f fixture) error {
			blockAda(f)
			return f.w.svc.Report(as(ada), service.ReportInput{App: app, Post: f.bobPost, Reason: "spam", Note: ""})
		}, then: func(t *testing.T, f fixture) {
			if q, _, _ := f.w.svc.Queue(as(mona), app, "", 10); len(q) != 0 {
				t.Errorf("queue = %+v, want empty", q)
			}
		}},
	}, errs.Forbidden)
}

// postPhoto creates a post of author with one photo and returns its id.
func (w *world) postPhoto(author, text string) string {
	w.t.Helper()
	up, _, err := w.svc.UploadPhoto(as(author), app, bytes.NewReader(testimage.WebP(40, 30, color.NRGBA{R: 200, A: 255})))
	if err != nil {
		w.t.Fatalf("%s uploads: %v", author, err)
	}
	it, err := w.svc.CreatePost(as(author), service.CreatePostInput{App: app, Text: text, PhotoIDs: []string{up.ID}})
	if err != nil {
		w.t.Fatalf("%s posts a photo: %v", author, err)
	}
	return it.Doc.ID
}

// openPhoto opens the photo name of post as member, and closes it.
func openPhoto(w *world, member, post, name string) error {
	_, body, err := w.svc.Photo(as(member), app, post, name)
	if err == nil {
		body.Close()
	}
	return err
}

// TestNotificationsOfHiddenPosts: a notification about a post that is
// hidden (by a moderator or by a block of its author) or deleted is left
// out of notification.list, as a notification about a post of an event
// the member may not read is: nobody is shown a post they cannot open,
// nor the name of a blocked member mentioning them.
func TestNotificationsOfHiddenPosts(t *testing.T) {
	tests := []struct {
		name string
		do   func(f fixture, post string)
	}{
		{"hidden by a moderator", func(f fixture, post string) {
			_, _, err := f.w.svc.Hide(as(mona), app, []string{post}, "harassment")
			mustOK(f.w, err)
		}},
		{"its author blocked", func(f fixture, post string) {
			_, err := f.w.svc.Block(as(mona), app, bob, "harassment")
			mustOK(f.w, err)
		}},
		{"deleted by a moderator", func(f fixture, post string) {
			mustOK(f.w, f.w.svc.DeletePost(as(mona), app, post))
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			post := f.w.post(bob, "hey @[Cy](cy)")
			if ns, _, _, err := f.w.svc.Notifications(as(cy), app, false, "", 10); err != nil || len(ns) != 1 {
				t.Fatalf("cy's notifications before = %+v, %v; want the mention", ns, err)
			}
			tc.do(f, post)
			ns, _, _, err := f.w.svc.Notifications(as(cy), app, false, "", 10)
			if err != nil || len(ns) != 0 {
				t.Errorf("cy's notifications after = %+v, %v; want none", ns, err)
			}
		})
	}
}

// TestWriteRacingABlock: a post or comment written while a moderator
// blocks its author (the block comes after writer's check of it, and its
// scan of the author's documents before the write) ends hidden as the
// author's others, out of the feeds and the comment counts, and the call
// is refused as writer would have refused it. A block and an unblock both
// slipped in leave it shown, as the author's others.
func TestWriteRacingABlock(t *testing.T) {
	writes := []struct {
		name  string
		write func(f fixture) error
		// shown checks the written document, found by its text, against
		// want: its visibility, the feed or comment list, the count.
		shown func(t *testing.T, f fixture, want bool)
	}{
		{"post.create", func(f fixture) error {
			_, err := f.w.svc.CreatePost(as(ada), service.CreatePostInput{App: app, Text: "racing"})
			return err
		}, func(t *testing.T, f fixture, want bool) {
			p := f.w.doc("racing")
			if p == nil || p.Visible() != want || p.AuthorBlocked == want {
				t.Fatalf("the post written = %+v, want visible %v", p, want)
			}
			if got := slices.Contains(feed(t, f.w, cy, service.Feed{Kind: social.FeedApp}), p.ID); got != want {
				t.Errorf("the post in cy's feed: %v, want %v", got, want)
			}
		}},
		{"comment.create", func(f fixture) error {
			_, err := f.w.svc.CreateComment(as(ada), service.CreateCommentInput{App: app, Post: f.bobPost, Text: "racing"})
			return err
		}, func(t *testing.T, f fixture, want bool) {
			cs, _, err := f.w.svc.Comments(as(cy), app, f.bobPost, "", 10)
			mustOK(f.w, err)
			listed := slices.ContainsFunc(cs, func(c service.CommentItem) bool { return c.Doc.Text == "racing" })
			// ada's earlier comment on bob's post is hidden and shown with her.
			count := map[bool]int64{false: 0, true: 2}[want]
			if got := f.w.get(f.bobPost).Counts.Comments; listed != want || got != count {
				t.Errorf("the comment listed %v, comments counted %d; want %v, %d", listed, got, want, count)
			}
		}},
	}
	for _, wr := range writes {
		t.Run(wr.name+", blocked meanwhile", func(t *testing.T) {
			f := newFixture(t)
			f.w.blocks.meanwhile = func() { blockAda(f) }
			if err := wr.write(f); !isKind(err, errs.Forbidden) {
				t.Errorf("the write: %v, want forbidden", err)
			}
			wr.shown(t, f, false)
		})
		t.Run(wr.name+", blocked and unblocked meanwhile", func(t *testing.T) {
			f := newFixture(t)
			f.w.blocks.meanwhile = func() {
				blockAda(f)
				// Once the write has read the block again.
				f.w.blocks.meanwhile = func() { mustOK(f.w, f.w.svc.Unblock(as(mona), app, ada)) }
			}
			mustOK(f.w, wr.write(f))
			wr.shown(t, f, true)
		})
	}
}

// doc returns the post whose text is text, as stored (nil when none).
func (w *world) doc(text string) *service.Post {
	w.t.Helper()
	var found *service.Post
	err := w.docs.EachDoc(context.Background(), app, func(p *service.Post) error {
		if p.Text == text {
			found = p
		}
		return nil
	}, func(*service.Comment) error { return nil })
	mustOK(w, err)
	return found
}

// TestNotificationsOfBlockedActors: once a member is blocked, what they
// did that reached another member (a like and a comment on her visible
// post, a mention in a comment on a third member's post) is left out of
// that member's notifications, found for the whole page in one lookup of
// blocks (and one for the unread count); unblocked, it is listed again.
func TestNotificationsOfBlockedActors(t *testing.T) {
	f := newFixture(t) // bob commented on ada's post
	w := f.w
	w.react(bob, f.adaPost, social.ReactionLike)
	w.react(cy, f.adaPost, social.ReactionLike)
	w.comment(bob, w.post(cy, "lunch?"), "ask @[Ada](ada)")
	list := func() []string {
		t.Helper()
		w.blocks.among = 0
		ns, _, _, err := w.svc.Notifications(as(ada), app, false, "", 10)
		mustOK(w, err)
		if w.blocks.among != 2 {
			t.Errorf("%d lookups of blocks for a page and the unread count, want 2", w.blocks.among)
		}
		var out []string
		for _, n := range ns {
			out = append(out, n.Kind+" by "+n.Notification.Actor)
		}
		slices.Sort(out)
		return out
	}
	all := []string{"commented by bob", "liked by bob", "liked by cy", "mentioned by bob"}
	if diff := cmp.Diff(all, list()); diff != "" {
		t.Fatalf("ada's notifications (-want +got):\n%s", diff)
	}
	if _, err := w.svc.Block(as(mona), app, bob, "harassment"); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"liked by cy"}, list()); diff != "" {
		t.Errorf("ada's notifications with bob blocked (-want +got):\n%s", diff)
	}
	mustOK(w, w.svc.Unblock(as(mona), app, bob))
	if diff := cmp.Diff(all, list()); diff != "" {
		t.Errorf("ada's notifications with bob unblocked (-want +got):\n%s", diff)
	}
}

// TestUnreadCountsWhatIsListed: the unread count (notification.unread,
// the list's and mark-read's answers) counts the unread notifications the
// list shows, no more: one whose post was hidden (by a moderator or by a
// block of its author) or deleted, or whose actor was blocked, leaves the
// count with the list (it is marked read: shown again, it shows read).
func TestUnreadCountsWhatIsListed(t *testing.T) {
	for _, tc := range []struct {
		name string
		// set makes a notification of ada's, takes it out of her list
		// and returns what puts it back (nil when nothing can).
		set func(w *world) (undo func())
	}{
		{"post hidden by a moderator", func(w *world) func() {
			post := w.post(ada, "lunch?")
			w.comment(bob, post, "yes")
			if _, _, err := w.svc.Hide(as(mona), app, []string{post}, "spam"); err != nil {
				w.t.Fatal(err)
			}
			return func() {
				if _, _, err := w.svc.Unhide(as(mona), app, []string{post}); err != nil {
					w.t.Fatal(err)
				}
			}
		}},
		{"post hidden by a block of its author", func(w *world) func() {
			w.comment(bob, w.post(cy, "lunch?"), "with @[Ada](ada)")
			if _, err := w.svc.Block(as(mona), app, cy, "spam"); err != nil {
				w.t.Fatal(err)
			}
			return func() { mustOK(w, w.svc.Unblock(as(mona), app, cy)) }
		}},
		{"post deleted", func(w *world) func() {
			post := w.post(bob, "lunch, @[Ada](ada)?")
			mustOK(w, w.svc.DeletePost(as(bob), app, post))
			return nil
		}},
		{"actor blocked", func(w *world) func() {
			w.react(bob, w.post(ada, "lunch?"), social.ReactionLike)
			if _, err := w.svc.Block(as(mona), app, bob, "harassment"); err != nil {
				w.t.Fatal(err)
			}
			return func() { mustOK(w, w.svc.Unblock(as(mona), app, bob)) }
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t, service.NoLimits)
			w.react(carla, w.post(ada, "hello"), social.ReactionLike) // stays listed
			undo := tc.set(w)
			agreeUnread(w, ada, 1)
			if undo != nil {
				undo()
				agreeUnread(w, ada, 1)
			}
		})
	}
}

// agreeUnread checks that member's unread count, as notification.unread,
// notification.list and notification.markRead answer it, is want, the
// number of unread notifications their list shows.
func agreeUnread(w *world, member string, want int64) {
	w.t.Helper()
	ns, listed, _, err := w.svc.Notifications(as(member), app, false, "", social.MaxPageSize)
	mustOK(w, err)
	var shown int64
	for _, n := range ns {
		if n.ReadAt == nil {
			shown++
		}
	}
	marked, err := w.svc.MarkRead(as(member), app, []string{"none"}, false)
	mustOK(w, err)
	if n := w.unread(member); shown != want || listed != want || n != want || marked != want {
		w.t.Errorf("%s's unread notifications: %d listed, counted %d by the list, %d by notification.unread, %d by markRead; want %d",
			member, shown, listed, n, marked, want)
	}
}

// TestUnreadCountIsBounded: an unread count stops at social.MaxUnread, and
// unread notifications the list leaves out are passed over (and marked
// read) however many come before those it counts.
func TestUnreadCountIsBounded(t *testing.T) {
	w := newWorld(t, service.NoLimits)
	for range social.MaxUnread + 1 {
		w.post(bob, "hi @[Ada](ada)")
	}
	for range social.MaxUnread {
		w.post(cy, "hi @[Ada](ada)")
	}
	if n := w.unread(ada); n != social.MaxUnread {
		t.Errorf("unread %d of %d, want %d", n, 2*social.MaxUnread+1, social.MaxUnread)
	}
	if _, err := w.svc.Block(as(mona), app, cy, "spam"); err != nil {
		t.Fatal(err)
	}
	ns, _, _, err := w.svc.Notifications(as(ada), app, true, "", 2)
	mustOK(w, err)
	if len(ns) != 0 {
		t.Errorf("the first page of unread notifications has %d of blocked cy's", len(ns))
	}
	if n := w.unread(ada); n != social.MaxUnread {
		t.Errorf("unread %d with cy blocked, want %d", n, social.MaxUnread)
	}
	ns, _, _, err = w.svc.Notifications(as(ada), app, true, "", 2)
	mustOK(w, err)
	if n, err := w.svc.MarkRead(as(ada), app, []string{ns[0].ID, ns[1].ID}, false); err != nil || n != social.MaxUnread-1 {
		t.Errorf("unread %d (%v) after marking 2 of %d read, want %d", n, err, social.MaxUnread+1, social.MaxUnread-1)
	}
}
