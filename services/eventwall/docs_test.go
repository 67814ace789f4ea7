package eventwall_test

import (
	"flag"
	"testing"

	"github.com/attendify/eventwall"
	"github.com/attendify/eventwall/internal/walltest"
	"github.com/attendify/platform/auth"
	"github.com/attendify/platform/rpc"
	"github.com/attendify/platform/rpc/rpcdoc"
	"github.com/attendify/platform/testkit"
	"github.com/attendify/social"
)

var update = flag.Bool("update", false, "rewrite docs/methods.md")

// TestMethodsDoc keeps docs/methods.md equal to what rpc.discover says and
// to what a running eventwall answers: it calls every method once, as an
// organizer's console would, and renders the calls as the examples. Run
// `go test -run TestMethodsDoc -update` after changing a method.
func TestMethodsDoc(t *testing.T) {
	env := walltest.Start(t, walltest.Options{})
	ctx := testkit.Context(t)
	ev := env.NewEvent("Summit")
	app := env.CreateApp(ev)
	owner := env.AddMember(app, "Olive Owner", auth.RoleOwner)
	ada := env.AddMember(app, "Ada Lovelace", auth.RoleAttendee)
	octx := owner.Ctx(ctx)
	rec := rpcdoc.NewRecorder()
	c := rec.Client(t, env.URL, nil)
	call := func(_ any, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}

	private := false // a screen key to rotate
	w, err := eventwall.CreateWall.Call(octx, c, eventwall.CreateWallParams{AppRef: rpc.AppRef{App: app}, EventID: ev.ID,
		Title: "Summit wall", Public: &private, Moderation: &eventwall.Moderation{Mode: eventwall.ModerationManual}})
	if err != nil {
		t.Fatal(err)
	}
	ref := eventwall.WallRef{AppRef: rpc.AppRef{App: app}, WallID: w.ID}
	title := "Summit live"
	call(eventwall.UpdateWall.Call(octx, c, eventwall.UpdateWallParams{WallRef: ref, Title: &title}))
	call(eventwall.GetWall.Call(octx, c, ref))
	call(eventwall.ListWalls.Call(octx, c, eventwall.ListWallsParams{AppRef: ref.AppRef, EventID: ev.ID}))

	p1 := env.PutPost(app, walltest.Post{PostDoc: social.PostDoc{Event: ev.ID, Author: ada.ID, Text: "Nice talk", Hashtags: []string{"talk"}}})
	p2 := env.PutPost(app, walltest.Post{PostDoc: social.PostDoc{Event: ev.ID, Author: ada.ID, Text: "meh"}})
	testkit.Eventually(t, "two posts waiting", func() bool {
		q, err := eventwall.GetQueue.Call(octx, env.Client, eventwall.QueueParams{WallRef: ref})
		return err == nil && q.Total == 2
	})
	q, err := eventwall.GetQueue.Call(octx, c, eventwall.QueueParams{WallRef: ref, Limit: 10})
	call(q, err)
	var seen []eventwall.PostRevision // the revision of p1 the moderator read
	for _, it := range q.Items {
		if it.Item.ID == postID(p1) {
			seen = append(seen, eventwall.PostRevision{PostID: it.Item.ID, Revision: it.Revision})
		}
	}
	call(eventwall.Approve.Call(octx, c, eventwall.ApproveParams{
		PostsParams: eventwall.PostsParams{WallRef: ref, PostIDs: []string{postID(p1)}},
		Revisions:   seen,
	}))
	call(eventwall.Reject.Call(octx, c, eventwall.PostsParams{WallRef: ref, PostIDs: []string{postID(p2)}}))
	testkit.Eventually(t, "the approved post on the wall", func() bool {
		_, err := eventwall.MarkPost.Call(octx, env.Client, eventwall.MarkParams{WallRef: ref, PostID: postID(p1), Mark: eventwall.MarkPin})
		return err == nil
	})
	call(eventwall.MarkPost.Call(octx, c, eventwall.MarkParams{WallRef: ref, PostID: postID(p1), Mark: eventwall.MarkHighlight}))
	call(eventwall.BlockAuthor.Call(octx, c, eventwall.AuthorParams{WallRef: ref, MemberID: ada.ID}))
	call(eventwall.UnblockAuthor.Call(octx, c, eventwall.AuthorParams{WallRef: ref, MemberID: ada.ID}))
	call(eventwall.PauseWall.Call(octx, c, ref))
	call(eventwall.ResumeWall.Call(octx, c, ref))
	call(eventwall.RotateKey.Call(octx, c, ref))
	call(eventwall.RotateToken.Call(octx, c, ref))
	call(eventwall.DeleteWall.Call(octx, c, ref))

	rpcdoc.Generate(t, rpcdoc.Doc{
		Service:    "eventwall",
		Discovery:  rpcdoc.Discover(t, env.URL),
		Recorder:   rec,
		Regenerate: "go test -run TestMethodsDoc -update (in services/eventwall)",
	}, "docs/methods.md", *update)
}
