package hub_test

import (
	"encoding/json"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/attendify/hub"
	"github.com/attendify/hub/internal/hubtest"
	"github.com/attendify/platform/events"
	"github.com/attendify/platform/rpc"
	"github.com/attendify/platform/testkit"
)

// typesAbout lists the types of the events about subject, in stream order.
func typesAbout(evs []events.Event, subject string) []string {
	var out []string
	for _, e := range evs {
		if e.Subject == subject {
			out = append(out, e.Type)
		}
	}
	return out
}

// lastAbout decodes the data of the last event about subject into v.
func lastAbout(t *testing.T, evs []events.Event, subject string, v any) {
	t.Helper()
	for i := len(evs) - 1; i >= 0; i-- {
		if evs[i].Subject == subject {
			if err := json.Unmarshal(evs[i].Data, v); err != nil {
				t.Fatal(err)
			}
			return
		}
	}
	t.Fatalf("no event about %s", subject)
}

// TestAgendaEvents: every change of rooms, tracks and speakers is
// announced on their own topics, bulk upserts included (with the rooms and
// tracks a bulk upsert of sessions creates by name), sessions carry their
// description, and an event's new time zone announces its moved sessions.
func TestAgendaEvents(t *testing.T) {
	env := hubtest.Start(t)
	ctx := testkit.Context(t)
	app, tok := newApp(t, env, "agenda-events")
	octx := hubtest.As(ctx, tok)
	c := env.Client
	ev := must(hub.CreateEvent.Call(octx, c, hub.CreateEventParams{AppRef: rpc.AppRef{App: app.ID}, Name: "Conf", TimeZone: "Europe/Paris",
		Start: "2026-06-11T09:00", End: "2026-06-12T18:00"}))(t)
	room := must(hub.SaveRoom.Call(octx, c, hub.RoomParams{AppRef: rpc.AppRef{App: app.ID}, Event: ev.ID, Name: "Hall", Capacity: 300}))(t)
	must(hub.SaveRoom.Call(octx, c, hub.RoomParams{AppRef: rpc.AppRef{App: app.ID}, Event: ev.ID, Room: room.ID, Name: "Great Hall", Capacity: 300}))(t)
	spare := must(hub.SaveRoom.Call(octx, c, hub.RoomParams{AppRef: rpc.AppRef{App: app.ID}, Event: ev.ID, Name: "Spare"}))(t)
	must(hub.DeleteRoom.Call(octx, c, hub.ItemParams{AppRef: rpc.AppRef{App: app.ID}, ID: spare.ID}))(t)
	track := must(hub.SaveTrack.Call(octx, c, hub.TrackParams{AppRef: rpc.AppRef{App: app.ID}, Event: ev.ID, Name: "Go", Color: "#00ADD8"}))(t)
	sp := must(hub.SaveSpeaker.Call(octx, c, hub.SpeakerParams{AppRef: rpc.AppRef{App: app.ID}, SpeakerInput: hub.SpeakerInput{
		Name: "Rob", Email: "rob@example.com", Company: "Bell Labs", Bio: "Plan 9"}}))(t)
	gone := must(hub.SaveSpeaker.Call(octx, c, hub.SpeakerParams{AppRef: rpc.AppRef{App: app.ID}, SpeakerInput: hub.SpeakerInput{Name: "Gone"}}))(t)
	must(hub.DeleteSpeaker.Call(octx, c, hub.ItemParams{AppRef: rpc.AppRef{App: app.ID}, ID: gone.ID}))(t)
	x := must(hub.SaveSession.Call(octx, c, hub.SessionParams{AppRef: rpc.AppRef{App: app.ID}, Event: ev.ID, SessionInput: hub.SessionInput{
		Title: "Keynote", Description: "Why simplicity", Start: "2026-06-11T09:30", End: "2026-06-11T10:30",
		Room: room.ID, Track: track.ID, Capacity: 250, Speakers: []string{sp.ID}}}))(t)
	bs := must(hub.BulkSpeakers.Call(ctx, env.Service, hub.BulkSpeakersParams{AppRef: rpc.AppRef{App: app.ID}, Speakers: []hub.SpeakerInput{
		{ExternalID: "k-1", Name: "Ken"}, {ExternalID: "k-2", Name: "Dennis"}}}))(t)
	must(hub.BulkSpeakers.Call(ctx, env.Service, hub.BulkSpeakersParams{AppRef: rpc.AppRef{App: app.ID}, Speakers: []hub.SpeakerInput{
		{ExternalID: "k-1", Name: "Ken"}, {ExternalID: "k-2", Name: "Dennis Ritchie"}}}))(t)
	bx := must(hub.BulkSessions.Call(ctx, env.Service, hub.BulkSessionsParams{AppRef: rpc.AppRef{App: app.ID}, Event: ev.ID, Sessions: []hub.BulkSessionInput{
		{ExternalID: "b-1", Title: "Unix", Start: "2026-06-11T11:00", End: "2026-06-11T12:00", Room: "Annex", Track: "History"},
		{ExternalID: "b-2", Title: "C", Start: "2026-06-11T11:00", End: "2026-06-11T12:00", Room: "Great Hall"},
	}}))(t)
	newTZ := "America/New_York"
	must(hub.UpdateEvent.Call(octx, c, hub.UpdateEventParams{AppRef: rpc.AppRef{App: app.ID}, Event: ev.ID, TimeZone: &newTZ}))(t)

	rooms := streamEvents(t, env, "room")
	if diff := cmp.Diff([]string{hub.EventRoomCreated, hub.EventRoomUpdated}, typesAbout(rooms, room.ID)); diff != "" {
		t.Errorf("room events (-want +got):\n%s", diff)
	}
	var rp hub.RoomPayload
	lastAbout(t, rooms, room.ID, &rp)
	if diff := cmp.Diff(hub.RoomPayload{ID: room.ID, AppID: app.ID, EventID: ev.ID, Name: "Great Hall", Capacity: 300}, rp); diff != "" {
		t.Errorf("room payload (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{hub.EventRoomCreated, hub.EventRoomDeleted}, typesAbout(rooms, spare.ID)); diff != "" {
		t.Errorf("deleted room's events (-want +got):\n%s", diff)
	}
	var del hub.IDsPayload
	lastAbout(t, rooms, spare.ID, &del)
	if del.EventID != ev.ID {
		t.Errorf("room.deleted names event %q, want %q", del.EventID, ev.ID)
	}
	var annex []string // the room the bulk upsert made
	for _, e := range rooms {
		var p hub.RoomPayload
		_ = json.Unmarshal(e.Data, &p)
		if p.Name == "Annex" {
			annex = append(annex, e.Type)
		}
	}
	if diff := cmp.Diff([]string{hub.EventRoomCreated}, annex); diff != "" {
		t.Errorf("events of the room a bulk upsert created (-want +got):\n%s", diff)
	}
	tracks := streamEvents(t, env, "track")
	if got := typesAbout(tracks, track.ID); !slices.Equal(got, []string{hub.EventTrackCreated}) {
		t.Errorf("track events: %v", got)
	}
	if len(tracks) != 2 {
		t.Errorf("%d track events, want 2 (Go, and History from the bulk upsert)", len(tracks))
	}

	speakers := streamEvents(t, env, "speaker")
	if diff := cmp.Diff([]string{hub.EventSpeakerCreated, hub.EventSpeakerDeleted}, typesAbout(speakers, gone.ID)); diff != "" {
		t.Errorf("deleted speaker's events (-want +got):\n%s", diff)
	}
	var spp hub.SpeakerPayload
	lastAbout(t, speakers, sp.ID, &spp)
	if diff := cmp.Diff(hub.SpeakerPayload{ID: sp.ID, AppID: app.ID, Name: "Rob", Company: "Bell Labs", Bio: "Plan 9"}, spp); diff != "" {
		t.Errorf("speaker payload, without the email (-want +got):\n%s", diff)
	}
	// Ken: created, then unchanged (no event); Dennis: created, updated.
	if got := typesAbout(speakers, bs.IDs[0]); !slices.Equal(got, []string{hub.EventSpeakerCreated}) {
		t.Errorf("bulk speaker Ken: %v", got)
	}
	if got := typesAbout(speakers, bs.IDs[1]); !slices.Equal(got, []string{hub.EventSpeakerCreated, hub.EventSpeakerUpdated}) {
		t.Errorf("bulk speaker Dennis: %v", got)
	}

	sessions := streamEvents(t, env, "session")
	var xp hub.SessionPayload
	lastAbout(t, sessions, x.ID, &xp)
	if xp.Description != "Why simplicity" || xp.Capacity != 250 {
		t.Errorf("session payload lacks description or capacity: %+v", xp)
	}
	// The new time zone moved every session: 09:30 in New York.
	if got := xp.StartUTC.Format("15:04"); got != "13:30" {
		t.Errorf("keynote starts %s UTC after the move, want 13:30", got)
	}
	for _, id := range append([]string{x.ID}, bx.IDs...) {
		if got := typesAbout(sessions, id); len(got) != 2 || got[1] != hub.EventSessionUpdated {
			t.Errorf("session %s: %v, want created then updated by the time zone change", id, got)
		}
	}
}
