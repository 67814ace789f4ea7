package service

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/attendify/platform/errs"
)

// ResyncSkew is how far before the start of a resync the profiles it
// writes are dated: a member event hub recorded up to this long before the
// resync read the member (clocks of hub and eventwall apart by less than
// this) still applies over it.
const ResyncSkew = time.Minute

// ResyncProfiles rebuilds the authors' profiles from hub's member
// directory, for a consumer of hub's member events that lost its place in
// the stream (Redis restarted empty, or the stream was trimmed past it):
// the profile of every member hub lists replaces the one stored from an
// event older than the resync (dated ResyncSkew before it), and the
// profiles of members hub no longer lists are deleted. The walls showing
// them are told of every change. Events consumed meanwhile apply as usual; a newer one
// wins. It is safe to run at any time.
func (s *Service) ResyncProfiles(ctx context.Context) error {
	if s.members == nil {
		return errs.New(errs.Unavailable, "no hub client configured")
	}
	began := time.Now().UTC().Truncate(time.Microsecond)
	at := began.Add(-ResyncSkew)
	apps, err := s.members.AppIDs(ctx)
	if err != nil {
		return fmt.Errorf("list hub's apps: %w", err)
	}
	var errList []error
	for _, app := range apps {
		if err := s.resyncApp(ctx, app, at, began); err != nil {
			errList = append(errList, fmt.Errorf("app %s: %w", app, err))
		}
	}
	return errors.Join(errList...)
}

func (s *Service) resyncApp(ctx context.Context, app string, at, began time.Time) error {
	listed := map[string]bool{}
	err := s.members.EachMember(ctx, app, func(member string, p Profile) error {
		listed[member] = true
		changed, err := s.profiles.ResyncProfile(ctx, app, member, p, at, began)
		if changed {
			s.notify(ctx, app, member)
		}
		return err
	})
	if err != nil {
		return err
	}
	held, err := s.profiles.ProfileMembers(ctx, app, began)
	if err != nil {
		return err
	}
	for _, member := range held {
		if !listed[member] {
			if err := s.profiles.DeleteProfile(ctx, app, member, at); err != nil {
				return err
			}
			s.notify(ctx, app, member)
		}
	}
	return nil
}
