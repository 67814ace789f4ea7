package eventwall_test

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/attendify/eventwall"
	"github.com/attendify/eventwall/internal/app"
	"github.com/attendify/eventwall/internal/walltest"
	"github.com/attendify/eventwall/screentest"
	"github.com/attendify/hub"
	"github.com/attendify/platform/auth"
	"github.com/attendify/platform/errs"
	"github.com/attendify/platform/rpc"
	"github.com/attendify/platform/testkit"
	"github.com/attendify/social"
)

// screen follows a wall the way a projector does, by polling.
type screen struct {
	t      *testing.T
	url    string // eventwall's base URL
	wall   string // its screen token
	key    string
	cursor string
	items  map[string]eventwall.Item
	config *eventwall.Screen
}

func newScreen(t *testing.T, env *walltest.Env, w eventwall.Wall) *screen {
	path, _, _ := strings.Cut(w.Path, "?")
	return &screen{t: t, url: env.URL, wall: strings.TrimPrefix(path, "/walls/"), key: w.ScreenKey, items: map[string]eventwall.Item{}}
}

func (s *screen) pollURL(cursor, extra string) string {
	q := url.Values{}
	if cursor != "" {
		q.Set("cursor", cursor)
	}
	if s.key != "" {
		q.Set("key", s.key)
	}
	u := s.url + "/walls/" + s.wall + "/poll?" + q.Encode()
	if extra != "" {
		u += "&" + extra
	}
	return u
}

// poll asks once and applies the answer; it returns the HTTP status.
func (s *screen) poll(extra string) int {
	s.t.Helper()
	resp, err := http.Get(s.pollURL(s.cursor, extra))
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusOK {
		var ch eventwall.Changes
		if err := json.NewDecoder(resp.Body).Decode(&ch); err != nil {
			s.t.Fatal(err)
		}
		if got, want := resp.Header.Get("ETag"), `"`+ch.Cursor+`"`; got != want {
			s.t.Errorf("ETag %s, want %s", got, want)
		}
		s.apply(ch)
	}
	return resp.StatusCode
}

func (s *screen) apply(ch eventwall.Changes) {
	if ch.Reset {
		clear(s.items)
	}
	for _, id := range ch.Removed {
		delete(s.items, id)
	}
	for _, it := range ch.Items {
		s.items[it.ID] = it
	}
	if ch.Config != nil {
		s.config = ch.Config
	}
	s.cursor = ch.Cursor
}

// until polls until cond holds.
func (s *screen) until(what string, cond func() bool) {
	s.t.Helper()
	testkit.Eventually(s.t, what, func() bool {
		if st := s.poll(""); st != http.StatusOK && st != http.StatusNotModified {
			s.t.Fatalf("poll: HTTP %d", st)
		}
		return cond()
	})
}

func (s *screen) ids() []string {
	out := make([]string, 0, len(s.items))
	for id := range s.items {
		out = append(out, id)
	}
	slices.Sort(out)
	return out
}

func postID(doc social.PostDoc) string { return strings.TrimPrefix(doc.ID, "post:") }

// fixture is a running eventwall with an app of one event, its owner, an
// attendee and a wall of the event made by the owner.
type fixture struct {
	env        *walltest.Env
	ctx        context.Context
	app        string
	event      hub.EventInfo
	owner, ada walltest.Member
	wall       eventwall.Wall
	ref        eventwall.WallRef
}

// newFixture starts eventwall with o and makes the fixture's app and wall
// (p with its app and event filled in).
func newFixture(t *testing.T, o walltest.Options, p eventwall.CreateWallParams) *fixture {
	t.Helper()
	f := &fixture{env: walltest.Start(t, o), ctx: testkit.Context(t)}
	f.event = f.env.NewEvent(p.Title)
	f.app = f.env.CreateApp(f.event)
	f.owner = f.env.AddMember(f.app, "Olive Owner", auth.RoleOwner)
	f.ada = f.env.AddMember(f.app, "Ada Lovelace", auth.RoleAttendee)
	p.AppRef, p.EventID = rpc.AppRef{App: f.app}, f.event.ID
	w, err := eventwall.CreateWall.Call(f.owner.Ctx(f.ctx), f.env.Client, p)
	if err != nil {
		t.Fatalf("wall.create: %v", err)
	}
	f.wall, f.ref = w, eventwall.WallRef{AppRef: p.AppRef, WallID: w.ID}
	return f
}

// post writes a post of the fixture's event by author.
func (f *fixture) post(author walltest.Member, text string, change ...func(*social.PostDoc)) social.PostDoc {
	doc := social.PostDoc{Event: f.event.ID, Author: author.ID, Text: text}
	for _, c := range change {
		c(&doc)
	}
	return f.env.PutPost(f.app, walltest.Post{PostDoc: doc})
}

