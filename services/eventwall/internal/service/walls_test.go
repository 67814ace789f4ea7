package service_test

import (
	"errors"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/attendify/eventwall"
	"github.com/attendify/eventwall/internal/service"
	"github.com/attendify/hub"
	"github.com/attendify/platform/auth"
	"github.com/attendify/platform/errs"
)

// TestCreateWall: the settings a wall is created with, as stored: trimmed,
// deduplicated, completed with defaults and kept readable.
func TestCreateWall(t *testing.T) {
	dflt := service.WallSettings{
		Title: "Keynote", Layout: eventwall.LayoutGrid, Theme: service.DefaultTheme, Scope: eventwall.ScopeEvent,
		Hashtags: []string{}, Mode: eventwall.ModerationAuto, Blocklist: []string{}, AllowList: []string{}, DisplaySeconds: 8,
	}
	tests := []struct {
		name  string
		brand hub.Branding
		set   service.WallSettings
		want  func(*service.WallSettings)
	}{
		{"defaults", hub.Branding{}, service.WallSettings{Title: "  Keynote "}, nil},
		{
			"hashtags lower case without # once", hub.Branding{},
			service.WallSettings{Title: "Keynote", Hashtags: []string{"#Go", "go", " Rust "}},
			func(s *service.WallSettings) { s.Hashtags = []string{"go", "rust"} },
		},
		{
			"blocklist phrases with single spaces once", hub.Branding{},
			service.WallSettings{Title: "Keynote", Blocklist: []string{"buy  now", "buy now", " spam\t"}},
			func(s *service.WallSettings) { s.Blocklist = []string{"buy now", "spam"} },
		},
		{
			"allow list trimmed once", hub.Branding{},
			service.WallSettings{Title: "Keynote", AllowList: []string{" m1", "m1", "", "m2"}},
			func(s *service.WallSettings) { s.AllowList = []string{"m1", "m2"} },
		},
		{
			"unreadable text becomes white, a dim accent the default", hub.Branding{},
			service.WallSettings{Title: "Keynote", Theme: service.Theme{Background: "#000000", Text: "#111111", Accent: "#222222"}},
			func(s *service.WallSettings) {
				s.Theme = service.Theme{Background: "#000000", Text: "#ffffff", Accent: service.DefaultTheme.Accent}
			},
		},
		{
			"the app's brand without a theme", hub.Branding{PrimaryColor: "#3399ff", IconURL: "https://cdn.example/icon.png"},
			service.WallSettings{Title: "Keynote"},
			func(s *service.WallSettings) {
				s.Theme.Accent, s.Theme.Logo = "#3399ff", "https://cdn.example/icon.png"
			},
		},
		{
			"a theme given wins over the brand", hub.Branding{PrimaryColor: "#3399ff"},
			service.WallSettings{Title: "Keynote", Theme: service.Theme{Accent: "#ff0000"}},
			func(s *service.WallSettings) { s.Theme.Accent = "#ff0000" },
		},
		{
			"every other setting as given", hub.Branding{},
			service.WallSettings{Title: "Keynote", Layout: eventwall.LayoutSpotlight, Scope: eventwall.ScopeApp, PhotosOnly: true,
				Mode: eventwall.ModerationManual, DisplaySeconds: 30, Public: true},
			func(s *service.WallSettings) {
				s.Layout, s.Scope, s.PhotosOnly = eventwall.LayoutSpotlight, eventwall.ScopeApp, true
				s.Mode, s.DisplaySeconds, s.Public = eventwall.ModerationManual, 30, true
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			e.hub.brand = tt.brand
			w, err := e.svc.CreateWall(e.as(t, auth.RoleOwner), app, "ev1", tt.set)
			if err != nil {
				t.Fatal(err)
			}
			want := dflt
			if tt.want != nil {
				tt.want(&want)
			}
			if diff := cmp.Diff(want, w.Settings()); diff != "" {
				t.Errorf("settings (-want +got):\n%s", diff)
			}
			stored, err := e.walls.Wall(e.as(t, auth.RoleOwner), app, w.ID)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(w, stored); diff != "" {
				t.Errorf("stored (-returned +stored):\n%s", diff)
			}
			if w.Version != 1 || w.Event != "ev1" || w.Rules.Event != "ev1" || len(w.Token) != 32 || w.Token == w.ID {
				t.Errorf("wall %+v", w)
			}
			if private := w.ScreenKey != ""; private == w.Public {
				t.Errorf("public %v with screen key %q", w.Public, w.ScreenKey)
			}
			// The screens have the settings at once.
			scr, items := e.screen(t, w.ID)
			if scr.ID != w.ID || scr.Title != "Keynote" || scr.Version != 1 || len(items) != 0 {
				t.Errorf("screens see %+v with %d items", scr, len(items))
			}
		})
	}
}

