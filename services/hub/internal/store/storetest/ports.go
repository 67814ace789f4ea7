package storetest

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/attendify/hub/internal/service"
	"github.com/attendify/platform/errs"
)

func outbox(t *testing.T, ctx context.Context, s service.Store) {
	newApp(t, ctx, s, "ob")
	if err := announce(ctx, s, "x.y", "ob"); err == nil {
		t.Error("Announce outside a transaction: no error")
	}
	inTx(t, ctx, s, func(q service.Queries) error { return announce(ctx, q, "x.y", "ob") })
	v1 := must[int64](t)(s.NextVersion(ctx))
	vs := must[[]int64](t)(s.NextVersions(ctx, 3))
	v2 := must[int64](t)(s.NextVersion(ctx))
	if len(vs) != 3 || !(v1 < vs[0] && vs[0] < vs[1] && vs[1] < vs[2] && vs[2] < v2) {
		t.Errorf("versions do not go up: %d, %v, %d", v1, vs, v2)
	}
}

func organizers(t *testing.T, ctx context.Context, s service.Store) {
	o := must[service.Organizer](t)(s.CreateOrganizer(ctx, service.Organizer{ID: "o1", Email: "o1@x.io", Name: "O", PasswordHash: "h"}))
	if o.CreatedAt.IsZero() {
		t.Error("CreateOrganizer: no CreatedAt")
	}
	_, err := s.CreateOrganizer(ctx, service.Organizer{ID: "o2", Email: "o1@x.io", Name: "Other"})
	isKind(t, "same email", err, errs.Conflict)
	_, err = s.OrganizerByEmail(ctx, "nobody@x.io")
	isKind(t, "OrganizerByEmail of nobody", err, errs.NotFound)
	until := base.Add(time.Hour)
	// UpdateLogin writes the log-in state, and only that.
	up := must[service.Organizer](t)(s.UpdateLogin(ctx, "o1@x.io", func(o *service.Organizer) error {
		if o.ID != "o1" || o.PasswordHash != "h" {
			t.Errorf("UpdateLogin read %+v", o)
		}
		o.FailedLogins, o.LockedUntil, o.Name = 3, until, "Not written"
		return nil
	}))
	if up.FailedLogins != 3 || !up.LockedUntil.Equal(until) || up.Name != "O" {
		t.Errorf("UpdateLogin = %+v", up)
	}
	if err := s.SetPassword(ctx, "o1", "h2"); err != nil {
		t.Fatal(err)
	}
	got := must[service.Organizer](t)(s.OrganizerByEmail(ctx, "o1@x.io"))
	if got.ID != "o1" || got.Name != "O" || got.FailedLogins != 3 || !got.LockedUntil.Equal(until) || got.PasswordHash != "h2" {
		t.Errorf("OrganizerByEmail = %+v", got)
	}
	// An error of the update is returned as it is, and nothing is written.
	refused := errs.New(errs.Forbidden, "refused")
	_, err = s.UpdateLogin(ctx, "o1@x.io", func(o *service.Organizer) error {
		o.FailedLogins = 4
		return refused
	})
	if err != refused {
		t.Errorf("UpdateLogin with a failing update: %v, want %v", err, refused)
	}
	must[service.Organizer](t)(s.UpdateLogin(ctx, "o1@x.io", func(o *service.Organizer) error {
		if o.FailedLogins != 3 {
			t.Errorf("a failed update wrote: %+v", o)
		}
		o.FailedLogins, o.LockedUntil = 0, time.Time{}
		return nil
	}))
	if got := must[service.Organizer](t)(s.OrganizerByID(ctx, "o1", false)); !got.LockedUntil.IsZero() || got.FailedLogins != 0 {
		t.Errorf("after a reset: %+v", got)
	}
	// Updates at once see each other's writes.
	race(t, func(int) error {
		_, err := s.UpdateLogin(ctx, "o1@x.io", func(o *service.Organizer) error {
			o.FailedLogins++
			return nil
		})
		return err
	})
	if got := must[service.Organizer](t)(s.OrganizerByID(ctx, "o1", false)); got.FailedLogins != racers {
		t.Errorf("FailedLogins after %d updates at once = %d", racers, got.FailedLogins)
	}
	isKind(t, "SetPassword of nobody", s.SetPassword(ctx, "nobody", "h"), errs.NotFound)
	_, err = s.UpdateLogin(ctx, "nobody@x.io", func(*service.Organizer) error {
		t.Error("UpdateLogin of nobody called update")
		return nil
	})
	isKind(t, "UpdateLogin of nobody", err, errs.NotFound)
}

func signUps(t *testing.T, ctx context.Context, s service.Store) {
	now := base
	su := service.SignUp{ID: "su1", Email: "a@x.io", TokenHash: "t1", InvitationHash: "i1", ExpiresAt: now.Add(time.Hour), CreatedAt: now}
	if err := s.AddSignUp(ctx, su); err != nil {
		t.Fatal(err)
	}
	got := must[service.SignUp](t)(s.SignUpByToken(ctx, "t1", now, false))
	diff(t, "SignUpByToken", su, got)
	_, err := s.SignUpByToken(ctx, "t1", now.Add(time.Hour), false)
	isKind(t, "an expired sign-up", err, errs.NotFound)
	_, err = s.SignUpByToken(ctx, "t2", now, false)
	isKind(t, "another token", err, errs.NotFound)
	if err := s.DeleteSignUp(ctx, "su1"); err != nil {
		t.Fatal(err)
	}
	isKind(t, "DeleteSignUp twice", s.DeleteSignUp(ctx, "su1"), errs.NotFound)
}