// TestWallOverHTTP plays an event's wall end to end: organizers create and
// change walls with the typed client, posts arrive in social's CouchDB
// database, and screens follow by polling, long polling and streaming —
// edits, hides, deletes, blocks, moderation, marks, pause, private walls
// and deletion included.
func TestWallOverHTTP(t *testing.T) {
	env := walltest.Start(t, walltest.Options{})
	ctx := testkit.Context(t)
	ev, other := env.NewEvent("GopherCon"), env.NewEvent("Other")
	app := env.CreateApp(ev, other)
	owner := env.AddMember(app, "Olive", auth.RoleOwner)
	mod := env.AddMember(app, "Mo", auth.RoleModerator)
	ada := env.AddMember(app, "Ada", auth.RoleAttendee)
	bob := env.AddMember(app, "Bob", auth.RoleAttendee)
	c := env.Client

	// Access: attendees may not use walls; moderators may not create them.
	_, err := eventwall.CreateWall.Call(ada.Ctx(ctx), c, eventwall.CreateWallParams{AppRef: rpc.AppRef{App: app}, EventID: ev.ID, Title: "x"})
	if !errors.Is(err, errs.Forbidden) {
		t.Errorf("attendee creates a wall: %v, want forbidden", err)
	}
	_, err = eventwall.CreateWall.Call(mod.Ctx(ctx), c, eventwall.CreateWallParams{AppRef: rpc.AppRef{App: app}, EventID: ev.ID, Title: "x"})
	if !errors.Is(err, errs.Forbidden) {
		t.Errorf("moderator creates a wall: %v, want forbidden", err)
	}
	_, err = eventwall.CreateWall.Call(owner.Ctx(ctx), c, eventwall.CreateWallParams{AppRef: rpc.AppRef{App: app}, EventID: "nope", Title: "x"})
	if !errors.Is(err, errs.Invalid) {
		t.Errorf("wall of an unknown event: %v, want invalid", err)
	}

	w, err := eventwall.CreateWall.Call(owner.Ctx(ctx), c, eventwall.CreateWallParams{
		AppRef: rpc.AppRef{App: app}, EventID: ev.ID, Title: "GopherCon live",
		Moderation: &eventwall.Moderation{Mode: eventwall.ModerationAuto, Blocklist: []string{"spoiler alert"}},
	})
	if err != nil {
		t.Fatalf("wall.create: %v", err)
	}
	if w.Layout != eventwall.LayoutGrid || !w.Public || w.ScreenKey != "" || w.Path != "/walls/"+w.ScreenToken || w.Version != 1 ||
		w.Filters.Scope != eventwall.ScopeEvent || w.Audience != eventwall.AudienceAnonymous || len(w.ScreenToken) < 22 || strings.Contains(w.ScreenToken, w.ID) {
		t.Errorf("created wall = %+v", w)
	}
	got, err := eventwall.GetWall.Call(mod.Ctx(ctx), c, eventwall.WallRef{AppRef: rpc.AppRef{App: app}, WallID: w.ID})
	if err != nil || got.ID != w.ID {
		t.Errorf("wall.get by a moderator: %v %+v", err, got)
	}

	// A screen starts empty, then is up to date: 304 by cursor and by ETag.
	scr := newScreen(t, env, w)
	if st := scr.poll(""); st != http.StatusOK || len(scr.items) != 0 || scr.config == nil || scr.config.Title != "GopherCon live" {
		t.Fatalf("first poll: HTTP %d, %d items, config %+v", st, len(scr.items), scr.config)
	}
	if st := scr.poll(""); st != http.StatusNotModified {
		t.Errorf("poll up to date: HTTP %d, want 304", st)
	}
	req, _ := http.NewRequest("GET", scr.pollURL("", ""), nil)
	req.Header.Set("If-None-Match", `"`+scr.cursor+`"`)
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != http.StatusNotModified {
		t.Errorf("If-None-Match: %v %v", err, resp)
	} else {
		resp.Body.Close()
	}

	// Posts arrive: Ada's with a photo, Bob's; one in another event stays off.
	photo := []byte("\x89PNG\r\n\x1a\n fake png bytes")
	p1 := env.PutPost(app, walltest.Post{PostDoc: social.PostDoc{Event: ev.ID, Author: ada.ID, Text: "Hello #GopherCon", Hashtags: []string{"gophercon"}}, PhotoData: [][]byte{photo}})
	p2 := env.PutPost(app, walltest.Post{PostDoc: social.PostDoc{Event: ev.ID, Author: bob.ID, Text: "Coffee is great"}})
	env.PutPost(app, walltest.Post{PostDoc: social.PostDoc{Event: other.ID, Author: bob.ID, Text: "elsewhere"}})
	scr.until("two posts on the screen", func() bool { return len(scr.items) == 2 })
	if diff := cmp.Diff([]string{postID(p1), postID(p2)}, scr.ids()); diff != "" {
		t.Errorf("items (-want +got):\n%s", diff)
	}
	it := scr.items[postID(p1)]
	scr.until("Ada's name on her post", func() bool { return scr.items[postID(p1)].Author == "Ada" })
	if it.Text != "Hello #GopherCon" || len(it.Photos) != 1 || it.Photos[0].URL != "photos/"+postID(p1)+"/0" {
		t.Errorf("item = %+v", it)
	}
	// The photo is served by the wall itself, with caching headers.
	resp, err := http.Get(env.URL + w.Path + "/" + it.Photos[0].ThumbURL)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(body) != string(photo) || resp.Header.Get("Content-Type") != "image/png" || !strings.Contains(resp.Header.Get("Cache-Control"), "max-age") {
		t.Errorf("photo: HTTP %d, %d bytes, headers %v", resp.StatusCode, len(body), resp.Header)
	}

	// A blocklisted phrase waits for a moderator; approval shows it.
	p3 := env.PutPost(app, walltest.Post{PostDoc: social.PostDoc{Event: ev.ID, Author: bob.ID, Text: "SPOILER   alert: the keynote"}})
	var q eventwall.Queue
	testkit.Eventually(t, "the post in the queue", func() bool {
		q, err = eventwall.GetQueue.Call(mod.Ctx(ctx), c, eventwall.QueueParams{WallRef: eventwall.WallRef{AppRef: rpc.AppRef{App: app}, WallID: w.ID}})
		return err == nil && q.Total == 1
	})
	if q.Items[0].Item.ID != postID(p3) || q.Items[0].Reason != "blocklist: spoiler alert" || q.Items[0].AuthorID != bob.ID {
		t.Errorf("queue = %+v", q)
	}
	res, err := eventwall.Approve.Call(mod.Ctx(ctx), c, eventwall.ApproveParams{PostsParams: eventwall.PostsParams{WallRef: eventwall.WallRef{AppRef: rpc.AppRef{App: app}, WallID: w.ID}, PostIDs: []string{postID(p3), "nope"}}})
	if err != nil || !slices.Equal(res.Done, []string{postID(p3)}) || !slices.Equal(res.NotFound, []string{"nope"}) {
		t.Errorf("approve: %v %+v", err, res)
	}
	scr.until("the approved post on the screen", func() bool { _, ok := scr.items[postID(p3)]; return ok })

	// A long poll returns as soon as something changes.
	long := make(chan eventwall.Changes, 1)
	go func() {
		resp, err := http.Get(scr.pollURL(scr.cursor, "wait=20s"))
		if err != nil {
			long <- eventwall.Changes{}
			return
		}
		defer resp.Body.Close()
		var ch eventwall.Changes
		_ = json.NewDecoder(resp.Body).Decode(&ch)
		long <- ch
	}()
	testkit.Eventually(t, "the long poll waiting", func() bool { return env.Wall.Screen.Waiting() == 1 })
	p1 = env.ChangePost(app, p1, func(d *social.PostDoc) { d.Text = "Hello again #GopherCon"; now := time.Now().UTC(); d.EditedAt = &now })
	select {
	case ch := <-long:
		if len(ch.Items) != 1 || ch.Items[0].Text != "Hello again #GopherCon" || ch.Reset {
			t.Errorf("long poll answered %+v", ch)
		}
	case <-time.After(testkit.WaitLimit):
		t.Fatal("the long poll did not return after an edit")
	}
	scr.until("the edit on the screen", func() bool { return scr.items[postID(p1)].Text == "Hello again #GopherCon" })

	// The stream tells the same: a reset first, then each change.
	stream := openStream(t, env.URL+"/walls/"+w.ScreenToken+"/stream")
	first := stream.next()
	if !first.Reset || len(first.Items) != 3 || first.Config == nil {
		t.Errorf("first stream event: reset %v, %d items", first.Reset, len(first.Items))
	}

	// Hidden in social: it leaves every screen.
	env.ChangePost(app, p2, func(d *social.PostDoc) { d.Hidden = true })
	scr.until("the hidden post gone", func() bool { _, ok := scr.items[postID(p2)]; return !ok })
	if ev := stream.next(); !slices.Equal(ev.Removed, []string{postID(p2)}) {
		t.Errorf("stream after a hide: %+v", ev)
	}

	// An author blocked in social (by a moderator there, or in hub) leaves
	// every screen, and comes back unblocked (the approval still holds).
	p3 = env.ChangePost(app, p3, func(d *social.PostDoc) { d.AuthorBlocked = true })
	scr.until("the post of an author blocked in social gone", func() bool { _, ok := scr.items[postID(p3)]; return !ok })
	env.ChangePost(app, p3, func(d *social.PostDoc) { d.AuthorBlocked = false })
	scr.until("the post back after the unblock in social", func() bool { _, ok := scr.items[postID(p3)]; return ok })

	// Pin, and the mark reaches the screens.
	if _, err := eventwall.MarkPost.Call(mod.Ctx(ctx), c, eventwall.MarkParams{WallRef: eventwall.WallRef{AppRef: rpc.AppRef{App: app}, WallID: w.ID}, PostID: postID(p1), Mark: eventwall.MarkPin}); err != nil {
		t.Fatalf("wall.mark: %v", err)
	}
	scr.until("the pin on the screen", func() bool { return scr.items[postID(p1)].Mark == eventwall.MarkPin })
	if _, err := eventwall.MarkPost.Call(mod.Ctx(ctx), c, eventwall.MarkParams{WallRef: eventwall.WallRef{AppRef: rpc.AppRef{App: app}, WallID: w.ID}, PostID: postID(p2), Mark: eventwall.MarkPin}); !errors.Is(err, errs.NotFound) {
		t.Errorf("pinning a post off the wall: %v, want not found", err)
	}

	// Blocking Bob takes his posts off, past and future; unblocking brings them back.
	ref := eventwall.AuthorParams{WallRef: eventwall.WallRef{AppRef: rpc.AppRef{App: app}, WallID: w.ID}, MemberID: bob.ID}
	if _, err := eventwall.BlockAuthor.Call(mod.Ctx(ctx), c, ref); err != nil {
		t.Fatalf("wall.blockAuthor: %v", err)
	}
	scr.until("Bob's post gone", func() bool { _, ok := scr.items[postID(p3)]; return !ok })
	p4 := env.PutPost(app, walltest.Post{PostDoc: social.PostDoc{Event: ev.ID, Author: bob.ID, Text: "still here"}})
	p5 := env.PutPost(app, walltest.Post{PostDoc: social.PostDoc{Event: ev.ID, Author: ada.ID, Text: "after the block"}})
	scr.until("Ada's new post", func() bool { _, ok := scr.items[postID(p5)]; return ok })
	if _, ok := scr.items[postID(p4)]; ok {
		t.Error("a blocked author's new post is on the screen")
	}
	if _, err := eventwall.UnblockAuthor.Call(mod.Ctx(ctx), c, ref); err != nil {
		t.Fatalf("wall.unblockAuthor: %v", err)
	}
	scr.until("Bob's posts back", func() bool {
		_, a := scr.items[postID(p3)]
		_, b := scr.items[postID(p4)]
		return a && b
	})

	// Pause and resume from a phone: the screens see the flag.
	if _, err := eventwall.PauseWall.Call(mod.Ctx(ctx), c, eventwall.WallRef{AppRef: rpc.AppRef{App: app}, WallID: w.ID}); err != nil {
		t.Fatal(err)
	}
	scr.until("paused", func() bool { return scr.config.Paused })

	// Settings: a new layout reaches the screens; a stale version conflicts.
	layout := eventwall.LayoutSpotlight
	w2, err := eventwall.UpdateWall.Call(owner.Ctx(ctx), c, eventwall.UpdateWallParams{WallRef: eventwall.WallRef{AppRef: rpc.AppRef{App: app}, WallID: w.ID}, Layout: &layout})
	if err != nil {
		t.Fatal(err)
	}
	scr.until("the new layout", func() bool { return scr.config.Layout == eventwall.LayoutSpotlight && scr.config.Version == w2.Version })
	if _, err := eventwall.UpdateWall.Call(owner.Ctx(ctx), c, eventwall.UpdateWallParams{WallRef: eventwall.WallRef{AppRef: rpc.AppRef{App: app}, WallID: w.ID}, Version: 1, Layout: &layout}); !errors.Is(err, errs.Conflict) {
		t.Errorf("update at a stale version: %v, want conflict", err)
	}

	// Deleted in social: gone from the screens.
	env.ChangePost(app, p5, func(d *social.PostDoc) { d.Deleted, d.Text, d.Photos = true, "", nil })
	scr.until("the deleted post gone", func() bool { _, ok := scr.items[postID(p5)]; return !ok })

	// Another app's organizer sees nothing of this wall.
	app2 := env.CreateApp(env.NewEvent("elsewhere"))
	stranger := env.AddMember(app2, "Sam", auth.RoleOwner)
	if _, err := eventwall.GetWall.Call(stranger.Ctx(ctx), c, eventwall.WallRef{AppRef: rpc.AppRef{App: app}, WallID: w.ID}); err == nil {
		t.Error("an organizer of another app reads the wall")
	}
	if _, err := eventwall.GetWall.Call(stranger.Ctx(ctx), c, eventwall.WallRef{AppRef: rpc.AppRef{App: app2}, WallID: w.ID}); !errors.Is(err, errs.NotFound) {
		t.Errorf("wall through another app: %v, want not found", err)
	}

	// Deleting the wall tells the screens it is gone.
	if _, err := eventwall.DeleteWall.Call(owner.Ctx(ctx), c, eventwall.WallRef{AppRef: rpc.AppRef{App: app}, WallID: w.ID}); err != nil {
		t.Fatal(err)
	}
	scr.until("the wall gone", func() bool { return scr.config.Gone && len(scr.items) == 0 })
}

