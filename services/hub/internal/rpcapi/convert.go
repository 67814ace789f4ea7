package rpcapi

import (
	"time"

	"github.com/attendify/hub"
	"github.com/attendify/hub/internal/service"
)

func toOrganizer(o service.Organizer) hub.Organizer {
	return hub.Organizer{ID: o.ID, Email: o.Email, Name: o.Name, CreatedAt: o.CreatedAt}
}

func toBranding(b service.Branding) hub.Branding {
	return hub.Branding{PrimaryColor: b.PrimaryColor, AccentColor: b.AccentColor, IconURL: b.IconURL}
}

func toApp(a service.App, role string) hub.App {
	return hub.App{ID: a.ID, Slug: a.Slug, Name: a.Name, Status: a.Status, Access: a.Access, Branding: toBranding(a.Branding),
		WebOrigins: append([]string{}, a.WebOrigins...), Role: role, CreatedAt: a.CreatedAt, UpdatedAt: a.UpdatedAt}
}

func toPublicApp(a service.App) hub.PublicApp {
	return hub.PublicApp{ID: a.ID, Slug: a.Slug, Name: a.Name, Status: a.Status, Access: a.Access, Branding: toBranding(a.Branding)}
}

func toCollaborator(c service.Collaborator) hub.Collaborator {
	return hub.Collaborator{OrganizerID: c.OrganizerID, Email: c.Email, Name: c.Name, Role: c.Role}
}

func toInvitation(v service.InvitationView) hub.Invitation {
	i := v.Invitation
	out := hub.Invitation{ID: i.ID, Email: i.Email, Role: i.Role, Status: v.Status, InvitedBy: i.InvitedBy,
		CreatedAt: i.CreatedAt, ExpiresAt: i.ExpiresAt, AcceptedBy: i.AcceptedBy, AcceptedEmail: i.AcceptedEmail, RevokedBy: i.RevokedBy}
	if !i.AcceptedAt.IsZero() {
		out.AcceptedAt = &i.AcceptedAt
	}
	if !i.RevokedAt.IsZero() {
		out.RevokedAt = &i.RevokedAt
	}
	return out
}

func toEmailCollision(c service.EmailCollision) hub.EmailCollision {
	return hub.EmailCollision{Table: c.Table, Email: c.Email, KeptID: c.KeptID, KeptName: c.KeptName, OtherID: c.OtherID,
		OtherName: c.OtherName, DottedEmail: c.DottedEmail, OtherEmail: c.OtherEmail, TokensRevoked: c.TokensRevoked,
		FoundAt: c.FoundAt, Open: c.Open(), Resolution: c.Resolution()}
}

func toJoined(j service.Joined) hub.Joined {
	return hub.Joined{AppID: j.AppID, AppName: j.AppName, Role: j.Role}
}

func zone(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		return time.UTC
	}
	return loc
}

func toEvent(v service.EventView) hub.Event {
	e := v.Event
	loc := zone(e.TimeZone)
	out := hub.Event{ID: e.ID, AppID: e.AppID, Name: e.Name, TimeZone: e.TimeZone,
		Start: e.Start.In(loc).Format(hub.LocalTimeLayout), End: e.End.In(loc).Format(hub.LocalTimeLayout),
		StartUTC: e.Start.UTC(), EndUTC: e.End.UTC(), Venue: e.Venue, Visibility: e.Visibility, Access: e.Access,
		Registered: v.Registered}
	if v.ShowCode {
		out.Code = e.Code
	}
	return out
}

func toLinks(ls []service.Link) []hub.Link {
	out := make([]hub.Link, len(ls))
	for i, l := range ls {
		out[i] = hub.Link{Label: l.Label, URL: l.URL}
	}
	return out
}

func fromLinks(ls []hub.Link) []service.Link {
	if ls == nil {
		return nil
	}
	out := make([]service.Link, len(ls))
	for i, l := range ls {
		out[i] = service.Link{Label: l.Label, URL: l.URL}
	}
	return out
}