func apps(t *testing.T, ctx context.Context, s service.Store) {
	a := newApp(t, ctx, s, "a1")
	if a.Version == 0 || a.CreatedAt.IsZero() || a.Slug != "a1" || a.Status != "published" {
		t.Errorf("CreateApp = %+v", a)
	}
	newApp(t, ctx, s, "a2")
	_, err := s.CreateApp(ctx, service.App{ID: "a3", Slug: "a1", Name: "Dup", Status: "unpublished", Access: "open"})
	isKind(t, "a taken slug", err, errs.Conflict)
	if got := must[service.App](t)(s.AppBySlug(ctx, "a2")); got.ID != "a2" {
		t.Errorf("AppBySlug = %+v", got)
	}
	_, err = s.App(ctx, "nope", false)
	isKind(t, "App of none", err, errs.NotFound)

	var u service.App
	inTx(t, ctx, s, func(q service.Queries) error {
		var err error
		u, err = q.UpdateApp(ctx, "a1", func(x *service.App) error {
			x.Name, x.Branding.PrimaryColor, x.PasscodeHash = "Renamed", "#112233", "ph"
			return nil
		})
		return err
	})
	if u.Name != "Renamed" || u.Branding.PrimaryColor != "#112233" || u.PasscodeHash != "ph" || u.Version <= a.Version {
		t.Errorf("UpdateApp = %+v", u)
	}
	diff(t, "App after UpdateApp", u, must[service.App](t)(s.App(ctx, "a1", false)))
	refuse := errors.New("refused")
	err = s.InTx(ctx, func(q service.Queries) error {
		_, err := q.UpdateApp(ctx, "a1", func(x *service.App) error {
			x.Name = "Not written"
			return refuse
		})
		return err
	})
	if err != refuse && !errors.Is(err, refuse) {
		t.Errorf("UpdateApp's update error: got %v", err)
	}
	err = s.InTx(ctx, func(q service.Queries) error {
		_, err := q.UpdateApp(ctx, "a1", func(x *service.App) error { x.Slug = "a2"; return nil })
		return err
	})
	isKind(t, "UpdateApp to a taken slug", err, errs.Conflict)
	err = s.InTx(ctx, func(q service.Queries) error {
		_, err := q.UpdateApp(ctx, "nope", func(*service.App) error { return nil })
		return err
	})
	isKind(t, "UpdateApp of none", err, errs.NotFound)
	if got := must[service.App](t)(s.App(ctx, "a1", false)); got.Name != "Renamed" || got.Slug != "a1" {
		t.Errorf("a failed update wrote: %+v", got)
	}

	// AppFor carries the caller's revocation mark.
	if _, rev, err := s.AppFor(ctx, "a1", "a1-owner"); err != nil || rev != 0 {
		t.Errorf("AppFor before revocation = %d, %v", rev, err)
	}
	var seq int64
	inTx(t, ctx, s, func(q service.Queries) error {
		var err error
		marks, err := q.RevokeTokens(ctx, "a1", "a1-owner")
		if len(marks) == 1 {
			seq = marks[0].Seq
		}
		return err
	})
	if _, rev, err := s.AppFor(ctx, "a1", "a1-owner"); err != nil || rev != seq {
		t.Errorf("AppFor after RevokeTokens = %d, %v; want %d", rev, err, seq)
	}

	got := must[[]service.AppWithRole](t)(s.AppsOf(ctx, "a1-owner"))
	if len(got) != 1 || got[0].ID != "a1" || got[0].Role != "owner" {
		t.Errorf("AppsOf = %+v", got)
	}

	m := newMember(t, ctx, s, "a1", "a1-m", "M")
	var users []string
	inTx(t, ctx, s, func(q service.Queries) error {
		var err error
		users, err = q.DeleteApp(ctx, "a1")
		return err
	})
	diff(t, "DeleteApp's users", []string{m.ID, "a1-owner"}, sorted(users))
	_, err = s.App(ctx, "a1", false)
	isKind(t, "App after DeleteApp", err, errs.NotFound)
	_, err = s.Member(ctx, "a1", m.ID, false)
	isKind(t, "its member after DeleteApp", err, errs.NotFound)
	if got := must[[]service.AppWithRole](t)(s.AppsOf(ctx, "a1-owner")); len(got) != 0 {
		t.Errorf("AppsOf after DeleteApp = %+v", got)
	}
	_, err = s.DeleteApp(ctx, "a1")
	isKind(t, "DeleteApp twice", err, errs.NotFound)
}

