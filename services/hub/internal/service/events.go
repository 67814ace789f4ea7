package service

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"strings"
	"time"

	"github.com/attendify/hub"
	"github.com/attendify/platform/errs"
	"github.com/attendify/platform/events"
	"github.com/attendify/platform/flake"
)

// ParseLocal reads a wall-clock time ("2025-06-12T09:30") in loc.
func ParseLocal(s string, loc *time.Location, field string) (time.Time, error) {
	t, err := time.ParseInLocation(hub.LocalTimeLayout, s, loc)
	if err != nil {
		return time.Time{}, errs.InvalidFields("bad time", errs.FieldError{Field: field, Message: "want a time like 2025-06-12T09:30"})
	}
	return t, nil
}

// LoadZone reads an IANA time zone name.
func LoadZone(name, field string) (*time.Location, error) {
	if name == "" || strings.EqualFold(name, "local") {
		return nil, errs.InvalidFields("bad time zone", errs.FieldError{Field: field, Message: "want an IANA time zone such as Europe/Paris"})
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, errs.InvalidFields("bad time zone", errs.FieldError{Field: field, Message: "unknown time zone " + name})
	}
	return loc, nil
}

func eventPayload(e Event) hub.EventPayload {
	return hub.EventPayload{ID: e.ID, AppID: e.AppID, Name: e.Name, TimeZone: e.TimeZone, StartUTC: e.Start.UTC(), EndUTC: e.End.UTC(),
		Venue: e.Venue, Visibility: e.Visibility, Access: e.Access}
}

// EventInput is an event as organizers write it (times on the wall clock
// of TimeZone); nil fields of an update stay as they are.
type EventInput struct {
	Name, TimeZone, Start, End, Venue, Visibility, Access, Code *string
}

func (s *Service) applyEvent(e *Event, in EventInput) error {
	set(&e.Name, in.Name)
	set(&e.Venue, in.Venue)
	set(&e.Visibility, in.Visibility)
	set(&e.Access, in.Access)
	set(&e.Code, in.Code)
	// Members type the code with spaces around it at times, and Register
	// compares it without them: stored with them, no one could register.
	e.Code = strings.TrimSpace(e.Code)
	oldLoc, err := time.LoadLocation(e.TimeZone)
	if err != nil {
		oldLoc = time.UTC
	}
	start, end := e.Start.In(oldLoc).Format(hub.LocalTimeLayout), e.End.In(oldLoc).Format(hub.LocalTimeLayout)
	set(&e.TimeZone, in.TimeZone)
	set(&start, in.Start)
	set(&end, in.End)
	loc, err := LoadZone(e.TimeZone, "/time_zone")
	if err != nil {
		return err
	}
	if e.Start, err = ParseLocal(start, loc, "/start"); err != nil {
		return err
	}
	if e.End, err = ParseLocal(end, loc, "/end"); err != nil {
		return err
	}
	if e.End.Before(e.Start) {
		return errs.InvalidFields("the event ends before it starts", errs.FieldError{Field: "/end", Message: "before start"})
	}
	if e.Access == hub.EventAccessCode && len(e.Code) < 4 {
		return errs.InvalidFields("code access needs an event code", errs.FieldError{Field: "/code", Message: "at least 4 characters"})
	}
	return nil
}

// newSecretID returns 128 random bits in the form of a flake id (26
// characters of Crockford base32): the id of an object members must not
// find by counting from the ids they know (an event; a hidden one is
// joined with its code or through the organizers' list, never by id).
func newSecretID() string {
	var id flake.ID
	_, _ = rand.Read(id[:]) // crypto/rand.Read never fails on supported platforms
	return id.String()
}

// noSuchEvent is the answer about an event that does not exist or is
// hidden from the caller: the same words for both.
func noSuchEvent() error { return errs.New(errs.NotFound, "no such event") }

// CreateEvent creates an event.
func (s *Service) CreateEvent(ctx context.Context, app string, in EventInput) (Event, error) {
	e := Event{ID: newSecretID(), AppID: app, TimeZone: "UTC", Visibility: hub.VisibilityPublic, Access: hub.EventAccessOpen}
	if in.Visibility != nil && *in.Visibility == "" {
		in.Visibility = nil
	}
	if in.Access != nil && *in.Access == "" {
		in.Access = nil
	}
	if err := s.applyEvent(&e, in); err != nil {
		return Event{}, err
	}
	var l eventList
	err := s.store.InTx(ctx, func(q Queries) error {
		if _, err := s.authorize(ctx, q, app, hub.ActEditEvents); err != nil {
			return err
		}
		if err := q.CreateEvent(ctx, e); err != nil {
			return err
		}
		var err error
		if l, err = touchEvents(ctx, q, app); err != nil {
			return err
		}
		return q.Announce(ctx, event(hub.EventEventCreated, app, e.ID, eventPayload(e)))
	})
	if err != nil {
		return Event{}, err
	}
	s.putEvents(ctx, l)
	return e, nil
}

