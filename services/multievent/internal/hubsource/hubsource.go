// Package hubsource reads an app's content from hub's API, for rebuilds:
// app.ids lists the apps; event.list, speaker.list and agenda.get (which a
// signed service call may make for any app) give an app's events, speakers,
// rooms, tracks and sessions.
package hubsource

import (
	"context"
	"errors"
	"time"

	"github.com/attendify/hub"
	"github.com/attendify/multievent/internal/derr"
	"github.com/attendify/multievent/internal/service"
	"github.com/attendify/platform/errs"
	"github.com/attendify/platform/rpc"
)

// Source reads hub through a client that signs its calls as a service.
type Source struct {
	client *rpc.Client
}

var _ service.Hub = (*Source)(nil)

// New returns a source on client (signed: service calls).
func New(client *rpc.Client) *Source { return &Source{client: client} }

// AppIDs implements service.Hub.
func (s *Source) AppIDs(ctx context.Context) (_ []string, err error) {
	defer derr.Wrap(&err, "AppIDs")
	return hub.AllAppIDs(ctx, s.client)
}

// AppContent implements service.Hub.
func (s *Source) AppContent(ctx context.Context, app string) (_ service.AppSnapshot, err error) {
	defer derr.Wrap(&err, "AppContent(%q)", app)
	var snap service.AppSnapshot
	evs, err := hub.ListEvents.Call(ctx, s.client, hub.AppParams{AppRef: rpc.AppRef{App: app}})
	if err != nil {
		return snap, err
	}
	sps, err := hub.ListSpeakers.Call(ctx, s.client, hub.AppParams{AppRef: rpc.AppRef{App: app}})
	if err != nil {
		return snap, err
	}
	for _, p := range sps.Speakers {
		snap.Speakers = append(snap.Speakers, service.Speaker{ID: p.ID, AppID: app, Name: p.Name, Company: p.Company,
			Title: p.Title, Bio: p.Bio, PhotoURL: p.PhotoURL})
	}
	for _, e := range evs.Events {
		snap.Events = append(snap.Events, service.Event{ID: e.ID, AppID: app, Name: e.Name, TimeZone: e.TimeZone,
			Venue: e.Venue, Visibility: e.Visibility, Access: e.Access, Start: e.StartUTC, End: e.EndUTC})
		ag, err := hub.GetAgenda.Call(ctx, s.client, hub.AgendaParams{AppRef: rpc.AppRef{App: app}, Event: e.ID})
		if errors.Is(err, errs.NotFound) {
			continue // deleted since the listing: its event.deleted follows
		}
		if err != nil {
			return snap, err
		}
		for _, r := range ag.Rooms {
			snap.Rooms = append(snap.Rooms, service.Room{ID: r.ID, AppID: app, EventID: r.EventID, Name: r.Name, Capacity: r.Capacity})
		}
		for _, t := range ag.Tracks {
			snap.Tracks = append(snap.Tracks, service.Track{ID: t.ID, AppID: app, EventID: t.EventID, Name: t.Name, Color: t.Color})
		}
		for _, d := range ag.Days {
			for _, x := range d.Sessions {
				snap.Sessions = append(snap.Sessions, session(app, x))
			}
		}
	}
	return snap, nil
}

func session(app string, x hub.Session) service.Session {
	out := service.Session{ID: x.ID, AppID: app, EventID: x.EventID, Title: x.Title, Description: x.Description,
		Start: x.StartUTC.UTC().Truncate(time.Second), End: x.EndUTC.UTC().Truncate(time.Second), Capacity: x.Capacity,
		SpeakerIDs: []string{}}
	if x.Room != nil {
		out.RoomID = x.Room.ID
	}
	if x.Track != nil {
		out.TrackID = x.Track.ID
	}
	for _, p := range x.Speakers {
		out.SpeakerIDs = append(out.SpeakerIDs, p.ID)
	}
	return out
}
