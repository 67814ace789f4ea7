package storetest

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/attendify/hub/internal/service"
)

// CollisionRecorder records email collisions as migration 13 writes them
// into email_collisions (Table, App, Email, KeptID, OtherID, DottedEmail,
// TokensRevoked): the stores the contract runs on have it (the Postgres
// adapter's test inserts the rows, memstore keeps them).
type CollisionRecorder interface {
	AddEmailCollisions(cs ...service.EmailCollision) error
}

func emailCollisions(t *testing.T, ctx context.Context, s service.Store) {
	rec, ok := s.(CollisionRecorder)
	if !ok {
		t.Fatalf("%T records no email collisions (storetest.CollisionRecorder)", s)
	}
	newApp(t, ctx, s, "c1")
	newApp(t, ctx, s, "c2")
	inTx(t, ctx, s, func(q service.Queries) error {
		for _, m := range []service.Member{
			{ID: "mk", AppID: "c1", Email: "m@x.io", Name: "Kept"},
			{ID: "mo", AppID: "c1", Email: "m@x.io.", Name: "Other"},
			{ID: "mb", AppID: "c1", Email: "b@x.io.", Name: "Blocked", Blocked: true},
			{ID: "mc", AppID: "c1", Email: "new@x.io", Name: "Changed"},
			{ID: "x2", AppID: "c2", Email: "m@x.io.", Name: "Other app"},
			{ID: "x3", AppID: "c2", Email: "n@x.io.", Name: "Other app too"},
		} {
			m.Role = "attendee"
			if _, err := q.CreateMember(ctx, m); err != nil {
				return err
			}
		}
		for _, sp := range []service.Speaker{{ID: "sk", Email: "s@x.io", Name: "Speaker"}, {ID: "so", Email: "s@x.io..", Name: "Speaker Too"}} {
			sp.AppID = "c1"
			if _, err := q.SaveSpeaker(ctx, sp, true); err != nil {
				return err
			}
		}
		for _, inv := range []service.Invitation{{ID: "io", Email: "i@x.io."}, {ID: "ic", Email: "j@x.io."}} {
			inv.AppID, inv.Role, inv.InvitedBy, inv.TokenHash = "c1", "admin", "c1-owner", "h-"+inv.ID
			inv.CreatedAt, inv.ExpiresAt = base, base.Add(48*3600e9)
			if err := q.AddInvitation(ctx, inv); err != nil {
				return err
			}
		}
		if err := q.RevokeInvitation(ctx, "c1", "ic", "c1-owner", base); err != nil {
			return err
		}
		for _, o := range []service.Organizer{{ID: "od", Email: "c1-owner@x.io.", Name: "Stranger"},
			{ID: "ck", Email: "col@x.io", Name: "Stranger Too"}, {ID: "cd", Email: "col@x.io.", Name: "Colin"},
			{ID: "far", Email: "far@x.io", Name: "Far"}, {ID: "fard", Email: "far@x.io.", Name: "Far Too"}} {
			if _, err := q.CreateOrganizer(ctx, o); err != nil {
				return err
			}
		}
		_, err := q.AddCollaborator(ctx, service.Collaborator{AppID: "c1", OrganizerID: "cd", Role: "member"})
		return err
	})
	recorded := []service.EmailCollision{
		{Table: "members", App: "c1", Email: "m@x.io", KeptID: "mk", OtherID: "mo", DottedEmail: "m@x.io.", TokensRevoked: true},
		{Table: "members", App: "c1", Email: "b@x.io", KeptID: "bk", OtherID: "mb", DottedEmail: "b@x.io."},
		{Table: "members", App: "c1", Email: "c@x.io", KeptID: "ck", OtherID: "mc", DottedEmail: "c@x.io."},
		{Table: "members", App: "c1", Email: "g@x.io", KeptID: "mk", OtherID: "gone", DottedEmail: "g@x.io."},
		// Another app's member, named under c1: no entry of c1.
		{Table: "members", App: "c1", Email: "n@x.io", KeptID: "mk", OtherID: "x3", DottedEmail: "n@x.io."},
		{Table: "members", App: "c2", Email: "m@x.io", KeptID: "y2", OtherID: "x2", DottedEmail: "m@x.io."},
		{Table: "speakers", App: "c1", Email: "s@x.io", KeptID: "sk", OtherID: "so", DottedEmail: "s@x.io.."},
		{Table: "invitations", App: "c1", Email: "i@x.io", KeptID: "ik", OtherID: "io", DottedEmail: "i@x.io."},
		{Table: "invitations", App: "c1", Email: "j@x.io", KeptID: "jk", OtherID: "ic", DottedEmail: "j@x.io."},
		{Table: "organizers", Email: "c1-owner@x.io", KeptID: "c1-owner", OtherID: "od", DottedEmail: "c1-owner@x.io."},
		{Table: "organizers", Email: "col@x.io", KeptID: "ck", OtherID: "cd", DottedEmail: "col@x.io."},
		{Table: "organizers", Email: "far@x.io", KeptID: "far", OtherID: "fard", DottedEmail: "far@x.io."},
	}
	if err := rec.AddEmailCollisions(recorded...); err != nil {
		t.Fatal(err)
	}

	open := []service.EmailCollision{
		{Table: "invitations", App: "c1", Email: "i@x.io", KeptID: "ik", OtherID: "io", DottedEmail: "i@x.io.", OtherEmail: "i@x.io.", OtherFound: true},
		{Table: "members", App: "c1", Email: "m@x.io", KeptID: "mk", KeptName: "Kept", OtherID: "mo", OtherName: "Other",
			DottedEmail: "m@x.io.", OtherEmail: "m@x.io.", OtherFound: true, TokensRevoked: true},
		// The organizers' where one account collaborates on c1; the name
		// of a collaborator only.
		{Table: "organizers", Email: "c1-owner@x.io", KeptID: "c1-owner", KeptName: "Owner", OtherID: "od",
			DottedEmail: "c1-owner@x.io.", OtherEmail: "c1-owner@x.io.", OtherFound: true},
		{Table: "organizers", Email: "col@x.io", KeptID: "ck", OtherID: "cd", OtherName: "Colin",
			DottedEmail: "col@x.io.", OtherEmail: "col@x.io.", OtherFound: true},
		{Table: "speakers", App: "c1", Email: "s@x.io", KeptID: "sk", KeptName: "Speaker", OtherID: "so", OtherName: "Speaker Too",
			DottedEmail: "s@x.io..", OtherEmail: "s@x.io..", OtherFound: true},
	}
	all := []service.EmailCollision{
		open[0],
		{Table: "invitations", App: "c1", Email: "j@x.io", KeptID: "jk", OtherID: "ic", DottedEmail: "j@x.io.", OtherEmail: "j@x.io.",
			OtherFound: true, OtherClosed: true},
		{Table: "members", App: "c1", Email: "b@x.io", KeptID: "bk", OtherID: "mb", OtherName: "Blocked", DottedEmail: "b@x.io.",
			OtherEmail: "b@x.io.", OtherFound: true, OtherBlocked: true},
		{Table: "members", App: "c1", Email: "c@x.io", KeptID: "ck", OtherID: "mc", OtherName: "Changed", DottedEmail: "c@x.io.",
			OtherEmail: "new@x.io", OtherFound: true},
		{Table: "members", App: "c1", Email: "g@x.io", KeptID: "mk", KeptName: "Kept", OtherID: "gone", DottedEmail: "g@x.io."},
		open[1],
		{Table: "members", App: "c1", Email: "n@x.io", KeptID: "mk", KeptName: "Kept", OtherID: "x3", DottedEmail: "n@x.io."},
		open[2], open[3], open[4],
	}
	found := cmpopts.IgnoreFields(service.EmailCollision{}, "FoundAt")
	page := func(f service.CollisionFilter) []service.EmailCollision {
		t.Helper()
		f.App = "c1"
		if f.Limit == 0 {
			f.Limit = 50
		}
		return must[[]service.EmailCollision](t)(s.EmailCollisions(ctx, f))
	}
	diff(t, "EmailCollisions open", open, page(service.CollisionFilter{OpenOnly: true}), found)
	diff(t, "EmailCollisions all", all, page(service.CollisionFilter{}), found)
	diff(t, "EmailCollisions of members", all[2:7], page(service.CollisionFilter{Table: "members"}), found)
	for i, c := range all {
		if c.Open() != (i == 0 || i == 5 || i >= 7) {
			t.Errorf("%s %s: Open() = %v", c.Table, c.OtherID, c.Open())
		}
	}

	// Pages of 3: up to Limit+1, after the last of the page before.
	var got []service.EmailCollision
	f := service.CollisionFilter{Limit: 3}
	for range len(all) {
		p := page(f)
		if len(p) > 4 {
			t.Fatalf("a page of limit 3 has %d", len(p))
		}
		if len(p) <= 3 {
			got = append(got, p...)
			break
		}
		got = append(got, p[:3]...)
		f.After = p[2]
	}
	diff(t, "EmailCollisions by pages of 3", all, got, found)
	diff(t, "EmailCollisions open after the members'", open[2:], page(service.CollisionFilter{OpenOnly: true, After: open[1]}), found)

	// c2's owner sees c2's only; an app without collisions none.
	c2 := must[[]service.EmailCollision](t)(s.EmailCollisions(ctx, service.CollisionFilter{App: "c2", Limit: 50}))
	if len(c2) != 1 || c2[0].OtherID != "x2" || c2[0].App != "c2" || c2[0].OtherName != "Other app" {
		t.Errorf("EmailCollisions of c2: %+v", c2)
	}
	newApp(t, ctx, s, "c3")
	if got := must[[]service.EmailCollision](t)(s.EmailCollisions(ctx, service.CollisionFilter{App: "c3", Limit: 50})); len(got) != 0 {
		t.Errorf("EmailCollisions of an app without any: %+v", got)
	}

	// Erasing the entry that kept its dots erases its collision, with the
	// spelling it holds (migration 14): a member, a speaker, an invitation
	// pruned, every entry of a deleted app. The kept entry's deletion
	// leaves the collision: the other is still there, unreachable.
	if err := s.DeleteMember(ctx, "c1", "mo"); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteMember(ctx, "c1", "mk"); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteSpeaker(ctx, "c1", "so"); err != nil {
		t.Fatal(err)
	}
	if err := s.PruneInvitations(ctx, base, base.Add(24*3600e9)); err != nil { // ic was revoked at base
		t.Fatal(err)
	}
	left := []service.EmailCollision{
		open[0], all[2], all[3],
		{Table: "members", App: "c1", Email: "g@x.io", KeptID: "mk", OtherID: "gone", DottedEmail: "g@x.io."},
		{Table: "members", App: "c1", Email: "n@x.io", KeptID: "mk", OtherID: "x3", DottedEmail: "n@x.io."},
		open[2], open[3],
	}
	diff(t, "EmailCollisions after erasures", left, page(service.CollisionFilter{}), found)
	if _, err := s.DeleteApp(ctx, "c2"); err != nil {
		t.Fatal(err)
	}
	if got := must[[]service.EmailCollision](t)(s.EmailCollisions(ctx, service.CollisionFilter{App: "c2", Limit: 50})); len(got) != 0 {
		t.Errorf("EmailCollisions of a deleted app: %+v", got)
	}
}