func collaborators(t *testing.T, ctx context.Context, s service.Store) {
	newApp(t, ctx, s, "c1")
	must[service.Organizer](t)(s.CreateOrganizer(ctx, service.Organizer{ID: "ed", Email: "ed@x.io", Name: "Ed"}))
	c := must[service.Collaborator](t)(s.AddCollaborator(ctx, service.Collaborator{AppID: "c1", OrganizerID: "ed", Role: "moderator"}))
	if c.Version == 0 {
		t.Error("AddCollaborator: no version")
	}
	_, err := s.AddCollaborator(ctx, service.Collaborator{AppID: "c1", OrganizerID: "ed", Role: "admin"})
	isKind(t, "AddCollaborator twice", err, errs.Conflict)
	got := must[service.Collaborator](t)(s.Collaborator(ctx, "c1", "ed", false))
	diff(t, "Collaborator", service.Collaborator{AppID: "c1", OrganizerID: "ed", Email: "ed@x.io", Name: "Ed", Role: "moderator", Version: c.Version}, got)
	list := must[[]service.Collaborator](t)(s.Collaborators(ctx, "c1"))
	if len(list) != 2 || list[0].OrganizerID != "c1-owner" || list[1].OrganizerID != "ed" {
		t.Errorf("Collaborators (in the order they came) = %+v", list)
	}
	up := must[service.Collaborator](t)(s.UpdateCollaborator(ctx, "c1", "ed", func(c *service.Collaborator) error {
		diff(t, "UpdateCollaborator read", got, *c)
		c.Role = "admin"
		return nil
	}))
	if up.Role != "admin" || up.Version <= c.Version || up.Email != "ed@x.io" {
		t.Errorf("UpdateCollaborator = %+v", up)
	}
	diff(t, "Collaborator after UpdateCollaborator", up, must[service.Collaborator](t)(s.Collaborator(ctx, "c1", "ed", false)))
	refused := errs.New(errs.Forbidden, "refused")
	_, err = s.UpdateCollaborator(ctx, "c1", "ed", func(c *service.Collaborator) error {
		c.Role = "member"
		return refused
	})
	if err != refused {
		t.Errorf("UpdateCollaborator with a failing update: %v, want %v", err, refused)
	}
	diff(t, "Collaborator after a failed update", up, must[service.Collaborator](t)(s.Collaborator(ctx, "c1", "ed", false)))
	_, err = s.UpdateCollaborator(ctx, "c1", "ed", func(c *service.Collaborator) error {
		c.Role = "owner"
		return nil
	})
	isKind(t, "UpdateCollaborator to a second owner", err, errs.Conflict)
	must[service.Organizer](t)(s.CreateOrganizer(ctx, service.Organizer{ID: "bad", Email: "bad@x.io", Name: "Bad"}))
	_, err = s.AddCollaborator(ctx, service.Collaborator{AppID: "c1", OrganizerID: "bad", Role: "editor"})
	isKind(t, "a role that does not exist", err, errs.Invalid)
	_, err = s.UpdateCollaborator(ctx, "c1", "ed", func(c *service.Collaborator) error {
		c.Role = "editor"
		return nil
	})
	isKind(t, "UpdateCollaborator to a role that does not exist", err, errs.Invalid)
	_, err = s.UpdateCollaborator(ctx, "c1", "nobody", func(*service.Collaborator) error {
		t.Error("UpdateCollaborator of none called update")
		return nil
	})
	isKind(t, "UpdateCollaborator of none", err, errs.NotFound)
	// Of updates at once that each change the role they read, one does.
	outcomes := race(t, func(int) error {
		_, err := s.UpdateCollaborator(ctx, "c1", "ed", func(c *service.Collaborator) error {
			if c.Role != "admin" {
				return refused
			}
			c.Role = "moderator"
			return nil
		})
		return err
	})
	if n := count(outcomes, refused); n != racers-1 {
		t.Errorf("%d of %d updates at once found the role changed, want all but one", n, racers)
	}
	if n := must[int](t)(s.CountCollaborators(ctx, "c1", base)); n != 2 {
		t.Errorf("CountCollaborators = %d, want 2", n)
	}
	// Pending invitations count; expired ones do not.
	for i, inv := range []service.Invitation{
		{ID: "p", Email: "p@x.io", TokenHash: "tp", ExpiresAt: base.Add(time.Hour)},
		{ID: "x", Email: "x@x.io", TokenHash: "tx", ExpiresAt: base},
	} {
		inv.AppID, inv.Role, inv.InvitedBy, inv.CreatedAt = "c1", "moderator", "c1-owner", base.Add(-time.Duration(i)*time.Minute)
		if err := s.AddInvitation(ctx, inv); err != nil {
			t.Fatal(err)
		}
	}
	if n := must[int](t)(s.CountCollaborators(ctx, "c1", base)); n != 3 {
		t.Errorf("CountCollaborators with one pending invitation = %d, want 3", n)
	}
	if err := s.RemoveCollaborator(ctx, "c1", "ed"); err != nil {
		t.Fatal(err)
	}
	isKind(t, "RemoveCollaborator twice", s.RemoveCollaborator(ctx, "c1", "ed"), errs.NotFound)
	_, err = s.Collaborator(ctx, "c1", "ed", false)
	isKind(t, "Collaborator after RemoveCollaborator", err, errs.NotFound)
}

