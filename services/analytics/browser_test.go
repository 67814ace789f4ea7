package analytics_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/attendify/analytics"
	"github.com/attendify/analytics/internal/analyticstest"
	"github.com/attendify/platform/auth"
	"github.com/attendify/platform/rpc"
	"github.com/attendify/platform/testkit"
	"github.com/attendify/platform/testkit/browser"
)

// waitJS waits until the page's expression is true.
func waitJS(t *testing.T, ctx context.Context, what, expr string) {
	t.Helper()
	wctx, cancel := context.WithTimeout(ctx, testkit.WaitLimit)
	defer cancel()
	if err := chromedp.Do(wctx, chromedp.Poll[chromedp.Void](expr, chromedp.WithPollingInterval(50*time.Millisecond))); err != nil {
		t.Fatalf("waiting for %s (%s): %v", what, expr, err)
	}
}

// TestDashboardInBrowser opens an app's dashboard with a signed link in
// headless Chromium, sends events through track.batch and sees the tiles
// and a chart change without a reload, then takes screenshots (in
// TEST_ARTIFACTS_DIR, default testdata/artifacts).
func TestDashboardInBrowser(t *testing.T) {
	e := analyticstest.Start(t, analyticstest.Options{})
	app := e.CreateApp()
	org := e.AddMember(app, "Olga", auth.RoleOwner)
	m := e.AddMember(app, "Ada", auth.RoleAttendee)
	link, err := analytics.NewDashboardLink.Call(org.Ctx(context.Background()), e.Client, analytics.DashboardLinkParams{AppRef: rpc.AppRef{App: app}})
	if err != nil {
		t.Fatal(err)
	}
	ctx := browser.Chromium(t, 1280, 800)
	if err := chromedp.Do(ctx, chromedp.Navigate(link.URL)); err != nil {
		t.Fatal(err)
	}
	waitJS(t, ctx, "the first figures", `document.body.dataset.version !== undefined && document.querySelector('#tile-screen-views .value').textContent === '0'`)
	sum, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector('#chart-actions').dataset.sum`))
	if err != nil || sum != "0" {
		t.Fatalf("chart sum before = %q, %v", sum, err)
	}

	now := time.Now().UTC()
	var evs []analytics.TrackEvent
	for i := range 5 {
		evs = append(evs, screen(fmt.Sprint("v", i), now.Add(-time.Duration(i)*time.Minute)))
	}
	evs = append(evs, tap("t1", analytics.TargetSession, "opening-keynote", now), tap("t2", analytics.TargetSpeaker, "grace-hopper", now))
	if _, err := analytics.Track.Call(m.Ctx(context.Background()), e.Client, batch(app, "install-ada", evs...)); err != nil {
		t.Fatal(err)
	}
	if _, err := analytics.Track.Call(context.Background(), e.Client, batch(app, "install-anon", screen("1", now))); err != nil {
		t.Fatal(err)
	}
	waitJS(t, ctx, "the new numbers", `document.querySelector('#tile-screen-views .value').textContent === '6' &&
		document.querySelector('#tile-live-members .value').textContent === '1' &&
		document.querySelector('#tile-live-installs .value').textContent === '2'`)
	waitJS(t, ctx, "the chart redrawn", `document.querySelector('#chart-actions').dataset.sum === '8'`)
	waitJS(t, ctx, "the top lists", `document.querySelector('#list-sessions li .id').textContent === 'opening-keynote' &&
		document.querySelector('#list-leaderboard li .id').textContent === 'Ada'`)
	shown, err := chromedp.Run(ctx, chromedp.Evaluate[string](`getComputedStyle(document.getElementById('signin')).display`))
	if err != nil || shown != "none" {
		t.Errorf("the sign-in form shows (display %q, %v) on a page opened with a link", shown, err)
	}
	browser.Screenshot(t, ctx, "dashboard-laptop.png")

	// The projector: a larger window, the same page.
	pctx := browser.Chromium(t, 1920, 1080)
	if err := chromedp.Do(pctx, chromedp.Navigate(link.URL)); err != nil {
		t.Fatal(err)
	}
	waitJS(t, pctx, "the figures on the projector", `document.querySelector('#tile-screen-views .value').textContent === '6'`)
	browser.Screenshot(t, pctx, "dashboard-projector.png")

	// Without a link or a token the page asks to sign in.
	sctx := browser.Chromium(t, 1280, 800)
	if err := chromedp.Do(sctx, chromedp.Navigate(e.URL+"/dashboard/"+app)); err != nil {
		t.Fatal(err)
	}
	waitJS(t, sctx, "the sign-in form", `!document.getElementById('signin').hidden`)
}
