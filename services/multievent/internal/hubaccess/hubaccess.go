// Package hubaccess is the domain's Access port on hub's read model: the
// caller's standing in an app as hub.ReadModel decides it (AuthorizeEvents
// for a caller with a token, AccessOf for a member known by id), with each
// event's gate from hub's own rule (EventAccess.Gate, hub.DecideEvent).
package hubaccess

import (
	"context"

	"github.com/attendify/hub"
	"github.com/attendify/multievent/internal/service"
	"github.com/attendify/platform/auth"
)

// Access reads hub's read model.
type Access struct {
	rm *hub.ReadModel
}

var _ service.Access = (*Access)(nil)

// New returns the port on rm.
func New(rm *hub.ReadModel) *Access { return &Access{rm: rm} }

// Standing implements service.Access.
func (a *Access) Standing(ctx context.Context, c auth.Caller, app string) (service.Standing, error) {
	ea, err := a.rm.AuthorizeEvents(ctx, c, app)
	if err != nil {
		return service.Standing{}, err
	}
	return standing(ea, ea.User == "" || ea.Organizer()), nil
}

// StandingOf implements service.Access.
func (a *Access) StandingOf(ctx context.Context, app, member string) (service.Standing, error) {
	ea, err := a.rm.AccessOf(ctx, app, member)
	if err != nil {
		return service.Standing{}, err
	}
	return standing(ea, ea.Organizer()), nil
}

func standing(ea hub.EventAccess, organizer bool) service.Standing {
	return service.NewStanding(ea.User, organizer, ea.Registered, ea.Gate)
}
