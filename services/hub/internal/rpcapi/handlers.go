// Package rpcapi binds hub's JSON-RPC methods (declared in package hub) to
// the domain service: decode, call, encode.
package rpcapi

import (
	"context"

	"github.com/attendify/hub"
	"github.com/attendify/hub/internal/service"
	"github.com/attendify/platform/rpc"
)

// Register binds every hub method on srv to svc.
func Register(srv *rpc.Server, svc *service.Service) {
	h := handlers{svc}

	rpc.Handle(srv, hub.SignUp, h.signUp)
	rpc.Handle(srv, hub.ConfirmSignUp, h.confirmSignUp)
	rpc.Handle(srv, hub.LogIn, h.logIn)
	rpc.Handle(srv, hub.AppTokenFor, h.appToken)
	rpc.Handle(srv, hub.Me, h.me)
	rpc.Handle(srv, hub.ChangePassword, h.changePassword)
	rpc.Handle(srv, hub.SignOut, h.signOut)

	rpc.Handle(srv, hub.CreateApp, h.createApp)
	rpc.Handle(srv, hub.ListApps, h.listApps)
	rpc.Handle(srv, hub.PublicAppInfo, h.publicApp)
	rpc.Handle(srv, hub.GetApp, h.getApp)
	rpc.Handle(srv, hub.UpdateApp, h.updateApp)
	rpc.Handle(srv, hub.SetAccess, h.setAccess)
	rpc.Handle(srv, hub.PublishApp, h.status(hub.StatusPublished))
	rpc.Handle(srv, hub.UnpublishApp, h.status(hub.StatusUnpublished))
	rpc.Handle(srv, hub.ExpireApp, h.status(hub.StatusExpired))
	rpc.Handle(srv, hub.DeleteApp, h.deleteApp)
	rpc.Handle(srv, hub.TransferOwnership, h.transferOwnership)
	rpc.Handle(srv, hub.ListEmailCollisions, h.emailCollisions)

	rpc.Handle(srv, hub.ListCollaborators, h.listCollaborators)
	rpc.Handle(srv, hub.Invite, h.invite)
	rpc.Handle(srv, hub.ListInvitations, h.listInvitations)
	rpc.Handle(srv, hub.RevokeInvitation, h.revokeInvitation)
	rpc.Handle(srv, hub.Accept, h.accept)
	rpc.Handle(srv, hub.SetRole, h.setRole)
	rpc.Handle(srv, hub.RemoveCollaborator, h.removeCollaborator)

	rpc.Handle(srv, hub.CreateEvent, h.createEvent)
	rpc.Handle(srv, hub.UpdateEvent, h.updateEvent)
	rpc.Handle(srv, hub.DeleteEvent, h.deleteEvent)
	rpc.Handle(srv, hub.ListEvents, h.listEvents)
	rpc.Handle(srv, hub.GetEvent, h.getEvent)
	rpc.Handle(srv, hub.Register, h.register)
	rpc.Handle(srv, hub.AddAttendees, h.addAttendees)
	rpc.Handle(srv, hub.RemoveAttendees, h.removeAttendees)

	rpc.Handle(srv, hub.CreateMember, h.createMember)
	rpc.Handle(srv, hub.UpdateMember, h.updateMember)
	rpc.Handle(srv, hub.GetMember, h.getMember)
	rpc.Handle(srv, hub.SearchMembers, h.searchMembers)
	rpc.Handle(srv, hub.BlockMember, h.blocked(true))
	rpc.Handle(srv, hub.UnblockMember, h.blocked(false))
	rpc.Handle(srv, hub.DeleteMember, h.deleteMember)
	rpc.Handle(srv, hub.MemberMe, h.memberMe)
	rpc.Handle(srv, hub.UpdateMe, h.updateMe)
	rpc.Handle(srv, hub.DeleteMe, h.deleteMe)

	rpc.Handle(srv, hub.RequestCode, h.requestCode)
	rpc.Handle(srv, hub.VerifyCode, h.verifyCode)
	rpc.Handle(srv, hub.DevLastCode, h.devLastCode)
	rpc.Handle(srv, hub.DevLastToken, h.devLastToken)

	rpc.Handle(srv, hub.SaveRoom, h.saveRoom)
	rpc.Handle(srv, hub.DeleteRoom, h.deleteRoom)
	rpc.Handle(srv, hub.SaveTrack, h.saveTrack)
	rpc.Handle(srv, hub.DeleteTrack, h.deleteTrack)
	rpc.Handle(srv, hub.SaveSpeaker, h.saveSpeaker)
	rpc.Handle(srv, hub.DeleteSpeaker, h.deleteSpeaker)
	rpc.Handle(srv, hub.ListSpeakers, h.listSpeakers)
	rpc.Handle(srv, hub.SaveSession, h.saveSession)
	rpc.Handle(srv, hub.DeleteSession, h.deleteSession)
	rpc.Handle(srv, hub.GetSession, h.getSession)
	rpc.Handle(srv, hub.GetAgenda, h.getAgenda)

	rpc.Handle(srv, hub.BulkMembers, h.bulkMembers)
	rpc.Handle(srv, hub.BulkSpeakers, h.bulkSpeakers)
	rpc.Handle(srv, hub.BulkSessions, h.bulkSessions)

	rpc.Handle(srv, hub.ListAppIDs, h.appIDs)
}

