package hub_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/attendify/hub"
	"github.com/attendify/hub/internal/hubtest"
	"github.com/attendify/platform/auth"
	"github.com/attendify/platform/errs"
	"github.com/attendify/platform/rpc"
	"github.com/attendify/platform/testkit"
)

// A member's ticket type is stored by the bulk upsert (and kept by a
// merge that does not give it), shown to organizers and to the member
// themself only, and filters the directory for organizers; the phone is
// kept as written with its E.164 form beside it.
func TestMemberTicketType(t *testing.T) {
	env := hubtest.Start(t)
	ctx := testkit.Context(t)
	app, owner := newApp(t, env, "tickets")
	octx := hubtest.As(ctx, owner)
	rows := []hub.MemberInput{
		{Email: "ada@x.io", Name: "Ada", TicketType: "VIP", Phone: "+44 20 7946 0018"},
		{Email: "bob@x.io", Name: "Bob", TicketType: "Standard", Phone: "(202) 555-0143"},
		{Email: "cy@x.io", Name: "Cy", TicketType: "vip"},
		{Email: "di@x.io", Name: "Di"},
	}
	must(hub.BulkMembers.Call(ctx, env.Service, hub.BulkMembersParams{AppRef: rpc.AppRef{App: app.ID}, Members: rows}))(t)
	// A merge without a ticket type keeps it; with one, changes it.
	must(hub.BulkMembers.Call(ctx, env.Service, hub.BulkMembersParams{AppRef: rpc.AppRef{App: app.ID}, Merge: true, Members: []hub.MemberInput{
		{Email: "ada@x.io", Name: "Ada"}, {Email: "di@x.io", Name: "Di", TicketType: "Early Bird"}}}))(t)

	names := func(ctx2 string, ticket string) (string, error) {
		page, err := hub.SearchMembers.Call(hubtest.As(ctx, ctx2), env.Client, hub.SearchMembersParams{AppRef: rpc.AppRef{App: app.ID}, TicketType: ticket})
		var out []string
		for _, m := range page.Members {
			out = append(out, m.Name+":"+m.TicketType)
		}
		return strings.Join(out, ","), err
	}
	for ticket, want := range map[string]string{"": "Ada:VIP,Bob:Standard,Cy:vip,Di:Early Bird", "VIP": "Ada:VIP,Cy:vip", "early bird": "Di:Early Bird", "None": ""} {
		if got, err := names(owner, ticket); err != nil || got != want {
			t.Errorf("organizer, ticket %q: %q, %v; want %q", ticket, got, err, want)
		}
	}
	ada := must(hub.SearchMembers.Call(octx, env.Client, hub.SearchMembersParams{AppRef: rpc.AppRef{App: app.ID}, Query: "ada"}))(t).Members[0]
	bob := must(hub.SearchMembers.Call(octx, env.Client, hub.SearchMembersParams{AppRef: rpc.AppRef{App: app.ID}, Query: "bob"}))(t).Members[0]
	if diff := cmp.Diff([]string{"+44 20 7946 0018", "+442079460018", "(202) 555-0143", ""},
		[]string{ada.Phone, ada.PhoneE164, bob.Phone, bob.PhoneE164}); diff != "" {
		t.Errorf("phones (-want +got):\n%s", diff)
	}

	// A member sees no one's ticket type but their own, and may not filter.
	bobToken := env.Token(t, auth.Claims{User: bob.ID, App: app.ID, Role: auth.RoleAttendee})
	if got, err := names(bobToken, ""); err != nil || got != "Ada:,Bob:Standard,Cy:,Di:" {
		t.Errorf("member's directory: %q, %v", got, err)
	}
	if _, err := names(bobToken, "VIP"); !errors.Is(err, errs.Forbidden) {
		t.Errorf("member filtering by ticket type: %v, want forbidden", err)
	}

	// member.update changes it; the phone's E.164 form follows the phone.
	got := must(hub.UpdateMember.Call(octx, env.Client, hub.UpdateMemberParams{AppRef: rpc.AppRef{App: app.ID}, Member: bob.ID,
		TicketType: new("Speaker pass"), ProfileChanges: hub.ProfileChanges{Phone: new("0033 6 12 34 56 78")}}))(t)
	if got.TicketType != "Speaker pass" || got.Phone != "0033 6 12 34 56 78" || got.PhoneE164 != "+33612345678" {
		t.Errorf("updated: ticket %q phone %q %q", got.TicketType, got.Phone, got.PhoneE164)
	}

	// The read model carries it (sponsored targets ticket types with it),
	// after the bulk upsert, member.update and a rebuild alike.
	rm := hub.NewReadModel(env.Redis, env.Namespace)
	tickets := func(want string) {
		t.Helper()
		waitFor(t, func() error {
			var out []string
			for _, id := range []string{ada.ID, bob.ID} {
				m, err := rm.Membership(ctx, app.ID, id)
				if err != nil {
					return err
				}
				out = append(out, m.TicketType)
			}
			if got := strings.Join(out, ","); got != want {
				return fmt.Errorf("read model ticket types %q, want %q", got, want)
			}
			return nil
		})
	}
	tickets("VIP,Speaker pass")
	must(hub.UpdateMember.Call(octx, env.Client, hub.UpdateMemberParams{AppRef: rpc.AppRef{App: app.ID}, Member: ada.ID, TicketType: new("")}))(t)
	tickets(",Speaker pass")
	// Redis loses everything: the rebuild from Postgres brings them back.
	if err := testkit.DeleteKeys(ctx, env.Redis, env.Namespace+":"); err != nil {
		t.Fatal(err)
	}
	tickets(",Speaker pass")
}