func invitations(t *testing.T, ctx context.Context, s service.Store) {
	newApp(t, ctx, s, "i1")
	must[service.Organizer](t)(s.CreateOrganizer(ctx, service.Organizer{ID: "acc", Email: "acc@x.io", Name: "Acc"}))
	add := func(id, email string, created time.Time) service.Invitation {
		t.Helper()
		inv := service.Invitation{ID: id, AppID: "i1", Email: email, Role: "moderator", InvitedBy: "i1-owner", TokenHash: "t-" + id,
			CreatedAt: created, ExpiresAt: created.Add(48 * time.Hour)}
		if err := s.AddInvitation(ctx, inv); err != nil {
			t.Fatal(err)
		}
		return inv
	}
	a := add("ia", "a@x.io", base)
	b := add("ib", "b@x.io", base.Add(time.Minute))
	err := s.AddInvitation(ctx, service.Invitation{ID: "ic", AppID: "i1", Email: "a@x.io", Role: "admin", InvitedBy: "i1-owner",
		TokenHash: "t-ic", CreatedAt: base, ExpiresAt: base.Add(time.Hour)})
	isKind(t, "a second open invitation of one email", err, errs.Conflict)

	diff(t, "Invitation", a, must[service.Invitation](t)(s.Invitation(ctx, "i1", "ia", false)))
	diff(t, "InvitationByToken", b, must[service.Invitation](t)(s.InvitationByToken(ctx, "t-ib")))
	_, err = s.InvitationByToken(ctx, "")
	isKind(t, "InvitationByToken of no token", err, errs.NotFound)
	diff(t, "OpenInvitation", a, must[service.Invitation](t)(s.OpenInvitation(ctx, "i1", "a@x.io")))
	_, err = s.Invitation(ctx, "other", "ia", false)
	isKind(t, "Invitation of another app", err, errs.NotFound)

	at := base.Add(2 * time.Minute)
	refused := errs.New(errs.Forbidden, "refused")
	_, err = s.UpdateInvitationByToken(ctx, "t-ia", func(inv *service.Invitation) error {
		inv.AcceptedBy, inv.AcceptedAt = "acc", at
		return refused
	})
	if err != refused {
		t.Errorf("UpdateInvitationByToken with a failing update: %v, want %v", err, refused)
	}
	diff(t, "Invitation after a failed update", a, must[service.Invitation](t)(s.Invitation(ctx, "i1", "ia", false)))
	_, err = s.UpdateInvitationByToken(ctx, "t-none", func(*service.Invitation) error {
		t.Error("UpdateInvitationByToken of no invitation called update")
		return nil
	})
	isKind(t, "UpdateInvitationByToken of no invitation", err, errs.NotFound)
	// Of accepts at once that each check the invitation is open, one
	// accepts it.
	outcomes := race(t, func(int) error {
		_, err := s.UpdateInvitationByToken(ctx, "t-ia", func(inv *service.Invitation) error {
			diff(t, "UpdateInvitationByToken read", a.ID, inv.ID)
			if !inv.AcceptedAt.IsZero() {
				return refused
			}
			inv.AcceptedBy, inv.AcceptedAt = "acc", at
			return nil
		})
		return err
	})
	if n := count(outcomes, refused); n != racers-1 {
		t.Errorf("%d of %d accepts at once found it accepted, want all but one", n, racers)
	}
	isKind(t, "RevokeInvitation of an accepted one", s.RevokeInvitation(ctx, "i1", "ia", "i1-owner", at), errs.NotFound)
	got := must[service.Invitation](t)(s.InvitationByToken(ctx, "t-ia"))
	if got.AcceptedBy != "acc" || got.AcceptedEmail != "acc@x.io" || !got.AcceptedAt.Equal(at) {
		t.Errorf("accepted invitation = %+v", got)
	}
	// Revoking through the token: the update writes who closed it.
	revoked := must[service.Invitation](t)(s.UpdateInvitationByToken(ctx, "t-ib", func(inv *service.Invitation) error {
		inv.RevokedBy, inv.RevokedAt = "i1-owner", at
		return nil
	}))
	if revoked.RevokedBy != "i1-owner" || !revoked.RevokedAt.Equal(at) || !revoked.AcceptedAt.IsZero() {
		t.Errorf("UpdateInvitationByToken (revoke) = %+v", revoked)
	}
	diff(t, "Invitation after UpdateInvitationByToken", revoked, must[service.Invitation](t)(s.Invitation(ctx, "i1", "ib", false)))
	_, err = s.OpenInvitation(ctx, "i1", "a@x.io")
	isKind(t, "OpenInvitation once accepted", err, errs.NotFound)
	isKind(t, "RevokeInvitation of a revoked one", s.RevokeInvitation(ctx, "i1", "ib", "i1-owner", at), errs.NotFound)
	// A closed email may be invited again.
	c := add("ic", "a@x.io", base.Add(3*time.Minute))
	ids := func(closedSince time.Time) []string {
		var out []string
		for _, i := range must[[]service.Invitation](t)(s.Invitations(ctx, "i1", closedSince)) {
			out = append(out, i.ID)
		}
		return out
	}
	diff(t, "Invitations, newest first", []string{c.ID, b.ID, a.ID}, ids(base))
	diff(t, "Invitations closed since later", []string{c.ID}, ids(at.Add(time.Second)))
}

