package social_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/attendify/hub"
	"github.com/attendify/hub/readmodeltest"
	"github.com/attendify/platform/auth"
	"github.com/attendify/platform/errs"
	"github.com/attendify/platform/rpc"
	"github.com/attendify/platform/testkit"
	"github.com/attendify/social"
	"github.com/attendify/social/internal/socialtest"
)

// TestRestrictedEventAccess: a "listed" event's feed, posts, comments,
// reactions and photos are for its registered members and the organizers
// (hub's rule, read from hub's read model); the app, hashtag, member and
// session feeds leave its posts out for everyone else.
func TestRestrictedEventAccess(t *testing.T) {
	env := socialtest.Start(t, socialtest.Options{})
	ctx := testkit.Context(t)
	c := env.Client
	open := env.NewEvent("Main conference")
	vip := env.NewEvent("VIP day")
	vip.Access = hub.EventAccessListed
	app := env.CreateApp(open, vip)
	ref := rpc.AppRef{App: app}
	ada := env.AddMember(app, "Ada", auth.RoleAttendee) // registered to the VIP day
	bob := env.AddMember(app, "Bob", auth.RoleAttendee) // not registered
	org := env.AddMember(app, "Olga", auth.RoleCollaborator)
	// The feeds below name the authors, which come with hub's member
	// events, consumed on their own.
	testkit.Eventually(t, "profiles consumed", func() bool {
		return countProfiles(t, env, app, ada, bob) == 2
	})
	env.Register(ada, vip.ID)

	// Ada posts in the VIP day, with a photo, a hashtag and in a session
	// thread; Bob posts in the main conference.
	photo := upload(t, env, ada, app, "image/png", pngImage(64, 64))
	secret, err := social.CreatePost.Call(ada.Ctx(ctx), c, social.CreatePostParams{AppRef: ref, EventID: vip.ID,
		Text: "Dinner at eight #insider", PhotoIDs: []string{photo.PhotoID}})
	if err != nil {
		t.Fatalf("a registered member posts in the listed event: %v", err)
	}
	session := env.NewID()
	thread, err := social.CreatePost.Call(ada.Ctx(ctx), c, social.CreatePostParams{AppRef: ref, EventID: vip.ID, SessionID: session, Text: "Slides #insider"})
	if err != nil {
		t.Fatalf("session thread of the listed event: %v", err)
	}
	public, err := social.CreatePost.Call(bob.Ctx(ctx), c, social.CreatePostParams{AppRef: ref, EventID: open.ID, Text: "Hello #insider"})
	if err != nil {
		t.Fatal(err)
	}

	// Bob is refused the event's feed and writing in it, with a clear error.
	forbidden := func(what string, err error) {
		t.Helper()
		e, ok := errs.As(err)
		if !ok || e.Code != errs.CodeForbidden || e.Msg != "register to this event to see it" {
			t.Errorf("%s: %v, want forbidden (register to this event)", what, err)
		}
	}
	_, err = social.GetFeed.Call(bob.Ctx(ctx), c, social.FeedParams{AppRef: ref, Kind: social.FeedEvent, ID: vip.ID})
	forbidden("event feed", err)
	_, err = social.CreatePost.Call(bob.Ctx(ctx), c, social.CreatePostParams{AppRef: ref, EventID: vip.ID, Text: "let me in"})
	forbidden("post in the event", err)
	_, err = social.GetPost.Call(bob.Ctx(ctx), c, social.PostParams{AppRef: ref, PostID: secret.ID})
	forbidden("read a post by id", err)
	_, err = social.CreateComment.Call(bob.Ctx(ctx), c, social.CreateCommentParams{AppRef: ref, PostID: secret.ID, Text: "hi"})
	forbidden("comment", err)
	_, err = social.ListComments.Call(bob.Ctx(ctx), c, social.ListCommentsParams{AppRef: ref, PostID: secret.ID})
	forbidden("read comments", err)
	_, err = social.React.Call(bob.Ctx(ctx), c, social.ReactParams{AppRef: ref, PostID: secret.ID, Reaction: social.ReactionLike})
	forbidden("react", err)
	resp, err := env.HTTP(bob, http.MethodGet, secret.Photos[0].URL, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("photo of a listed event's post: %s, want 403", resp.Status)
	}

	// The feeds that mix events leave the listed event's posts out for Bob.
	summary := func(m socialtest.Member, kind, id string) []string {
		t.Helper()
		return feedSummary(t, ctx, env, m, app, kind, id)
	}
	item := func(p social.Post, by string) string { return p.ID + " by " + by + " likes=0 comments=0 mine=" }
	bobSees := map[string][]string{
		"app":     {item(public, "Bob")},
		"hashtag": {item(public, "Bob")},
		"member":  {},
		"session": {},
	}
	allSee := map[string][]string{
		"app":     {item(public, "Bob"), item(secret, "Ada")},
		"hashtag": {item(public, "Bob"), item(thread, "Ada"), item(secret, "Ada")},
		"member":  {item(thread, "Ada"), item(secret, "Ada")},
		"session": {item(thread, "Ada")},
	}
	feeds := func(m socialtest.Member) map[string][]string {
		return map[string][]string{
			"app":     summary(m, social.FeedApp, ""),
			"hashtag": summary(m, social.FeedHashtag, "insider"),
			"member":  summary(m, social.FeedMember, ada.ID),
			"session": summary(m, social.FeedSession, session),
		}
	}
	if diff := cmp.Diff(bobSees, feeds(bob)); diff != "" {
		t.Errorf("Bob's feeds (-want +got):\n%s", diff)
	}
	// Ada (registered) and the organizer see everything.
	for _, m := range []socialtest.Member{ada, org} {
		if diff := cmp.Diff(allSee, feeds(m)); diff != "" {
			t.Errorf("%s's feeds (-want +got):\n%s", m.Name, diff)
		}
		if got := summary(m, social.FeedEvent, vip.ID); !cmp.Equal(got, []string{item(secret, "Ada")}) {
			t.Errorf("%s's event feed: %v", m.Name, got)
		}
		if _, err := social.GetPost.Call(m.Ctx(ctx), c, social.PostParams{AppRef: ref, PostID: secret.ID}); err != nil {
			t.Errorf("%s reads the post: %v", m.Name, err)
		}
	}
	if _, err := social.CreateComment.Call(ada.Ctx(ctx), c, social.CreateCommentParams{AppRef: ref, PostID: secret.ID, Text: "See you"}); err != nil {
		t.Errorf("a registered member comments: %v", err)
	}

	// Registered by an organizer now (hub rewrites its read model), Bob
	// reads the event; unregistered again, he no longer does.
	env.Register(bob, vip.ID)
	if got := summary(bob, social.FeedEvent, vip.ID); len(got) != 1 {
		t.Errorf("Bob registered, event feed: %v", got)
	}
	if _, err := social.React.Call(bob.Ctx(ctx), c, social.ReactParams{AppRef: ref, PostID: secret.ID, Reaction: social.ReactionLike}); err != nil {
		t.Errorf("Bob registered, reacts: %v", err)
	}
	env.Unregister(bob, vip.ID)
	_, err = social.GetFeed.Call(bob.Ctx(ctx), c, social.FeedParams{AppRef: ref, Kind: social.FeedEvent, ID: vip.ID})
	forbidden("event feed after unregistration", err)

	// When the organizers open the event to all, Bob reads it.
	vip.Access = hub.EventAccessOpen
	env.SetEvents(app, open, vip)
	if got := summary(bob, social.FeedApp, ""); len(got) != 2 {
		t.Errorf("app feed once the event is open: %v", got)
	}
}

