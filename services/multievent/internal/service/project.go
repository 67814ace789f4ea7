package service

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/attendify/hub"
	"github.com/attendify/platform/errs"
	"github.com/attendify/platform/events"
)

// Topics are hub's topics the projection consumes.
var Topics = []string{"app", "event", "session", "speaker", "room", "track", "member"}

// HandleHubEvent applies one of hub's events: app.deleted, event.*,
// session.*, speaker.*, room.* and track.* change the projection (and
// then the content databases), member.deleted erases the member's agenda
// and calendar link. Other events are acknowledged without effect. An
// event hub could not have sent (undecodable data) is dead-lettered at
// once (events.Permanent).
func (s *Service) HandleHubEvent(ctx context.Context, ev events.Event) error {
	switch ev.Type {
	case hub.EventAppDeleted:
		return s.deleteApp(ctx, ev.App, ev.Time)
	case hub.EventMemberDeleted:
		var p hub.IDsPayload
		if err := decode(ev, &p); err != nil {
			return err
		}
		return s.EraseMember(ctx, ev.App, p.ID)
	}
	c, ok, err := changeOf(ev)
	if err != nil || !ok {
		return err
	}
	applied, err := s.proj.Apply(ctx, c)
	if err != nil {
		return fmt.Errorf("apply %s %s: %w", ev.Type, ev.Subject, err)
	}
	if applied {
		// The content follows at once; what fails here stays dirty for
		// the sweeper (SettleDirty), so the event is done either way.
		if _, err := s.SettleApp(ctx, ev.App); err != nil {
			s.log.WarnContext(ctx, "content write failed; left for the sweeper", "app", ev.App, "error", err)
		}
	}
	return nil
}

// changeOf turns one of hub's agenda events into a Change; ok is false
// for the events the projection does not keep.
func changeOf(ev events.Event) (Change, bool, error) {
	c := Change{App: ev.App, ID: ev.Subject, Version: ev.Time}
	switch ev.Type {
	case hub.EventEventCreated, hub.EventEventUpdated:
		var p hub.EventPayload
		if err := decode(ev, &p); err != nil {
			return c, false, err
		}
		c.Kind, c.Event = KindEvent, Event{ID: p.ID, AppID: p.AppID, Name: p.Name, TimeZone: p.TimeZone, Venue: p.Venue,
			Visibility: p.Visibility, Access: p.Access, Start: p.StartUTC, End: p.EndUTC}
	case hub.EventSessionCreated, hub.EventSessionUpdated:
		var p hub.SessionPayload
		if err := decode(ev, &p); err != nil {
			return c, false, err
		}
		c.Kind, c.Session = KindSession, Session{ID: p.ID, AppID: p.AppID, EventID: p.EventID, Title: p.Title,
			Description: p.Description, RoomID: p.RoomID, TrackID: p.TrackID, Start: p.StartUTC, End: p.EndUTC,
			Capacity: p.Capacity, SpeakerIDs: p.SpeakerIDs}
	case hub.EventSpeakerCreated, hub.EventSpeakerUpdated:
		var p hub.SpeakerPayload
		if err := decode(ev, &p); err != nil {
			return c, false, err
		}
		c.Kind, c.Speaker = KindSpeaker, Speaker{ID: p.ID, AppID: p.AppID, Name: p.Name, Company: p.Company,
			Title: p.Title, Bio: p.Bio, PhotoURL: p.PhotoURL}
	case hub.EventRoomCreated, hub.EventRoomUpdated:
		var p hub.RoomPayload
		if err := decode(ev, &p); err != nil {
			return c, false, err
		}
		c.Kind, c.Room = KindRoom, Room{ID: p.ID, AppID: p.AppID, EventID: p.EventID, Name: p.Name, Capacity: p.Capacity}
	case hub.EventTrackCreated, hub.EventTrackUpdated:
		var p hub.TrackPayload
		if err := decode(ev, &p); err != nil {
			return c, false, err
		}
		c.Kind, c.Track = KindTrack, Track{ID: p.ID, AppID: p.AppID, EventID: p.EventID, Name: p.Name, Color: p.Color}
	case hub.EventEventDeleted:
		c.Kind, c.Deleted = KindEvent, true
	case hub.EventSessionDeleted:
		c.Kind, c.Deleted = KindSession, true
	case hub.EventSpeakerDeleted:
		c.Kind, c.Deleted = KindSpeaker, true
	case hub.EventRoomDeleted:
		c.Kind, c.Deleted = KindRoom, true
	case hub.EventTrackDeleted:
		c.Kind, c.Deleted = KindTrack, true
	default:
		return c, false, nil
	}
	if c.App == "" || c.ID == "" || c.Version.IsZero() {
		return c, false, events.Permanent(errs.New(errs.Invalid, "%s %s: event without app, subject or time", ev.Type, ev.ID))
	}
	return c, true, nil
}

func decode(ev events.Event, v any) error {
	if err := json.Unmarshal(ev.Data, v); err != nil {
		return events.Permanent(errs.Wrap(errs.Invalid, err, "%s %s: undecodable data", ev.Type, ev.ID))
	}
	return nil
}

// deleteApp drops everything of a deleted app: the projection, the
// content databases, the calendar links and the personal agendas.
func (s *Service) deleteApp(ctx context.Context, app string, v time.Time) error {
	deleted, err := s.proj.DeleteApp(ctx, app, v)
	if err != nil || !deleted {
		return err
	}
	if err := s.content.Drop(ctx, app); err != nil {
		return fmt.Errorf("drop the content databases of %s: %w", app, err)
	}
	if err := s.links.DeleteAppLinks(ctx, app); err != nil {
		return err
	}
	owners, err := s.links.AgendaOwners(ctx, app)
	if err != nil {
		return err
	}
	for _, m := range owners {
		if err := s.EraseMember(ctx, app, m); err != nil {
			return err
		}
	}
	return nil
}

// EraseMember removes what multievent holds about a member: their
// bookmarks, notes and calendar link (hub's member.deleted).
func (s *Service) EraseMember(ctx context.Context, app, member string) error {
	if err := s.agendas.Erase(ctx, AgendaRef{app, member}); err != nil {
		return fmt.Errorf("erase the agenda of %s: %w", member, err)
	}
	if err := s.links.DeleteLink(ctx, app, member); err != nil {
		return err
	}
	s.owners.forget(app, member)
	return s.links.DeleteAgendaOwner(ctx, app, member)
}