// UpdateEvent changes an event; a new time zone keeps the wall-clock
// times of the event and its sessions.
func (s *Service) UpdateEvent(ctx context.Context, app, id string, in EventInput) (Event, error) {
	var e Event
	var l eventList
	err := s.store.InTx(ctx, func(q Queries) error {
		if _, err := s.authorize(ctx, q, app, hub.ActEditEvents); err != nil {
			return err
		}
		var oldTZ string
		var err error
		e, err = q.UpdateEvent(ctx, app, id, func(e *Event) error {
			oldTZ = e.TimeZone
			return s.applyEvent(e, in)
		})
		if err != nil {
			return err
		}
		if l, err = touchEvents(ctx, q, app); err != nil {
			return err
		}
		if err := q.Announce(ctx, event(hub.EventEventUpdated, app, e.ID, eventPayload(e))); err != nil {
			return err
		}
		if oldTZ == e.TimeZone {
			return nil
		}
		// The sessions kept their wall-clock times: their instants moved.
		xs, err := q.Sessions(ctx, app, e.ID, "", time.Time{}, time.Time{})
		if err != nil {
			return err
		}
		evs := make([]events.Event, len(xs))
		for i, x := range xs {
			evs[i] = event(hub.EventSessionUpdated, app, x.ID, sessionPayload(x))
		}
		return q.Announce(ctx, evs...)
	})
	if err != nil {
		return Event{}, err
	}
	s.putEvents(ctx, l)
	return e, nil
}

// DeleteEvent deletes an event with its agenda and registrations. The read
// model's memberships keep the event's registration field until they are
// next written: the event is gone from the event list written here, which
// is what every access check looks up first (event ids are never reused).
func (s *Service) DeleteEvent(ctx context.Context, app, id string) error {
	var l eventList
	err := s.store.InTx(ctx, func(q Queries) error {
		if _, err := s.authorize(ctx, q, app, hub.ActDeleteEvents); err != nil {
			return err
		}
		if err := q.DeleteEvent(ctx, app, id); err != nil {
			return err
		}
		var err error
		if l, err = touchEvents(ctx, q, app); err != nil {
			return err
		}
		return q.Announce(ctx, event(hub.EventEventDeleted, app, id, hub.IDsPayload{AppID: app, ID: id}))
	})
	if err != nil {
		return err
	}
	s.putEvents(ctx, l)
	return nil
}

// EventView is an event as one caller sees it.
type EventView struct {
	Event
	Registered bool
	ShowCode   bool
}

// ListEvents lists the events the caller may see: every one for organizers;
// public ones and those they registered to for members.
func (s *Service) ListEvents(ctx context.Context, app string) ([]EventView, error) {
	a, err := s.actor(ctx, s.store, app)
	if err != nil {
		return nil, err
	}
	evs, err := s.store.Events(ctx, app)
	if err != nil {
		return nil, err
	}
	reg := map[string]bool{}
	if a.Kind == ActorMember {
		if reg, err = s.store.RegisteredEvents(ctx, app, a.ID); err != nil {
			return nil, err
		}
	}
	out := make([]EventView, 0, len(evs))
	for _, e := range evs {
		if hub.DecideEvent(e.Visibility, e.Access, a.Kind != ActorMember, reg[e.ID]) == hub.GateHidden {
			continue
		}
		out = append(out, EventView{Event: e, Registered: reg[e.ID], ShowCode: a.Organizer()})
	}
	return out, nil
}

// visibleEvent returns an event the actor may see. A member not
// registered to a hidden event gets what they would get for an event that
// does not exist: the same error, after the same single query.
func (s *Service) visibleEvent(ctx context.Context, a Actor, app, id string) (EventView, error) {
	if a.Kind != ActorMember {
		e, err := s.store.Event(ctx, app, id, false)
		if errors.Is(err, errs.NotFound) {
			return EventView{}, noSuchEvent()
		}
		return EventView{Event: e, ShowCode: a.Organizer()}, err
	}
	e, registered, err := s.store.EventFor(ctx, app, id, a.ID)
	switch {
	case errors.Is(err, errs.NotFound), err == nil && hub.DecideEvent(e.Visibility, e.Access, false, registered) == hub.GateHidden:
		return EventView{}, noSuchEvent()
	case err != nil:
		return EventView{}, err
	}
	return EventView{Event: e, Registered: registered}, nil
}

// GetEvent returns one event the caller may see.
func (s *Service) GetEvent(ctx context.Context, app, id string) (EventView, error) {
	a, err := s.actor(ctx, s.store, app)
	if err != nil {
		return EventView{}, err
	}
	return s.visibleEvent(ctx, a, app, id)
}