func toMember(v service.MemberView) hub.Member {
	m := v.Member
	out := hub.Member{ID: m.ID, AppID: m.AppID, Name: m.Name, Company: m.Company, Title: m.Title, PhotoURL: m.PhotoURL,
		Bio: m.Bio, Links: toLinks(m.Links), Role: m.Role, Blocked: m.Blocked, CreatedAt: m.CreatedAt}
	if v.Private {
		out.Email, out.ExternalID, out.Phone, out.PhoneE164, out.TicketType = m.Email, m.ExternalID, m.Phone, m.PhoneE164, m.TicketType
		if len(m.Custom) > 0 {
			out.Custom = m.Custom
		}
	}
	return out
}

func fromMemberInput(app string, in hub.MemberInput) service.Member {
	return service.Member{AppID: app, Email: in.Email, ExternalID: in.ExternalID, Name: in.Name, Company: in.Company,
		Title: in.Title, PhotoURL: in.PhotoURL, Bio: in.Bio, Links: fromLinks(in.Links), Role: in.Role, Phone: in.Phone,
		TicketType: in.TicketType, Custom: in.Custom}
}

func fromProfileChanges(c hub.ProfileChanges) service.ProfileChanges {
	return service.ProfileChanges{Name: c.Name, Company: c.Company, Title: c.Title, PhotoURL: c.PhotoURL, Bio: c.Bio,
		Links: fromLinks(c.Links), Phone: c.Phone}
}

func toRoom(r service.Room) hub.Room {
	return hub.Room{ID: r.ID, EventID: r.EventID, Name: r.Name, Capacity: r.Capacity}
}

func toTrack(t service.Track) hub.Track {
	return hub.Track{ID: t.ID, EventID: t.EventID, Name: t.Name, Color: t.Color}
}

func toSpeaker(s service.Speaker, private bool) hub.Speaker {
	out := hub.Speaker{ID: s.ID, Name: s.Name, Company: s.Company, Title: s.Title, Bio: s.Bio, PhotoURL: s.PhotoURL, MemberID: s.MemberID}
	if private {
		out.Email, out.ExternalID = s.Email, s.ExternalID
	}
	return out
}

func fromSpeakerInput(app, id string, in hub.SpeakerInput) service.Speaker {
	return service.Speaker{ID: id, AppID: app, ExternalID: in.ExternalID, Email: in.Email, Name: in.Name, Company: in.Company,
		Title: in.Title, Bio: in.Bio, PhotoURL: in.PhotoURL}
}

func toSession(v service.SessionView) hub.Session {
	x := v.Session
	out := hub.Session{ID: x.ID, EventID: x.EventID, Title: x.Title, Description: x.Description,
		Start: x.Start.In(v.Location).Format(hub.LocalTimeLayout), End: x.End.In(v.Location).Format(hub.LocalTimeLayout),
		StartUTC: x.Start.UTC(), EndUTC: x.End.UTC(), Capacity: x.Capacity, Speakers: make([]hub.Speaker, len(v.Speakers))}
	if v.ShowPrivate {
		out.ExternalID = x.ExternalID
	}
	if v.Room != nil {
		r := toRoom(*v.Room)
		out.Room = &r
	}
	if v.Track != nil {
		t := toTrack(*v.Track)
		out.Track = &t
	}
	for i, s := range v.Speakers {
		out.Speakers[i] = toSpeaker(s, v.ShowPrivate)
	}
	return out
}

func toBulkResult(o service.BulkOutcome) hub.BulkResult {
	r := hub.BulkResult{Applied: o.Applied, Created: o.Created, Updated: o.Updated, Unchanged: o.Unchanged, Skipped: o.Skipped,
		IDs: o.IDs, Registered: o.Registered, Rows: o.Rows}
	for _, e := range o.Errors {
		r.Errors = append(r.Errors, hub.RowError{Row: e.Row, Field: e.Field, Message: e.Message})
	}
	return r
}
