package service

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/attendify/hub"
)

// HubMembers reads hub's apps and members, the truth about them
// (hub.MemberSource implements it).
type HubMembers interface {
	AppIDs(ctx context.Context) ([]string, error)
	EachMember(ctx context.Context, app string, fn func(hub.Member) error) error
}

// ResyncMembers rebuilds what analytics keeps of hub's members from hub
// itself, for the consumer of hub's member events when it lost its place
// in the stream (Redis restarted empty, or the stream was trimmed past
// it): every member hub lists is recorded as joined at their creation
// under their current name, and the members analytics holds a row of
// that hub no longer lists are erased as member.deleted would (their raw
// events pseudonymised). Apps hub does not list are left alone. Counts of
// the events lost with the stream are not recovered: analytics holds the
// only record of them. Safe to run at any time.
func (s *Service) ResyncMembers(ctx context.Context, h HubMembers) error {
	apps, err := h.AppIDs(ctx)
	if err != nil {
		return fmt.Errorf("list hub's apps: %w", err)
	}
	var errList []error
	for _, app := range apps {
		if err := s.resyncApp(ctx, h, app); err != nil {
			errList = append(errList, fmt.Errorf("app %s: %w", app, err))
		}
	}
	return errors.Join(errList...)
}

func (s *Service) resyncApp(ctx context.Context, h HubMembers, app string) error {
	var listed []string
	err := h.EachMember(ctx, app, func(m hub.Member) error {
		listed = append(listed, m.ID)
		return s.members.Joined(ctx, app, Joining{Member: m.ID, Name: m.Name, At: m.CreatedAt.UTC()})
	})
	if err != nil {
		return err // nothing erased on a partial listing
	}
	slices.Sort(listed)
	held, err := s.members.IDs(ctx, app)
	if err != nil {
		return err
	}
	for _, id := range held {
		if _, ok := slices.BinarySearch(listed, id); !ok {
			if err := s.Erase(ctx, app, id); err != nil {
				return err
			}
		}
	}
	return nil
}
