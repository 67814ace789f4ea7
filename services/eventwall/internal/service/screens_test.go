package service_test

import (
	"context"
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/attendify/eventwall"
	"github.com/attendify/eventwall/internal/service"
	"github.com/attendify/platform/auth"
	"github.com/attendify/platform/testkit"
	"github.com/attendify/social"
)

// screenCase is a wall's settings and a post of its app's feed.
type screenCase struct {
	name string
	set  func(*service.WallSettings)
	doc  func(*social.PostDoc)
}

// decided creates a wall, puts the post p1 in the feed and runs an
// ingester until it has decided about every post of the app on the wall.
func decided(t *testing.T, c screenCase) (*env, service.Wall) {
	t.Helper()
	e := newEnv(t)
	w := e.newWall(t, c.set)
	doc := post("p1", "Hello #go")
	doc.Hashtags = []string{"go"}
	if c.doc != nil {
		c.doc(doc)
	}
	e.feed.put(doc)
	e.ingest(t)
	eventually(t, "the wall filled", func() bool {
		st, err := e.board.State(testkit.Context(t), w.ID)
		return err == nil && st.Fingerprint != ""
	})
	return e, w
}

// TestScreenShows: the posts a wall's screens show at once.
func TestScreenShows(t *testing.T) {
	tests := []screenCase{
		{"auto without a blocklisted phrase", nil, nil},
		{"moderation off", func(s *service.WallSettings) { s.Mode = eventwall.ModerationOff; s.Blocklist = []string{"hello"} }, nil},
		{"an allowed author in manual mode", func(s *service.WallSettings) { s.Mode = eventwall.ModerationManual; s.AllowList = []string{"m1"} }, nil},
		{"a hashtag of the filter", func(s *service.WallSettings) { s.Hashtags = []string{"rust", "go"} }, nil},
		{"another event's post on an app-wide wall", func(s *service.WallSettings) { s.Scope = eventwall.ScopeApp }, func(d *social.PostDoc) { d.Event = "ev2" }},
		{"a post with photos on a photo wall", func(s *service.WallSettings) { s.PhotosOnly = true }, func(d *social.PostDoc) {
			d.Photos = []social.PhotoRef{{Name: "photo-0", Thumb: "photo-0-thumb"}}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, w := decided(t, tt)
			if _, items := e.screen(t, w.ID); items["p1"].ID != "p1" {
				t.Errorf("screens show %+v, want p1", items)
			}
			if q := e.queue(t, w.ID); len(q) != 0 {
				t.Errorf("queue %v", q)
			}
		})
	}
}

// TestScreenHolds: the posts that wait for a moderator.
func TestScreenHolds(t *testing.T) {
	tests := []screenCase{
		{"manual mode", func(s *service.WallSettings) { s.Mode = eventwall.ModerationManual }, nil},
		{"a blocklisted phrase, whatever its case and spaces", func(s *service.WallSettings) { s.Blocklist = []string{"buy now"} },
			func(d *social.PostDoc) { d.Text = "Tickets: BUY \n NOW" }},
		{"a blocklisted name as the screens show the mention", func(s *service.WallSettings) { s.Blocklist = []string{"@Ada"} },
			func(d *social.PostDoc) { d.Text = "thanks @[Ada](m2)" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, w := decided(t, tt)
			if _, items := e.screen(t, w.ID); len(items) != 0 {
				t.Errorf("screens show %+v", items)
			}
			if q := e.queue(t, w.ID); !slices.Equal(q, []string{"p1"}) {
				t.Errorf("queue %v, want [p1]", q)
			}
		})
	}
}

// TestScreenDrops: the posts a wall never shows nor queues.
func TestScreenDrops(t *testing.T) {
	tests := []screenCase{
		{"another event's post", nil, func(d *social.PostDoc) { d.Event = "ev2" }},
		{"an app-wide post on an event's wall", nil, func(d *social.PostDoc) { d.Event = "" }},
		{"no hashtag of the filter", func(s *service.WallSettings) { s.Hashtags = []string{"rust"} }, nil},
		{"no photo on a photo wall", func(s *service.WallSettings) { s.PhotosOnly = true }, nil},
		{"hidden in social", nil, func(d *social.PostDoc) { d.Hidden = true }},
		{"deleted in social", nil, func(d *social.PostDoc) { d.Deleted = true }},
		{"author blocked in social", nil, func(d *social.PostDoc) { d.AuthorBlocked = true }},
		{"author deleted in hub", nil, func(d *social.PostDoc) { d.AuthorDeleted, d.Author = true, "" }},
		{"not a post", nil, func(d *social.PostDoc) { d.Type = "comment" }},
		{"a public wall of an app anonymous readers may not read", func(s *service.WallSettings) { s.Public = true }, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, w := decided(t, tt)
			if _, items := e.screen(t, w.ID); len(items) != 0 {
				t.Errorf("screens show %+v", items)
			}
			if q := e.queue(t, w.ID); len(q) != 0 {
				t.Errorf("queue %v", q)
			}
		})
	}
}

