package social_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"io"
	"net/http"
	"slices"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/attendify/hub"
	"github.com/attendify/platform/auth"
	"github.com/attendify/platform/errs"
	"github.com/attendify/platform/events"
	"github.com/attendify/platform/rpc"
	"github.com/attendify/platform/testkit"
	"github.com/attendify/social"
	"github.com/attendify/social/internal/service"
	"github.com/attendify/social/internal/socialtest"
	"github.com/attendify/social/internal/testimage"
)

// TestSmallEvent plays a small event end to end through the JSON-RPC API and
// the photo routes: members post with photos, comment, react and mention;
// a moderator hides and blocks; feeds, counts and notifications read right
// throughout, and the same after social's Redis keys are dropped.
func TestSmallEvent(t *testing.T) {
	env := socialtest.Start(t, socialtest.Options{})
	ctx := testkit.Context(t)
	ev := hub.EventInfo{ID: env.NewID(), Name: "GopherCon", TimeZone: "UTC", Visibility: hub.VisibilityPublic, Access: hub.EventAccessOpen}
	app := env.CreateApp(ev)
	ada := env.AddMember(app, "Ada", auth.RoleAttendee)
	bob := env.AddMember(app, "Bob", auth.RoleAttendee)
	cy := env.AddMember(app, "Cy", auth.RoleAttendee)
	mod := env.AddMember(app, "Mo", auth.RoleModerator)
	c := env.Client

	// Profiles arrive through hub's member events.
	testkit.Eventually(t, "profiles consumed", func() bool {
		return countProfiles(t, env, app, ada, bob, cy) == 3
	})

	// Ada uploads two photos and posts them in the event, mentioning Bob.
	photo1 := upload(t, env, ada, app, "image/png", pngImage(800, 600))
	photo2 := upload(t, env, ada, app, "image/jpeg", jpegImage(300, 900))
	post, err := social.CreatePost.Call(ada.Ctx(ctx), c, social.CreatePostParams{
		AppRef: rpc.AppRef{App: app}, EventID: ev.ID,
		Text:     "Hello #GopherCon! Meet @[Bob](" + bob.ID + ") at the #gophercon booth #go_2025",
		PhotoIDs: []string{photo1.PhotoID, photo2.PhotoID},
	})
	if err != nil {
		t.Fatalf("post.create: %v", err)
	}
	if diff := cmp.Diff([]string{"gophercon", "go_2025"}, post.Hashtags); diff != "" {
		t.Errorf("hashtags (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]social.Mention{{MemberID: bob.ID, Name: "Bob"}}, post.Mentions); diff != "" {
		t.Errorf("mentions (-want +got):\n%s", diff)
	}
	if len(post.Photos) != 2 || post.Photos[0].Width != 800 || post.Photos[1].ContentType != "image/jpeg" {
		t.Fatalf("photos = %+v", post.Photos)
	}
	if post.Author.Name != "Ada" || post.Author.Company != "Acme" {
		t.Errorf("author = %+v", post.Author)
	}
	// The photo and its thumbnail are served to members.
	thumb := get(t, env, bob, post.Photos[0].ThumbURL)
	if cfg, _, err := image.DecodeConfig(bytes.NewReader(thumb)); err != nil || cfg.Width != social.ThumbSize || cfg.Height != 240 {
		t.Errorf("thumbnail: %v %+v", err, cfg)
	}
	if full := get(t, env, bob, post.Photos[1].URL); !bytes.Equal(full, jpegImage(300, 900)) {
		t.Errorf("the photo served differs from the one uploaded (%d bytes)", len(full))
	}

	// Reactions: idempotent, changeable, counted.
	react := func(m socialtest.Member, kind string) social.ReactionState {
		t.Helper()
		st, err := social.React.Call(m.Ctx(ctx), c, social.ReactParams{AppRef: rpc.AppRef{App: app}, PostID: post.ID, Reaction: kind})
		if err != nil {
			t.Fatalf("%s reacts %s: %v", m.Name, kind, err)
		}
		return st
	}
	react(bob, social.ReactionLike)
	if st := react(bob, social.ReactionLike); st.ReactionCount != 1 || st.MyReaction != "like" {
		t.Errorf("after a repeated like: %+v", st)
	}
	react(cy, social.ReactionLove)
	st := react(bob, social.ReactionClap)
	if diff := cmp.Diff(map[string]int64{"clap": 1, "love": 1}, st.Reactions); diff != "" || st.ReactionCount != 2 {
		t.Errorf("reactions (-want +got):\n%s (reaction_count %d)", diff, st.ReactionCount)
	}
	// On the wire: a count per kind, reaction_count their sum, and
	// like_count, its deprecated alias, still sent for one release.
	raw, err := rpc.Method[social.PostParams, map[string]any]{Name: social.GetPost.Name, Auth: auth.Member}.Call(
		cy.Ctx(ctx), c, social.PostParams{AppRef: rpc.AppRef{App: app}, PostID: post.ID})
	if err != nil {
		t.Fatal(err)
	}
	wire := map[string]any{"reactions": raw["reactions"], "reaction_count": raw["reaction_count"], "like_count": raw["like_count"]}
	if diff := cmp.Diff(map[string]any{"reactions": map[string]any{"clap": 1.0, "love": 1.0}, "reaction_count": 2.0, "like_count": 2.0}, wire); diff != "" {
		t.Errorf("post.get's counts on the wire (-want +got):\n%s", diff)
	}

	// Bob comments, mentioning Cy.
	cm, err := social.CreateComment.Call(bob.Ctx(ctx), c, social.CreateCommentParams{
		AppRef: rpc.AppRef{App: app}, PostID: post.ID, Text: "Great talk, @[Cy](" + cy.ID + ")",
	})
	if err != nil {
		t.Fatalf("comment.create: %v", err)
	}
	if cm.Author.Name != "Bob" || len(cm.Mentions) != 1 {
		t.Errorf("comment = %+v", cm)
	}

	// A session thread stays out of the app and event feeds.
	session := env.NewID()
	thread, err := social.CreatePost.Call(cy.Ctx(ctx), c, social.CreatePostParams{
		AppRef: rpc.AppRef{App: app}, EventID: ev.ID, SessionID: session, Text: "Slides, anyone?",
	})
	if err != nil {
		t.Fatalf("session post: %v", err)
	}

	// Ada edits her post to mention Cy too: only Cy is notified of it.
	edited, err := social.UpdatePost.Call(ada.Ctx(ctx), c, social.UpdatePostParams{
		AppRef: rpc.AppRef{App: app}, PostID: post.ID, Text: post.Text + " with @[Cy](" + cy.ID + ")",
	})
	if err != nil || edited.EditedAt == nil || len(edited.Mentions) != 2 || len(edited.Photos) != 2 {
		t.Fatalf("post.update: %+v %v", edited, err)
	}
	if _, err := social.UpdatePost.Call(bob.Ctx(ctx), c, social.UpdatePostParams{AppRef: rpc.AppRef{App: app}, PostID: post.ID, Text: "mine now"}); errs.CodeOf(err) != errs.CodeForbidden {
		t.Errorf("editing another's post: %v, want forbidden", err)
	}

	feed := func(m socialtest.Member, kind, id string) []string {
		t.Helper()
		return feedSummary(t, ctx, env, m, app, kind, id)
	}
	adaPost := fmt.Sprintf("%s by Ada likes=2 comments=1", post.ID)
	wantFeeds := map[string][]string{
		"app":              {adaPost + " mine=clap"},
		"event":            {adaPost + " mine=clap"},
		"hashtag":          {adaPost + " mine=clap"},
		"member":           {adaPost + " mine=clap"},
		"session":          {fmt.Sprintf("%s by Cy likes=0 comments=0 mine=", thread.ID)},
		"hashtag(cy sees)": {adaPost + " mine=love"},
	}
	readFeeds := func() map[string][]string {
		return map[string][]string{
			"app":              feed(bob, social.FeedApp, ""),
			"event":            feed(bob, social.FeedEvent, ev.ID),
			"hashtag":          feed(bob, social.FeedHashtag, "#GopherCon"),
			"member":           feed(bob, social.FeedMember, ada.ID),
			"session":          feed(bob, social.FeedSession, session),
			"hashtag(cy sees)": feed(cy, social.FeedHashtag, "gophercon"),
		}
	}
	if diff := cmp.Diff(wantFeeds, readFeeds()); diff != "" {
		t.Errorf("feeds (-want +got):\n%s", diff)
	}

	// Notifications: Ada was reacted to twice and commented on; Bob and Cy
	// were mentioned.
	notes := func(m socialtest.Member) (int64, []string) {
		t.Helper()
		p, err := social.ListNotifications.Call(m.Ctx(ctx), c, social.ListNotificationsParams{AppRef: rpc.AppRef{App: app}})
		if err != nil {
			t.Fatalf("notification.list: %v", err)
		}
		var kinds []string
		for _, n := range p.Items {
			kinds = append(kinds, n.Kind+" by "+n.Actor.Name)
		}
		slices.Sort(kinds)
		return p.Unread, kinds
	}
	wantNotes := map[string][]string{
		"Ada": {"commented by Bob", "liked by Bob", "liked by Cy"},
		"Bob": {"mentioned by Ada"},
		"Cy":  {"mentioned by Ada", "mentioned by Bob"},
	}
	for _, m := range []socialtest.Member{ada, bob, cy} {
		unread, kinds := notes(m)
		if diff := cmp.Diff(wantNotes[m.Name], kinds); diff != "" || unread != int64(len(kinds)) {
			t.Errorf("%s's notifications (-want +got):\n%s (unread %d)", m.Name, diff, unread)
		}
	}
	if u, err := social.MarkNotificationsRead.Call(ada.Ctx(ctx), c, social.MarkReadParams{AppRef: rpc.AppRef{App: app}, All: true}); err != nil || u.Unread != 0 {
		t.Errorf("mark read: %+v %v", u, err)
	}

	// Redis is a cache: after social's keys are gone, everything reads the
	// same, rebuilt from CouchDB and the ledger.
	env.DropSocialKeys()
	if diff := cmp.Diff(wantFeeds, readFeeds()); diff != "" {
		t.Errorf("feeds after the Redis index was dropped (-want +got):\n%s", diff)
	}
	if unread, kinds := notes(bob); unread != 1 || len(kinds) != 1 {
		t.Errorf("Bob's notifications after the drop: %d %v", unread, kinds)
	}
	// Counters keep counting after the rebuild.
	if st := react(ada, social.ReactionWow); st.ReactionCount != 3 {
		t.Errorf("after the rebuild, likes = %d, want 3", st.ReactionCount)
	}
	if st, err := social.Unreact.Call(ada.Ctx(ctx), c, social.PostParams{AppRef: rpc.AppRef{App: app}, PostID: post.ID}); err != nil || st.ReactionCount != 2 || st.MyReaction != "" {
		t.Errorf("reaction.remove: %+v %v", st, err)
	}

	// Moderation: a report, the queue, hiding.
	if _, err := social.ReportPost.Call(cy.Ctx(ctx), c, social.ReportParams{AppRef: rpc.AppRef{App: app}, PostID: post.ID, Reason: social.ReasonSpam}); err != nil {
		t.Fatalf("post.report: %v", err)
	}
	if _, err := social.ReportQueueGet.Call(bob.Ctx(ctx), c, social.QueueParams{AppRef: rpc.AppRef{App: app}}); errs.CodeOf(err) != errs.CodeForbidden {
		t.Errorf("a member reads the queue: %v, want forbidden", err)
	}
	q, err := social.ReportQueueGet.Call(mod.Ctx(ctx), c, social.QueueParams{AppRef: rpc.AppRef{App: app}})
	if err != nil || len(q.Items) != 1 || q.Items[0].PostID != post.ID || q.Items[0].Post == nil || q.Items[0].Reason != "spam" {
		t.Fatalf("moderation.queue: %+v %v", q, err)
	}
	if r, err := social.HidePosts.Call(mod.Ctx(ctx), c, social.ModeratePostsParams{AppRef: rpc.AppRef{App: app}, PostIDs: []string{post.ID}, Reason: "spam"}); err != nil || len(r.Done) != 1 {
		t.Fatalf("moderation.hide: %+v %v", r, err)
	}
	for _, kind := range []struct{ kind, id string }{{social.FeedApp, ""}, {social.FeedEvent, ev.ID}, {social.FeedHashtag, "gophercon"}, {social.FeedMember, ada.ID}} {
		if got := feed(bob, kind.kind, kind.id); len(got) != 0 {
			t.Errorf("%s feed still shows the hidden post: %v", kind.kind, got)
		}
	}
	if _, err := social.React.Call(bob.Ctx(ctx), c, social.ReactParams{AppRef: rpc.AppRef{App: app}, PostID: post.ID, Reaction: "like"}); errs.CodeOf(err) != errs.CodeNotFound {
		t.Errorf("reacting to a hidden post: %v, want not found", err)
	}
	if q, _ := social.ReportQueueGet.Call(mod.Ctx(ctx), c, social.QueueParams{AppRef: rpc.AppRef{App: app}}); len(q.Items) != 0 {
		t.Errorf("queue after hiding: %+v", q.Items)
	}
	if _, err := social.UnhidePosts.Call(mod.Ctx(ctx), c, social.ModeratePostsParams{AppRef: rpc.AppRef{App: app}, PostIDs: []string{post.ID}}); err != nil {
		t.Fatal(err)
	}
	if got := feed(bob, social.FeedApp, ""); len(got) != 1 {
		t.Errorf("after unhide, app feed = %v", got)
	}
	// Cy reports the post again, its first report resolved by the hide:
	// the report opens again with the new reason; a repeat stays one.
	for range 2 {
		if _, err := social.ReportPost.Call(cy.Ctx(ctx), c, social.ReportParams{AppRef: rpc.AppRef{App: app}, PostID: post.ID, Reason: social.ReasonHarassment, Note: "worse now"}); err != nil {
			t.Fatalf("post.report again: %v", err)
		}
	}
	if q, err := social.ReportQueueGet.Call(mod.Ctx(ctx), c, social.QueueParams{AppRef: rpc.AppRef{App: app}}); err != nil || len(q.Items) != 1 || q.Items[0].Reason != social.ReasonHarassment || q.Items[0].Note != "worse now" {
		t.Errorf("queue after reporting a resolved report again: %+v %v", q.Items, err)
	}

	// Blocking Ada hides her posts and refuses new ones; unblocking brings
	// them back.
	if b, err := social.BlockMember.Call(mod.Ctx(ctx), c, social.BlockParams{AppRef: rpc.AppRef{App: app}, MemberID: ada.ID, Reason: "spam"}); err != nil || b.PostsHidden != 1 {
		t.Fatalf("moderation.block: %+v %v", b, err)
	}
	if got := feed(bob, social.FeedApp, ""); len(got) != 0 {
		t.Errorf("after the block, app feed = %v", got)
	}
	if _, err := social.CreatePost.Call(ada.Ctx(ctx), c, social.CreatePostParams{AppRef: rpc.AppRef{App: app}, Text: "I'm back"}); errs.CodeOf(err) != errs.CodeForbidden {
		t.Errorf("a blocked member posts: %v, want forbidden", err)
	}
	if _, err := social.UnblockMember.Call(mod.Ctx(ctx), c, social.BlockParams{AppRef: rpc.AppRef{App: app}, MemberID: ada.ID}); err != nil {
		t.Fatal(err)
	}
	if got := feed(bob, social.FeedApp, ""); len(got) != 1 {
		t.Errorf("after unblocking, app feed = %v", got)
	}

	// Another app sees nothing of this one.
	other := env.CreateApp()
	stranger := env.AddMember(other, "Stranger", auth.RoleAttendee)
	if got := feedSummary(t, ctx, env, stranger, other, social.FeedApp, ""); len(got) != 0 {
		t.Errorf("another app's feed shows %v", got)
	}
	if _, err := social.GetFeed.Call(stranger.Ctx(ctx), c, social.FeedParams{AppRef: rpc.AppRef{App: app}, Kind: social.FeedApp}); errs.CodeOf(err) != errs.CodeTokenWrongApp {
		t.Errorf("a token of another app: %v, want token_wrong_app", err)
	}
	if _, err := social.GetPost.Call(stranger.Ctx(ctx), c, social.PostParams{AppRef: rpc.AppRef{App: other}, PostID: post.ID}); errs.CodeOf(err) != errs.CodeNotFound {
		t.Errorf("another app's post by id: %v, want not found", err)
	}

	// Hub deletes Cy: her thread is anonymised.
	env.Publish(hub.EventMemberDeleted, cy, false)
	testkit.Eventually(t, "anonymised", func() bool {
		p, err := social.GetPost.Call(bob.Ctx(ctx), c, social.PostParams{AppRef: rpc.AppRef{App: app}, PostID: thread.ID})
		return err == nil && p.Author.Deleted && p.Author.ID == ""
	})

	// Others learn of it all through events.
	testkit.Eventually(t, "events published", func() bool {
		got := streamTypes(t, env, "post")
		return slices.Contains(got, social.EventPostCreated) && slices.Contains(got, social.EventPostHidden) &&
			slices.Contains(streamTypes(t, env, "like"), social.EventLikeChanged) &&
			slices.Contains(streamTypes(t, env, "comment"), social.EventCommentCreated)
	})
}

// TestFeedCursorStableWhilePostsArrive pages through a feed while new posts
// are added: no post is repeated or skipped.
func TestFeedCursorStableWhilePostsArrive(t *testing.T) {
	env := socialtest.Start(t, socialtest.Options{})
	ctx := testkit.Context(t)
	app := env.CreateApp()
	ada := env.AddMember(app, "Ada", auth.RoleAttendee)
	var want []string
	for i := range 25 {
		p, err := social.CreatePost.Call(ada.Ctx(ctx), env.Client, social.CreatePostParams{AppRef: rpc.AppRef{App: app}, Text: fmt.Sprintf("post %d", i)})
		if err != nil {
			t.Fatal(err)
		}
		want = append([]string{p.ID}, want...)
	}
	var got []string
	cursor := ""
	for page := 0; ; page++ {
		fp, err := social.GetFeed.Call(ada.Ctx(ctx), env.Client, social.FeedParams{AppRef: rpc.AppRef{App: app}, Kind: social.FeedApp, Cursor: cursor, Limit: 10})
		if err != nil {
			t.Fatal(err)
		}
		for _, it := range fp.Items {
			got = append(got, it.ID)
		}
		if page == 0 {
			if _, err := social.CreatePost.Call(ada.Ctx(ctx), env.Client, social.CreatePostParams{AppRef: rpc.AppRef{App: app}, Text: "late"}); err != nil {
				t.Fatal(err)
			}
		}
		if fp.NextCursor == "" {
			break
		}
		cursor = fp.NextCursor
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("pages (-want +got):\n%s", diff)
	}
}

// TestRateLimits: posting, commenting, reacting and uploading too fast
// answer a retryable rate_limited error with a retry delay (HTTP 429 with
// Retry-After on the upload route), each after its own burst and for the
// member who went too fast only.
func TestRateLimits(t *testing.T) {
	env := socialtest.Start(t, socialtest.Options{RateLimits: true})
	ctx := testkit.Context(t)
	app := env.CreateApp()
	ref := rpc.AppRef{App: app}
	author := env.AddMember(app, "Author", auth.RoleAttendee)
	post, err := social.CreatePost.Call(author.Ctx(ctx), env.Client, social.CreatePostParams{AppRef: ref, Text: "hello"})
	if err != nil {
		t.Fatal(err)
	}
	png := pngImage(8, 8)
	tests := []struct {
		action string
		burst  int // service.DefaultLimits
		call   func(m socialtest.Member, i int) error
	}{
		{"post", 5, func(m socialtest.Member, _ int) error {
			_, err := social.CreatePost.Call(m.Ctx(ctx), env.Client, social.CreatePostParams{AppRef: ref, Text: "spam"})
			return err
		}},
		{"comment", 10, func(m socialtest.Member, _ int) error {
			_, err := social.CreateComment.Call(m.Ctx(ctx), env.Client, social.CreateCommentParams{AppRef: ref, PostID: post.ID, Text: "spam"})
			return err
		}},
		{"reaction", 60, func(m socialtest.Member, i int) error {
			_, err := social.React.Call(m.Ctx(ctx), env.Client, social.ReactParams{AppRef: ref, PostID: post.ID, Reaction: social.Reactions[i%2]})
			return err
		}},
		{"upload", 12, func(m socialtest.Member, _ int) error {
			resp, err := env.HTTP(m, http.MethodPost, "/apps/"+app+"/photos", "image/png", png)
			if err != nil {
				return err
			}
			if resp.StatusCode == http.StatusTooManyRequests && resp.Header.Get("Retry-After") == "" {
				t.Error("upload: 429 without Retry-After")
			}
			return httpErr(resp, nil)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.action, func(t *testing.T) {
			m := env.AddMember(app, "Fast "+tt.action, auth.RoleAttendee)
			var err error
			n := 0
			for ; n < 2*tt.burst && err == nil; n++ {
				err = tt.call(m, n)
			}
			e, ok := errs.As(err)
			if !ok || e.Code != errs.CodeRateLimited || !e.Code.Retryable() || e.RetryAfter <= 0 {
				t.Fatalf("%d %ss: %v (%+v), want rate_limited with a retry delay", n, tt.action, err, e)
			}
			// The burst went through first (reactions refill two a second).
			if n <= tt.burst {
				t.Errorf("refused after %d %ss, want at least %d allowed", n-1, tt.action, tt.burst)
			}
			// Another member is not slowed down.
			if err := tt.call(env.AddMember(app, "Slow "+tt.action, auth.RoleAttendee), 0); err != nil {
				t.Errorf("another member's first %s: %v", tt.action, err)
			}
		})
	}
}

// TestPhotoUploadRefusals: what is not a photo by its content, whatever
// the request claims, or is too big, is refused; a photo is recognised by
// its content.
func TestPhotoUploadRefusals(t *testing.T) {
	env := socialtest.Start(t, socialtest.Options{})
	app := env.CreateApp()
	ada := env.AddMember(app, "Ada", auth.RoleAttendee)
	tests := []struct {
		name     string
		m        socialtest.Member
		ct       string // claimed
		body     []byte
		status   int
		wantType string // recognised
	}{
		{"text", ada, "image/png", []byte("hello, not a photo"), http.StatusBadRequest, ""},
		{"text claiming webp", ada, "image/webp", []byte("hello, not a photo"), http.StatusBadRequest, ""},
		{"webp header, no image", ada, "image/webp", []byte("RIFF\x1a\x00\x00\x00WEBPVP8L\x0d\x00\x00\x00garbage garbage"), http.StatusBadRequest, ""},
		{"truncated png", ada, "image/png", pngImage(100, 100)[:200], http.StatusBadRequest, ""},
		{"too large", ada, "image/jpeg", bytes.Repeat([]byte{0xff, 0xd8, 0xff, 0xe0}, social.MaxPhotoBytes/4+1), http.StatusRequestEntityTooLarge, ""},
		{"no token", socialtest.Member{}, "image/png", pngImage(10, 10), http.StatusUnauthorized, ""},
		{"png", ada, "image/png", pngImage(10, 10), http.StatusCreated, "image/png"},
		{"webp", ada, "image/webp", testimage.WebP(10, 10, color.NRGBA{A: 255}), http.StatusCreated, "image/webp"},
		{"png claiming webp", ada, "image/webp", pngImage(10, 10), http.StatusCreated, "image/png"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, err := env.HTTP(tt.m, http.MethodPost, "/apps/"+app+"/photos", tt.ct, tt.body)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tt.status {
				t.Fatalf("status %d (%s), want %d", resp.StatusCode, b, tt.status)
			}
			if got := resp.Header.Get("WWW-Authenticate"); (resp.StatusCode == http.StatusUnauthorized) != (got != "") {
				t.Errorf("status %d with WWW-Authenticate %q", resp.StatusCode, got)
			}
			var up social.PhotoUpload
			_ = json.Unmarshal(b, &up)
			if up.ContentType != tt.wantType {
				t.Errorf("recognised as %q, want %q", up.ContentType, tt.wantType)
			}
		})
	}
}

// TestPostPhotos: a post takes up to 4 photos, WebP among them, served as
// uploaded with their thumbnails; a fifth is refused.
func TestPostPhotos(t *testing.T) {
	env := socialtest.Start(t, socialtest.Options{})
	ctx := testkit.Context(t)
	app := env.CreateApp()
	ref := rpc.AppRef{App: app}
	ada := env.AddMember(app, "Ada", auth.RoleAttendee)
	bob := env.AddMember(app, "Bob", auth.RoleAttendee)
	webp := testimage.WebP(640, 480, color.NRGBA{R: 200, G: 100, B: 50, A: 255})
	var ids []string
	for i := range social.MaxPhotos + 1 {
		body, ct := pngImage(20+i, 20), "image/png"
		if i == 0 {
			body, ct = webp, "image/webp"
		}
		ids = append(ids, upload(t, env, ada, app, ct, body).PhotoID)
	}
	_, err := social.CreatePost.Call(ada.Ctx(ctx), env.Client, social.CreatePostParams{AppRef: ref, Text: "five", PhotoIDs: ids})
	if e, ok := errs.As(err); !ok || e.Code != errs.CodeInvalid || len(e.Fields) != 1 || e.Fields[0].Field != "/photo_ids" {
		t.Fatalf("post.create with %d photos: %v (%+v), want invalid /photo_ids", len(ids), err, e)
	}
	if got := feedSummary(t, ctx, env, bob, app, social.FeedApp, ""); len(got) != 0 {
		t.Errorf("the refused post is in the feed: %v", got)
	}
	// The uploads were not used: four of them make a post.
	post, err := social.CreatePost.Call(ada.Ctx(ctx), env.Client, social.CreatePostParams{AppRef: ref, Text: "four", PhotoIDs: ids[:social.MaxPhotos]})
	if err != nil {
		t.Fatalf("post.create with %d photos: %v", social.MaxPhotos, err)
	}
	if len(post.Photos) != social.MaxPhotos || post.Photos[0].ContentType != "image/webp" || post.Photos[0].Width != 640 {
		t.Fatalf("photos = %+v", post.Photos)
	}
	if got := get(t, env, bob, post.Photos[0].URL); !bytes.Equal(got, webp) {
		t.Errorf("the WebP served differs from the one uploaded (%d bytes)", len(got))
	}
	thumb := get(t, env, bob, post.Photos[0].ThumbURL)
	if cfg, format, err := image.DecodeConfig(bytes.NewReader(thumb)); err != nil || format != "jpeg" || cfg.Width != social.ThumbSize || cfg.Height != 240 {
		t.Errorf("WebP thumbnail: %v %s %+v", err, format, cfg)
	}
}

// TestOneMemberLikesConcurrently: a member's like sent 16 times at once
// (a double tap, retries, several devices) counts once, notifies the
// author once, and reads so everywhere, also from the ledger.
func TestOneMemberLikesConcurrently(t *testing.T) {
	env := socialtest.Start(t, socialtest.Options{})
	ctx := testkit.Context(t)
	app := env.CreateApp()
	ref := rpc.AppRef{App: app}
	ada := env.AddMember(app, "Ada", auth.RoleAttendee)
	bob := env.AddMember(app, "Bob", auth.RoleAttendee)
	// The author's name comes with hub's member event, consumed on its own.
	testkit.Eventually(t, "profiles consumed", func() bool {
		return countProfiles(t, env, app, ada, bob) == 2
	})
	post, err := social.CreatePost.Call(ada.Ctx(ctx), env.Client, social.CreatePostParams{AppRef: ref, Text: "like me"})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for range 16 {
		wg.Go(func() {
			st, err := social.React.Call(bob.Ctx(ctx), env.Client, social.ReactParams{AppRef: ref, PostID: post.ID, Reaction: social.ReactionLike})
			if err != nil || st.MyReaction != social.ReactionLike {
				t.Errorf("reaction.set: %+v %v", st, err)
			}
		})
	}
	wg.Wait()
	want := []string{post.ID + " by Ada likes=1 comments=0 mine=like"}
	for _, flushed := range []bool{false, true} {
		if flushed {
			env.DropSocialKeys()
		}
		if got := feedSummary(t, ctx, env, bob, app, social.FeedApp, ""); !slices.Equal(got, want) {
			t.Errorf("flushed %v: feed %v, want %v", flushed, got, want)
		}
		p, err := social.GetPost.Call(bob.Ctx(ctx), env.Client, social.PostParams{AppRef: ref, PostID: post.ID})
		if err != nil || p.ReactionCount != 1 || p.Reactions[social.ReactionLike] != 1 {
			t.Errorf("flushed %v: post.get %d likes %v, %v; want 1", flushed, p.ReactionCount, p.Reactions, err)
		}
	}
	n, err := social.ListNotifications.Call(ada.Ctx(ctx), env.Client, social.ListNotificationsParams{AppRef: ref})
	if err != nil || n.Unread != 1 || len(n.Items) != 1 || n.Items[0].Kind != social.NotifyLiked {
		t.Errorf("the author's notifications: %+v %v; want one like", n, err)
	}
}

// TestDeleteAnotherMembersPost: an attendee may not delete another's post;
// a moderator may.
func TestDeleteAnotherMembersPost(t *testing.T) {
	env := socialtest.Start(t, socialtest.Options{})
	ctx := testkit.Context(t)
	app := env.CreateApp()
	ref := rpc.AppRef{App: app}
	ada := env.AddMember(app, "Ada", auth.RoleAttendee)
	bob := env.AddMember(app, "Bob", auth.RoleAttendee)
	mod := env.AddMember(app, "Mo", auth.RoleModerator)
	post, err := social.CreatePost.Call(ada.Ctx(ctx), env.Client, social.CreatePostParams{AppRef: ref, Text: "mine"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := social.DeletePost.Call(bob.Ctx(ctx), env.Client, social.PostParams{AppRef: ref, PostID: post.ID}); errs.CodeOf(err) != errs.CodeForbidden {
		t.Errorf("an attendee deletes another's post: %v, want forbidden", err)
	}
	if p, err := social.GetPost.Call(bob.Ctx(ctx), env.Client, social.PostParams{AppRef: ref, PostID: post.ID}); err != nil || p.Text != "mine" {
		t.Errorf("after the refused delete: %+v %v", p, err)
	}
	if _, err := social.DeletePost.Call(mod.Ctx(ctx), env.Client, social.PostParams{AppRef: ref, PostID: post.ID}); err != nil {
		t.Fatalf("a moderator deletes it: %v", err)
	}
	if _, err := social.GetPost.Call(bob.Ctx(ctx), env.Client, social.PostParams{AppRef: ref, PostID: post.ID}); errs.CodeOf(err) != errs.CodeNotFound {
		t.Errorf("after the moderator's delete: %v, want not found", err)
	}
}

// TestMarkNotificationsRead: notification.unread counts what is unread;
// notification.markRead marks the ids given (of the caller's only), and
// all of them.
func TestMarkNotificationsRead(t *testing.T) {
	env := socialtest.Start(t, socialtest.Options{})
	ctx := testkit.Context(t)
	c := env.Client
	app := env.CreateApp()
	ref := rpc.AppRef{App: app}
	ada := env.AddMember(app, "Ada", auth.RoleAttendee)
	bob := env.AddMember(app, "Bob", auth.RoleAttendee)
	cy := env.AddMember(app, "Cy", auth.RoleAttendee)
	post, err := social.CreatePost.Call(ada.Ctx(ctx), c, social.CreatePostParams{AppRef: ref, Text: "hello"})
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range []socialtest.Member{bob, cy} {
		if _, err := social.React.Call(m.Ctx(ctx), c, social.ReactParams{AppRef: ref, PostID: post.ID, Reaction: social.ReactionLike}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := social.CreateComment.Call(bob.Ctx(ctx), c, social.CreateCommentParams{AppRef: ref, PostID: post.ID, Text: "hi"}); err != nil {
		t.Fatal(err)
	}
	unread := func(m socialtest.Member) int64 {
		t.Helper()
		u, err := social.UnreadNotifications.Call(m.Ctx(ctx), c, ref)
		if err != nil {
			t.Fatalf("notification.unread: %v", err)
		}
		return u.Unread
	}
	list := func(unreadOnly bool) []social.Notification {
		t.Helper()
		p, err := social.ListNotifications.Call(ada.Ctx(ctx), c, social.ListNotificationsParams{AppRef: ref, UnreadOnly: unreadOnly})
		if err != nil {
			t.Fatalf("notification.list: %v", err)
		}
		return p.Items
	}
	markRead := func(m socialtest.Member, p social.MarkReadParams) int64 {
		t.Helper()
		p.AppRef = ref
		u, err := social.MarkNotificationsRead.Call(m.Ctx(ctx), c, p)
		if err != nil {
			t.Fatalf("notification.markRead: %v", err)
		}
		return u.Unread
	}
	if u := unread(ada); u != 3 {
		t.Fatalf("unread = %d, want 3", u)
	}
	all := list(false)
	if len(all) != 3 {
		t.Fatalf("notifications: %+v", all)
	}
	first := all[0].ID
	// Another member cannot mark Ada's notifications.
	if u := markRead(bob, social.MarkReadParams{IDs: []string{first, all[1].ID}}); u != 0 || unread(ada) != 3 {
		t.Errorf("Bob marked Ada's notifications: his unread %d, hers %d; want 0, 3", u, unread(ada))
	}
	// By id, twice: one read.
	for range 2 {
		if u := markRead(ada, social.MarkReadParams{IDs: []string{first}}); u != 2 {
			t.Errorf("after marking one read: unread %d, want 2", u)
		}
	}
	if u := unread(ada); u != 2 {
		t.Errorf("notification.unread = %d, want 2", u)
	}
	for _, n := range list(false) {
		if read := n.ReadAt != nil; read != (n.ID == first) {
			t.Errorf("notification %s read %v", n.ID, read)
		}
	}
	if got := list(true); len(got) != 2 || slices.ContainsFunc(got, func(n social.Notification) bool { return n.ID == first }) {
		t.Errorf("unread only: %+v", got)
	}
	// All.
	if u := markRead(ada, social.MarkReadParams{All: true}); u != 0 || unread(ada) != 0 || len(list(true)) != 0 {
		t.Errorf("after marking all read: unread %d", u)
	}
}

func feedSummary(t *testing.T, ctx context.Context, env *socialtest.Env, m socialtest.Member, app, kind, id string) []string {
	t.Helper()
	p, err := social.GetFeed.Call(m.Ctx(ctx), env.Client, social.FeedParams{AppRef: rpc.AppRef{App: app}, Kind: kind, ID: id})
	if err != nil {
		t.Fatalf("feed.get %s %s: %v", kind, id, err)
	}
	out := []string{}
	for _, it := range p.Items {
		out = append(out, fmt.Sprintf("%s by %s likes=%d comments=%d mine=%s", it.ID, it.Author.Name, it.ReactionCount, it.CommentCount, it.MyReaction))
	}
	return out
}

func countProfiles(t *testing.T, env *socialtest.Env, app string, ms ...socialtest.Member) int {
	ids := make([]string, len(ms))
	for i, m := range ms {
		ids[i] = m.ID
	}
	ps, err := env.Social.Ledger.Profiles(context.Background(), app, ids)
	if err != nil {
		t.Fatal(err)
	}
	return len(ps)
}

func streamTypes(t *testing.T, env *socialtest.Env, topic string) []string {
	msgs, err := env.Redis.XRange(context.Background(), events.NewStreams(env.Namespace).Stream(topic), "-", "+").Result()
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, m := range msgs {
		if s, ok := m.Values["type"].(string); ok {
			out = append(out, s)
		}
	}
	return out
}

func upload(t *testing.T, env *socialtest.Env, m socialtest.Member, app, ct string, body []byte) social.PhotoUpload {
	t.Helper()
	up, err := tryUpload(env, m, app, ct, body)
	if err != nil {
		t.Fatalf("upload: %v", err)
	}
	return up
}

func get(t *testing.T, env *socialtest.Env, m socialtest.Member, path string) []byte {
	t.Helper()
	resp, err := env.HTTP(m, http.MethodGet, path, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d %s", path, resp.StatusCode, b)
	}
	return b
}

func pngImage(w, h int) []byte {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.Set(x, y, color.RGBA{uint8(x), uint8(y), 128, 255})
		}
	}
	var b bytes.Buffer
	_ = png.Encode(&b, img)
	return b.Bytes()
}

var jpegCache = map[string][]byte{}

func jpegImage(w, h int) []byte {
	k := fmt.Sprint(w, h)
	if b, ok := jpegCache[k]; ok {
		return b
	}
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.Set(x, y, color.RGBA{uint8(x * 3), 64, uint8(y), 255})
		}
	}
	var b bytes.Buffer
	_ = jpeg.Encode(&b, img, nil)
	jpegCache[k] = b.Bytes()
	return b.Bytes()
}

// TestInterruptedCreationIsAnnounced: the event of a document whose creation
// was interrupted before its event reached the outbox is published once the
// document is found, and dropped when the document was never written.
func TestInterruptedCreationIsAnnounced(t *testing.T) {
	env := socialtest.Start(t, socialtest.Options{})
	ctx := testkit.Context(t)
	app := env.CreateApp()
	ada := env.AddMember(app, "Ada", auth.RoleAttendee)
	post, err := social.CreatePost.Call(ada.Ctx(ctx), env.Client, social.CreatePostParams{AppRef: rpc.AppRef{App: app}, Text: "hello"})
	if err != nil {
		t.Fatal(err)
	}
	found := events.Event{ID: events.NewID(), Type: "post.created", App: app, Subject: post.ID, Data: json.RawMessage(`{"test":"found"}`)}
	lost := events.Event{ID: events.NewID(), Type: "post.created", App: app, Subject: "never", Data: json.RawMessage(`{"test":"lost"}`)}
	if _, err := env.Social.Ledger.Intend(ctx, service.PendingEvent{App: app, DocID: "post:" + post.ID, Event: found}, ""); err != nil {
		t.Fatal(err)
	}
	if _, err := env.Social.Ledger.Intend(ctx, service.PendingEvent{App: app, DocID: "post:never-written", Event: lost}, ""); err != nil {
		t.Fatal(err)
	}
	n, err := env.Social.Domain.SettlePending(ctx, 0)
	if err != nil || n != 2 {
		t.Fatalf("settled %d, %v; want 2", n, err)
	}
	testkit.Eventually(t, "the found document's event published", func() bool {
		return slices.Contains(streamIDs(t, env, "post"), found.ID)
	})
	if slices.Contains(streamIDs(t, env, "post"), lost.ID) {
		t.Error("the event of a document never written was published")
	}
	if n, _ := env.Social.Domain.SettlePending(ctx, 0); n != 0 {
		t.Errorf("%d events still pending", n)
	}
}

func streamIDs(t *testing.T, env *socialtest.Env, topic string) []string {
	msgs, err := env.Redis.XRange(context.Background(), events.NewStreams(env.Namespace).Stream(topic), "-", "+").Result()
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, m := range msgs {
		if s, ok := m.Values["id"].(string); ok {
			out = append(out, s)
		}
	}
	return out
}
