package demo_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/attendify/analytics"
	"github.com/attendify/analytics/demo"
	"github.com/attendify/analytics/internal/analyticstest"
	"github.com/attendify/platform/auth"
	"github.com/attendify/platform/rpc"
)

// TestDemo sends the simulated day to a real analytics service, as `make
// run` does, and checks that the figures show it, that the dashboard link
// opens, and that a second run the same day counts nothing twice.
func TestDemo(t *testing.T) {
	e := analyticstest.Start(t, analyticstest.Options{})
	app := e.CreateApp(e.NewEvent("Demo conference"))
	org := e.AddMember(app, "Olga", auth.RoleOwner)
	m := e.AddMember(app, "Ada", auth.RoleAttendee)
	dir := t.TempDir()
	info, _ := json.Marshal(map[string]any{"app_id": app, "app_token": org.Token, "member_token": m.Token})
	if err := os.WriteFile(filepath.Join(dir, "hub.json"), info, 0o644); err != nil {
		t.Fatal(err)
	}
	run := func() demo.Summary {
		var out bytes.Buffer
		if err := demo.Run(context.Background(), demo.Config{Dir: dir, URL: e.URL}, &out); err != nil {
			t.Fatal(err)
		}
		var s demo.Summary
		if err := json.Unmarshal(out.Bytes(), &s); err != nil {
			t.Fatalf("demo printed %q: %v", out.String(), err)
		}
		return s
	}
	s := run()
	if s.Sent < 500 || s.Accepted != s.Sent || s.Installs != 80 {
		t.Errorf("summary = %+v; want 80 installs, every event accepted", s)
	}
	resp, err := http.Get(s.DashboardURL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("dashboard link: %d", resp.StatusCode)
	}
	live, err := analytics.GetLive.Call(org.Ctx(context.Background()), e.Client, analytics.LiveParams{AppRef: rpc.AppRef{App: app}})
	if err != nil {
		t.Fatal(err)
	}
	if live.LiveInstalls == 0 || live.Today.Counts[analytics.CountScreenViews] == 0 || len(live.Top[analytics.TopSessions]) == 0 {
		t.Errorf("live after the demo = %+v", live)
	}
	// Run again: only events that were still in the future the first
	// time are new, and every app event is counted once (each counts in
	// exactly one of these counters).
	again := run()
	if again.Accepted > s.Sent/20 {
		t.Errorf("a second run accepted %d of %d events", again.Accepted, again.Sent)
	}
	now := time.Now().UTC()
	series, err := analytics.GetSeries.Call(org.Ctx(context.Background()), e.Client, analytics.RangeParams{AppRef: rpc.AppRef{App: app}, From: now.Add(-9 * time.Hour), To: now.Add(time.Hour), Step: analytics.StepHour})
	if err != nil {
		t.Fatal(err)
	}
	var counted int64
	for _, c := range []string{analytics.CountSessions, analytics.CountSessionEnds, analytics.CountScreenViews, analytics.CountTaps, analytics.CountCustom} {
		counted += series.Totals[c]
	}
	if counted != int64(s.Accepted+again.Accepted) {
		t.Errorf("counted %d app events, accepted %d + %d", counted, s.Accepted, again.Accepted)
	}
}