func eventStore(t *testing.T, ctx context.Context, s service.Store) {
	newApp(t, ctx, s, "e1")
	e2 := newEvent(t, ctx, s, "e1", "ev2", 2)
	e1 := newEvent(t, ctx, s, "e1", "ev1", 1)
	diff(t, "Event", e1, must[service.Event](t)(s.Event(ctx, "e1", "ev1", false)))
	err := s.InTx(ctx, func(q service.Queries) error {
		return q.CreateEvent(ctx, service.Event{ID: "bad", AppID: "e1", Name: "B", TimeZone: "UTC", Start: base, End: base.Add(-time.Hour),
			Visibility: "public", Access: "open"})
	})
	isKind(t, "an event that ends before it starts", err, errs.Invalid)
	_, err = s.Event(ctx, "other", "ev1", false)
	isKind(t, "Event of another app", err, errs.NotFound)
	evs := must[[]service.Event](t)(s.Events(ctx, "e1"))
	diff(t, "Events by start", []service.Event{e1, e2}, evs)

	// A session at 10:00 on the wall clock stays there when the zone moves.
	paris, _ := time.LoadLocation("Europe/Paris")
	inTx(t, ctx, s, func(q service.Queries) error {
		return q.SaveSession(ctx, service.Session{ID: "s1", AppID: "e1", EventID: "ev1", Title: "S",
			Start: time.Date(2026, 7, 1, 10, 0, 0, 0, time.UTC), End: time.Date(2026, 7, 1, 11, 0, 0, 0, time.UTC)}, true)
	})
	var u service.Event
	inTx(t, ctx, s, func(q service.Queries) error {
		var err error
		u, err = q.UpdateEvent(ctx, "e1", "ev1", func(e *service.Event) error {
			e.Name, e.TimeZone = "Renamed", "Europe/Paris"
			return nil
		})
		return err
	})
	if u.Name != "Renamed" || u.TimeZone != "Europe/Paris" || u.ID != "ev1" {
		t.Errorf("UpdateEvent = %+v", u)
	}
	diff(t, "Event after UpdateEvent", u, must[service.Event](t)(s.Event(ctx, "e1", "ev1", false)))
	x := must[service.Session](t)(s.Session(ctx, "e1", "s1"))
	if want := time.Date(2026, 7, 1, 10, 0, 0, 0, paris); !x.Start.Equal(want) {
		t.Errorf("session start after the zone moved = %v, want %v", x.Start, want)
	}
	refuse := errors.New("refused")
	err = s.InTx(ctx, func(q service.Queries) error {
		_, err := q.UpdateEvent(ctx, "e1", "ev2", func(e *service.Event) error { e.Name = "no"; return refuse })
		return err
	})
	if !errors.Is(err, refuse) {
		t.Errorf("UpdateEvent's update error: got %v", err)
	}
	if got := must[service.Event](t)(s.Event(ctx, "e1", "ev2", false)); got.Name != e2.Name {
		t.Errorf("a refused update wrote: %+v", got)
	}

	v1 := must[int64](t)(s.TouchEvents(ctx, "e1"))
	v2 := must[int64](t)(s.TouchEvents(ctx, "e1"))
	if v2 <= v1 {
		t.Errorf("TouchEvents: %d then %d", v1, v2)
	}
	m := newMember(t, ctx, s, "e1", "em", "M")
	must[[]string](t)(s.Register(ctx, "e1", "ev2", []string{m.ID}))
	if _, reg, err := s.EventFor(ctx, "e1", "ev2", m.ID); err != nil || !reg {
		t.Errorf("EventFor registered = %v, %v", reg, err)
	}
	if _, reg, err := s.EventFor(ctx, "e1", "ev1", m.ID); err != nil || reg {
		t.Errorf("EventFor not registered = %v, %v", reg, err)
	}
	if err := s.DeleteEvent(ctx, "e1", "ev2"); err != nil {
		t.Fatal(err)
	}
	isKind(t, "DeleteEvent twice", s.DeleteEvent(ctx, "e1", "ev2"), errs.NotFound)
	if regs := must[map[string]bool](t)(s.RegisteredEvents(ctx, "e1", m.ID)); len(regs) != 0 {
		t.Errorf("registrations outlived their event: %v", regs)
	}
}

