package social_test

import (
	"testing"

	"github.com/attendify/platform/testkit"
	"github.com/attendify/social/internal/socialtest"
)

// TestAppOriginsCORS: a browser on one of an app's web origins (hub's app
// settings, through hub's read model) may call social; another origin may
// not.
func TestAppOriginsCORS(t *testing.T) {
	env := socialtest.Start(t, socialtest.Options{})
	app := env.CreateApp()
	env.SetWebOrigins(app, "https://conf.example.org")
	preflight := func(origin string) string {
		return testkit.Preflight(t, env.URL+"/rpc", origin).Header.Get("Access-Control-Allow-Origin")
	}
	if got := preflight("https://conf.example.org"); got != "https://conf.example.org" {
		t.Errorf("a preflight from the app's origin: allowed %q", got)
	}
	if got := preflight("https://evil.example.net"); got != "" {
		t.Errorf("a preflight from another origin: allowed %q", got)
	}
}
