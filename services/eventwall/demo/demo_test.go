package demo_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/attendify/eventwall/demo"
	"github.com/attendify/eventwall/internal/walltest"
	"github.com/attendify/platform/auth"
	"github.com/attendify/platform/testkit"
)

// TestDemo runs the `make run` demo against a running eventwall with hub's
// demo output (hub.json) in DEMO_DIR: it prints a wall URL that serves the
// wall, and a second run finds the same wall.
func TestDemo(t *testing.T) {
	env := walltest.Start(t, walltest.Options{})
	ev := env.NewEvent("Demo conf")
	app := env.CreateApp(ev, env.NewEvent("Day 2"))
	owner := env.AddMember(app, "Demo Organizer", auth.RoleOwner)
	dir := t.TempDir()
	hubJSON, _ := json.Marshal(map[string]any{"AppID": app, "EventIDs": []string{ev.ID}, "AppToken": owner.Token, "Slug": "demo-conf"})
	if err := os.WriteFile(filepath.Join(dir, "hub.json"), hubJSON, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("DEMO_DIR", dir)
	t.Setenv("EVENTWALL_URL", env.URL)

	run := func() demo.Summary {
		t.Helper()
		var out bytes.Buffer
		if err := demo.Run(testkit.Context(t), &out); err != nil {
			t.Fatalf("demo: %v", err)
		}
		var s demo.Summary
		if err := json.Unmarshal(out.Bytes(), &s); err != nil {
			t.Fatalf("demo printed %q: %v", out.String(), err)
		}
		return s
	}
	first := run()
	if !first.Created || first.WallURL != env.URL+"/walls/"+first.WallID || first.EventID != ev.ID {
		t.Errorf("first run: %+v", first)
	}
	resp, err := http.Get(first.WallURL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
		t.Errorf("wall page: HTTP %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	if again := run(); again.Created || again.WallID != first.WallID {
		t.Errorf("second run: %+v, want the same wall", again)
	}
}
