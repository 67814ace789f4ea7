package eventwall_test

import (
	"testing"

	"github.com/attendify/eventwall"
	"github.com/attendify/eventwall/internal/walltest"
	"github.com/attendify/hub"
	"github.com/attendify/platform/auth"
	"github.com/attendify/platform/rpc"
	"github.com/attendify/platform/testkit"
)

// TestWallTakesTheAppsBrand: a wall created without a theme wears the
// app's brand from hub's app settings (its primary colour as the accent,
// its icon as the logo); a theme whose text would be unreadable on its
// background gets readable text.
func TestWallTakesTheAppsBrand(t *testing.T) {
	env := walltest.Start(t, walltest.Options{})
	ctx := testkit.Context(t)
	ev := env.NewEvent("Summit")
	app := env.CreateApp(ev)
	env.SetBranding(app, hub.Branding{PrimaryColor: "#FFCC00", AccentColor: "#112233", IconURL: "https://example.com/icon.png"})
	owner := env.AddMember(app, "Olive Owner", auth.RoleOwner)
	octx := owner.Ctx(ctx)

	w, err := eventwall.CreateWall.Call(octx, env.Client, eventwall.CreateWallParams{AppRef: rpc.AppRef{App: app}, EventID: ev.ID, Title: "Branded"})
	if err != nil {
		t.Fatal(err)
	}
	if w.Theme.Accent != "#FFCC00" || w.Theme.LogoURL != "https://example.com/icon.png" {
		t.Errorf("theme %+v, want the app's primary colour and icon", w.Theme)
	}

	// Grey on grey: the text becomes black; an accent lost in the
	// background becomes the default one.
	w, err = eventwall.CreateWall.Call(octx, env.Client, eventwall.CreateWallParams{AppRef: rpc.AppRef{App: app}, EventID: ev.ID, Title: "Grey",
		Theme: &eventwall.Theme{Background: "#aaaaaa", Text: "#999999", Accent: "#a0a0a0"}})
	if err != nil {
		t.Fatal(err)
	}
	if w.Theme.Text != "#000000" || w.Theme.Accent == "#a0a0a0" {
		t.Errorf("theme %+v, want black text and another accent", w.Theme)
	}
}
