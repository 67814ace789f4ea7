package service

import (
	"context"
	"errors"
	"slices"
	"time"

	"github.com/attendify/hub"
	"github.com/attendify/platform/errs"
)

// editAgenda runs fn in a transaction after the matrix check for agenda
// edits.
func (s *Service) editAgenda(ctx context.Context, app string, fn func(q Queries) error) error {
	return s.store.InTx(ctx, func(q Queries) error {
		if _, err := s.authorize(ctx, q, app, hub.ActEditAgenda); err != nil {
			return err
		}
		return fn(q)
	})
}

func nameTaken(what string) func(error) error {
	return func(err error) error {
		if taken(err) {
			return errs.WithCode(errs.CodeConflict, "the event has a %s of this name already", what)
		}
		return err
	}
}

// SaveRoom creates (empty ID) or changes a room.
func (s *Service) SaveRoom(ctx context.Context, r Room) (Room, error) {
	create := r.ID == ""
	if create {
		r.ID = s.newID()
	}
	err := s.editAgenda(ctx, r.AppID, func(q Queries) error {
		if _, err := q.Event(ctx, r.AppID, r.EventID, false); err != nil {
			return err
		}
		if err := nameTaken("room")(q.SaveRoom(ctx, r, create)); err != nil {
			return err
		}
		return q.Announce(ctx, event(created(create, hub.EventRoomCreated, hub.EventRoomUpdated), r.AppID, r.ID, roomPayload(r)))
	})
	return r, err
}

// created picks the event type of a save: creation or update.
func created(create bool, createdType, updatedType string) string {
	if create {
		return createdType
	}
	return updatedType
}

func roomPayload(r Room) hub.RoomPayload {
	return hub.RoomPayload{ID: r.ID, AppID: r.AppID, EventID: r.EventID, Name: r.Name, Capacity: r.Capacity}
}

func trackPayload(t Track) hub.TrackPayload {
	return hub.TrackPayload{ID: t.ID, AppID: t.AppID, EventID: t.EventID, Name: t.Name, Color: t.Color}
}

func speakerPayload(sp Speaker) hub.SpeakerPayload {
	return hub.SpeakerPayload{ID: sp.ID, AppID: sp.AppID, ExternalID: sp.ExternalID, Name: sp.Name, Company: sp.Company,
		Title: sp.Title, Bio: sp.Bio, PhotoURL: sp.PhotoURL}
}

// DeleteRoom deletes a room no session uses.
func (s *Service) DeleteRoom(ctx context.Context, app, id string) error {
	return s.editAgenda(ctx, app, func(q Queries) error {
		r, err := q.Room(ctx, app, id)
		if err != nil {
			return err
		}
		err = q.DeleteRoom(ctx, app, id)
		if errors.Is(err, errs.Invalid) {
			return errs.New(errs.Invalid, "sessions still use this room")
		}
		if err != nil {
			return err
		}
		return q.Announce(ctx, event(hub.EventRoomDeleted, app, id, hub.IDsPayload{AppID: app, ID: id, EventID: r.EventID}))
	})
}

// SaveTrack creates (empty ID) or changes a track.
func (s *Service) SaveTrack(ctx context.Context, t Track) (Track, error) {
	create := t.ID == ""
	if create {
		t.ID = s.newID()
	}
	err := s.editAgenda(ctx, t.AppID, func(q Queries) error {
		if _, err := q.Event(ctx, t.AppID, t.EventID, false); err != nil {
			return err
		}
		if err := nameTaken("track")(q.SaveTrack(ctx, t, create)); err != nil {
			return err
		}
		return q.Announce(ctx, event(created(create, hub.EventTrackCreated, hub.EventTrackUpdated), t.AppID, t.ID, trackPayload(t)))
	})
	return t, err
}

// DeleteTrack deletes a track no session uses.
func (s *Service) DeleteTrack(ctx context.Context, app, id string) error {
	return s.editAgenda(ctx, app, func(q Queries) error {
		t, err := q.Track(ctx, app, id)
		if err != nil {
			return err
		}
		err = q.DeleteTrack(ctx, app, id)
		if errors.Is(err, errs.Invalid) {
			return errs.New(errs.Invalid, "sessions still use this track")
		}
		if err != nil {
			return err
		}
		return q.Announce(ctx, event(hub.EventTrackDeleted, app, id, hub.IDsPayload{AppID: app, ID: id, EventID: t.EventID}))
	})
}

