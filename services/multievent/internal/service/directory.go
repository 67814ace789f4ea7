package service

import (
	"context"
	"slices"
	"time"

	"github.com/attendify/hub"
	"github.com/attendify/multievent"
	"github.com/attendify/platform/errs"
)

// DirectoryEvent is an event as one caller sees it in the directory.
type DirectoryEvent struct {
	Event
	Status     string // multievent.StatusUpcoming, StatusNow, StatusPast
	Gate       hub.EventGate
	Registered bool
}

// Directory is an app's events for one caller.
type Directory struct {
	Now, Upcoming, Past []DirectoryEvent
	Mine                []string
}

// status is where an event stands by the clock.
func status(e Event, now time.Time) string {
	switch {
	case now.Before(e.Start):
		return multievent.StatusUpcoming
	case now.Before(e.End):
		return multievent.StatusNow
	}
	return multievent.StatusPast
}

// view is e as the caller with standing st sees it; ok is false when it
// is hidden from them.
func view(e Event, st Standing, now time.Time) (DirectoryEvent, bool) {
	g := st.Gate(e.ID)
	if g == hub.GateHidden {
		return DirectoryEvent{}, false
	}
	return DirectoryEvent{Event: e, Status: status(e, now), Gate: g, Registered: slices.Contains(st.Registered, e.ID)}, true
}

// Directory lists the app's events the caller may see: happening now,
// upcoming (soonest first) and past (latest first), each with hub's gate
// for the caller; and the ids of those the caller is registered to.
func (s *Service) Directory(ctx context.Context, app string) (Directory, error) {
	st, err := s.standing(ctx, app)
	if err != nil {
		return Directory{}, err
	}
	evs, err := s.proj.Events(ctx, app)
	if err != nil {
		return Directory{}, err
	}
	now := s.now()
	d := Directory{Now: []DirectoryEvent{}, Upcoming: []DirectoryEvent{}, Past: []DirectoryEvent{}, Mine: []string{}}
	for _, e := range evs {
		v, ok := view(e, st, now)
		if !ok {
			continue
		}
		switch v.Status {
		case multievent.StatusNow:
			d.Now = append(d.Now, v)
		case multievent.StatusUpcoming:
			d.Upcoming = append(d.Upcoming, v)
		default:
			d.Past = append(d.Past, v)
		}
		if v.Registered {
			d.Mine = append(d.Mine, e.ID)
		}
	}
	slices.Reverse(d.Past)
	return d, nil
}

// DirectoryEvent returns one event of the directory; errs.NotFound when
// it does not exist or is hidden from the caller.
func (s *Service) DirectoryEvent(ctx context.Context, app, id string) (DirectoryEvent, error) {
	st, err := s.standing(ctx, app)
	if err != nil {
		return DirectoryEvent{}, err
	}
	evs, err := s.proj.Events(ctx, app)
	if err != nil {
		return DirectoryEvent{}, err
	}
	for _, e := range evs {
		if e.ID == id {
			if v, ok := view(e, st, s.now()); ok {
				return v, nil
			}
			break
		}
	}
	return DirectoryEvent{}, errs.New(errs.NotFound, "no such event")
}