func registrations(t *testing.T, ctx context.Context, s service.Store) {
	newApp(t, ctx, s, "r1")
	newEvent(t, ctx, s, "r1", "ra", 1)
	newEvent(t, ctx, s, "r1", "rb", 2)
	m1 := newMember(t, ctx, s, "r1", "m1", "One")
	m2 := newMember(t, ctx, s, "r1", "m2", "Two")
	diff(t, "Register", []string{"m1"}, must[[]string](t)(s.Register(ctx, "r1", "ra", []string{"m1"})))
	diff(t, "Register again", []string{"m2"}, sorted(must[[]string](t)(s.Register(ctx, "r1", "ra", []string{"m1", "m2"}))))
	must[[]string](t)(s.Register(ctx, "r1", "rb", []string{"m1"}))
	diff(t, "RegisteredEvents", map[string]bool{"ra": true, "rb": true}, must[map[string]bool](t)(s.RegisteredEvents(ctx, "r1", "m1")))
	diff(t, "Registrations", map[string][]string{"m1": {"ra", "rb"}, "m2": {"ra"}},
		must[map[string][]string](t)(s.Registrations(ctx, "r1", []string{"m1", "m2", "m3"})))
	diff(t, "Unregister", []string{"m2"}, must[[]string](t)(s.Unregister(ctx, "r1", "ra", []string{"m2", "m3"})))
	var states []service.MemberState
	inTx(t, ctx, s, func(q service.Queries) error {
		var err error
		states, err = q.TouchMembers(ctx, "r1", []string{"m2", "m1"})
		return err
	})
	if len(states) != 2 {
		t.Fatalf("TouchMembers = %+v", states)
	}
	byID := map[string]service.MemberState{}
	for _, st := range states {
		byID[st.ID] = st
	}
	if st := byID["m1"]; st.Version <= m1.Version || st.Role != "attendee" {
		t.Errorf("TouchMembers m1 = %+v", st)
	}
	diff(t, "TouchMembers' registrations", []string{"ra", "rb"}, byID["m1"].Registered)
	diff(t, "TouchMembers' registrations of m2", []string(nil), byID["m2"].Registered)
	if got := must[service.Member](t)(s.Member(ctx, "r1", "m2", false)); got.Version != byID["m2"].Version || got.Version <= m2.Version {
		t.Errorf("member version after TouchMembers = %d", got.Version)
	}
}

func members(t *testing.T, ctx context.Context, s service.Store) {
	newApp(t, ctx, s, "m1")
	in := service.Member{ID: "mm", AppID: "m1", Email: "mm@x.io", ExternalID: "ext-1", Name: "Zoé Martin", Company: "Acme",
		Role: "attendee", Links: []service.Link{{Label: "web", URL: "https://x.io"}}, Custom: map[string]string{"k": "v"}}
	m := must[service.Member](t)(s.CreateMember(ctx, in))
	if m.Version == 0 || m.CreatedAt.IsZero() {
		t.Errorf("CreateMember = %+v", m)
	}
	diff(t, "CreateMember", in, m, ignoreTimes)
	_, err := s.CreateMember(ctx, service.Member{ID: "m2", AppID: "m1", Email: "mm@x.io", Name: "Dup", Role: "attendee"})
	isKind(t, "same email", err, errs.Conflict)
	_, err = s.CreateMember(ctx, service.Member{ID: "m3", AppID: "m1", Email: "m3@x.io", ExternalID: "ext-1", Name: "Dup", Role: "attendee"})
	isKind(t, "same external id", err, errs.Conflict)
	_, err = s.CreateMember(ctx, service.Member{ID: "m5", AppID: "m1", Email: "m5@x.io", Name: "Role", Role: "king"})
	isKind(t, "a member role that does not exist", err, errs.Invalid)
	bare := must[service.Member](t)(s.CreateMember(ctx, service.Member{ID: "m4", AppID: "m1", Email: "m4@x.io", Name: "Anne Bloc", Role: "attendee"}))
	if bare.Links == nil || bare.Custom == nil {
		t.Errorf("CreateMember without links or custom fields: %+v", bare)
	}
	diff(t, "MemberByEmail", m, must[service.Member](t)(s.MemberByEmail(ctx, "m1", "mm@x.io")))
	_, err = s.Member(ctx, "other", "mm", false)
	isKind(t, "Member of another app", err, errs.NotFound)

	var u service.Member
	inTx(t, ctx, s, func(q service.Queries) error {
		var err error
		u, err = q.UpdateMember(ctx, "m1", "mm", func(x *service.Member) error {
			x.Title, x.Blocked = "CTO", true
			return nil
		})
		return err
	})
	if u.Title != "CTO" || !u.Blocked || u.Version <= m.Version || u.Email != "mm@x.io" {
		t.Errorf("UpdateMember = %+v", u)
	}
	err = s.InTx(ctx, func(q service.Queries) error {
		_, err := q.UpdateMember(ctx, "m1", "m4", func(x *service.Member) error { x.Email = "mm@x.io"; return nil })
		return err
	})
	isKind(t, "UpdateMember to a taken email", err, errs.Conflict)

	// The directory: word prefixes of name and company, folded; blocked
	// members only when asked for.
	hits := func(f service.MemberFilter) []string {
		t.Helper()
		f.AppID, f.Limit = "m1", 10
		var out []string
		for _, h := range must[[]service.MemberHit](t)(s.SearchMembers(ctx, f)) {
			out = append(out, h.ID)
		}
		return out
	}
	diff(t, "SearchMembers of all", []string{"m4"}, hits(service.MemberFilter{}))
	diff(t, "SearchMembers with blocked", []string{"m4", "mm"}, hits(service.MemberFilter{IncludeBlocked: true}))
	diff(t, "SearchMembers by a folded prefix", []string{"mm"}, hits(service.MemberFilter{IncludeBlocked: true, Words: []string{"zoe"}}))
	diff(t, "SearchMembers by company", []string{"mm"}, hits(service.MemberFilter{IncludeBlocked: true, Words: []string{"ACM"}}))
	diff(t, "SearchMembers by no word", []string(nil), hits(service.MemberFilter{IncludeBlocked: true, Words: []string{"oe"}}))
	all := must[[]service.MemberHit](t)(s.SearchMembers(ctx, service.MemberFilter{AppID: "m1", IncludeBlocked: true, Limit: 1}))
	if len(all) != 2 || all[0].SortName != "anne bloc" {
		t.Fatalf("SearchMembers returns Limit+1 hits with their sort names: %+v", all)
	}
	diff(t, "SearchMembers after a page", []string{"mm"},
		hits(service.MemberFilter{IncludeBlocked: true, AfterName: all[0].SortName, AfterID: all[0].ID}))

	// DeleteMember takes their codes and unlinks their speaker.
	inTx(t, ctx, s, func(q service.Queries) error {
		if _, err := q.SaveSpeaker(ctx, service.Speaker{ID: "sp", AppID: "m1", Email: "m4@x.io", Name: "Anne"}, true); err != nil {
			return err
		}
		return q.AddCode(ctx, service.SignInCode{ID: "c1", AppID: "m1", Email: "m4@x.io", CodeHash: "h", ExpiresAt: base.Add(48 * time.Hour), CreatedAt: base})
	})
	if sp := must[service.Speaker](t)(s.Speaker(ctx, "m1", "sp")); sp.MemberID != "m4" {
		t.Errorf("speaker not linked to the member of its email: %+v", sp)
	}
	if err := s.DeleteMember(ctx, "m1", "m4"); err != nil {
		t.Fatal(err)
	}
	isKind(t, "DeleteMember twice", s.DeleteMember(ctx, "m1", "m4"), errs.NotFound)
	if sp := must[service.Speaker](t)(s.Speaker(ctx, "m1", "sp")); sp.Email != "" || sp.MemberID != "" {
		t.Errorf("speaker still linked after DeleteMember: %+v", sp)
	}
	_, err = s.UpdateLiveCode(ctx, "m1", "m4@x.io", base, func(*service.SignInCode) error { return nil })
	isKind(t, "codes after DeleteMember", err, errs.NotFound)
}