// TestPrivateWall checks the screen key on every route, and its rotation.
func TestPrivateWall(t *testing.T) {
	env := walltest.Start(t, walltest.Options{})
	ctx := testkit.Context(t)
	ev := env.NewEvent("Closed")
	app := env.CreateApp(ev)
	owner := env.AddMember(app, "Olive", auth.RoleOwner)
	ada := env.AddMember(app, "Ada", auth.RoleAttendee)
	private := false
	w, err := eventwall.CreateWall.Call(owner.Ctx(ctx), env.Client, eventwall.CreateWallParams{AppRef: rpc.AppRef{App: app}, EventID: ev.ID, Title: "Staff only", Public: &private})
	if err != nil {
		t.Fatal(err)
	}
	if w.ScreenKey == "" || !strings.Contains(w.Path, "?key=") {
		t.Fatalf("private wall = %+v", w)
	}
	p := env.PutPost(app, walltest.Post{PostDoc: social.PostDoc{Event: ev.ID, Author: ada.ID, Text: "psst"}, PhotoData: [][]byte{[]byte("img")}})
	scr := newScreen(t, env, w)
	scr.until("the post", func() bool { return len(scr.items) == 1 })

	status := func(path string, header string) int {
		t.Helper()
		req, _ := http.NewRequest("GET", env.URL+path, nil)
		if header != "" {
			req.Header.Set(eventwall.HeaderScreenKey, header)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if w.Audience != eventwall.AudienceOrganizers {
		t.Errorf("a private wall's audience: %q", w.Audience)
	}
	base := "/walls/" + w.ScreenToken
	photo := base + "/photos/" + postID(p) + "/0t"
	for _, path := range []string{base, base + "/poll", photo} {
		if st := status(path, ""); st != http.StatusNotFound {
			t.Errorf("%s without the key: HTTP %d, want 404", path, st)
		}
		if st := status(path+"?key=wrong", ""); st != http.StatusNotFound {
			t.Errorf("%s with a wrong key: HTTP %d, want 404", path, st)
		}
		if st := status(path, w.ScreenKey); st != http.StatusOK {
			t.Errorf("%s with the key in the header: HTTP %d, want 200", path, st)
		}
	}
	w2, err := eventwall.RotateKey.Call(owner.Ctx(ctx), env.Client, eventwall.WallRef{AppRef: rpc.AppRef{App: app}, WallID: w.ID})
	if err != nil || w2.ScreenKey == w.ScreenKey {
		t.Fatalf("rotate: %v %+v", err, w2)
	}
	testkit.Eventually(t, "the old key refused", func() bool { return status(base+"/poll", w.ScreenKey) == http.StatusNotFound })
	if st := status(base+"/poll", w2.ScreenKey); st != http.StatusOK {
		t.Errorf("the new key: HTTP %d", st)
	}
	// The wall's id opens nothing, even with the key.
	for _, path := range []string{"/walls/" + w.ID, "/walls/" + w.ID + "/poll", "/walls/" + w.ID + "/photos/" + postID(p) + "/0t"} {
		if st := status(path, w2.ScreenKey); st != http.StatusNotFound {
			t.Errorf("%s (the wall's id) with the key: HTTP %d, want 404", path, st)
		}
	}
	if st := status("/walls/0000000000000000000000000/poll", ""); st != http.StatusNotFound {
		t.Errorf("unknown wall: HTTP %d", st)
	}
}

// TestManualModeAndFilters checks manual approval (bound to the text
// approved), allow-listed authors, rejection, and that changing a wall's
// filters re-decides every post.
func TestManualModeAndFilters(t *testing.T) {
	env := walltest.Start(t, walltest.Options{})
	ctx := testkit.Context(t)
	ev := env.NewEvent("Summit")
	app := env.CreateApp(ev)
	owner := env.AddMember(app, "Olive", auth.RoleOwner)
	speaker := env.AddMember(app, "Grace", auth.RoleAttendee)
	ada := env.AddMember(app, "Ada", auth.RoleAttendee)
	ref := eventwall.WallRef{AppRef: rpc.AppRef{App: app}, WallID: ""}
	w, err := eventwall.CreateWall.Call(owner.Ctx(ctx), env.Client, eventwall.CreateWallParams{
		AppRef: ref.AppRef, EventID: ev.ID, Title: "Moderated",
		Moderation: &eventwall.Moderation{Mode: eventwall.ModerationManual, AllowList: []string{speaker.ID}},
	})
	if err != nil {
		t.Fatal(err)
	}
	ref.WallID = w.ID
	scr := newScreen(t, env, w)

	fromSpeaker := env.PutPost(app, walltest.Post{PostDoc: social.PostDoc{Event: ev.ID, Author: speaker.ID, Text: "Slides are up", Hashtags: []string{"slides"}}})
	a1 := env.PutPost(app, walltest.Post{PostDoc: social.PostDoc{Event: ev.ID, Author: ada.ID, Text: "Nice talk", Hashtags: []string{"talk"}}, PhotoData: [][]byte{[]byte("x")}})
	a2 := env.PutPost(app, walltest.Post{PostDoc: social.PostDoc{Event: ev.ID, Author: ada.ID, Text: "meh"}})
	scr.until("the speaker's post", func() bool { return len(scr.items) == 1 })
	if _, ok := scr.items[postID(fromSpeaker)]; !ok {
		t.Fatalf("screen shows %v, want the allow-listed speaker's post", scr.ids())
	}
	var q eventwall.Queue
	testkit.Eventually(t, "two posts waiting", func() bool {
		q, err = eventwall.GetQueue.Call(owner.Ctx(ctx), env.Client, eventwall.QueueParams{WallRef: ref})
		return err == nil && q.Total == 2
	})
	if q.Items[0].Reason != "manual" {
		t.Errorf("queue = %+v", q)
	}
	if _, err := eventwall.Approve.Call(owner.Ctx(ctx), env.Client, eventwall.ApproveParams{PostsParams: eventwall.PostsParams{WallRef: ref, PostIDs: []string{postID(a1)}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := eventwall.Reject.Call(owner.Ctx(ctx), env.Client, eventwall.PostsParams{WallRef: ref, PostIDs: []string{postID(a2)}}); err != nil {
		t.Fatal(err)
	}
	scr.until("the approved post", func() bool { _, ok := scr.items[postID(a1)]; return ok })

	// An edit of an approved post goes back to the queue; a rejected post
	// stays off whatever its author does.
	env.ChangePost(app, a1, func(d *social.PostDoc) { d.Text = "Nice talk (edited to something else)" })
	env.ChangePost(app, a2, func(d *social.PostDoc) { d.Text = "much better now" })
	scr.until("the edited post back in the queue", func() bool { _, ok := scr.items[postID(a1)]; return !ok })
	testkit.Eventually(t, "the edited post waiting", func() bool {
		q, err = eventwall.GetQueue.Call(owner.Ctx(ctx), env.Client, eventwall.QueueParams{WallRef: ref})
		return err == nil && q.Total == 1 && q.Items[0].Item.ID == postID(a1)
	})

	// The author edits again while the moderator reads the queue: approving
	// the revision read shows nothing unseen; the post waits with its new
	// text and revision, which the moderator then approves.
	read := q.Items[0]
	env.ChangePost(app, a1, func(d *social.PostDoc) { d.Text = "Nice talk (and now a third text)" })
	testkit.Eventually(t, "the new text waiting", func() bool {
		q, err = eventwall.GetQueue.Call(owner.Ctx(ctx), env.Client, eventwall.QueueParams{WallRef: ref})
		return err == nil && q.Total == 1 && q.Items[0].Revision > read.Revision
	})
	approve := func(rev int64) eventwall.ApproveResult {
		t.Helper()
		res, err := eventwall.Approve.Call(owner.Ctx(ctx), env.Client, eventwall.ApproveParams{
			PostsParams: eventwall.PostsParams{WallRef: ref, PostIDs: []string{postID(a1)}},
			Revisions:   []eventwall.PostRevision{{PostID: postID(a1), Revision: rev}},
		})
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	if res := approve(read.Revision); len(res.Done) != 0 || !slices.Equal(res.Changed, []string{postID(a1)}) ||
		len(res.Refused) != 1 || res.Refused[0].PostID != postID(a1) || res.Refused[0].Reason != eventwall.RefusedChanged || res.Refused[0].Message == "" {
		t.Errorf("approve the revision read before the edit: %+v, want it refused as changed", res)
	}
	q, err = eventwall.GetQueue.Call(owner.Ctx(ctx), env.Client, eventwall.QueueParams{WallRef: ref})
	if err != nil || q.Total != 1 || q.Items[0].Item.Text != "Nice talk (and now a third text)" {
		t.Errorf("queue after approving a changed post: %+v %v", q, err)
	}
	if res := approve(q.Items[0].Revision); !slices.Equal(res.Done, []string{postID(a1)}) || len(res.Changed) != 0 {
		t.Errorf("approve the new revision: %+v", res)
	}
	scr.until("the post approved at its new revision", func() bool {
		return scr.items[postID(a1)].Text == "Nice talk (and now a third text)"
	})

	// Filters: switch moderation off and keep #talk only; every post is
	// decided again.
	_, err = eventwall.UpdateWall.Call(owner.Ctx(ctx), env.Client, eventwall.UpdateWallParams{
		WallRef: ref, Filters: &eventwall.FiltersUpdate{Scope: eventwall.ScopeEvent, Hashtags: &[]string{"#Talk"}},
		Moderation: &eventwall.ModerationUpdate{Mode: eventwall.ModerationOff},
	})
	if err != nil {
		t.Fatal(err)
	}
	scr.until("only #talk posts", func() bool { return slices.Equal(scr.ids(), []string{postID(a1)}) })
	yes := true
	_, err = eventwall.UpdateWall.Call(owner.Ctx(ctx), env.Client, eventwall.UpdateWallParams{
		WallRef: ref, Filters: &eventwall.FiltersUpdate{PhotosOnly: &yes},
	})
	if err != nil {
		t.Fatal(err)
	}
	scr.until("only posts with photos", func() bool {
		return slices.Equal(scr.ids(), []string{postID(a1)}) && len(scr.items[postID(a1)].Photos) == 1
	})
	list, err := eventwall.ListWalls.Call(owner.Ctx(ctx), env.Client, eventwall.ListWallsParams{AppRef: ref.AppRef, EventID: ev.ID})
	if err != nil || len(list.Walls) != 1 || list.Walls[0].Version != 3 {
		t.Errorf("wall.list: %v %+v", err, list)
	}
}

// stream reads Server-Sent Events.
type stream struct {
	t      *testing.T
	events chan eventwall.Changes
}

func openStream(t *testing.T, u string) *stream {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, "GET", u, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("stream: HTTP %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	s := &stream{t: t, events: make(chan eventwall.Changes, 16)}
	t.Cleanup(func() { cancel(); resp.Body.Close() })
	go func() {
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		defer close(s.events)
		for sc.Scan() {
			if data, ok := strings.CutPrefix(sc.Text(), "data: "); ok {
				var ch eventwall.Changes
				if json.Unmarshal([]byte(data), &ch) == nil {
					s.events <- ch
				}
			}
		}
	}()
	return s
}

// closed waits until the server ends the stream.
func (s *stream) closed() {
	s.t.Helper()
	for {
		select {
		case _, ok := <-s.events:
			if !ok {
				return
			}
		case <-time.After(testkit.WaitLimit):
			s.t.Fatal("the stream is still open")
		}
	}
}

func (s *stream) next() eventwall.Changes {
	s.t.Helper()
	select {
	case ch, ok := <-s.events:
		if !ok {
			s.t.Fatal("the stream ended")
		}
		return ch
	case <-time.After(testkit.WaitLimit):
		s.t.Fatal("no stream event")
	}
	return eventwall.Changes{}
}

// TestReplicas runs two replicas on the same stores: one follows the app's
// feed (the lease), both serve the screens the same state, and when the
// follower goes away the other takes over.
func TestReplicas(t *testing.T) {
	fast := func(c *app.Config) { c.LeaseTTL = time.Second }
	a := walltest.Start(t, walltest.Options{Configure: fast})
	b := walltest.Start(t, walltest.Options{Configure: fast, Replica: a})
	ctx := testkit.Context(t)
	ev := a.NewEvent("Replicated")
	appID := a.CreateApp(ev)
	owner := a.AddMember(appID, "Olive", auth.RoleOwner)
	ada := a.AddMember(appID, "Ada", auth.RoleAttendee)
	w, err := eventwall.CreateWall.Call(owner.Ctx(ctx), a.Client, eventwall.CreateWallParams{AppRef: rpc.AppRef{App: appID}, EventID: ev.ID, Title: "Two replicas"})
	if err != nil {
		t.Fatal(err)
	}
	onA, onB := newScreen(t, a, w), newScreen(t, b, w)
	p1 := a.PutPost(appID, walltest.Post{PostDoc: social.PostDoc{Event: ev.ID, Author: ada.ID, Text: "first"}})
	onA.until("the post on replica a", func() bool { return len(onA.items) == 1 })
	onB.until("the post on replica b", func() bool { return len(onB.items) == 1 })
	if onA.cursor != onB.cursor {
		t.Errorf("replicas disagree: cursor %s and %s", onA.cursor, onB.cursor)
	}
	// Stop both in turn: whichever held the lease, the other follows.
	a.Stop()
	p2 := a.PutPost(appID, walltest.Post{PostDoc: social.PostDoc{Event: ev.ID, Author: ada.ID, Text: "second"}})
	onB.until("a post after replica a stopped", func() bool { _, ok := onB.items[postID(p2)]; return ok })
	if _, ok := onB.items[postID(p1)]; !ok {
		t.Error("the first post is gone")
	}
}

// TestPublicWallAudience: a public wall shows what a reader who is not
// signed in may see by hub's rules — nothing of a hidden event or of one
// restricted to registered members — and follows hub when an event
// changes; a private wall, opened with the organizers' key, shows every
// event's posts.
func TestPublicWallAudience(t *testing.T) {
	env := walltest.Start(t, walltest.Options{})
	ctx := testkit.Context(t)
	open, code, listed, hidden := env.NewEvent("Open"), env.NewEvent("Code"), env.NewEvent("Listed"), env.NewEvent("Hidden")
	code.Access, listed.Access, hidden.Visibility = hub.EventAccessCode, hub.EventAccessListed, hub.VisibilityHidden
	app := env.CreateApp(open, code, listed, hidden)
	owner := env.AddMember(app, "Olive", auth.RoleOwner)
	ada := env.AddMember(app, "Ada", auth.RoleAttendee)
	private := false
	create := func(title string, public *bool) eventwall.Wall {
		t.Helper()
		w, err := eventwall.CreateWall.Call(owner.Ctx(ctx), env.Client, eventwall.CreateWallParams{
			AppRef: rpc.AppRef{App: app}, EventID: open.ID, Title: title, Public: public,
			Filters: &eventwall.Filters{Scope: eventwall.ScopeApp},
		})
		if err != nil {
			t.Fatal(err)
		}
		return w
	}
	pub, priv := create("Everyone", nil), create("Staff", &private)
	if pub.Audience != eventwall.AudienceAnonymous || priv.Audience != eventwall.AudienceOrganizers {
		t.Errorf("audiences: public %q, private %q", pub.Audience, priv.Audience)
	}
	byEvent := map[string]string{}
	for _, ev := range []string{open.ID, code.ID, listed.ID, hidden.ID, ""} {
		p := env.PutPost(app, walltest.Post{PostDoc: social.PostDoc{Event: ev, Author: ada.ID, Text: "in " + ev}})
		byEvent[ev] = postID(p)
	}
	onPriv := newScreen(t, env, priv)
	onPriv.until("every post on the private wall", func() bool { return len(onPriv.items) == 5 })
	onPub := newScreen(t, env, pub)
	onPub.until("the open event's post and the app-wide one on the public wall", func() bool {
		_, a := onPub.items[byEvent[open.ID]]
		_, b := onPub.items[byEvent[""]]
		return a && b
	})
	if diff := cmp.Diff([]string{byEvent[open.ID], byEvent[""]}, sortedIDs(onPub)); diff != "" {
		t.Errorf("the public wall (-want +got):\n%s", diff)
	}

	// The organizers hide the open event in hub: its post leaves the public wall.
	open.Visibility = hub.VisibilityHidden
	env.SetEvents(app, open, code, listed, hidden)
	onPub.until("the post of the event hidden since", func() bool { _, ok := onPub.items[byEvent[open.ID]]; return !ok })
	// And a post arriving in a restricted event stays off.
	late := env.PutPost(app, walltest.Post{PostDoc: social.PostDoc{Event: code.ID, Author: ada.ID, Text: "late, restricted"}})
	onPriv.until("the late post on the private wall", func() bool { _, ok := onPriv.items[postID(late)]; return ok })
	onPub.poll("")
	if diff := cmp.Diff([]string{byEvent[""]}, sortedIDs(onPub)); diff != "" {
		t.Errorf("the public wall after the event was hidden (-want +got):\n%s", diff)
	}
}

// TestApprovePublicWallHubRule: an approval on a public wall applies hub's
// rule for anonymous readers, as the ingester does: a post of an event
// hidden since it was queued is refused (not_public) and never reaches the
// screen, while the same post is approved on a private wall and a post of
// an open event on the public one. The ingester's interval is an hour
// here, so that the approvals come before any refill after hub's change.
func TestApprovePublicWallHubRule(t *testing.T) {
	slow := func(c *app.Config) { c.IngestInterval = time.Hour }
	env := walltest.Start(t, walltest.Options{Configure: slow})
	ctx := testkit.Context(t)
	open, secret := env.NewEvent("Open"), env.NewEvent("Secret")
	app := env.CreateApp(open, secret)
	owner := env.AddMember(app, "Olive", auth.RoleOwner)
	ada := env.AddMember(app, "Ada", auth.RoleAttendee)
	private := false
	create := func(title string, public *bool) (eventwall.Wall, eventwall.WallRef) {
		t.Helper()
		w, err := eventwall.CreateWall.Call(owner.Ctx(ctx), env.Client, eventwall.CreateWallParams{
			AppRef: rpc.AppRef{App: app}, EventID: open.ID, Title: title, Public: public,
			Filters:    &eventwall.Filters{Scope: eventwall.ScopeApp},
			Moderation: &eventwall.Moderation{Mode: eventwall.ModerationManual},
		})
		if err != nil {
			t.Fatal(err)
		}
		return w, eventwall.WallRef{AppRef: rpc.AppRef{App: app}, WallID: w.ID}
	}
	pub, pubRef := create("Everyone", nil)
	priv, privRef := create("Staff", &private)
	inOpen := env.PutPost(app, walltest.Post{PostDoc: social.PostDoc{Event: open.ID, Author: ada.ID, Text: "open talk"}})
	inSecret := env.PutPost(app, walltest.Post{PostDoc: social.PostDoc{Event: secret.ID, Author: ada.ID, Text: "secret talk"}})
	queued := func(ref eventwall.WallRef) map[string]int64 {
		t.Helper()
		q, err := eventwall.GetQueue.Call(owner.Ctx(ctx), env.Client, eventwall.QueueParams{WallRef: ref})
		if err != nil {
			t.Fatal(err)
		}
		revs := map[string]int64{}
		for _, it := range q.Items {
			revs[it.Item.ID] = it.Revision
		}
		return revs
	}
	testkit.Eventually(t, "both posts waiting on both walls", func() bool {
		return len(queued(pubRef)) == 2 && len(queued(privRef)) == 2
	})

	// Hub hides the secret event while its post waits.
	secret.Visibility = hub.VisibilityHidden
	env.SetEvents(app, open, secret)
	approve := func(ref eventwall.WallRef) eventwall.ApproveResult {
		t.Helper()
		revs := queued(ref)
		res, err := eventwall.Approve.Call(owner.Ctx(ctx), env.Client, eventwall.ApproveParams{
			PostsParams: eventwall.PostsParams{WallRef: ref, PostIDs: []string{postID(inOpen), postID(inSecret)}},
			Revisions: []eventwall.PostRevision{
				{PostID: postID(inOpen), Revision: revs[postID(inOpen)]},
				{PostID: postID(inSecret), Revision: revs[postID(inSecret)]},
			},
		})
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	res := approve(pubRef)
	if !slices.Equal(res.Done, []string{postID(inOpen)}) || len(res.Refused) != 1 ||
		res.Refused[0].PostID != postID(inSecret) || res.Refused[0].Reason != eventwall.RefusedNotPublic || res.Refused[0].Message == "" {
		t.Errorf("approve on the public wall: %+v, want the hidden event's post refused as %s", res, eventwall.RefusedNotPublic)
	}
	onPub := newScreen(t, env, pub)
	onPub.until("the open event's post on the public wall", func() bool { _, ok := onPub.items[postID(inOpen)]; return ok })
	if diff := cmp.Diff([]string{postID(inOpen)}, onPub.ids()); diff != "" {
		t.Errorf("the public wall after the approvals (-want +got):\n%s", diff)
	}

	// The private wall shows what the organizers see: both are approved.
	if res := approve(privRef); len(res.Done) != 2 || len(res.Refused) != 0 {
		t.Errorf("approve on the private wall: %+v, want both approved", res)
	}
	onPriv := newScreen(t, env, priv)
	onPriv.until("both posts on the private wall", func() bool { return len(onPriv.items) == 2 })
}

func sortedIDs(s *screen) []string {
	out := s.ids()
	slices.Sort(out)
	return out
}

// TestScreenURL: a wall opens by its screen token only, never by its id,
// and an organizer can replace the token: the old URL stops working, its
// open streams end.
func TestScreenURL(t *testing.T) {
	f := newFixture(t, walltest.Options{}, eventwall.CreateWallParams{Title: "Tokens"})
	env, ctx, w, ref, owner := f.env, f.ctx, f.wall, f.ref, f.owner
	p := env.PutPost(f.app, walltest.Post{PostDoc: social.PostDoc{Event: f.event.ID, Author: f.ada.ID, Text: "hi"}, PhotoData: [][]byte{[]byte("img")}})
	scr := newScreen(t, env, w)
	scr.until("the post", func() bool { return len(scr.items) == 1 })

	status := func(path string) int {
		t.Helper()
		resp, err := http.Get(env.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	for _, suffix := range []string{"", "/poll", "/stream", "/photos/" + postID(p) + "/0"} {
		if st := status("/walls/" + w.ID + suffix); st != http.StatusNotFound {
			t.Errorf("/walls/<id>%s: HTTP %d, want 404 (the id opens nothing)", suffix, st)
		}
	}
	if st := status(w.Path + "/photos/" + postID(p) + "/0"); st != http.StatusOK {
		t.Errorf("the photo through the token: HTTP %d", st)
	}
	stream := openStream(t, env.URL+w.Path+"/stream")
	stream.next()

	w2, err := eventwall.RotateToken.Call(owner.Ctx(ctx), env.Client, ref)
	if err != nil {
		t.Fatal(err)
	}
	if w2.ScreenToken == w.ScreenToken || w2.Path == w.Path || w2.Path != "/walls/"+w2.ScreenToken {
		t.Fatalf("after the rotation: %+v", w2)
	}
	testkit.Eventually(t, "the old URL refused", func() bool { return status(w.Path+"/poll") == http.StatusNotFound })
	testkit.Eventually(t, "the new URL working", func() bool { return status(w2.Path+"/poll") == http.StatusOK })
	stream.closed()
	got, err := eventwall.GetWall.Call(owner.Ctx(ctx), env.Client, ref)
	if err != nil || got.ScreenToken != w2.ScreenToken {
		t.Errorf("wall.get after the rotation: %v %+v", err, got)
	}
}

// TestShutdownEndsScreens: when eventwall stops, its open streams and
// long polls end at once with a hint to reconnect (to another replica),
// and the process stops without waiting for its drain timeout (set here to
// 10 minutes, far longer than the test may run).
func TestShutdownEndsScreens(t *testing.T) {
	long := func(c *app.Config) { c.Service.ShutdownTimeout = 10 * time.Minute }
	f := newFixture(t, walltest.Options{Configure: long}, eventwall.CreateWallParams{Title: "Stopping"})
	env := f.env
	full, err := screentest.Full(f.ctx, env.URL+f.wall.Path)
	if err != nil {
		t.Fatal(err)
	}

	resp, err := http.Get(env.URL + f.wall.Path + "/stream?cursor=" + url.QueryEscape(full.Cursor))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	lines := make(chan string)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			lines <- sc.Text()
		}
	}()
	if l := <-lines; l != "retry: 2000" {
		t.Fatalf("the stream opened with %q", l)
	}
	type answer struct {
		code       int
		retryAfter string
		err        error
	}
	polled := make(chan answer, 1)
	go func() {
		resp, err := http.Get(env.URL + f.wall.Path + "/poll?wait=55s&cursor=" + url.QueryEscape(full.Cursor))
		if err != nil {
			polled <- answer{err: err}
			return
		}
		resp.Body.Close()
		polled <- answer{code: resp.StatusCode, retryAfter: resp.Header.Get("Retry-After")}
	}()
	testkit.Eventually(t, "the long poll to wait", func() bool { return env.Wall.Screen.Waiting() == 1 })

	stopped := make(chan struct{})
	go func() { env.Stop(); close(stopped) }()
	var rest []string
	for l := range lines { // until the stream's end
		if l != "" && !strings.HasPrefix(l, ":") { // not the heartbeat
			rest = append(rest, l)
		}
	}
	if len(rest) != 1 || !strings.HasPrefix(rest[0], "retry: ") {
		t.Errorf("the stream ended with %q, want a retry hint", rest)
	} else if ms, err := strconv.Atoi(strings.TrimPrefix(rest[0], "retry: ")); err != nil || ms <= 0 || ms > 2000 {
		t.Errorf("retry hint %q", rest[0])
	}
	if a := <-polled; a.err != nil || a.code != http.StatusNotModified || a.retryAfter == "" {
		t.Errorf("the long poll answered %d (Retry-After %q) %v, want 304 with a Retry-After", a.code, a.retryAfter, a.err)
	}
	<-stopped // the drain did not wait for the screens
}

// TestWallOrder: a wall shows posts by their creation time, whatever the
// order in which they reach it (CouchDB's _changes interleaves its shards:
// a post written earlier may come later).
func TestWallOrder(t *testing.T) {
	f := newFixture(t, walltest.Options{}, eventwall.CreateWallParams{Title: "Order"})
	now := time.Now().UTC().Truncate(time.Millisecond)
	var want []string // newest first
	for _, ago := range []time.Duration{time.Minute, 3 * time.Minute, 2 * time.Minute} {
		p := f.post(f.ada, ago.String()+" ago", func(d *social.PostDoc) { d.CreatedAt = now.Add(-ago) })
		want = append(want, postID(p))
	}
	want = []string{want[0], want[2], want[1]}
	scr := newScreen(t, f.env, f.wall)
	scr.until("three posts", func() bool { return len(scr.items) == 3 })
	full, err := screentest.Full(f.ctx, f.env.URL+f.wall.Path)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, it := range full.Items {
		got = append(got, it.ID)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("full state, newest first (-want +got):\n%s", diff)
	}
}

// TestAuthorFromHub: an author eventwall never heard of through hub's
// events (one it missed while Redis lost them, or older than the stream)
// gets their name from hub's directory, the truth about members, and keeps
// it.
func TestAuthorFromHub(t *testing.T) {
	ac, err := auth.LoadConfig()
	if err != nil {
		t.Fatal(err)
	}
	rdb, ns := testkit.Redis(t)
	var asked atomic.Int32
	quiet := walltest.Member{ID: "m-quiet"} // no member event ever published
	srv := rpc.NewServer(rpc.Options{Name: "hub", Auth: &auth.Authenticator{Services: ac.ServiceVerifier(auth.NewRedisNonces(rdb, ns))}})
	rpc.Handle(srv, hub.GetMember, func(ctx context.Context, p hub.MemberParams) (hub.Member, error) {
		if p.Member == quiet.ID {
			// Only the known author counts: a member hub does not know is
			// asked about again when a change of their post comes again
			// (a sharded feed repeats some), which is right.
			asked.Add(1)
		}
		if c := auth.CallerFrom(ctx); c.Kind != auth.CallerService {
			return hub.Member{}, errs.WithCode(errs.CodeForbidden, "services only")
		}
		if p.Member != quiet.ID {
			return hub.Member{}, errs.New(errs.NotFound, "member not found")
		}
		return hub.Member{ID: quiet.ID, AppID: p.App, Name: "Quinn Quiet", PhotoURL: "https://example.test/q.jpg"}, nil
	})
	// The resync of the authors' profiles when the consumer's group is
	// created lists hub's apps: none here.
	rpc.Handle(srv, hub.ListAppIDs, func(context.Context, hub.AppIDsParams) (hub.AppIDPage, error) {
		return hub.AppIDPage{IDs: []string{}}, nil
	})
	mux := http.NewServeMux()
	srv.Routes(mux)
	ts := httptest.NewServer(mux)
	t.Cleanup(ts.Close)

	f := newFixture(t, walltest.Options{Configure: func(c *app.Config) { c.Hub.URLs = []string{ts.URL} }}, eventwall.CreateWallParams{Title: "Quiet"})
	p1 := f.post(quiet, "first")
	p2 := f.post(walltest.Member{ID: "m-unknown"}, "by nobody hub knows")
	scr := newScreen(t, f.env, f.wall)
	scr.until("both posts", func() bool { return len(scr.items) == 2 })
	if it := scr.items[postID(p1)]; it.Author != "Quinn Quiet" || it.AuthorPhoto != "https://example.test/q.jpg" {
		t.Errorf("the quiet author's post: %+v", it)
	}
	if it := scr.items[postID(p2)]; it.Author != "" {
		t.Errorf("a post by a member hub does not know: %+v", it)
	}
	// Kept: the next post of the author does not ask hub again.
	n := asked.Load()
	p3 := f.post(quiet, "second")
	scr.until("the second post", func() bool { return scr.items[postID(p3)].Author == "Quinn Quiet" })
	if asked.Load() != n {
		t.Errorf("hub asked %d more times for an author already known", asked.Load()-n)
	}
}
