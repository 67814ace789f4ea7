package hub_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/attendify/hub"
	"github.com/attendify/hub/internal/hubtest"
	"github.com/attendify/platform/auth"
	"github.com/attendify/platform/errs"
	"github.com/attendify/platform/rpc"
	"github.com/attendify/platform/testkit"
)

// TestReadModelEventAccess checks that the read model carries the members'
// registrations through every path that changes them, that
// ReadModel.AuthorizeEvent answers as hub itself does for an event's
// agenda, and that a rebuild after the keys are lost brings the
// registrations back.
func TestReadModelEventAccess(t *testing.T) {
	env := hubtest.Start(t)
	ctx := testkit.Context(t)
	app, owner := newApp(t, env, "access")
	octx := hubtest.As(ctx, owner)
	evs := newAccessEvents(t, env, octx, app.ID)
	open, listed, coded, hidden := evs.open, evs.listed, evs.coded, evs.hidden
	allEvents := []string{open, listed, coded, hidden}

	newMember := func(email, role string) string {
		t.Helper()
		return must(hub.CreateMember.Call(ctx, env.Service, hub.CreateMemberParams{AppRef: rpc.AppRef{App: app.ID},
			MemberInput: hub.MemberInput{Email: email, Name: email, Role: role}}))(t).ID
	}
	ada, bob, staff := newMember("ada@x.io", ""), newMember("bob@x.io", ""), newMember("staff@x.io", hub.MemberStaff)
	ownerID := must(env.Config.Service.Auth.Verifier().Verify(owner))(t).User

	rm := hub.NewReadModel(env.Redis, env.Namespace)
	caller := func(user string) auth.Caller {
		if user == ownerID {
			return auth.Caller{Kind: auth.CallerUser, User: user, App: app.ID, Role: auth.RoleOwner}
		}
		return auth.Caller{Kind: auth.CallerUser, User: user, App: app.ID, Role: auth.RoleAttendee}
	}
	token := func(user string) string {
		if user == ownerID {
			return owner
		}
		return env.Token(t, auth.Claims{User: user, App: app.ID, Role: auth.RoleAttendee})
	}
	kind := func(err error) string {
		switch {
		case err == nil:
			return "ok"
		case errors.Is(err, errs.Forbidden):
			return "forbidden"
		case errors.Is(err, errs.NotFound):
			return "not found"
		}
		return err.Error()
	}
	// expect waits until the read model answers want for every event (the
	// read model is written after each commit, and rebuilt by a worker),
	// and checks that hub's own rule (the agenda) answers the same.
	expect := func(step, user string, want map[string]string) {
		t.Helper()
		waitFor(t, func() error {
			for _, ev := range allEvents {
				w := want[ev]
				if w == "" {
					w = "ok"
				}
				if got := kind(func() error { _, err := rm.AuthorizeEvent(ctx, caller(user), app.ID, ev); return err }()); got != w {
					return fmt.Errorf("%s: read model for %s: %s, want %s", step, ev, got, w)
				}
			}
			return nil
		})
		for _, ev := range allEvents {
			_, herr := hub.GetAgenda.Call(hubtest.As(ctx, token(user)), env.Client, hub.AgendaParams{AppRef: rpc.AppRef{App: app.ID}, Event: ev})
			_, rerr := rm.AuthorizeEvent(ctx, caller(user), app.ID, ev)
			if kind(herr) != kind(rerr) {
				t.Errorf("%s: event %s: hub's agenda says %s, the read model %s", step, ev, kind(herr), kind(rerr))
			}
			// The batch check for services answers the same, for this user
			// beside one who is not a member.
			may, err := rm.EventReaders(ctx, app.ID, ev, []string{user, "not-a-member"})
			if err != nil {
				t.Fatalf("%s: EventReaders: %v", step, err)
			}
			if want := rerr == nil; may[0] != want || may[1] {
				t.Errorf("%s: event %s: EventReaders says %v, want [%v false]", step, ev, may, want)
			}
		}
	}
	unregistered := map[string]string{listed: "forbidden", coded: "forbidden", hidden: "not found"}
	expect("new member", ada, unregistered)
	expect("staff", staff, unregistered)
	expect("organizer", ownerID, nil)

	// An organizer registers ada to the listed and the hidden events.
	must(hub.AddAttendees.Call(octx, env.Client, hub.AttendeesParams{AppRef: rpc.AppRef{App: app.ID}, Event: listed, Members: []string{ada}}))(t)
	must(hub.AddAttendees.Call(octx, env.Client, hub.AttendeesParams{AppRef: rpc.AppRef{App: app.ID}, Event: hidden, Members: []string{ada}}))(t)
	expect("added", ada, map[string]string{coded: "forbidden"})
	expect("other member", bob, unregistered)

	// Ada registers herself with the event code.
	must(hub.Register.Call(hubtest.As(ctx, token(ada)), env.Client, hub.RegisterParams{AppRef: rpc.AppRef{App: app.ID}, Event: coded, Code: "SECRET"}))(t)
	expect("code", ada, nil)

	// A change of her profile or standing rewrites her membership: her
	// registrations stay.
	title := "CTO"
	must(hub.UpdateMember.Call(ctx, env.Service, hub.UpdateMemberParams{AppRef: rpc.AppRef{App: app.ID}, Member: ada, ProfileChanges: hub.ProfileChanges{Title: &title}}))(t)
	must(hub.BlockMember.Call(ctx, env.Service, hub.MemberParams{AppRef: rpc.AppRef{App: app.ID}, Member: ada}))(t)
	must(hub.UnblockMember.Call(ctx, env.Service, hub.MemberParams{AppRef: rpc.AppRef{App: app.ID}, Member: ada}))(t)
	expect("profile changes", ada, nil)

	// bulk.members with an event: bob (unchanged otherwise), ada (changed,
	// registered already) and a new member.
	r := must(hub.BulkMembers.Call(ctx, env.Service, hub.BulkMembersParams{AppRef: rpc.AppRef{App: app.ID}, Event: listed, Members: []hub.MemberInput{
		{Email: "bob@x.io", Name: "bob@x.io"}, {Email: "ada@x.io", Name: "Ada Lovelace"}, {Email: "cy@x.io", Name: "Cy"}}}))(t)
	if !r.Applied || r.Created != 1 || r.Updated != 1 || r.Unchanged != 1 || r.Registered != 2 {
		t.Fatalf("bulk: %+v", r)
	}
	cy := r.IDs[2]
	onlyListed := map[string]string{coded: "forbidden", hidden: "not found"}
	expect("bulk, unchanged member", bob, onlyListed)
	expect("bulk, new member", cy, onlyListed)
	expect("bulk, changed member", ada, nil)
	// Without an event, a changed member keeps their registrations.
	r = must(hub.BulkMembers.Call(ctx, env.Service, hub.BulkMembersParams{AppRef: rpc.AppRef{App: app.ID}, Members: []hub.MemberInput{{Email: "ada@x.io", Name: "Ada L."}}}))(t)
	if r.Updated != 1 {
		t.Fatalf("bulk without event: %+v", r)
	}
	expect("bulk without event", ada, nil)

	// Unregistered again.
	must(hub.RemoveAttendees.Call(octx, env.Client, hub.AttendeesParams{AppRef: rpc.AppRef{App: app.ID}, Event: listed, Members: []string{bob}}))(t)
	expect("removed", bob, unregistered)

	// The event's access changes: open to all, then listed again.
	openAccess, listedAccess := hub.EventAccessOpen, hub.EventAccessListed
	must(hub.UpdateEvent.Call(octx, env.Client, hub.UpdateEventParams{AppRef: rpc.AppRef{App: app.ID}, Event: listed, Access: &openAccess}))(t)
	expect("opened", bob, map[string]string{coded: "forbidden", hidden: "not found"})
	must(hub.UpdateEvent.Call(octx, env.Client, hub.UpdateEventParams{AppRef: rpc.AppRef{App: app.ID}, Event: listed, Access: &listedAccess}))(t)
	expect("listed again", bob, unregistered)
	expect("listed again, registered", cy, onlyListed)

	// Redis loses everything: hub rebuilds it from Postgres, registrations
	// included.
	if err := testkit.DeleteKeys(ctx, env.Redis, env.Namespace+":"); err != nil {
		t.Fatal(err)
	}
	expect("rebuilt", ada, nil)
	expect("rebuilt", cy, onlyListed)
	expect("rebuilt", bob, unregistered)

	// A deleted event is gone for everyone; a deleted member is no member.
	must(hub.DeleteEvent.Call(octx, env.Client, hub.EventParams{AppRef: rpc.AppRef{App: app.ID}, Event: coded}))(t)
	waitFor(t, func() error {
		if _, err := rm.AuthorizeEvent(ctx, caller(ada), app.ID, coded); !errors.Is(err, errs.NotFound) {
			return fmt.Errorf("deleted event: %v", err)
		}
		return nil
	})
	must(hub.DeleteMember.Call(ctx, env.Service, hub.MemberParams{AppRef: rpc.AppRef{App: app.ID}, Member: cy}))(t)
	waitFor(t, func() error {
		if _, err := rm.AuthorizeEvent(ctx, caller(cy), app.ID, listed); !errors.Is(err, errs.Forbidden) {
			return fmt.Errorf("deleted member: %v", err)
		}
		return nil
	})
}

