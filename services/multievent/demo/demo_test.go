package demo_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/attendify/hub"
	"github.com/attendify/multievent/demo"
	"github.com/attendify/multievent/internal/metest"
	"github.com/attendify/platform/auth"
	"github.com/attendify/platform/errs"
	"github.com/attendify/platform/rpc"
	"github.com/attendify/platform/testkit"
)

// public serves a hub method without checking the caller.
func public[P, R any](m rpc.Method[P, R]) rpc.Method[P, R] {
	m.Auth = auth.Public
	return m
}

// TestDemo runs the `make run` demo against a running multievent, with
// hub's demo output (hub.json) in DEMO_DIR and a hub that answers the two
// calls the demo makes: it prints a calendar URL whose feed holds the
// bookmarked sessions in two time zones.
func TestDemo(t *testing.T) {
	env := metest.Start(t, metest.Options{})
	ctx := testkit.Context(t)
	app := env.CreateApp()
	now := time.Now().UTC().Truncate(time.Hour)
	conf := env.NewEventPayload("Demo Conf 2026", "Europe/Paris", now.Add(24*time.Hour), 32)
	past := env.NewEventPayload("Demo Conf 2025", "America/New_York", now.Add(-300*24*time.Hour), 32)
	env.Event(app, conf)
	env.Event(app, past)
	member := env.AddMember(app, "Demo Attendee", auth.RoleAttendee)
	owner := env.AddMember(app, "Demo Organizer", auth.RoleOwner)
	agendas := map[string]hub.Agenda{}
	for _, e := range []hub.EventPayload{conf, past} {
		var day hub.AgendaDay
		for i := range 3 {
			id := env.NewID()
			start := e.StartUTC.Add(time.Duration(i) * 45 * time.Minute)
			env.Session(app, hub.SessionPayload{ID: id, EventID: e.ID, Title: "Talk " + id, StartUTC: start, EndUTC: start.Add(time.Hour)}, false)
			day.Sessions = append(day.Sessions, hub.Session{ID: id, EventID: e.ID, Title: "Talk " + id})
		}
		agendas[e.ID] = hub.Agenda{Days: []hub.AgendaDay{day}}
	}
	srv := rpc.NewServer(rpc.Options{Name: "hub"})
	rpc.Handle(srv, public(hub.SearchMembers), func(context.Context, hub.SearchMembersParams) (hub.MemberPage, error) {
		return hub.MemberPage{Members: []hub.Member{{ID: member.ID, Email: "attendee@attendify.dev", Name: "Demo Attendee"}}}, nil
	})
	rpc.Handle(srv, public(hub.GetAgenda), func(_ context.Context, p hub.AgendaParams) (hub.Agenda, error) {
		ag, ok := agendas[p.Event]
		if !ok {
			return hub.Agenda{}, errs.New(errs.NotFound, "no such event")
		}
		return ag, nil
	})
	fakeHub := httptest.NewServer(srv)
	t.Cleanup(fakeHub.Close)

	dir := t.TempDir()
	hubJSON, _ := json.Marshal(map[string]any{"app_id": app, "app_token": owner.Token, "member_email": "attendee@attendify.dev",
		"event_ids": []string{conf.ID, past.ID}})
	if err := os.WriteFile(filepath.Join(dir, "hub.json"), hubJSON, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("DEMO_DIR", dir)
	t.Setenv("HUB_URL", fakeHub.URL)
	t.Setenv("MULTIEVENT_URL", env.URL)
	var out bytes.Buffer
	if err := demo.Run(ctx, &out); err != nil {
		t.Fatalf("demo: %v", err)
	}
	var s demo.Summary
	if err := json.Unmarshal(out.Bytes(), &s); err != nil {
		t.Fatalf("demo printed %q: %v", out.String(), err)
	}
	if s.MemberID != member.ID || s.Bookmarks != 4 || s.Conflicts != 2 || !strings.HasPrefix(s.CalendarURL, env.URL+"/calendar/") {
		t.Errorf("summary: %+v", s)
	}
	resp, err := http.Get(s.CalendarURL)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || bytes.Count(body, []byte("BEGIN:VEVENT")) != 4 ||
		!bytes.Contains(body, []byte("TZID:Europe/Paris")) || !bytes.Contains(body, []byte("TZID:America/New_York")) {
		t.Errorf("the demo's feed: %d\n%s", resp.StatusCode, body)
	}
}
