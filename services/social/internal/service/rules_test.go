package service_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/attendify/hub"
	"github.com/attendify/platform/auth"
	"github.com/attendify/platform/errs"
	"github.com/attendify/platform/events"
	"github.com/attendify/social"
	"github.com/attendify/social/internal/service"
)

// TestAllowed: who may post, comment, react, report, edit, delete and
// moderate, and what their call changes.
func TestAllowed(t *testing.T) {
	check(t, []call{
		{name: "a member posts", do: func(f fixture) error {
			it, err := f.w.svc.CreatePost(as(cy), service.CreatePostInput{App: app, Text: "first #Go @[Ada](ada) @[Nobody](nobody)"})
			if err != nil {
				return err
			}
			if it.Doc.Author != cy || !cmp.Equal(it.Doc.Hashtags, []string{"go"}) || len(it.Doc.Mentions) != 1 {
				f.w.t.Errorf("post = %+v; want cy's, #go, ada mentioned (nobody is no member)", it.Doc)
			}
			return nil
		}, then: func(t *testing.T, f fixture) {
			if n := f.w.unread(ada); n != 2 { // bob's comment, cy's mention
				t.Errorf("ada's unread = %d, want 2", n)
			}
		}},
		{name: "the author edits a post", do: func(f fixture) error {
			it, err := f.w.svc.UpdatePost(as(ada), app, f.adaPost, "edited #new")
			if err == nil && (it.Doc.Text != "edited #new" || it.Doc.EditedAt == nil) {
				f.w.t.Errorf("edited post = %+v", it.Doc)
			}
			return err
		}},
		{name: "the author deletes a post", do: func(f fixture) error {
			return f.w.svc.DeletePost(as(ada), app, f.adaPost)
		}, then: postDeleted},
		{name: "a moderator deletes a post", do: func(f fixture) error {
			return f.w.svc.DeletePost(as(mona), app, f.adaPost)
		}, then: postDeleted},
		{name: "an owner deletes a post", do: func(f fixture) error {
			return f.w.svc.DeletePost(as(olga), app, f.adaPost)
		}, then: postDeleted},
		{name: "deleting a deleted post", do: func(f fixture) error {
			return f.w.svc.DeletePost(as(ada), app, f.deleted)
		}},
		{name: "a member comments", do: func(f fixture) error {
			_, err := f.w.svc.CreateComment(as(cy), service.CreateCommentInput{App: app, Post: f.adaPost, Text: "me too"})
			return err
		}, then: func(t *testing.T, f fixture) {
			if c := f.w.get(f.adaPost).Counts.Comments; c != 2 {
				t.Errorf("comments = %d, want 2", c)
			}
		}},
		{name: "the author edits a comment", do: func(f fixture) error {
			c, err := f.w.svc.UpdateComment(as(bob), service.CommentRef{App: app, Post: f.adaPost, ID: f.bobOnAda}, "thanks!")
			if err == nil && c.Doc.Text != "thanks!" {
				f.w.t.Errorf("comment = %+v", c.Doc)
			}
			return err
		}},
		{name: "the comment's author deletes it", do: func(f fixture) error {
			return f.w.svc.DeleteComment(as(bob), service.CommentRef{App: app, Post: f.adaPost, ID: f.bobOnAda})
		}, then: commentDeleted},
		{name: "the post's author deletes a comment", do: func(f fixture) error {
			return f.w.svc.DeleteComment(as(ada), service.CommentRef{App: app, Post: f.adaPost, ID: f.bobOnAda})
		}, then: commentDeleted},
		{name: "a moderator deletes a comment", do: func(f fixture) error {
			return f.w.svc.DeleteComment(as(mona), service.CommentRef{App: app, Post: f.adaPost, ID: f.bobOnAda})
		}, then: commentDeleted},
		{name: "deleting a missing comment", do: func(f fixture) error {
			return f.w.svc.DeleteComment(as(bob), service.CommentRef{App: app, Post: f.adaPost, ID: "none"})
		}},
		{name: "a member reacts", do: func(f fixture) error {
			_, err := f.w.svc.React(as(cy), app, f.adaPost, social.ReactionWow)
			return err
		}},
		{name: "a moderator reads a hidden post", do: func(f fixture) error {
			_, err := f.w.svc.GetPost(as(mona), app, f.hidden)
			return err
		}},
		{name: "a member reports a post", do: func(f fixture) error {
			return f.w.svc.Report(as(cy), service.ReportInput{App: app, Post: f.adaPost, Reason: "spam", Note: ""})
		}, then: func(t *testing.T, f fixture) {
			q, _, err := f.w.svc.Queue(as(mona), app, "", 10)
			if err != nil || len(q) != 1 || q[0].Post != f.adaPost || q[0].Item == nil {
				t.Errorf("queue = %+v, %v", q, err)
			}
		}},
		{name: "a moderator hides a post and resolves its reports", do: func(f fixture) error {
			if err := f.w.svc.Report(as(cy), service.ReportInput{App: app, Post: f.adaPost, Reason: "spam", Note: ""}); err != nil {
				return err
			}
			done, missing, err := f.w.svc.Hide(as(mona), app, []string{f.adaPost, "none"}, "spam")
			if err == nil && (!cmp.Equal(done, []string{f.adaPost}) || !cmp.Equal(missing, []string{"none"})) {
				f.w.t.Errorf("hide: done %v, not found %v", done, missing)
			}
			return err
		}, then: func(t *testing.T, f fixture) {
			if q, _, _ := f.w.svc.Queue(as(mona), app, "", 10); len(q) != 0 {
				t.Errorf("queue after hiding = %+v", q)
			}
			if ids := feed(t, f.w, cy, service.Feed{Kind: social.FeedApp}); strings.Contains(strings.Join(ids, ","), f.adaPost) {
				t.Errorf("hidden post in the feed: %v", ids)
			}
		}},
		{name: "a moderator shows a hidden post", do: func(f fixture) error {
			_, _, err := f.w.svc.Unhide(as(mona), app, []string{f.hidden})
			return err
		}, then: func(t *testing.T, f fixture) {
			if _, err := f.w.svc.GetPost(as(cy), app, f.hidden); err != nil {
				t.Errorf("shown post: %v", err)
			}
		}},
		{name: "a moderator blocks a member", do: func(f fixture) error {
			r, err := f.w.svc.Block(as(mona), app, ada, "spam")
			// Every post of hers is marked: the visible, the hidden and the
			// deleted one.
			if err == nil && r.PostsHidden != 3 {
				f.w.t.Errorf("posts hidden = %d, want 3", r.PostsHidden)
			}
			return err
		}, then: func(t *testing.T, f fixture) {
			if _, err := f.w.svc.GetPost(as(cy), app, f.adaPost); !isKind(err, errs.NotFound) {
				t.Errorf("a blocked member's post: %v, want not found", err)
			}
			if c := f.w.get(f.bobPost).Counts.Comments; c != 0 {
				t.Errorf("bob's post counts %d comments, want 0 (ada's is hidden)", c)
			}
		}},
		{name: "a blocked member takes back a reaction", do: func(f fixture) error {
			f.w.react(ada, f.bobPost, social.ReactionLike)
			blockAda(f)
			st, err := f.w.svc.React(as(ada), app, f.bobPost, "")
			if err == nil && (st.MyReaction != "" || st.Counts.Total() != 0) {
				f.w.t.Errorf("after taking it back: %+v, want no reaction", st)
			}
			return err
		}, then: func(t *testing.T, f fixture) {
			if n := f.w.get(f.bobPost).Counts.Total(); n != 0 {
				t.Errorf("bob's post counts %d reactions, want 0", n)
			}
		}},
		{name: "a service deletes posts in bulk", do: func(f fixture) error {
			_, _, err := f.w.svc.DeletePosts(asService(), app, []string{f.adaPost, f.bobPost})
			return err
		}},
		{name: "a member marks notifications read", do: func(f fixture) error {
			n, err := f.w.svc.MarkRead(as(ada), app, nil, true)
			if err == nil && n != 0 {
				f.w.t.Errorf("unread after marking all read = %d", n)
			}
			return err
		}},
	}, nil)
}

