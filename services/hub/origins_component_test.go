package hub_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/attendify/hub"
	"github.com/attendify/hub/internal/hubtest"
	"github.com/attendify/platform/errs"
	"github.com/attendify/platform/rpc"
	"github.com/attendify/platform/testkit"
)

// TestAppWebOrigins: an organizer sets the app's web origins with
// app.update (checked, normalised); hub's read model then allows them for
// every service's CORS check (hub's own included), and no other origin.
func TestAppWebOrigins(t *testing.T) {
	env := hubtest.Start(t)
	ctx := testkit.Context(t)
	c := env.Client
	acct := must(hub.DevSignUp(ctx, c, env.Service, "ada@example.com", "correct horse battery", "Ada"))(t)
	app := must(hub.CreateApp.Call(hubtest.As(ctx, acct.Token), c, hub.CreateAppParams{Name: "Conf", Slug: "conf-origins"}))(t)
	if app.WebOrigins == nil || len(app.WebOrigins) != 0 {
		t.Errorf("a new app's web_origins: %#v, want []", app.WebOrigins)
	}
	at := must(hub.AppTokenFor.Call(hubtest.As(ctx, acct.Token), c, hub.AppParams{AppRef: rpc.AppRef{App: app.ID}}))(t)
	actx := hubtest.As(ctx, at.Token)

	bad := []string{"http://conf.example.org"}
	if _, err := hub.UpdateApp.Call(actx, c, hub.UpdateAppParams{AppRef: rpc.AppRef{App: app.ID}, WebOrigins: &bad}); errs.KindOf(err) != errs.Invalid {
		t.Errorf("an http origin: %v, want invalid", err)
	}
	origins := []string{"https://Conf.Example.org/", "http://localhost:5173"}
	got := must(hub.UpdateApp.Call(actx, c, hub.UpdateAppParams{AppRef: rpc.AppRef{App: app.ID}, WebOrigins: &origins}))(t)
	want := []string{"https://conf.example.org", "http://localhost:5173"}
	if diff := cmp.Diff(want, got.WebOrigins); diff != "" {
		t.Errorf("web_origins (-want +got):\n%s", diff)
	}
	if again := must(hub.GetApp.Call(actx, c, hub.AppParams{AppRef: rpc.AppRef{App: app.ID}}))(t); !cmp.Equal(want, again.WebOrigins) {
		t.Errorf("app.get's web_origins: %q", again.WebOrigins)
	}

	for _, o := range want {
		if allowed := testkit.Preflight(t, env.URL+"/rpc", o).Header.Get("Access-Control-Allow-Origin"); allowed != o {
			t.Errorf("a preflight from the app's origin %s: allowed %q", o, allowed)
		}
	}
	if allowed := testkit.Preflight(t, env.URL+"/rpc", "https://evil.example.net").Header.Get("Access-Control-Allow-Origin"); allowed != "" {
		t.Errorf("a preflight from another origin: allowed %q", allowed)
	}
}
