package service

import (
	"context"
	"slices"
	"strconv"
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
	// Key names what the directory is made of: the app, its content
	// version, the caller's gate and registration for each event, and
	// where the clock stands among the events' starts and ends. Two
	// directories with the same Key are equal, so a caller may keep what
	// it derives from one (its wire form) under its Key. The slices are
	// shared with other calls: never write to them.
	Key string
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
	version, err := s.contentVersion(ctx, app)
	if err != nil {
		return Directory{}, err
	}
	evs, err := s.events(ctx, app, version)
	if err != nil {
		return Directory{}, err
	}
	now := s.now()
	key := directoryKey(app, version, evs, st, now)
	if d, ok := s.caches.directory(key); ok {
		return d, nil
	}
	d := Directory{Now: []DirectoryEvent{}, Upcoming: []DirectoryEvent{}, Past: []DirectoryEvent{}, Mine: []string{}, Key: key}
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
	s.caches.putDirectory(key, d)
	return d, nil
}

// directoryKey is Directory.Key: what view and status read of the caller
// and the clock, per event (its gate, whether the caller is registered,
// and how many of its start and end have passed).
func directoryKey(app string, version int64, evs []Event, st Standing, now time.Time) string {
	b := make([]byte, 0, len(app)+24+3*len(evs))
	b = append(b, app...)
	b = append(b, 0)
	b = strconv.AppendInt(b, version, 10)
	b = append(b, 0)
	for _, e := range evs {
		b = append(b, byte('0'+st.Gate(e.ID)))
		if slices.Contains(st.Registered, e.ID) {
			b = append(b, 'r')
		} else {
			b = append(b, '-')
		}
		b = append(b, statusByte[status(e, now)])
	}
	return string(b)
}

var statusByte = map[string]byte{multievent.StatusUpcoming: 'u', multievent.StatusNow: 'n', multievent.StatusPast: 'p'}

// DirectoryEvent returns one event of the directory; errs.NotFound when
// it does not exist or is hidden from the caller.
func (s *Service) DirectoryEvent(ctx context.Context, app, id string) (DirectoryEvent, error) {
	st, err := s.standing(ctx, app)
	if err != nil {
		return DirectoryEvent{}, err
	}
	version, err := s.contentVersion(ctx, app)
	if err != nil {
		return DirectoryEvent{}, err
	}
	evs, err := s.events(ctx, app, version)
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
