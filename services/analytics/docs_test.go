package analytics_test

import (
	"flag"
	"testing"
	"time"

	"github.com/attendify/analytics"
	"github.com/attendify/analytics/internal/analyticstest"
	"github.com/attendify/platform/auth"
	"github.com/attendify/platform/rpc"
	"github.com/attendify/platform/rpc/rpcdoc"
	"github.com/attendify/platform/testkit"
)

var update = flag.Bool("update", false, "rewrite docs/methods.md")

// TestMethodsDoc keeps docs/methods.md equal to what rpc.discover says and
// to what a running analytics answers: it calls every method once, as an
// app, a dashboard or an operator would, and renders the calls as the
// examples. Run `go test -run TestMethodsDoc -update` after changing a method.
func TestMethodsDoc(t *testing.T) {
	e := analyticstest.Start(t, analyticstest.Options{})
	app := e.CreateApp()
	m := e.AddMember(app, "Ada", auth.RoleAttendee)
	org := e.AddMember(app, "Olga", auth.RoleOwner)
	ctx := testkit.Context(t)
	settled(t, e, org, app, 2)

	rec := rpcdoc.NewRecorder()
	c := rec.Client(t, e.URL, nil)
	authCfg := e.Config.Service.Auth
	authCfg.ServiceName = "tests"
	signer, err := authCfg.Signer()
	if err != nil {
		t.Fatal(err)
	}
	svc := rec.Client(t, e.URL, &signer)
	call := func(_ any, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}

	now := time.Now().UTC()
	call(analytics.Track.Call(m.Ctx(ctx), c, batch(app, "install-ada", screen("1", now), tap("2", analytics.TargetSession, "s1", now))))
	testkit.Eventually(t, "the taps counted", func() bool {
		return today(t, e, org, app).Counts[analytics.CountTaps] == 1
	})
	octx := org.Ctx(ctx)
	day := now.Truncate(24 * time.Hour)
	daily := analytics.RangeParams{AppRef: rpc.AppRef{App: app}, From: day, To: day.Add(24 * time.Hour), Step: analytics.StepDay}
	call(analytics.GetSeries.Call(octx, c, daily))
	call(analytics.GetLive.Call(octx, c, analytics.LiveParams{AppRef: rpc.AppRef{App: app}, Minutes: 1}))
	call(analytics.GetAdoption.Call(octx, c, daily))
	call(analytics.GetTop.Call(octx, c, analytics.TopParams{RangeParams: daily, Kind: "sessions", Limit: 10}))
	call(analytics.GetLeaderboard.Call(octx, c, analytics.LeaderboardParams{AppRef: rpc.AppRef{App: app}, Limit: 10}))
	call(analytics.GetSponsored.Call(octx, c, daily))
	call(analytics.NewDashboardLink.Call(octx, c, analytics.DashboardLinkParams{AppRef: rpc.AppRef{App: app}, TTLHours: 24}))
	call(analytics.Fold.Call(ctx, svc, analytics.FoldParams{All: true}))
	call(analytics.Rebuild.Call(ctx, svc, analytics.RebuildParams{App: app, Days: 1}))

	rpcdoc.Generate(t, rpcdoc.Doc{
		Service:    "analytics",
		Discovery:  rpcdoc.Discover(t, e.URL),
		Recorder:   rec,
		Vary:       []string{"score", "skew_ms"}, // the score decays with the time since the tap; the clocks differ by a few ms
		Regenerate: "go test -run TestMethodsDoc -update (in services/analytics)",
	}, "docs/methods.md", *update)
}