// TestRestrictedEventNotifications: nobody is notified about a post of an
// event they may not read (mentions, comments and likes on their post), and
// a notification whose post the reader can no longer read leaves their list
// and their unread count.
func TestRestrictedEventNotifications(t *testing.T) {
	env := socialtest.Start(t, socialtest.Options{})
	ctx := testkit.Context(t)
	c := env.Client
	vip := env.NewEvent("VIP day")
	vip.Access = hub.EventAccessListed
	app := env.CreateApp(vip)
	ref := rpc.AppRef{App: app}
	ada := env.AddMember(app, "Ada", auth.RoleAttendee) // registered
	bob := env.AddMember(app, "Bob", auth.RoleAttendee) // not registered
	cy := env.AddMember(app, "Cy", auth.RoleAttendee)   // registered
	env.Register(ada, vip.ID)
	env.Register(cy, vip.ID)

	type note struct{ Kind, Actor string }
	notes := func(m readmodeltest.Member) ([]note, int64) {
		t.Helper()
		p, err := social.ListNotifications.Call(m.Ctx(ctx), c, social.ListNotificationsParams{AppRef: ref})
		if err != nil {
			t.Fatalf("%s's notifications: %v", m.Name, err)
		}
		var got []note
		for _, n := range p.Items {
			got = append(got, note{n.Kind, n.Actor.ID})
		}
		return got, p.Unread
	}
	check := func(m readmodeltest.Member, want []note, unread int64) {
		t.Helper()
		got, n := notes(m)
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s's notifications (-want +got):\n%s", m.Name, diff)
		}
		u, err := social.UnreadNotifications.Call(m.Ctx(ctx), c, ref)
		if err != nil {
			t.Fatalf("%s's unread count: %v", m.Name, err)
		}
		if n != unread || u.Unread != unread {
			t.Errorf("%s's unread count: %d in the list, %d by notification.unread, want %d", m.Name, n, u.Unread, unread)
		}
	}

	// Ada mentions Bob and Cy in a post of the VIP day, Cy mentions Bob in
	// a comment: only Cy, and Ada for the comment, are told.
	post, err := social.CreatePost.Call(ada.Ctx(ctx), c, social.CreatePostParams{AppRef: ref, EventID: vip.ID,
		Text: "Dinner with @[Bob](" + bob.ID + ") and @[Cy](" + cy.ID + ")"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := social.CreateComment.Call(cy.Ctx(ctx), c, social.CreateCommentParams{AppRef: ref, PostID: post.ID,
		Text: "Bring @[Bob](" + bob.ID + ")"}); err != nil {
		t.Fatal(err)
	}
	check(bob, nil, 0)
	check(cy, []note{{social.NotifyMentioned, ada.ID}}, 1)
	check(ada, []note{{social.NotifyCommented, cy.ID}}, 1)

	// Cy, unregistered, no longer sees the notification of a post he
	// cannot open, nor counts it unread; registered again, he lists it
	// read. Ada's post, once she is unregistered, gets no "liked".
	env.Unregister(cy, vip.ID)
	check(cy, nil, 0)
	env.Register(cy, vip.ID)
	check(cy, []note{{social.NotifyMentioned, ada.ID}}, 0)
	env.Register(bob, vip.ID)
	env.Unregister(ada, vip.ID)
	if _, err := social.React.Call(bob.Ctx(ctx), c, social.ReactParams{AppRef: ref, PostID: post.ID, Reaction: social.ReactionLike}); err != nil {
		t.Fatal(err)
	}
	env.Register(ada, vip.ID)
	check(ada, []note{{social.NotifyCommented, cy.ID}}, 1)
}

// TestMembersOnly: a signed-in user of the app who is not a member, and a
// member blocked in hub, are refused every read and write, the photo
// routes included (hub's read model, written with readmodeltest); a
// member unblocked in hub is let in again.
func TestMembersOnly(t *testing.T) {
	env := socialtest.Start(t, socialtest.Options{})
	ctx := testkit.Context(t)
	c := env.Client
	app := env.CreateApp()
	ref := rpc.AppRef{App: app}
	ada := env.AddMember(app, "Ada", auth.RoleAttendee)
	bob := env.AddMember(app, "Bob", auth.RoleAttendee)
	post, err := social.CreatePost.Call(ada.Ctx(ctx), c, social.CreatePostParams{AppRef: ref, Text: "hello",
		PhotoIDs: []string{upload(t, env, ada, app, "image/png", pngImage(32, 32)).PhotoID}})
	if err != nil {
		t.Fatal(err)
	}
	// A user of the app (a valid token) with no membership in hub's read
	// model.
	issuer, err := env.Config.Service.Auth.Issuer()
	if err != nil {
		t.Fatal(err)
	}
	stranger := socialtest.Member{ID: env.NewID(), App: app, Role: auth.RoleAttendee, Name: "Stranger"}
	if stranger.Token, err = issuer.Issue(auth.Claims{User: stranger.ID, App: app, Role: stranger.Role}, time.Hour); err != nil {
		t.Fatal(err)
	}

	calls := []struct {
		name string
		call func(m socialtest.Member) error
	}{
		{"feed.get", func(m socialtest.Member) error {
			_, err := social.GetFeed.Call(m.Ctx(ctx), c, social.FeedParams{AppRef: ref, Kind: social.FeedApp})
			return err
		}},
		{"post.get", func(m socialtest.Member) error {
			_, err := social.GetPost.Call(m.Ctx(ctx), c, social.PostParams{AppRef: ref, PostID: post.ID})
			return err
		}},
		{"post.create", func(m socialtest.Member) error {
			_, err := social.CreatePost.Call(m.Ctx(ctx), c, social.CreatePostParams{AppRef: ref, Text: "let me in"})
			return err
		}},
		{"comment.create", func(m socialtest.Member) error {
			_, err := social.CreateComment.Call(m.Ctx(ctx), c, social.CreateCommentParams{AppRef: ref, PostID: post.ID, Text: "hi"})
			return err
		}},
		{"comment.list", func(m socialtest.Member) error {
			_, err := social.ListComments.Call(m.Ctx(ctx), c, social.ListCommentsParams{AppRef: ref, PostID: post.ID})
			return err
		}},
		{"reaction.set", func(m socialtest.Member) error {
			_, err := social.React.Call(m.Ctx(ctx), c, social.ReactParams{AppRef: ref, PostID: post.ID, Reaction: social.ReactionLike})
			return err
		}},
		{"notification.list", func(m socialtest.Member) error {
			_, err := social.ListNotifications.Call(m.Ctx(ctx), c, social.ListNotificationsParams{AppRef: ref})
			return err
		}},
		{"post.report", func(m socialtest.Member) error {
			_, err := social.ReportPost.Call(m.Ctx(ctx), c, social.ReportParams{AppRef: ref, PostID: post.ID, Reason: social.ReasonSpam})
			return err
		}},
		{"photo upload", func(m socialtest.Member) error {
			return httpErr(env.HTTP(m, http.MethodPost, "/apps/"+app+"/photos", "image/png", pngImage(16, 16)))
		}},
		{"photo", func(m socialtest.Member) error {
			return httpErr(env.HTTP(m, http.MethodGet, post.Photos[0].URL, "", nil))
		}},
	}
	refused := func(who string, m socialtest.Member, msg string) {
		t.Helper()
		for _, tt := range calls {
			e, ok := errs.As(tt.call(m))
			if !ok || e.Code != errs.CodeForbidden || e.Msg != msg {
				t.Errorf("%s, %s: %v, want forbidden (%s)", who, tt.name, e, msg)
			}
		}
	}
	refused("not a member", stranger, "not a member of this app")

	env.SetMembership(bob, true) // blocked in hub
	refused("blocked in hub", bob, "this member is blocked")

	env.SetMembership(bob, false)
	for _, tt := range calls {
		if err := tt.call(bob); err != nil {
			t.Errorf("unblocked, %s: %v", tt.name, err)
		}
	}
}

// httpErr turns the answer of a photo route into the error it carries (nil
// for a success): {"error": <a JSON-RPC error object>}.
func httpErr(resp *http.Response, err error) error {
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode < 300 {
		return nil
	}
	var body struct {
		Error struct {
			Code    errs.Code `json:"code"`
			Message string    `json:"message"`
			Data    struct {
				RetryAfterMS int64 `json:"retry_after_ms"`
			} `json:"data"`
		} `json:"error"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		return fmt.Errorf("HTTP %s: %w", resp.Status, err)
	}
	return &errs.Error{Code: body.Error.Code, Msg: body.Error.Message,
		RetryAfter: time.Duration(body.Error.Data.RetryAfterMS) * time.Millisecond}
}

// TestDeleteInAHiddenEvent: a member not registered to a hidden event who
// names one of its posts or comments to delete is answered as post.get
// answers them, not found, never forbidden (which would say that it
// exists).
func TestDeleteInAHiddenEvent(t *testing.T) {
	env := socialtest.Start(t, socialtest.Options{})
	ctx := testkit.Context(t)
	c := env.Client
	board := env.NewEvent("Board meeting")
	board.Visibility = hub.VisibilityHidden
	app := env.CreateApp(env.NewEvent("Main conference"), board)
	ref := rpc.AppRef{App: app}
	ada := env.AddMember(app, "Ada", auth.RoleAttendee) // registered to the board meeting
	bob := env.AddMember(app, "Bob", auth.RoleAttendee) // not registered
	env.Register(ada, board.ID)
	post, err := social.CreatePost.Call(ada.Ctx(ctx), c, social.CreatePostParams{AppRef: ref, EventID: board.ID, Text: "Minutes"})
	if err != nil {
		t.Fatal(err)
	}
	comment, err := social.CreateComment.Call(ada.Ctx(ctx), c, social.CreateCommentParams{AppRef: ref, PostID: post.ID, Text: "Approved"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := social.GetPost.Call(bob.Ctx(ctx), c, social.PostParams{AppRef: ref, PostID: post.ID}); errs.CodeOf(err) != errs.CodeNotFound {
		t.Fatalf("post.get of a hidden event's post: %v, want not found", err)
	}
	if _, err := social.DeletePost.Call(bob.Ctx(ctx), c, social.PostParams{AppRef: ref, PostID: post.ID}); errs.CodeOf(err) != errs.CodeNotFound {
		t.Errorf("post.delete of a hidden event's post: %v, want not found", err)
	}
	if _, err := social.DeleteComment.Call(bob.Ctx(ctx), c, social.CommentParams{AppRef: ref, PostID: post.ID, CommentID: comment.ID}); errs.CodeOf(err) != errs.CodeNotFound {
		t.Errorf("comment.delete in a hidden event's post: %v, want not found", err)
	}
	if p, err := social.GetPost.Call(ada.Ctx(ctx), c, social.PostParams{AppRef: ref, PostID: post.ID}); err != nil || p.Text != "Minutes" || p.CommentCount != 1 {
		t.Errorf("the post after the refused deletes: %+v, %v", p, err)
	}
}