// TestCreateWallInvalid: settings refused, with the fields at fault.
func TestCreateWallInvalid(t *testing.T) {
	tests := []struct {
		name   string
		event  string
		set    service.WallSettings
		fields []string
	}{
		{"no title", "ev1", service.WallSettings{Title: "  "}, []string{"/title"}},
		{"title too long", "ev1", service.WallSettings{Title: string(make([]rune, 121))}, []string{"/title"}},
		{"no such event", "ev9", service.WallSettings{Title: "T"}, []string{"/event_id"}},
		{"layout", "ev1", service.WallSettings{Title: "T", Layout: "carousel"}, []string{"/layout"}},
		{"colours", "ev1", service.WallSettings{Title: "T", Theme: service.Theme{Background: "black", Text: "#fff", Accent: "#12345g"}},
			[]string{"/theme/accent", "/theme/background", "/theme/text"}},
		{"logo", "ev1", service.WallSettings{Title: "T", Theme: service.Theme{Logo: "javascript:alert(1)"}}, []string{"/theme/logo_url"}},
		{"scope", "ev1", service.WallSettings{Title: "T", Scope: "world"}, []string{"/filters/scope"}},
		{"hashtag", "ev1", service.WallSettings{Title: "T", Hashtags: []string{"two words"}}, []string{"/filters/hashtags"}},
		{"too many hashtags", "ev1", service.WallSettings{Title: "T", Hashtags: numbered("h", eventwall.MaxHashtags+1)}, []string{"/filters/hashtags"}},
		{"mode", "ev1", service.WallSettings{Title: "T", Mode: "strict"}, []string{"/moderation/mode"}},
		{"empty phrase", "ev1", service.WallSettings{Title: "T", Blocklist: []string{" "}}, []string{"/moderation/blocklist"}},
		{"too many phrases", "ev1", service.WallSettings{Title: "T", Blocklist: numbered("p", eventwall.MaxBlocklist+1)}, []string{"/moderation/blocklist"}},
		{"too many allowed", "ev1", service.WallSettings{Title: "T", AllowList: numbered("m", eventwall.MaxAllowList+1)}, []string{"/moderation/allow_list"}},
		{"display too short", "ev1", service.WallSettings{Title: "T", DisplaySeconds: eventwall.MinDisplaySeconds - 1}, []string{"/display_seconds"}},
		{"display too long", "ev1", service.WallSettings{Title: "T", DisplaySeconds: eventwall.MaxDisplaySeconds + 1}, []string{"/display_seconds"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			_, err := e.svc.CreateWall(e.as(t, auth.RoleOwner), app, tt.event, tt.set)
			var fe *errs.Error
			if !errors.Is(err, errs.Invalid) || !errors.As(err, &fe) {
				t.Fatalf("got %v, want invalid fields", err)
			}
			var fields []string
			for _, f := range fe.Fields {
				if !slices.Contains(fields, f.Field) {
					fields = append(fields, f.Field)
				}
			}
			slices.Sort(fields)
			if !cmp.Equal(tt.fields, fields) {
				t.Errorf("fields %v, want %v (%v)", fields, tt.fields, err)
			}
			if all, _ := e.walls.AllWalls(e.as(t, auth.RoleOwner)); len(all) != 0 {
				t.Errorf("a refused wall was stored: %+v", all)
			}
		})
	}
}

func numbered(prefix string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = prefix + string(rune('a'+i%26)) + string(rune('a'+i/26))
	}
	return out
}