// Register registers the calling member to an event. A hidden event is
// joined only with its code (access "code"): without it, or to a hidden
// event of another access, the member gets what an event that does not
// exist gets. Wrong codes and event ids that lead nowhere count as guesses
// (of the member, from the address, of the event).
func (s *Service) Register(ctx context.Context, app, id, code string) (EventView, error) {
	a, err := s.actor(ctx, s.store, app)
	if err != nil {
		return EventView{}, err
	}
	if a.Kind != ActorMember {
		return EventView{}, errs.WithCode(errs.CodeForbidden, "only members register themselves; organizers use event.addAttendees")
	}
	if a.App.Status == hub.StatusExpired {
		return EventView{}, errs.WithCode(errs.CodeForbidden, "this app has expired: it is read-only")
	}
	guess := s.newGuess(ctx, GuessEventCode, app, id, a.ID)
	if err := guess.allow(ctx); err != nil {
		return EventView{}, err
	}
	var v EventView
	var states []MemberState
	var guessed, rightCode bool // a wrong guess (code or id); the code was given and right
	err = s.store.InTx(ctx, func(q Queries) error {
		guessed, rightCode = false, false
		e, registered, err := q.EventFor(ctx, app, id, a.ID)
		if errors.Is(err, errs.NotFound) {
			guessed = true
			return noSuchEvent()
		}
		if err != nil {
			return err
		}
		codeOK := e.Access == hub.EventAccessCode && sameCode(code, e.Code)
		switch {
		case e.Visibility == hub.VisibilityHidden && !registered && !codeOK:
			guessed = true
			return noSuchEvent()
		case e.Access == hub.EventAccessListed:
			return errs.WithCode(errs.CodeForbidden, "the organizers register the attendees of this event")
		case e.Access == hub.EventAccessCode && !codeOK:
			guessed = true
			return errs.InvalidFields("wrong event code", errs.FieldError{Field: "/code", Message: "wrong code"})
		}
		rightCode = codeOK
		added, err := q.Register(ctx, app, id, []string{a.ID})
		if err != nil {
			return err
		}
		if states, err = q.TouchMembers(ctx, app, added); err != nil {
			return err
		}
		v = EventView{Event: e, Registered: true}
		return announceRegistrations(ctx, q, hub.EventMemberRegistered, app, id, added)
	})
	switch {
	case guessed:
		guess.failed(ctx)
	case rightCode && err == nil:
		guess.succeeded(ctx)
	}
	if err != nil {
		return EventView{}, err
	}
	s.putMembers(ctx, app, states)
	return v, nil
}

// sameCode reports whether the code a member typed is the event's code,
// without the spaces around either (codes stored before they were trimmed
// keep working), in a time that tells nothing of the code, its length
// included (ConstantTimeCompare returns at once on lengths that differ).
func sameCode(typed, code string) bool {
	a, b := sha256.Sum256([]byte(strings.TrimSpace(typed))), sha256.Sum256([]byte(strings.TrimSpace(code)))
	return code != "" && subtle.ConstantTimeCompare(a[:], b[:]) == 1
}

func announceRegistrations(ctx context.Context, q Outbox, typ, app, eventID string, members []string) error {
	return q.Announce(ctx, registrationEvents(typ, app, eventID, members)...)
}

// registrationEvents are the events (member.registered or unregistered)
// of members registered to or unregistered from an event.
func registrationEvents(typ, app, eventID string, members []string) []events.Event {
	out := make([]events.Event, len(members))
	for i, m := range members {
		out[i] = event(typ, app, m, hub.RegistrationPayload{AppID: app, EventID: eventID, MemberID: m})
	}
	return out
}

// AddAttendees registers members to an event; it returns how many were
// not registered yet.
func (s *Service) AddAttendees(ctx context.Context, app, id string, members []string) (int, error) {
	var n int
	var states []MemberState
	err := s.store.InTx(ctx, func(q Queries) error {
		if _, err := s.authorize(ctx, q, app, hub.ActEditEvents); err != nil {
			return err
		}
		if _, err := q.Event(ctx, app, id, false); err != nil {
			return err
		}
		added, err := q.Register(ctx, app, id, members)
		if errors.Is(err, errs.Invalid) {
			return errs.New(errs.NotFound, "some of the members do not exist")
		}
		if err != nil {
			return err
		}
		n = len(added)
		if states, err = q.TouchMembers(ctx, app, added); err != nil {
			return err
		}
		return announceRegistrations(ctx, q, hub.EventMemberRegistered, app, id, added)
	})
	if err != nil {
		return 0, err
	}
	s.putMembers(ctx, app, states)
	return n, nil
}

// RemoveAttendees unregisters members from an event.
func (s *Service) RemoveAttendees(ctx context.Context, app, id string, members []string) (int, error) {
	var n int
	var states []MemberState
	err := s.store.InTx(ctx, func(q Queries) error {
		if _, err := s.authorize(ctx, q, app, hub.ActEditEvents); err != nil {
			return err
		}
		if _, err := q.Event(ctx, app, id, false); err != nil {
			return err
		}
		removed, err := q.Unregister(ctx, app, id, members)
		if err != nil {
			return err
		}
		n = len(removed)
		if states, err = q.TouchMembers(ctx, app, removed); err != nil {
			return err
		}
		return announceRegistrations(ctx, q, hub.EventMemberUnregistered, app, id, removed)
	})
	if err != nil {
		return 0, err
	}
	s.putMembers(ctx, app, states)
	return n, nil
}