func (h handlers) appIDs(ctx context.Context, p hub.AppIDsParams) (hub.AppIDPage, error) {
	ids, more, err := h.svc.AppIDs(ctx, p.After, p.Limit)
	if err != nil {
		return hub.AppIDPage{}, err
	}
	if ids == nil {
		ids = []string{}
	}
	return hub.AppIDPage{IDs: ids, More: more}, nil
}

type handlers struct {
	svc *service.Service
}

// ---------------------------------------------------------------------------
// Organizers.

// accountSession is the answer of the methods that sign an organizer in.
func accountSession(o service.Organizer, t service.Token, err error) (hub.AccountSession, error) {
	if err != nil {
		return hub.AccountSession{}, err
	}
	return hub.AccountSession{Token: t.Token, ExpiresAt: t.ExpiresAt, Organizer: toOrganizer(o)}, nil
}

func (h handlers) signUp(ctx context.Context, p hub.SignUpParams) (hub.SignUpStarted, error) {
	exp, err := h.svc.SignUp(ctx, p.Email, p.Invitation)
	return hub.SignUpStarted{ExpiresAt: exp}, err
}

func (h handlers) confirmSignUp(ctx context.Context, p hub.ConfirmSignUpParams) (hub.SignUpConfirmed, error) {
	o, t, j, err := h.svc.ConfirmSignUp(ctx, p.Token, p.Password, p.Name)
	s, err := accountSession(o, t, err)
	out := hub.SignUpConfirmed{AccountSession: s}
	if j != nil {
		x := toJoined(*j)
		out.Joined = &x
	}
	return out, err
}

func (h handlers) logIn(ctx context.Context, p hub.LogInParams) (hub.AccountSession, error) {
	return accountSession(h.svc.LogIn(ctx, p.Email, p.Password))
}

func (h handlers) appToken(ctx context.Context, p hub.AppParams) (hub.AppToken, error) {
	t, role, err := h.svc.AppToken(ctx, p.App)
	if err != nil {
		return hub.AppToken{}, err
	}
	return hub.AppToken{Token: t.Token, ExpiresAt: t.ExpiresAt, AppID: p.App, Role: role}, nil
}

func (h handlers) me(ctx context.Context, _ hub.NoParams) (hub.Organizer, error) {
	o, err := h.svc.Me(ctx)
	return toOrganizer(o), err
}

func (h handlers) changePassword(ctx context.Context, p hub.ChangePasswordParams) (hub.AccountSession, error) {
	return accountSession(h.svc.ChangePassword(ctx, p.OldPassword, p.NewPassword))
}

func (h handlers) signOut(ctx context.Context, _ hub.NoParams) (hub.Empty, error) {
	return hub.Empty{}, h.svc.SignOut(ctx)
}

// ---------------------------------------------------------------------------
// Apps and collaborators.

func (h handlers) createApp(ctx context.Context, p hub.CreateAppParams) (hub.App, error) {
	a, err := h.svc.CreateApp(ctx, p.Name, p.Slug)
	return toApp(a, hub.RoleOwner), err
}

