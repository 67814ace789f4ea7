package memory

import (
	"context"
	"slices"
	"sync"

	"github.com/attendify/hub"
	"github.com/attendify/multievent/internal/service"
	"github.com/attendify/platform/auth"
	"github.com/attendify/platform/errs"
)

// Access fakes hub's read model: apps with their events' settings and
// members. Its gates are hub's own rule (hub.DecideEvent), so the domain's
// unit tests decide as production does.
type Access struct {
	mu      sync.Mutex
	events  map[string]map[string]hub.EventInfo // app -> event -> settings
	members map[[2]string]*Member               // (app, user)
}

// Member is a user's standing in an app of the fake.
type Member struct {
	Organizer  bool
	Blocked    bool
	Registered []string
}

var _ service.Access = (*Access)(nil)

// NewAccess returns a fake with no apps.
func NewAccess() *Access {
	return &Access{events: map[string]map[string]hub.EventInfo{}, members: map[[2]string]*Member{}}
}

// SetEvent adds or changes an event of app in the fake read model.
func (a *Access) SetEvent(app string, e hub.EventInfo) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.events[app] == nil {
		a.events[app] = map[string]hub.EventInfo{}
	}
	a.events[app][e.ID] = e
}

// RemoveEvent removes an event of app.
func (a *Access) RemoveEvent(app, id string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	delete(a.events[app], id)
}

// SetMember sets a user's standing in app.
func (a *Access) SetMember(app, user string, m Member) {
	a.mu.Lock()
	defer a.mu.Unlock()
	m.Registered = slices.Sorted(slices.Values(m.Registered))
	a.members[[2]string{app, user}] = &m
}

// Standing implements service.Access, as hub's AuthorizeEvents does.
func (a *Access) Standing(ctx context.Context, c auth.Caller, app string) (service.Standing, error) {
	switch {
	case c.Kind == auth.CallerService && c.User == "":
		return a.standing(app, "", Member{Organizer: true}), nil
	case c.User == "":
		return service.Standing{}, auth.NoCredentials()
	case c.App != app:
		return service.Standing{}, c.ScopedTo(app)
	}
	return a.StandingOf(ctx, app, c.User)
}

// StandingOf implements service.Access, as hub's AccessOf does.
func (a *Access) StandingOf(_ context.Context, app, user string) (service.Standing, error) {
	a.mu.Lock()
	m := a.members[[2]string{app, user}]
	a.mu.Unlock()
	switch {
	case m == nil:
		return service.Standing{}, errs.WithCode(errs.CodeForbidden, "not a member of this app")
	case m.Blocked:
		return service.Standing{}, errs.WithCode(errs.CodeForbidden, "this member is blocked")
	}
	return a.standing(app, user, *m), nil
}

func (a *Access) standing(app, user string, m Member) service.Standing {
	a.mu.Lock()
	evs := map[string]hub.EventInfo{}
	for id, e := range a.events[app] {
		evs[id] = e
	}
	a.mu.Unlock()
	return service.NewStanding(user, m.Organizer, m.Registered, func(event string) hub.EventGate {
		e, ok := evs[event]
		if !ok {
			return hub.GateHidden
		}
		return hub.DecideEvent(e.Visibility, e.Access, m.Organizer, slices.Contains(m.Registered, event))
	})
}

// Hub fakes hub's listings for rebuilds.
type Hub struct {
	mu   sync.Mutex
	Apps map[string]service.AppSnapshot
}

var _ service.Hub = (*Hub)(nil)

// AppIDs implements service.Hub.
func (h *Hub) AppIDs(context.Context) ([]string, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []string
	for id := range h.Apps {
		out = append(out, id)
	}
	slices.Sort(out)
	return out, nil
}

// AppContent implements service.Hub.
func (h *Hub) AppContent(_ context.Context, app string) (service.AppSnapshot, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	s, ok := h.Apps[app]
	if !ok {
		return service.AppSnapshot{}, errs.New(errs.NotFound, "no such app")
	}
	return s, nil
}