// TestRegistrationsUnderConcurrentChanges registers, unregisters and edits
// one member from many goroutines at once: the read model ends with the
// registrations Postgres has.
func TestRegistrationsUnderConcurrentChanges(t *testing.T) {
	env := hubtest.Start(t)
	ctx := testkit.Context(t)
	app, owner := newApp(t, env, "race")
	octx := hubtest.As(ctx, owner)
	var evs []string
	for i := range 4 {
		evs = append(evs, must(hub.CreateEvent.Call(octx, env.Client, hub.CreateEventParams{AppRef: rpc.AppRef{App: app.ID}, Name: fmt.Sprint("E", i), TimeZone: "UTC",
			Start: "2030-06-01T09:00", End: "2030-06-02T18:00", Access: hub.EventAccessListed}))(t).ID)
	}
	m := must(hub.CreateMember.Call(ctx, env.Service, hub.CreateMemberParams{AppRef: rpc.AppRef{App: app.ID}, MemberInput: hub.MemberInput{Email: "m@x.io", Name: "M"}}))(t)

	var wg sync.WaitGroup
	for i := range 24 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ev := evs[i%len(evs)]
			p := hub.AttendeesParams{AppRef: rpc.AppRef{App: app.ID}, Event: ev, Members: []string{m.ID}}
			var err error
			switch i % 3 {
			case 0:
				_, err = hub.AddAttendees.Call(octx, env.Client, p)
			case 1:
				_, err = hub.RemoveAttendees.Call(octx, env.Client, p)
			default:
				title := fmt.Sprint("T", i)
				_, err = hub.UpdateMember.Call(ctx, env.Service, hub.UpdateMemberParams{AppRef: rpc.AppRef{App: app.ID}, Member: m.ID, ProfileChanges: hub.ProfileChanges{Title: &title}})
				if err == nil {
					_, err = hub.BulkMembers.Call(ctx, env.Service, hub.BulkMembersParams{AppRef: rpc.AppRef{App: app.ID}, Event: ev, Members: []hub.MemberInput{{Email: "m@x.io", Name: fmt.Sprint("M", i)}}})
				}
			}
			if err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()

	var want []string
	rows, err := env.Pool.Query(ctx, `SELECT event_id FROM registrations WHERE member_id = $1 ORDER BY event_id`, m.ID)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		want = append(want, id)
	}
	rm := hub.NewReadModel(env.Redis, env.Namespace)
	waitFor(t, func() error {
		got, err := rm.Membership(ctx, app.ID, m.ID)
		if err != nil {
			return err
		}
		if !slices.Equal(got.Registered, want) {
			return fmt.Errorf("read model registrations %v, Postgres %v", got.Registered, want)
		}
		return nil
	})
}

// accessEvents are an event of each kind of access, in one app.
type accessEvents struct{ open, listed, coded, hidden string }

// newAccessEvents creates, as the app's organizer (octx), an open event, a
// listed one, one with the code SECRET and a hidden listed one.
func newAccessEvents(t *testing.T, env *hubtest.Env, octx context.Context, app string) accessEvents {
	t.Helper()
	newEvent := func(name, access, code, visibility string) string {
		t.Helper()
		return must(hub.CreateEvent.Call(octx, env.Client, hub.CreateEventParams{AppRef: rpc.AppRef{App: app}, Name: name, TimeZone: "UTC",
			Start: "2030-06-01T09:00", End: "2030-06-02T18:00", Access: access, Code: code, Visibility: visibility}))(t).ID
	}
	return accessEvents{
		open:   newEvent("Open", hub.EventAccessOpen, "", ""),
		listed: newEvent("Listed", hub.EventAccessListed, "", ""),
		coded:  newEvent("Coded", hub.EventAccessCode, "SECRET", ""),
		hidden: newEvent("Hidden", hub.EventAccessListed, "", hub.VisibilityHidden),
	}
}
