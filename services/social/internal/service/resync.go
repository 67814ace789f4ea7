package service

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/attendify/hub"
	"github.com/attendify/platform/events"
)

// Members reads hub's members, the truth about them: for the resync of
// the profiles social keeps from hub's member events.
type Members interface {
	// AppIDs lists every app's id.
	AppIDs(ctx context.Context) ([]string, error)
	// EachMember calls fn with every member of app, blocked ones included.
	EachMember(ctx context.Context, app string, fn func(hub.Member) error) error
}

// ResyncSkew is how far before the start of a resync the profiles it
// writes are dated: a member event hub recorded up to this long before the
// resync read the member (clocks of hub and social apart by less than
// this) still applies over it.
const ResyncSkew = time.Minute

// ResyncMembers rebuilds what social keeps of hub's members from hub
// itself, for a consumer of the member events that lost its place in the
// stream (Redis restarted empty, or the stream was trimmed past it): the
// profile of every member hub lists replaces the one social stored from an
// event older than the resync (dated ResyncSkew before it, so that a
// member event hub recorded shortly before still applies over it), hub's
// block or unblock is applied as its event would be, and the profiles social
// holds of members hub no longer lists are applied as member.deleted
// (their posts and comments anonymised). Events consumed meanwhile apply
// as usual; a newer one wins. It is safe to run at any time.
func (s *Service) ResyncMembers(ctx context.Context, m Members) error {
	began := s.clock()
	at := began.Add(-ResyncSkew)
	apps, err := m.AppIDs(ctx)
	if err != nil {
		return fmt.Errorf("list hub's apps: %w", err)
	}
	var errList []error
	for _, app := range apps {
		if err := s.resyncApp(ctx, m, app, at, began); err != nil {
			errList = append(errList, fmt.Errorf("app %s: %w", app, err))
		}
	}
	return errors.Join(errList...)
}

func (s *Service) resyncApp(ctx context.Context, m Members, app string, at, began time.Time) error {
	listed := map[string]bool{}
	err := m.EachMember(ctx, app, func(mem hub.Member) error {
		listed[mem.ID] = true
		typ := hub.EventMemberUpdated
		if !mem.Blocked {
			// Lift hub's block only where social holds one: an unblock
			// looks at the member's posts.
			blocked, err := s.st.Blocks.Blocked(ctx, app, mem.ID)
			if err != nil {
				return err
			}
			if blocked {
				typ = hub.EventMemberUnblocked
			}
		}
		// The profile replaces any stored from an event before the resync
		// began (the event of a later change may be the one lost); the
		// event below then applies hub's block or unblock.
		prof := Profile{App: app, Member: mem.ID, Name: mem.Name, Company: mem.Company, Title: mem.Title, PhotoURL: WebURL(mem.PhotoURL)}
		if err := s.st.Profiles.ResyncProfile(ctx, prof, at, began); err != nil {
			return err
		}
		// The cache may hold the replaced profile, read from a row newer
		// than at (a member created or changed within ResyncSkew): drop it
		// as of began, which every row read before the resync precedes.
		if err := s.st.ProfileCache.DropProfile(ctx, app, mem.ID, began); err != nil {
			return err
		}
		data, err := json.Marshal(hub.MemberPayload{ID: mem.ID, AppID: app, Name: mem.Name, Company: mem.Company,
			Title: mem.Title, PhotoURL: mem.PhotoURL, Blocked: mem.Blocked})
		if err != nil {
			return err
		}
		return s.HandleMemberEvent(ctx, events.Event{Type: typ, App: app, Subject: mem.ID, Time: at, Data: data})
	})
	if err != nil {
		return err
	}
	held, err := s.st.Profiles.ProfileMembers(ctx, app, began)
	if err != nil {
		return err
	}
	for _, id := range held {
		if listed[id] {
			continue
		}
		data, err := json.Marshal(hub.IDsPayload{ID: id, AppID: app})
		if err != nil {
			return err
		}
		if err := s.HandleMemberEvent(ctx, events.Event{Type: hub.EventMemberDeleted, App: app, Subject: id, Time: at, Data: data}); err != nil {
			return err
		}
	}
	return nil
}
