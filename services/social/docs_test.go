package social_test

import (
	"flag"
	"testing"

	"github.com/attendify/hub"
	"github.com/attendify/platform/auth"
	"github.com/attendify/platform/rpc"
	"github.com/attendify/platform/rpc/rpcdoc"
	"github.com/attendify/platform/testkit"
	"github.com/attendify/social"
	"github.com/attendify/social/internal/socialtest"
)

var update = flag.Bool("update", false, "rewrite docs/methods.md")

// TestMethodsDoc keeps docs/methods.md equal to what rpc.discover says and
// to what a running social answers: it calls every method once, as the
// attendees' and moderators' apps would, and renders the calls as the
// examples. Run `go test -run TestMethodsDoc -update` after changing a method.
func TestMethodsDoc(t *testing.T) {
	env := socialtest.Start(t, socialtest.Options{})
	ctx := testkit.Context(t)
	ev := hub.EventInfo{ID: env.NewID(), Name: "GopherCon", TimeZone: "UTC", Visibility: hub.VisibilityPublic, Access: hub.EventAccessOpen}
	app := env.CreateApp(ev)
	ada := env.AddMember(app, "Ada", auth.RoleAttendee)
	bob := env.AddMember(app, "Bob", auth.RoleAttendee)
	mod := env.AddMember(app, "Mo", auth.RoleModerator)
	testkit.Eventually(t, "profiles consumed", func() bool { return countProfiles(t, env, app, ada, bob) == 2 })
	rec := rpcdoc.NewRecorder()
	c := rec.Client(t, env.URL, nil)
	call := func(_ any, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	ref := rpc.AppRef{App: app}
	actx, bctx, mctx := ada.Ctx(ctx), bob.Ctx(ctx), mod.Ctx(ctx)

	post, err := social.CreatePost.Call(actx, c, social.CreatePostParams{AppRef: ref, EventID: ev.ID,
		Text: "Hello #GopherCon! Meet @[Bob](" + bob.ID + ") at the booth"})
	if err != nil {
		t.Fatal(err)
	}
	pref := social.PostParams{AppRef: ref, PostID: post.ID}
	call(social.UpdatePost.Call(actx, c, social.UpdatePostParams{AppRef: ref, PostID: post.ID, Text: "Hello #GopherCon! Meet @[Bob](" + bob.ID + ") at booth 12"}))
	call(social.GetPost.Call(bctx, c, pref))
	call(social.GetFeed.Call(bctx, c, social.FeedParams{AppRef: ref, Kind: social.FeedEvent, ID: ev.ID, Limit: 10}))
	call(social.React.Call(bctx, c, social.ReactParams{AppRef: ref, PostID: post.ID, Reaction: social.ReactionClap}))
	call(social.Unreact.Call(bctx, c, pref))
	cm, err := social.CreateComment.Call(bctx, c, social.CreateCommentParams{AppRef: ref, PostID: post.ID, Text: "See you there"})
	if err != nil {
		t.Fatal(err)
	}
	call(social.UpdateComment.Call(bctx, c, social.UpdateCommentParams{AppRef: ref, PostID: post.ID, CommentID: cm.ID, Text: "See you there!"}))
	call(social.ListComments.Call(actx, c, social.ListCommentsParams{AppRef: ref, PostID: post.ID, Limit: 10}))
	call(social.DeleteComment.Call(bctx, c, social.CommentParams{AppRef: ref, PostID: post.ID, CommentID: cm.ID}))

	// Bob was mentioned: a notification.
	testkit.Eventually(t, "Bob's notification", func() bool {
		n, err := social.UnreadNotifications.Call(bctx, env.Client, ref)
		return err == nil && n.Unread == 1
	})
	call(social.UnreadNotifications.Call(bctx, c, ref))
	call(social.ListNotifications.Call(bctx, c, social.ListNotificationsParams{AppRef: ref, Limit: 10}))
	call(social.MarkNotificationsRead.Call(bctx, c, social.MarkReadParams{AppRef: ref, All: true}))

	// Moderation.
	call(social.ReportPost.Call(bctx, c, social.ReportParams{AppRef: ref, PostID: post.ID, Reason: social.ReasonSpam, Note: "an ad"}))
	call(social.ReportQueueGet.Call(mctx, c, social.QueueParams{AppRef: ref, Limit: 10}))
	call(social.HidePosts.Call(mctx, c, social.ModeratePostsParams{AppRef: ref, PostIDs: []string{post.ID}, Reason: "spam"}))
	call(social.UnhidePosts.Call(mctx, c, social.ModeratePostsParams{AppRef: ref, PostIDs: []string{post.ID}}))
	call(social.BlockMember.Call(mctx, c, social.BlockParams{AppRef: ref, MemberID: ada.ID, Reason: "spam"}))
	call(social.UnblockMember.Call(mctx, c, social.BlockParams{AppRef: ref, MemberID: ada.ID}))
	other, err := social.CreatePost.Call(bctx, c, social.CreatePostParams{AppRef: ref, EventID: ev.ID, Text: "Lunch?"})
	if err != nil {
		t.Fatal(err)
	}
	call(social.DeletePosts.Call(mctx, c, social.ModeratePostsParams{AppRef: ref, PostIDs: []string{other.ID}}))
	call(social.DeletePost.Call(actx, c, pref))

	rpcdoc.Generate(t, rpcdoc.Doc{
		Service:    "social",
		Discovery:  rpcdoc.Discover(t, env.URL),
		Recorder:   rec,
		Regenerate: "go test -run TestMethodsDoc -update (in services/social)",
	}, "docs/methods.md", *update)
}