// TestScreenItem: what a screen shows of a post: the author's name and
// photo as eventwall keeps them (or as hub has them when eventwall never
// heard of the author), mentions as @Name, photos at wall-relative paths.
func TestScreenItem(t *testing.T) {
	e := newEnv(t)
	ctx := e.as(t, auth.RoleOwner)
	if err := e.walls.SaveProfile(ctx, app, "m1", service.Profile{Name: "Ada", PhotoURL: "https://x/ada.jpg"}, testTime); err != nil {
		t.Fatal(err)
	}
	e.hub.members["m3"] = service.Profile{Name: "Cy"}
	w := e.newWall(t, func(s *service.WallSettings) { s.Mode = eventwall.ModerationOff })
	p1 := post("p1", "thanks @[Bob](m2) #go")
	p1.Hashtags, p1.Photos = []string{"go"}, []social.PhotoRef{{Name: "photo-0", Thumb: "photo-0-thumb"}}
	p2 := post("p2", "hi")
	p2.Author = "m3"
	e.feed.put(p1)
	e.feed.put(p2)
	e.ingest(t)
	var items map[string]eventwall.Item
	eventually(t, "two posts shown", func() bool {
		_, items = e.screen(t, w.ID)
		return len(items) == 2
	})
	it := items["p1"]
	if it.Author != "Ada" || it.AuthorPhoto != "https://x/ada.jpg" || it.Text != "thanks @Bob #go" ||
		!slices.Equal(it.Mentions, []string{"Bob"}) || !slices.Equal(it.Hashtags, []string{"go"}) ||
		len(it.Photos) != 1 || it.Photos[0].URL != service.PhotoPath("p1", 0, false) {
		t.Errorf("p1 shows %+v", it)
	}
	if it := items["p2"]; it.Author != "Cy" {
		t.Errorf("p2 shows %+v, want hub's name of its author", it)
	}
	if got, _ := e.walls.Profiles(ctx, app, []string{"m3"}); got["m3"].Name != "Cy" {
		t.Errorf("the profile read from hub was not kept: %+v", got)
	}
}

// TestPrivateWallMadePublic: a private wall shows what the organizers see;
// made public, it opens to anyone with its URL, and shows nothing of that
// until the ingester has decided every post for anonymous readers, even
// when the ingester is not there to do it at once.
func TestPrivateWallMadePublic(t *testing.T) {
	e := newEnv(t)
	w := e.newWall(t, func(s *service.WallSettings) { s.Public = false; s.Mode = eventwall.ModerationOff })
	e.feed.put(post("p1", "restricted"))
	held := post("p2", "waiting")
	e.feed.put(held)
	w, err := e.svc.UpdateWall(e.as(t, auth.RoleOwner), app, w.ID, 0, func(s *service.WallSettings) { s.Blocklist = []string{"waiting"}; s.Mode = eventwall.ModerationAuto })
	if err != nil {
		t.Fatal(err)
	}
	stop := e.ingest(t)
	eventually(t, "the private wall filled", func() bool {
		_, items := e.screen(t, w.ID)
		return len(items) == 1 && len(e.queue(t, w.ID)) == 1
	})
	stop()
	if _, err := e.svc.UpdateWall(e.as(t, auth.RoleOwner), app, w.ID, 0, func(s *service.WallSettings) { s.Public = true }); err != nil {
		t.Fatal(err)
	}
	if _, items := e.screen(t, w.ID); len(items) != 0 {
		t.Errorf("the wall made public shows the organizers' view: %v", slices.Collect(maps.Keys(items)))
	}
	if q := e.queue(t, w.ID); len(q) != 0 {
		t.Errorf("queue %v", q)
	}
}

// TestPrivateWallMadePublicWhileHubIsDown: a wall made public while hub
// cannot say what anonymous readers may see shows nothing new until it
// can: the app's follower, which has followed the wall since it was
// private, does not go on deciding its posts by the organizers' view.
func TestPrivateWallMadePublicWhileHubIsDown(t *testing.T) {
	e := newEnv(t)
	w := e.newWall(t, func(s *service.WallSettings) { s.Public = false; s.Mode = eventwall.ModerationOff })
	e.feed.put(post("p1", "before"))
	e.ingest(t)
	eventually(t, "the private wall filled", func() bool {
		_, items := e.screen(t, w.ID)
		return len(items) == 1
	})
	e.hub.mu.Lock()
	e.hub.anonDown = true
	e.hub.mu.Unlock()
	w, err := e.svc.UpdateWall(e.as(t, auth.RoleOwner), app, w.ID, 0, func(s *service.WallSettings) { s.Public = true })
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(100 * time.Millisecond) // ticks of the ingester (10ms)
	e.feed.put(post("p2", "after"))
	time.Sleep(200 * time.Millisecond)
	if _, items := e.screen(t, w.ID); len(items) != 0 {
		t.Errorf("the public wall shows %v while hub cannot say what anonymous readers may see", slices.Collect(maps.Keys(items)))
	}
	// Hub answers again (the app is not published): still nothing, and
	// the wall is decided by the public rule.
	e.hub.mu.Lock()
	e.hub.anonDown = false
	e.hub.mu.Unlock()
	w.Rules.Audience = &service.Audience{}
	e.filledWith(t, w)
	if _, items := e.screen(t, w.ID); len(items) != 0 {
		t.Errorf("the public wall shows %v", slices.Collect(maps.Keys(items)))
	}
}

// TestPrivateWallMadePublicLate: when the update that made a wall public
// could not publish (Redis failed after the commit), whoever publishes the
// public settings later (the update's retry, the ingester catching up)
// takes the organizers' view off first.
func TestPrivateWallMadePublicLate(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	w := e.newWall(t, func(s *service.WallSettings) { s.Public = false; s.Mode = eventwall.ModerationOff })
	e.feed.put(post("p1", "restricted"))
	stop := e.ingest(t)
	eventually(t, "the private wall filled", func() bool {
		_, items := e.screen(t, w.ID)
		return len(items) == 1
	})
	stop()
	// The commit alone, as when publishing failed after it.
	w, err := e.walls.UpdateWall(ctx, app, w.ID, func(w *service.Wall) error {
		w.Public, w.ScreenKey = true, ""
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.svc.Publish(ctx, w); err != nil {
		t.Fatal(err)
	}
	if _, items := e.screen(t, w.ID); len(items) != 0 {
		t.Errorf("the wall published public late shows the organizers' view: %v", slices.Collect(maps.Keys(items)))
	}
}
