package demo_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/attendify/platform/auth"
	"github.com/attendify/platform/testkit"
	"github.com/attendify/sponsored/demo"
	"github.com/attendify/sponsored/internal/sponsoredtest"
	"github.com/attendify/sponsored/placement"
)

// TestSeed: the demo makes two live campaigns whose report pages answer,
// a feed page gets a sponsored post, and a second run finds them.
func TestSeed(t *testing.T) {
	now := time.Now()
	env := sponsoredtest.Start(t, sponsoredtest.Options{Start: now})
	ctx := testkit.Context(t)
	app := env.CreateApp(env.NewEvent("Demo"))
	owner := env.AddMember(app, "Owner", auth.RoleOwner)
	first, err := demo.Seed(ctx, env.URL, app, owner.Token, now)
	if err != nil {
		t.Fatal(err)
	}
	if len(first.Campaigns) != 2 || !strings.Contains(first.Campaigns[0], "live") || !strings.Contains(first.Campaigns[1], "live") {
		t.Errorf("campaigns %q", first.Campaigns)
	}
	for _, u := range []string{first.ReportURL, first.LeadReportURL} {
		resp, err := http.Get(u)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Errorf("GET %s: HTTP %d", u, resp.StatusCode)
		}
	}
	if got := env.Placer().Fill(ctx, app, "", placement.Viewer{Member: "m1"}, 20); len(got) != 2 {
		t.Errorf("a page of 20 got %d sponsored items, want both campaigns", len(got))
	}
	again, err := demo.Seed(ctx, env.URL, app, owner.Token, now)
	if err != nil || again.ReportURL != first.ReportURL || strings.Join(again.Campaigns, ",") != strings.Join(first.Campaigns, ",") {
		t.Errorf("second run: %+v %v", again, err)
	}
}