// SaveSpeaker creates (empty ID) or replaces a speaker.
func (s *Service) SaveSpeaker(ctx context.Context, sp Speaker) (Speaker, error) {
	if err := checkURL("/photo_url", sp.PhotoURL); err != nil {
		return Speaker{}, err
	}
	create := sp.ID == ""
	if create {
		sp.ID = s.newID()
	}
	sp.Email = NormalizeEmail(sp.Email)
	err := s.editAgenda(ctx, sp.AppID, func(q Queries) error {
		var err error
		sp, err = q.SaveSpeaker(ctx, sp, create)
		if taken(err) {
			return errs.WithCode(errs.CodeConflict, "a speaker of this app has this email or external id already")
		}
		if err != nil {
			return err
		}
		return q.Announce(ctx, event(created(create, hub.EventSpeakerCreated, hub.EventSpeakerUpdated), sp.AppID, sp.ID, speakerPayload(sp)))
	})
	return sp, err
}

// DeleteSpeaker deletes a speaker.
func (s *Service) DeleteSpeaker(ctx context.Context, app, id string) error {
	return s.editAgenda(ctx, app, func(q Queries) error {
		if err := q.DeleteSpeaker(ctx, app, id); err != nil {
			return err
		}
		return q.Announce(ctx, event(hub.EventSpeakerDeleted, app, id, hub.IDsPayload{AppID: app, ID: id}))
	})
}

// ListSpeakers lists an app's speakers by name (emails for organizers).
// A member is not shown the speakers whose every session is in an event
// whose agenda they may not read (agendaAccess: hidden from them, or for
// its registered attendees): the agenda.get of those events tells them
// nothing, and neither does this list. Speakers without sessions are
// listed.
func (s *Service) ListSpeakers(ctx context.Context, app string) ([]Speaker, bool, error) {
	a, err := s.actor(ctx, s.store, app)
	if err != nil {
		return nil, false, err
	}
	sps, err := s.store.Speakers(ctx, app, nil)
	if err != nil || a.Kind != ActorMember {
		return sps, a.Organizer(), err
	}
	evs, err := s.store.Events(ctx, app)
	if err != nil {
		return nil, false, err
	}
	reg, err := s.store.RegisteredEvents(ctx, app, a.ID)
	if err != nil {
		return nil, false, err
	}
	open := make(map[string]bool, len(evs))
	for _, e := range evs {
		open[e.ID] = hub.DecideEvent(e.Visibility, e.Access, false, reg[e.ID]) == hub.GateOpen
	}
	speaks, err := s.store.SpeakerEvents(ctx, app)
	if err != nil {
		return nil, false, err
	}
	out := sps[:0]
	for _, sp := range sps {
		if ev := speaks[sp.ID]; len(ev) == 0 || slices.ContainsFunc(ev, func(id string) bool { return open[id] }) {
			out = append(out, sp)
		}
	}
	return out, false, nil
}

// SessionInput is a session as organizers write it (wall-clock times in
// the event's zone).
type SessionInput struct {
	ID, AppID, EventID, ExternalID, Title, Description, Start, End, RoomID, TrackID string
	Capacity                                                                        int
	SpeakerIDs                                                                      []string
}

