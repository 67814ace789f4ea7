package hub

import (
	"cmp"
	"context"
	"slices"
)

// EventGate is what hub's access rule lets one caller do with one event.
type EventGate uint8

// The gates of an event, from the most closed to the most open.
const (
	// GateHidden: the event is not shown at all (it does not exist, or it
	// is hidden and the caller is not registered to it).
	GateHidden EventGate = iota
	// GateListed: the event is shown, but only its registered attendees
	// read what it holds, and only organizers register them.
	GateListed
	// GateCode: the event is shown; registering with the event code
	// (event.register) opens it.
	GateCode
	// GateOpen: the caller may read the event and what it holds (its
	// agenda, its feed).
	GateOpen
)

// String is the gate's name on the wire ("hidden", "listed", "code", "open").
func (g EventGate) String() string {
	switch g {
	case GateListed:
		return EventAccessListed
	case GateCode:
		return EventAccessCode
	case GateOpen:
		return EventAccessOpen
	}
	return VisibilityHidden
}

// DecideEvent is hub's access rule for one event, as a pure function of the
// event's settings (visibility, access) and the caller's standing: seesAll
// for organizers (collaborators of every role) and services, registered
// for a member registered to the event. Hub applies it on its own paths
// (event.get, event.list, agenda.get, session.get) and in EventAccess;
// other services call it, never a copy of it.
//
//	caller                  open event   "code"/"listed" event   hidden event
//	registered member       open         open                    open
//	other member            open         code / listed           hidden
//	organizer, service      open         open                    open
func DecideEvent(visibility, access string, seesAll, registered bool) EventGate {
	switch {
	case seesAll || registered:
		return GateOpen
	case visibility == VisibilityHidden:
		return GateHidden
	case access == EventAccessCode:
		return GateCode
	case access == EventAccessListed:
		return GateListed
	}
	return GateOpen
}

// Gate applies DecideEvent to event for the caller of an EventAccess
// (from AuthorizeEvents or AccessOf): GateHidden when the app has no such
// event.
func (a EventAccess) Gate(event string) EventGate {
	e, ok := a.events[event]
	if !ok {
		return GateHidden
	}
	return DecideEvent(e.Visibility, e.Access, a.all, a.RegisteredTo(event))
}

// Events lists the app's events in the read model, by start, hidden ones
// included (use Gate to tell what the caller may do with each).
func (a EventAccess) Events() []EventInfo {
	out := make([]EventInfo, 0, len(a.events))
	for _, e := range a.events {
		out = append(out, e)
	}
	slices.SortFunc(out, func(x, y EventInfo) int {
		if c := x.StartUTC.Compare(y.StartUTC); c != 0 {
			return c
		}
		return cmp.Compare(x.ID, y.ID)
	})
	return out
}

// AccessOf is AuthorizeEvents for a member known by id rather than by a
// token: what user may see of app's events now (the same membership,
// block, app status and event rules, in one round trip). It serves
// requests that act for a member without the member's token, such as a
// calendar feed fetched through a secret link. Errors as AuthorizeEvents:
// errs.Forbidden for a non-member or a blocked one, errs.Unavailable while
// the read model is rebuilt.
func (r *ReadModel) AccessOf(ctx context.Context, app, user string) (EventAccess, error) {
	hs, _, err := r.read(ctx, "", r.keys.Membership(app, user), r.keys.Config(app), r.keys.Events(app))
	if err != nil {
		return EventAccess{}, err
	}
	return decideAccess(app, user, hs[0], hs[1], hs[2], true)
}