func memberBulk(t *testing.T, ctx context.Context, s service.Store) {
	newApp(t, ctx, s, "b1")
	newEvent(t, ctx, s, "b1", "be", 1)
	vs := must[[]int64](t)(s.NextVersions(ctx, 2))
	rows := []service.Member{
		{ID: "b-1", AppID: "b1", Email: "1@x.io", ExternalID: "x1", Name: "One", Company: "C1", Role: "attendee", Version: vs[0],
			Links: []service.Link{{Label: "Web", URL: "https://1"}, {Label: "git", URL: "https://g"}}, Custom: map[string]string{"a": "1"}},
		{ID: "b-2", AppID: "b1", Email: "2@x.io", Name: "Two", Role: "attendee", Version: vs[1]},
	}
	inTx(t, ctx, s, func(q service.Queries) error { return q.InsertMembers(ctx, rows) })
	if got := must[service.Member](t)(s.Member(ctx, "b1", "b-1", false)); got.Version != vs[0] || got.Company != "C1" {
		t.Errorf("InsertMembers stored %+v", got)
	}
	keys := must[[]service.MemberKey](t)(s.MemberKeys(ctx, "b1", []string{"x1", "x9"}, []string{"2@x.io", "9@x.io"}))
	diff(t, "MemberKeys", []service.MemberKey{{ID: "b-1", Email: "1@x.io", ExternalID: "x1"}, {ID: "b-2", Email: "2@x.io"}}, keys,
		cmpSortKeys)

	// A merge keeps the stored values of empty fields, link labels and
	// custom fields the row does not have.
	row := service.Member{ID: "b-1", Email: "1@x.io", Name: "One Renamed", Links: []service.Link{{Label: "web", URL: "https://new"}},
		Custom: map[string]string{"b": "2"}}
	var dry []service.Member
	inTx(t, ctx, s, func(q service.Queries) error {
		var err error
		dry, err = q.UpdateMembers(ctx, "b1", []service.Member{row, {ID: "b-2", Email: "2@x.io", Name: "Two"}}, true, true)
		return err
	})
	if len(dry) != 1 || dry[0].Name != "One Renamed" || dry[0].Company != "C1" || dry[0].Version != 0 {
		t.Fatalf("UpdateMembers dry run = %+v", dry)
	}
	diff(t, "merged links", []service.Link{{Label: "git", URL: "https://g"}, {Label: "web", URL: "https://new"}}, dry[0].Links)
	diff(t, "merged custom fields", map[string]string{"a": "1", "b": "2"}, dry[0].Custom)
	if got := must[service.Member](t)(s.Member(ctx, "b1", "b-1", false)); got.Name != "One" {
		t.Errorf("a dry run wrote: %+v", got)
	}
	var done []service.Member
	inTx(t, ctx, s, func(q service.Queries) error {
		var err error
		done, err = q.UpdateMembers(ctx, "b1", []service.Member{row}, false, false)
		return err
	})
	if len(done) != 1 || done[0].Company != "" || done[0].Version <= vs[1] || done[0].Role != "attendee" {
		t.Fatalf("UpdateMembers (replace) = %+v", done)
	}
	diff(t, "UpdateMembers as stored", done[0], must[service.Member](t)(s.Member(ctx, "b1", "b-1", false)))

	var added []string
	inTx(t, ctx, s, func(q service.Queries) error {
		if _, err := q.Register(ctx, "b1", "be", []string{"b-2"}); err != nil {
			return err
		}
		var err error
		added, err = q.RegisterMembers(ctx, "b1", "be", []string{"b-1"}, []string{"b-2"})
		return err
	})
	diff(t, "RegisterMembers", []string{"b-1"}, added)
}