func (h handlers) listApps(ctx context.Context, _ hub.NoParams) (hub.AppList, error) {
	as, err := h.svc.ListApps(ctx)
	out := hub.AppList{Apps: make([]hub.App, len(as))}
	for i, a := range as {
		out.Apps[i] = toApp(a.App, a.Role)
	}
	return out, err
}

func (h handlers) publicApp(ctx context.Context, p hub.PublicAppParams) (hub.PublicApp, error) {
	a, err := h.svc.PublicApp(ctx, p.App, p.Slug)
	return toPublicApp(a), err
}

func (h handlers) getApp(ctx context.Context, p hub.AppParams) (hub.App, error) {
	a, err := h.svc.GetApp(ctx, p.App)
	return toApp(a, ""), err
}

func (h handlers) updateApp(ctx context.Context, p hub.UpdateAppParams) (hub.App, error) {
	a, err := h.svc.UpdateApp(ctx, p.App, service.AppChanges{Name: p.Name, Slug: p.Slug, PrimaryColor: p.PrimaryColor,
		AccentColor: p.AccentColor, IconURL: p.IconURL, WebOrigins: p.WebOrigins})
	return toApp(a, ""), err
}

func (h handlers) setAccess(ctx context.Context, p hub.SetAccessParams) (hub.App, error) {
	a, err := h.svc.SetAccess(ctx, p.App, p.Access, p.Passcode)
	return toApp(a, ""), err
}

func (h handlers) status(status string) rpc.Handler[hub.AppParams, hub.App] {
	return func(ctx context.Context, p hub.AppParams) (hub.App, error) {
		a, err := h.svc.SetStatus(ctx, p.App, status)
		return toApp(a, ""), err
	}
}

func (h handlers) deleteApp(ctx context.Context, p hub.AppParams) (hub.Empty, error) {
	return hub.Empty{}, h.svc.DeleteApp(ctx, p.App)
}

func (h handlers) transferOwnership(ctx context.Context, p hub.TransferOwnershipParams) (hub.App, error) {
	a, err := h.svc.TransferOwnership(ctx, p.App, p.OrganizerID)
	return toApp(a, ""), err
}

func (h handlers) listCollaborators(ctx context.Context, p hub.AppParams) (hub.CollaboratorList, error) {
	cs, err := h.svc.Collaborators(ctx, p.App)
	out := hub.CollaboratorList{Collaborators: make([]hub.Collaborator, len(cs))}
	for i, c := range cs {
		out.Collaborators[i] = toCollaborator(c)
	}
	return out, err
}

func (h handlers) invite(ctx context.Context, p hub.InviteParams) (hub.Invitation, error) {
	inv, err := h.svc.Invite(ctx, p.App, p.Email, p.Role)
	return toInvitation(inv), err
}

func (h handlers) emailCollisions(ctx context.Context, p hub.EmailCollisionsParams) (hub.EmailCollisionPage, error) {
	cs, next, err := h.svc.EmailCollisions(ctx, p.App, service.Collisions{Table: p.Table, IncludeResolved: p.IncludeResolved,
		Cursor: p.Cursor, Limit: p.Limit})
	out := hub.EmailCollisionPage{Collisions: make([]hub.EmailCollision, len(cs)), NextCursor: next}
	for i, c := range cs {
		out.Collisions[i] = toEmailCollision(c)
	}
	return out, err
}

func (h handlers) listInvitations(ctx context.Context, p hub.AppParams) (hub.InvitationList, error) {
	invs, err := h.svc.Invitations(ctx, p.App)
	out := hub.InvitationList{Invitations: make([]hub.Invitation, len(invs))}
	for i, inv := range invs {
		out.Invitations[i] = toInvitation(inv)
	}
	return out, err
}

func (h handlers) revokeInvitation(ctx context.Context, p hub.InvitationParams) (hub.Invitation, error) {
	inv, err := h.svc.RevokeInvitation(ctx, p.App, p.Invitation)
	return toInvitation(inv), err
}

func (h handlers) accept(ctx context.Context, p hub.AcceptParams) (hub.Joined, error) {
	j, err := h.svc.Accept(ctx, p.Token)
	return toJoined(j), err
}