func postDeleted(t *testing.T, f fixture) {
	t.Helper()
	if _, err := f.w.svc.GetPost(as(mona), app, f.adaPost); !isKind(err, errs.NotFound) {
		t.Errorf("deleted post: %v, want not found", err)
	}
	if ids := feed(t, f.w, cy, service.Feed{Kind: social.FeedApp}); len(ids) != 1 || ids[0] != f.bobPost {
		t.Errorf("feed after the delete = %v, want only bob's post", ids)
	}
}

func commentDeleted(t *testing.T, f fixture) {
	t.Helper()
	if c := f.w.get(f.adaPost).Counts.Comments; c != 0 {
		t.Errorf("comments after the delete = %d, want 0", c)
	}
	cs, _, err := f.w.svc.Comments(as(cy), app, f.adaPost, "", 10)
	if err != nil || len(cs) != 0 {
		t.Errorf("comments listed = %+v, %v", cs, err)
	}
}

// TestMentionsShowMembersNames: a mention shows the name social knows for
// the member, whatever was typed, in the stored text's markup and in
// Mentions, on each of the four writes; markup naming someone who is no
// member becomes plain text; a member whose name is not known yet keeps
// the name typed, but not one that is the author's or another mentioned
// member's name (plain text then, and nobody notified).
func TestMentionsShowMembersNames(t *testing.T) {
	const typed = "thanks @[Organizers](bob), @[Staff](stranger), @[Cyrus](cy), @[Bob](mona) and @[ada  LOVELACE](olga)"
	const want = "thanks @[Bob](bob), @Staff, @[Cyrus](cy), @Bob and @ada  LOVELACE"
	wantMentions := []service.Mention{{Member: bob, Name: "Bob"}, {Member: cy, Name: "Cyrus"}}
	comment := func(t *testing.T, f fixture, id string) *service.Comment {
		t.Helper()
		cs, _, err := f.w.svc.Comments(as(cy), app, f.bobPost, "", 10)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range cs {
			if c.Doc.ID == id {
				return c.Doc
			}
		}
		t.Fatalf("comment %s not listed", id)
		return nil
	}
	tests := []struct {
		name  string
		write func(f fixture) (text string, mentions []service.Mention, stored func(t *testing.T) (string, []service.Mention))
	}{
		{"post.create", func(f fixture) (string, []service.Mention, func(*testing.T) (string, []service.Mention)) {
			it, err := f.w.svc.CreatePost(as(ada), service.CreatePostInput{App: app, Text: typed})
			mustOK(f.w, err)
			return it.Doc.Text, it.Doc.Mentions, func(*testing.T) (string, []service.Mention) {
				d := f.w.get(it.Doc.ID).Doc
				return d.Text, d.Mentions
			}
		}},
		{"post.edit", func(f fixture) (string, []service.Mention, func(*testing.T) (string, []service.Mention)) {
			it, err := f.w.svc.UpdatePost(as(ada), app, f.adaPost, typed)
			mustOK(f.w, err)
			return it.Doc.Text, it.Doc.Mentions, func(*testing.T) (string, []service.Mention) {
				d := f.w.get(f.adaPost).Doc
				return d.Text, d.Mentions
			}
		}},
		{"comment.create", func(f fixture) (string, []service.Mention, func(*testing.T) (string, []service.Mention)) {
			c, err := f.w.svc.CreateComment(as(ada), service.CreateCommentInput{App: app, Post: f.bobPost, Text: typed})
			mustOK(f.w, err)
			return c.Doc.Text, c.Doc.Mentions, func(t *testing.T) (string, []service.Mention) {
				d := comment(t, f, c.Doc.ID)
				return d.Text, d.Mentions
			}
		}},
		{"comment.edit", func(f fixture) (string, []service.Mention, func(*testing.T) (string, []service.Mention)) {
			c, err := f.w.svc.UpdateComment(as(ada), service.CommentRef{App: app, Post: f.bobPost, ID: f.adaOnBob}, typed)
			mustOK(f.w, err)
			return c.Doc.Text, c.Doc.Mentions, func(t *testing.T) (string, []service.Mention) {
				d := comment(t, f, f.adaOnBob)
				return d.Text, d.Mentions
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			f.w.profile(ada, "Ada Lovelace")
			f.w.profile(bob, "Bob")
			// cy, mona and olga have no name yet.
			text, mentions, stored := tc.write(f)
			if text != want {
				t.Errorf("text answered = %q, want %q", text, want)
			}
			if diff := cmp.Diff(wantMentions, mentions); diff != "" {
				t.Errorf("mentions answered (-want +got):\n%s", diff)
			}
			text, mentions = stored(t)
			if text != want {
				t.Errorf("text stored = %q, want %q", text, want)
			}
			if diff := cmp.Diff(wantMentions, mentions); diff != "" {
				t.Errorf("mentions stored (-want +got):\n%s", diff)
			}
			for _, m := range []string{mona, olga} {
				if n := f.w.unread(m); n != 0 {
					t.Errorf("%s, mentioned as someone else, has %d unread notifications", m, n)
				}
			}
		})
	}
}

// profile has hub tell social member's name (a member.updated event).
func (w *world) profile(member, name string) {
	w.t.Helper()
	data, err := json.Marshal(hub.MemberPayload{ID: member, AppID: app, Name: name, Role: auth.RoleAttendee})
	if err != nil {
		w.t.Fatal(err)
	}
	ev := events.Event{ID: events.NewID(), Type: hub.EventMemberUpdated, App: app, Subject: member, Time: time.Now(), Data: data}
	if err := w.svc.HandleMemberEvent(context.Background(), ev); err != nil {
		w.t.Fatal(err)
	}
}

// TestForbidden: what members, organizers and services may not do; the
// store is left unchanged.
func TestForbidden(t *testing.T) {
	check(t, []call{
		{name: "another member edits a post", do: func(f fixture) error {
			_, err := f.w.svc.UpdatePost(as(bob), app, f.adaPost, "mine now")
			return err
		}, then: unchanged},
		{name: "a moderator edits a post", do: func(f fixture) error {
			_, err := f.w.svc.UpdatePost(as(mona), app, f.adaPost, "moderated")
			return err
		}, then: unchanged},
		{name: "another member deletes a post", do: func(f fixture) error {
			return f.w.svc.DeletePost(as(bob), app, f.adaPost)
		}, then: unchanged},
		{name: "a collaborator deletes a post", do: func(f fixture) error {
			return f.w.svc.DeletePost(as(carla), app, f.adaPost)
		}, then: unchanged},
		{name: "another member edits a comment", do: func(f fixture) error {
			_, err := f.w.svc.UpdateComment(as(ada), service.CommentRef{App: app, Post: f.adaPost, ID: f.bobOnAda}, "mine now")
			return err
		}},
		{name: "a member deletes another's comment on another's post", do: func(f fixture) error {
			return f.w.svc.DeleteComment(as(cy), service.CommentRef{App: app, Post: f.adaPost, ID: f.bobOnAda})
		}},
		{name: "an attendee hides a post", do: func(f fixture) error {
			_, _, err := f.w.svc.Hide(as(bob), app, []string{f.adaPost}, "")
			return err
		}, then: unchanged},
		{name: "a collaborator hides a post", do: func(f fixture) error {
			_, _, err := f.w.svc.Hide(as(carla), app, []string{f.adaPost}, "")
			return err
		}, then: unchanged},
		{name: "an attendee reads the report queue", do: func(f fixture) error {
			_, _, err := f.w.svc.Queue(as(bob), app, "", 10)
			return err
		}},
		{name: "an attendee blocks a member", do: func(f fixture) error {
			_, err := f.w.svc.Block(as(bob), app, ada, "")
			return err
		}},
		{name: "an attendee deletes posts in bulk", do: func(f fixture) error {
			_, _, err := f.w.svc.DeletePosts(as(bob), app, []string{f.adaPost})
			return err
		}, then: unchanged},
		{name: "a blocked member posts", do: func(f fixture) error {
			blockAda(f)
			_, err := f.w.svc.CreatePost(as(ada), service.CreatePostInput{App: app, Text: "still here"})
			return err
		}},
		{name: "a blocked member comments", do: func(f fixture) error {
			blockAda(f)
			_, err := f.w.svc.CreateComment(as(ada), service.CreateCommentInput{App: app, Post: f.bobPost, Text: "still here"})
			return err
		}},
		{name: "a blocked member reacts", do: func(f fixture) error {
			blockAda(f)
			_, err := f.w.svc.React(as(ada), app, f.bobPost, social.ReactionLike)
			return err
		}},
		{name: "a service posts without a user", do: func(f fixture) error {
			_, err := f.w.svc.CreatePost(asService(), service.CreatePostInput{App: app, Text: "hello"})
			return err
		}},
		{name: "a service reads notifications without a user", do: func(f fixture) error {
			_, _, _, err := f.w.svc.Notifications(asService(), app, false, "", 10)
			return err
		}},
		{name: "a service reports without a user", do: func(f fixture) error {
			return f.w.svc.Report(asService(), service.ReportInput{App: app, Post: f.adaPost, Reason: "spam", Note: ""})
		}},
		{name: "a stranger reads the feed", do: func(f fixture) error {
			_, _, err := f.w.svc.Feed(as("stranger"), app, service.Feed{Kind: social.FeedApp}, "", 10)
			return err
		}},
	}, errs.Forbidden)
}

// blockAda has a moderator block ada.
func blockAda(f fixture) {
	f.w.t.Helper()
	if _, err := f.w.svc.Block(as(mona), app, ada, "spam"); err != nil {
		f.w.t.Fatal(err)
	}
}

// unchanged checks that ada's post is as she wrote it, visible.
func unchanged(t *testing.T, f fixture) {
	t.Helper()
	it := f.w.get(f.adaPost)
	if it.Doc.Text != "hello #go" || !it.Doc.Visible() || it.Doc.EditedAt != nil {
		t.Errorf("ada's post changed: %+v", it.Doc)
	}
}

// TestInvalid: what is refused as invalid, whoever asks.
func TestInvalid(t *testing.T) {
	post := func(in service.CreatePostInput) func(f fixture) error {
		return func(f fixture) error {
			in.App = app
			_, err := f.w.svc.CreatePost(as(cy), in)
			return err
		}
	}
	check(t, []call{
		{name: "an empty post", do: post(service.CreatePostInput{Text: "  "})},
		{name: "a post too long", do: post(service.CreatePostInput{Text: strings.Repeat("é", social.MaxTextRunes+1)})},
		{name: "control characters", do: post(service.CreatePostInput{Text: "bell\a"})},
		{name: "a session without its event", do: post(service.CreatePostInput{Text: "hi", Session: "s1"})},
		{name: "a session id that is no id", do: func(f fixture) error {
			// Its thread could never be read (feed.get takes ids alone), nor
			// would the post show in the app's or the event's feed.
			_, err := f.w.svc.CreatePost(as(cy), service.CreatePostInput{App: app, Text: "hi", Event: "e1", Session: "keynote room 1"})
			if e, ok := errs.As(err); !ok || len(e.Fields) != 1 || e.Fields[0].Field != "/session_id" {
				f.w.t.Errorf("error %v, want invalid on /session_id", err)
			}
			return err
		}},
		{name: "too many photos", do: post(service.CreatePostInput{Text: "hi", PhotoIDs: []string{"1", "2", "3", "4", "5"}})},
		{name: "a photo never uploaded", do: post(service.CreatePostInput{Text: "hi", PhotoIDs: []string{"nope"}})},
		{name: "an empty comment", do: func(f fixture) error {
			_, err := f.w.svc.CreateComment(as(cy), service.CreateCommentInput{App: app, Post: f.adaPost, Text: ""})
			return err
		}},
		{name: "an edit to an empty post", do: func(f fixture) error {
			_, err := f.w.svc.UpdatePost(as(ada), app, f.adaPost, "")
			return err
		}, then: unchanged},
		{name: "an unknown reaction", do: func(f fixture) error {
			_, err := f.w.svc.React(as(cy), app, f.adaPost, "meh")
			return err
		}},
		{name: "an unknown feed", do: func(f fixture) error {
			_, _, err := f.w.svc.Feed(as(cy), app, service.Feed{Kind: "trending"}, "", 10)
			return err
		}},
		{name: "an id in the app feed", do: func(f fixture) error {
			_, _, err := f.w.svc.Feed(as(cy), app, service.Feed{Kind: social.FeedApp, ID: "x"}, "", 10)
			return err
		}},
		{name: "a bad hashtag", do: func(f fixture) error {
			_, _, err := f.w.svc.Feed(as(cy), app, service.Feed{Kind: social.FeedHashtag, ID: "two words"}, "", 10)
			return err
		}},
		{name: "a forged cursor", do: func(f fixture) error {
			_, _, err := f.w.svc.Feed(as(cy), app, service.Feed{Kind: social.FeedApp}, "bm90IGEgY3Vyc29y", 10)
			return err
		}},
		{name: "marking nothing read", do: func(f fixture) error {
			_, err := f.w.svc.MarkRead(as(ada), app, nil, false)
			return err
		}},
		{name: "a moderator blocks themself", do: func(f fixture) error {
			_, err := f.w.svc.Block(as(mona), app, mona, "")
			return err
		}},
		{name: "a moderator blocks an organizer", do: func(f fixture) error {
			_, err := f.w.svc.Block(as(mona), app, olga, "")
			return err
		}},
		{name: "too many posts in bulk", do: func(f fixture) error {
			ids := make([]string, social.MaxBulk+1)
			for i := range ids {
				ids[i] = f.adaPost
			}
			_, _, err := f.w.svc.Hide(as(mona), app, ids, "")
			return err
		}, then: unchanged},
	}, errs.Invalid)
}

// TestNotFound: posts and comments that are gone, or hidden from the
// caller, are not found.
func TestNotFound(t *testing.T) {
	check(t, []call{
		{name: "a missing post", do: func(f fixture) error {
			_, err := f.w.svc.GetPost(as(cy), app, "none")
			return err
		}},
		{name: "a deleted post, even for a moderator", do: func(f fixture) error {
			_, err := f.w.svc.GetPost(as(mona), app, f.deleted)
			return err
		}},
		{name: "a hidden post for a member", do: func(f fixture) error {
			_, err := f.w.svc.GetPost(as(cy), app, f.hidden)
			return err
		}},
		{name: "a hidden post for its author", do: func(f fixture) error {
			_, err := f.w.svc.GetPost(as(ada), app, f.hidden)
			return err
		}},
		{name: "reacting to a hidden post", do: func(f fixture) error {
			_, err := f.w.svc.React(as(cy), app, f.hidden, social.ReactionLike)
			return err
		}},
		{name: "commenting on a deleted post", do: func(f fixture) error {
			_, err := f.w.svc.CreateComment(as(cy), service.CreateCommentInput{App: app, Post: f.deleted, Text: "hello?"})
			return err
		}},
		{name: "reporting a hidden post", do: func(f fixture) error {
			return f.w.svc.Report(as(cy), service.ReportInput{App: app, Post: f.hidden, Reason: "spam", Note: ""})
		}},
		{name: "editing a deleted post", do: func(f fixture) error {
			_, err := f.w.svc.UpdatePost(as(ada), app, f.deleted, "back")
			return err
		}},
		{name: "another member deleting a hidden post", do: func(f fixture) error {
			return f.w.svc.DeletePost(as(bob), app, f.hidden)
		}},
		{name: "editing a deleted comment", do: func(f fixture) error {
			if err := f.w.svc.DeleteComment(as(bob), service.CommentRef{App: app, Post: f.adaPost, ID: f.bobOnAda}); err != nil {
				return err
			}
			_, err := f.w.svc.UpdateComment(as(bob), service.CommentRef{App: app, Post: f.adaPost, ID: f.bobOnAda}, "back")
			return err
		}},
		{name: "a photo of a post without photos", do: func(f fixture) error {
			_, _, err := f.w.svc.Photo(as(cy), app, f.adaPost, "0")
			return err
		}},
		{name: "another app's post", do: func(f fixture) error {
			_, err := f.w.docs.Post(context.Background(), "app2", f.adaPost)
			return err
		}},
	}, errs.NotFound)
}

// TestRateLimited: past a member's burst, a write waits.
func TestRateLimited(t *testing.T) {
	w := newWorld(t, service.DefaultLimits)
	for i := range service.DefaultLimits.Post.Burst {
		w.post(ada, "post "+string(rune('a'+i)))
	}
	_, err := w.svc.CreatePost(as(ada), service.CreatePostInput{App: app, Text: "one too many"})
	e, ok := errs.As(err)
	if !ok || e.Code != errs.CodeRateLimited || e.RetryAfter <= 0 {
		t.Fatalf("post past the burst: %v, want rate_limited with a wait", err)
	}
	if _, err := w.svc.CreatePost(as(bob), service.CreatePostInput{App: app, Text: "mine"}); err != nil {
		t.Errorf("another member's post: %v", err)
	}
}

func isKind(err error, k errs.Kind) bool { return err != nil && errs.KindOf(err) == k }

// feed reads a whole feed as member.
func feed(t *testing.T, w *world, member string, f service.Feed) []string {
	t.Helper()
	items, _, err := w.svc.Feed(as(member), app, f, "", social.MaxPageSize)
	if err != nil {
		t.Fatalf("feed %v: %v", f, err)
	}
	var ids []string
	for _, it := range items {
		ids = append(ids, it.Doc.ID)
	}
	return ids
}