// TestPauseResume: a moderator pauses and resumes a wall's screens; each
// is a new version of the settings, which the screens get, and the posts
// stay.
func TestPauseResume(t *testing.T) {
	e := newEnv(t)
	w := e.newWall(t, func(s *service.WallSettings) { s.Mode = eventwall.ModerationOff })
	e.feed.put(post("p1", "one"))
	e.ingest(t)
	e.waitFor(t, w.ID, post("p1", "one"))
	ctx := e.as(t, auth.RoleModerator)
	for i, paused := range []bool{true, true, false} {
		got, err := e.svc.SetPaused(ctx, app, w.ID, paused)
		if want := int64(i + 2); err != nil || got.Paused != paused || got.Version != want {
			t.Fatalf("pause %v: %+v %v, want version %d", paused, got, err, want)
		}
		scr, items := e.screen(t, w.ID)
		if scr.Paused != paused || scr.Version != got.Version || len(items) != 1 {
			t.Errorf("screens see paused %v at version %d with %d posts, want paused %v at %d with 1",
				scr.Paused, scr.Version, len(items), paused, got.Version)
		}
	}
	if _, err := e.svc.SetPaused(ctx, app, "nope", true); !errors.Is(err, errs.NotFound) {
		t.Errorf("pause no wall: %v", err)
	}
}

// TestUpdateWall: settings change at the version read, and the screen key
// follows the wall's privacy.
func TestUpdateWall(t *testing.T) {
	e := newEnv(t)
	w := e.newWall(t, nil)
	ctx := e.as(t, auth.RoleAdmin)
	if _, err := e.svc.UpdateWall(ctx, app, w.ID, w.Version+1, func(s *service.WallSettings) { s.Title = "Later" }); !errors.Is(err, errs.Conflict) {
		t.Errorf("update at another version: %v, want conflict", err)
	}
	if _, err := e.svc.UpdateWall(ctx, app, w.ID, 0, func(s *service.WallSettings) { s.Layout = "carousel" }); !errors.Is(err, errs.Invalid) {
		t.Errorf("invalid update: %v", err)
	}
	public, err := e.svc.UpdateWall(ctx, app, w.ID, w.Version, func(s *service.WallSettings) { s.Public, s.Title = true, "Open" })
	if err != nil || public.Version != 2 || public.Title != "Open" || public.ScreenKey != "" || public.Token != w.Token {
		t.Fatalf("made public: %+v %v", public, err)
	}
	if _, err := e.svc.RotateKey(ctx, app, w.ID); !errors.Is(err, errs.Invalid) {
		t.Errorf("rotate a public wall's key: %v, want invalid", err)
	}
	private, err := e.svc.UpdateWall(ctx, app, w.ID, 0, func(s *service.WallSettings) { s.Public = false })
	if err != nil || private.ScreenKey == "" || private.ScreenKey == w.ScreenKey {
		t.Fatalf("made private again: %+v %v", private, err)
	}
	rotated, err := e.svc.RotateKey(ctx, app, w.ID)
	if err != nil || rotated.ScreenKey == "" || rotated.ScreenKey == private.ScreenKey {
		t.Errorf("rotate key: %+v %v", rotated, err)
	}
	// A new token: the old URL opens nothing.
	moved, err := e.svc.RotateToken(ctx, app, w.ID)
	if err != nil || moved.Token == w.Token {
		t.Fatalf("rotate token: %+v %v", moved, err)
	}
	if _, err := e.svc.WallOfToken(ctx, w.Token); !errors.Is(err, errs.NotFound) {
		t.Errorf("the old token: %v, want not found", err)
	}
	if id, err := e.svc.WallOfToken(ctx, moved.Token); err != nil || id != w.ID {
		t.Errorf("the new token: %q %v", id, err)
	}
}

// TestDeleteWall: the screens learn that a deleted wall is gone, and its
// posts leave them.
func TestDeleteWall(t *testing.T) {
	e := newEnv(t)
	w := e.newWall(t, func(s *service.WallSettings) { s.Mode = eventwall.ModerationOff })
	e.feed.put(post("p1", "one"))
	e.ingest(t)
	e.waitFor(t, w.ID, post("p1", "one"))
	ctx := e.as(t, auth.RoleOwner)
	if err := e.svc.DeleteWall(ctx, app, w.ID); err != nil {
		t.Fatal(err)
	}
	scr, items := e.screen(t, w.ID)
	if !scr.Gone || len(items) != 0 {
		t.Errorf("screens see %+v with %d posts, want it gone", scr, len(items))
	}
	if _, err := e.svc.WallOfToken(ctx, w.Token); !errors.Is(err, errs.NotFound) {
		t.Errorf("the deleted wall's token: %v", err)
	}
	if err := e.svc.DeleteWall(ctx, app, w.ID); !errors.Is(err, errs.NotFound) {
		t.Errorf("delete twice: %v", err)
	}
}