func signInCodes(t *testing.T, ctx context.Context, s service.Store) {
	newApp(t, ctx, s, "k1")
	add := func(id string, created time.Time) {
		t.Helper()
		c := service.SignInCode{ID: id, AppID: "k1", Email: "a@x.io", CodeHash: "h-" + id, ExpiresAt: created.Add(10 * time.Minute), CreatedAt: created}
		inTx(t, ctx, s, func(q service.Queries) error { return q.AddCode(ctx, c) })
	}
	add("c1", base)
	add("c2", base.Add(time.Minute))
	var n int
	var last time.Time
	inTx(t, ctx, s, func(q service.Queries) error {
		var err error
		n, last, err = q.CodesSince(ctx, "k1", "a@x.io", base.Add(time.Second))
		return err
	})
	if n != 1 || !last.Equal(base.Add(time.Minute)) {
		t.Errorf("CodesSince = %d, %v", n, last)
	}
	inTx(t, ctx, s, func(q service.Queries) error {
		var err error
		n, _, err = q.CodesSince(ctx, "k1", "b@x.io", base)
		return err
	})
	if n != 0 {
		t.Errorf("CodesSince of another email = %d", n)
	}
	// UpdateLiveCode reads the latest live code and writes its attempts and
	// whether it is used.
	now := base.Add(2 * time.Minute)
	live := must[service.SignInCode](t)(s.UpdateLiveCode(ctx, "k1", "a@x.io", now, func(c *service.SignInCode) error {
		if c.ID != "c2" || c.CodeHash != "h-c2" || c.Attempts != 0 || c.Used {
			t.Errorf("UpdateLiveCode read %+v, want the latest", c)
		}
		c.Attempts = 2
		return nil
	}))
	if live.ID != "c2" || live.Attempts != 2 || live.Used {
		t.Errorf("UpdateLiveCode = %+v", live)
	}
	refused := errs.New(errs.Forbidden, "refused")
	_, err := s.UpdateLiveCode(ctx, "k1", "a@x.io", now, func(c *service.SignInCode) error {
		c.Attempts, c.Used = 9, true
		return refused
	})
	if err != refused {
		t.Errorf("UpdateLiveCode with a failing update: %v, want %v", err, refused)
	}
	// Updates at once see each other's writes.
	race(t, func(int) error {
		_, err := s.UpdateLiveCode(ctx, "k1", "a@x.io", now, func(c *service.SignInCode) error {
			c.Attempts++
			return nil
		})
		return err
	})
	inTx(t, ctx, s, func(q service.Queries) error {
		_, err := q.UpdateLiveCode(ctx, "k1", "a@x.io", now, func(c *service.SignInCode) error {
			if c.ID != "c2" || c.Attempts != 2+racers {
				t.Errorf("after %d updates at once and a failed one: %+v, want %d attempts", racers, c, 2+racers)
			}
			c.Used = true
			return nil
		})
		return err
	})
	// Of updates at once that each spend the code they read, one does;
	// the others get the next live code.
	var spent sync.Map
	race(t, func(int) error {
		_, err := s.UpdateLiveCode(ctx, "k1", "a@x.io", now, func(c *service.SignInCode) error {
			if _, dup := spent.LoadOrStore(c.ID, true); dup {
				t.Errorf("code %s spent twice", c.ID)
			}
			c.Used = true
			return nil
		})
		if errors.Is(err, errs.NotFound) {
			return nil
		}
		return err
	})
	if _, ok := spent.Load("c1"); !ok {
		t.Error("the older code was not live once the latest was used")
	}
	_, err = s.UpdateLiveCode(ctx, "k1", "a@x.io", now, func(*service.SignInCode) error { return nil })
	isKind(t, "UpdateLiveCode once every code is used", err, errs.NotFound)
	add("c3", base.Add(3*time.Minute))
	_, err = s.UpdateLiveCode(ctx, "k1", "a@x.io", base.Add(13*time.Minute), func(*service.SignInCode) error {
		t.Error("UpdateLiveCode of an expired code called update")
		return nil
	})
	isKind(t, "UpdateLiveCode when expired", err, errs.NotFound)
}

var cmpSortKeys = cmpSortFunc(func(a, b service.MemberKey) bool { return a.ID < b.ID })