func sessionPayload(x Session) hub.SessionPayload {
	return hub.SessionPayload{ID: x.ID, AppID: x.AppID, EventID: x.EventID, ExternalID: x.ExternalID, Title: x.Title,
		Description: x.Description, StartUTC: x.Start.UTC(), EndUTC: x.End.UTC(), RoomID: x.RoomID, TrackID: x.TrackID,
		Capacity: x.Capacity, SpeakerIDs: nonNil(x.SpeakerIDs)}
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func sessionErr(err error) error {
	if errors.Is(err, errs.Invalid) {
		return errs.New(errs.NotFound, "the room or track is not one of this event's")
	}
	return err // the store words conflicts: an overlap in the room, a taken external id
}

// SaveSession creates (empty ID) or replaces a session.
func (s *Service) SaveSession(ctx context.Context, in SessionInput) (SessionView, error) {
	create := in.ID == ""
	if create {
		in.ID = s.newID()
	}
	x := Session{ID: in.ID, AppID: in.AppID, EventID: in.EventID, ExternalID: in.ExternalID, Title: in.Title,
		Description: in.Description, RoomID: in.RoomID, TrackID: in.TrackID, Capacity: in.Capacity, SpeakerIDs: in.SpeakerIDs}
	typ := hub.EventSessionUpdated
	if create {
		typ = hub.EventSessionCreated
	}
	err := s.editAgenda(ctx, in.AppID, func(q Queries) error {
		e, err := q.Event(ctx, in.AppID, in.EventID, false)
		if err != nil {
			return err
		}
		if !create {
			old, err := q.Session(ctx, in.AppID, in.ID)
			if err != nil {
				return err
			}
			if old.EventID != in.EventID {
				return errs.New(errs.Invalid, "a session cannot move to another event")
			}
		}
		loc, err := LoadZone(e.TimeZone, "/event_id")
		if err != nil {
			return err
		}
		if x.Start, err = ParseLocal(in.Start, loc, "/start"); err != nil {
			return err
		}
		if x.End, err = ParseLocal(in.End, loc, "/end"); err != nil {
			return err
		}
		if !x.End.After(x.Start) {
			return errs.InvalidFields("the session must end after it starts", errs.FieldError{Field: "/end", Message: "not after start"})
		}
		x.SpeakerIDs = slices.Compact(slices.Clone(x.SpeakerIDs))
		if len(x.SpeakerIDs) > 0 {
			sps, err := q.Speakers(ctx, in.AppID, x.SpeakerIDs)
			if err != nil {
				return err
			}
			if len(sps) != len(x.SpeakerIDs) {
				return errs.New(errs.NotFound, "some speakers are not this app's")
			}
		}
		if err := sessionErr(q.SaveSession(ctx, x, create)); err != nil {
			return err
		}
		return q.Announce(ctx, event(typ, in.AppID, x.ID, sessionPayload(x)))
	})
	if err != nil {
		return SessionView{}, err
	}
	return s.GetSession(ctx, in.AppID, x.ID)
}

// DeleteSession deletes a session.
func (s *Service) DeleteSession(ctx context.Context, app, id string) error {
	return s.editAgenda(ctx, app, func(q Queries) error {
		x, err := q.Session(ctx, app, id)
		if err != nil {
			return err
		}
		if err := q.DeleteSession(ctx, app, id); err != nil {
			return err
		}
		return q.Announce(ctx, event(hub.EventSessionDeleted, app, id, hub.IDsPayload{AppID: app, ID: id, EventID: x.EventID}))
	})
}

// SessionView is a session with its room, track and speakers, in the
// event's zone.
type SessionView struct {
	Session
	Location    *time.Location
	Room        *Room
	Track       *Track
	Speakers    []Speaker
	ShowPrivate bool
}

// agendaAccess checks that the actor may read what belongs to the event
// (its agenda, its registrants in the directory) and returns the event.
func (s *Service) agendaAccess(ctx context.Context, a Actor, app, eventID string) (EventView, error) {
	e, err := s.visibleEvent(ctx, a, app, eventID)
	if err != nil {
		return EventView{}, err
	}
	if hub.DecideEvent(e.Visibility, e.Access, a.Kind != ActorMember, e.Registered) != hub.GateOpen {
		return EventView{}, errs.WithCode(errs.CodeForbidden, "this event is for its registered attendees: register to it to see what it holds")
	}
	return e, nil
}

// GetSession returns one session. A member gets the same answer about a
// session of an event hidden from them as about one that does not exist,
// after the same queries.
func (s *Service) GetSession(ctx context.Context, app, id string) (SessionView, error) {
	a, err := s.actor(ctx, s.store, app)
	if err != nil {
		return SessionView{}, err
	}
	noSuchSession := func() error { return errs.New(errs.NotFound, "no such session") }
	x, err := s.store.Session(ctx, app, id)
	if errors.Is(err, errs.NotFound) {
		if a.Kind == ActorMember {
			_, _ = s.agendaAccess(ctx, a, app, "") // the event's query, which a found session costs too
		}
		return SessionView{}, noSuchSession()
	}
	if err != nil {
		return SessionView{}, err
	}
	e, err := s.agendaAccess(ctx, a, app, x.EventID)
	if errors.Is(err, errs.NotFound) {
		return SessionView{}, noSuchSession()
	}
	if err != nil {
		return SessionView{}, err
	}
	views, err := s.sessionViews(ctx, a, e.Event, []Session{x})
	if err != nil {
		return SessionView{}, err
	}
	return views[0], nil
}

func (s *Service) sessionViews(ctx context.Context, a Actor, e Event, xs []Session) ([]SessionView, error) {
	loc, err := time.LoadLocation(e.TimeZone)
	if err != nil {
		loc = time.UTC
	}
	rooms, err := s.store.Rooms(ctx, e.AppID, e.ID)
	if err != nil {
		return nil, err
	}
	tracks, err := s.store.Tracks(ctx, e.AppID, e.ID)
	if err != nil {
		return nil, err
	}
	var ids []string
	for _, x := range xs {
		ids = append(ids, x.SpeakerIDs...)
	}
	speakers := map[string]Speaker{}
	if len(ids) > 0 {
		slices.Sort(ids)
		sps, err := s.store.Speakers(ctx, e.AppID, slices.Compact(ids))
		if err != nil {
			return nil, err
		}
		for _, sp := range sps {
			speakers[sp.ID] = sp
		}
	}
	out := make([]SessionView, len(xs))
	for i, x := range xs {
		v := SessionView{Session: x, Location: loc, ShowPrivate: a.Organizer(), Speakers: []Speaker{}}
		for j := range rooms {
			if rooms[j].ID == x.RoomID {
				v.Room = &rooms[j]
			}
		}
		for j := range tracks {
			if tracks[j].ID == x.TrackID {
				v.Track = &tracks[j]
			}
		}
		for _, id := range x.SpeakerIDs {
			if sp, ok := speakers[id]; ok {
				v.Speakers = append(v.Speakers, sp)
			}
		}
		out[i] = v
	}
	return out, nil
}

// AgendaDay is one day of an agenda (a date in the event's zone).
type AgendaDay struct {
	Date     string
	Sessions []SessionView
}

// Agenda is an event's agenda.
type Agenda struct {
	Event  EventView
	Days   []AgendaDay
	Rooms  []Room
	Tracks []Track
}

// GetAgenda returns an event's agenda by day, optionally one day
// ("2006-01-02" in the event's zone) and one track.
func (s *Service) GetAgenda(ctx context.Context, app, eventID, day, track string) (Agenda, error) {
	a, err := s.actor(ctx, s.store, app)
	if err != nil {
		return Agenda{}, err
	}
	e, err := s.agendaAccess(ctx, a, app, eventID)
	if err != nil {
		return Agenda{}, err
	}
	loc, err := time.LoadLocation(e.TimeZone)
	if err != nil {
		loc = time.UTC
	}
	var from, to time.Time
	if day != "" {
		d, err := time.Parse(time.DateOnly, day)
		if err != nil {
			return Agenda{}, errs.InvalidFields("bad day", errs.FieldError{Field: "/day", Message: "want a date like 2025-06-12"})
		}
		// The day's own instants in the event's zone: where clocks skip
		// midnight, time.Date would start it an hour into the evening
		// before.
		y, m, dd := d.Date()
		from, to = hub.DayStart(y, m, dd, loc), hub.DayStart(y, m, dd+1, loc)
	}
	xs, err := s.store.Sessions(ctx, app, eventID, track, from, to)
	if err != nil {
		return Agenda{}, err
	}
	views, err := s.sessionViews(ctx, a, e.Event, xs)
	if err != nil {
		return Agenda{}, err
	}
	ag := Agenda{Event: e, Days: []AgendaDay{}}
	for _, v := range views {
		d := v.Start.In(loc).Format("2006-01-02")
		if n := len(ag.Days); n == 0 || ag.Days[n-1].Date != d {
			ag.Days = append(ag.Days, AgendaDay{Date: d})
		}
		last := &ag.Days[len(ag.Days)-1]
		last.Sessions = append(last.Sessions, v)
	}
	if ag.Rooms, err = s.store.Rooms(ctx, app, eventID); err != nil {
		return Agenda{}, err
	}
	if ag.Tracks, err = s.store.Tracks(ctx, app, eventID); err != nil {
		return Agenda{}, err
	}
	return ag, nil
}