func (h handlers) setRole(ctx context.Context, p hub.SetRoleParams) (hub.Collaborator, error) {
	c, err := h.svc.SetRole(ctx, p.App, p.OrganizerID, p.Role)
	return toCollaborator(c), err
}

func (h handlers) removeCollaborator(ctx context.Context, p hub.RemoveCollaboratorParams) (hub.Empty, error) {
	return hub.Empty{}, h.svc.RemoveCollaborator(ctx, p.App, p.OrganizerID)
}

// ---------------------------------------------------------------------------
// Events.

func ptr(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func (h handlers) createEvent(ctx context.Context, p hub.CreateEventParams) (hub.Event, error) {
	e, err := h.svc.CreateEvent(ctx, p.App, service.EventInput{Name: &p.Name, TimeZone: &p.TimeZone, Start: &p.Start, End: &p.End,
		Venue: &p.Venue, Visibility: ptr(p.Visibility), Access: ptr(p.Access), Code: &p.Code})
	return toEvent(service.EventView{Event: e, ShowCode: true}), err
}

func (h handlers) updateEvent(ctx context.Context, p hub.UpdateEventParams) (hub.Event, error) {
	e, err := h.svc.UpdateEvent(ctx, p.App, p.Event, service.EventInput{Name: p.Name, TimeZone: p.TimeZone, Start: p.Start,
		End: p.End, Venue: p.Venue, Visibility: p.Visibility, Access: p.Access, Code: p.Code})
	return toEvent(service.EventView{Event: e, ShowCode: true}), err
}

func (h handlers) deleteEvent(ctx context.Context, p hub.EventParams) (hub.Empty, error) {
	return hub.Empty{}, h.svc.DeleteEvent(ctx, p.App, p.Event)
}

func (h handlers) listEvents(ctx context.Context, p hub.AppParams) (hub.EventList, error) {
	evs, err := h.svc.ListEvents(ctx, p.App)
	out := hub.EventList{Events: make([]hub.Event, len(evs))}
	for i, e := range evs {
		out.Events[i] = toEvent(e)
	}
	return out, err
}

func (h handlers) getEvent(ctx context.Context, p hub.EventParams) (hub.Event, error) {
	e, err := h.svc.GetEvent(ctx, p.App, p.Event)
	return toEvent(e), err
}

func (h handlers) register(ctx context.Context, p hub.RegisterParams) (hub.Event, error) {
	e, err := h.svc.Register(ctx, p.App, p.Event, p.Code)
	return toEvent(e), err
}

func (h handlers) addAttendees(ctx context.Context, p hub.AttendeesParams) (hub.Count, error) {
	n, err := h.svc.AddAttendees(ctx, p.App, p.Event, p.Members)
	return hub.Count{Count: n}, err
}

func (h handlers) removeAttendees(ctx context.Context, p hub.AttendeesParams) (hub.Count, error) {
	n, err := h.svc.RemoveAttendees(ctx, p.App, p.Event, p.Members)
	return hub.Count{Count: n}, err
}

// ---------------------------------------------------------------------------
// Members and sign-in.

func (h handlers) createMember(ctx context.Context, p hub.CreateMemberParams) (hub.Member, error) {
	m, err := h.svc.CreateMember(ctx, fromMemberInput(p.App, p.MemberInput))
	return toMember(m), err
}

func (h handlers) updateMember(ctx context.Context, p hub.UpdateMemberParams) (hub.Member, error) {
	c := fromProfileChanges(p.ProfileChanges)
	c.Custom, c.TicketType = p.Custom, p.TicketType
	m, err := h.svc.UpdateMember(ctx, p.App, p.Member, p.Email, p.Role, c)
	return toMember(m), err
}

func (h handlers) getMember(ctx context.Context, p hub.MemberParams) (hub.Member, error) {
	m, err := h.svc.GetMember(ctx, p.App, p.Member)
	return toMember(m), err
}

func (h handlers) searchMembers(ctx context.Context, p hub.SearchMembersParams) (hub.MemberPage, error) {
	ms, next, err := h.svc.SearchMembers(ctx, p.App, service.Search{Query: p.Query, Role: p.Role, EventID: p.Event,
		TicketType: p.TicketType, Cursor: p.Cursor, Limit: p.Limit})
	out := hub.MemberPage{Members: make([]hub.Member, len(ms)), NextCursor: next}
	for i, m := range ms {
		out.Members[i] = toMember(m)
	}
	return out, err
}

func (h handlers) blocked(b bool) rpc.Handler[hub.MemberParams, hub.Member] {
	return func(ctx context.Context, p hub.MemberParams) (hub.Member, error) {
		m, err := h.svc.SetBlocked(ctx, p.App, p.Member, b)
		return toMember(m), err
	}
}

func (h handlers) deleteMember(ctx context.Context, p hub.MemberParams) (hub.Empty, error) {
	return hub.Empty{}, h.svc.DeleteMember(ctx, p.App, p.Member)
}

func (h handlers) memberMe(ctx context.Context, p hub.AppParams) (hub.Member, error) {
	m, err := h.svc.MemberMe(ctx, p.App)
	return toMember(m), err
}

func (h handlers) updateMe(ctx context.Context, p hub.UpdateMeParams) (hub.Member, error) {
	m, err := h.svc.UpdateMe(ctx, p.App, fromProfileChanges(p.ProfileChanges))
	return toMember(m), err
}

func (h handlers) deleteMe(ctx context.Context, p hub.AppParams) (hub.Empty, error) {
	return hub.Empty{}, h.svc.DeleteMe(ctx, p.App)
}

func (h handlers) requestCode(ctx context.Context, p hub.RequestCodeParams) (hub.CodeSent, error) {
	exp, err := h.svc.RequestCode(ctx, p.App, p.Email, p.Passcode)
	return hub.CodeSent{ExpiresAt: exp}, err
}

func (h handlers) verifyCode(ctx context.Context, p hub.VerifyCodeParams) (hub.MemberSession, error) {
	m, t, err := h.svc.VerifyCode(ctx, p.App, p.Email, p.Code)
	if err != nil {
		return hub.MemberSession{}, err
	}
	return hub.MemberSession{Token: t.Token, ExpiresAt: t.ExpiresAt, Member: toMember(service.MemberView{Member: m, Private: true})}, nil
}

func (h handlers) devLastCode(_ context.Context, p hub.DevCodeParams) (hub.DevCode, error) {
	c, err := h.svc.DevLastCode(p.App, p.Email)
	return hub.DevCode{Code: c}, err
}

func (h handlers) devLastToken(_ context.Context, p hub.DevTokenParams) (hub.DevToken, error) {
	t, err := h.svc.DevLastToken(p.Kind, p.App, p.Email)
	return hub.DevToken{Token: t}, err
}

// ---------------------------------------------------------------------------
// Agenda.

func (h handlers) saveRoom(ctx context.Context, p hub.RoomParams) (hub.Room, error) {
	r, err := h.svc.SaveRoom(ctx, service.Room{ID: p.Room, AppID: p.App, EventID: p.Event, Name: p.Name, Capacity: p.Capacity})
	return toRoom(r), err
}

func (h handlers) deleteRoom(ctx context.Context, p hub.ItemParams) (hub.Empty, error) {
	return hub.Empty{}, h.svc.DeleteRoom(ctx, p.App, p.ID)
}

func (h handlers) saveTrack(ctx context.Context, p hub.TrackParams) (hub.Track, error) {
	t, err := h.svc.SaveTrack(ctx, service.Track{ID: p.Track, AppID: p.App, EventID: p.Event, Name: p.Name, Color: p.Color})
	return toTrack(t), err
}

func (h handlers) deleteTrack(ctx context.Context, p hub.ItemParams) (hub.Empty, error) {
	return hub.Empty{}, h.svc.DeleteTrack(ctx, p.App, p.ID)
}

func (h handlers) saveSpeaker(ctx context.Context, p hub.SpeakerParams) (hub.Speaker, error) {
	s, err := h.svc.SaveSpeaker(ctx, fromSpeakerInput(p.App, p.Speaker, p.SpeakerInput))
	return toSpeaker(s, true), err
}

func (h handlers) deleteSpeaker(ctx context.Context, p hub.ItemParams) (hub.Empty, error) {
	return hub.Empty{}, h.svc.DeleteSpeaker(ctx, p.App, p.ID)
}

func (h handlers) listSpeakers(ctx context.Context, p hub.AppParams) (hub.SpeakerList, error) {
	sps, private, err := h.svc.ListSpeakers(ctx, p.App)
	out := hub.SpeakerList{Speakers: make([]hub.Speaker, len(sps))}
	for i, s := range sps {
		out.Speakers[i] = toSpeaker(s, private)
	}
	return out, err
}

func (h handlers) saveSession(ctx context.Context, p hub.SessionParams) (hub.Session, error) {
	in := p.SessionInput
	v, err := h.svc.SaveSession(ctx, service.SessionInput{ID: p.Session, AppID: p.App, EventID: p.Event, ExternalID: in.ExternalID,
		Title: in.Title, Description: in.Description, Start: in.Start, End: in.End, RoomID: in.Room, TrackID: in.Track,
		Capacity: in.Capacity, SpeakerIDs: in.Speakers})
	if err != nil {
		return hub.Session{}, err
	}
	return toSession(v), nil
}

func (h handlers) deleteSession(ctx context.Context, p hub.ItemParams) (hub.Empty, error) {
	return hub.Empty{}, h.svc.DeleteSession(ctx, p.App, p.ID)
}

func (h handlers) getSession(ctx context.Context, p hub.ItemParams) (hub.Session, error) {
	v, err := h.svc.GetSession(ctx, p.App, p.ID)
	if err != nil {
		return hub.Session{}, err
	}
	return toSession(v), nil
}

func (h handlers) getAgenda(ctx context.Context, p hub.AgendaParams) (hub.Agenda, error) {
	a, err := h.svc.GetAgenda(ctx, p.App, p.Event, p.Day, p.Track)
	if err != nil {
		return hub.Agenda{}, err
	}
	out := hub.Agenda{Event: toEvent(a.Event), Days: make([]hub.AgendaDay, len(a.Days)),
		Rooms: make([]hub.Room, len(a.Rooms)), Tracks: make([]hub.Track, len(a.Tracks))}
	for i, d := range a.Days {
		day := hub.AgendaDay{Date: d.Date, Sessions: make([]hub.Session, len(d.Sessions))}
		for j, s := range d.Sessions {
			day.Sessions[j] = toSession(s)
		}
		out.Days[i] = day
	}
	for i, r := range a.Rooms {
		out.Rooms[i] = toRoom(r)
	}
	for i, t := range a.Tracks {
		out.Tracks[i] = toTrack(t)
	}
	return out, nil
}

// ---------------------------------------------------------------------------
// Bulk.

func (h handlers) bulkMembers(ctx context.Context, p hub.BulkMembersParams) (hub.BulkResult, error) {
	rows := make([]service.Member, len(p.Members))
	for i, m := range p.Members {
		rows[i] = fromMemberInput(p.App, m)
	}
	o, err := h.svc.UpsertMembers(ctx, service.BulkMembers{App: p.App, Event: p.Event, DryRun: p.DryRun, Merge: p.Merge, Mode: p.Mode, Rows: rows})
	return toBulkResult(o), err
}

func (h handlers) bulkSpeakers(ctx context.Context, p hub.BulkSpeakersParams) (hub.BulkResult, error) {
	rows := make([]service.Speaker, len(p.Speakers))
	for i, s := range p.Speakers {
		rows[i] = fromSpeakerInput(p.App, "", s)
	}
	o, err := h.svc.UpsertSpeakers(ctx, p.App, rows, p.Mode, p.DryRun)
	return toBulkResult(o), err
}

func (h handlers) bulkSessions(ctx context.Context, p hub.BulkSessionsParams) (hub.BulkResult, error) {
	rows := make([]service.BulkSessionInput, len(p.Sessions))
	for i, s := range p.Sessions {
		rows[i] = service.BulkSessionInput{ExternalID: s.ExternalID, Title: s.Title, Description: s.Description, Start: s.Start,
			End: s.End, Room: s.Room, Track: s.Track, Capacity: s.Capacity, Speakers: s.Speakers}
	}
	o, err := h.svc.UpsertSessions(ctx, p.App, p.Event, rows, p.Mode, p.DryRun)
	return toBulkResult(o), err
}
