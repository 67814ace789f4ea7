package hub_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/redis/go-redis/v9"

	"github.com/attendify/hub"
	"github.com/attendify/hub/internal/hubtest"
	"github.com/attendify/platform/auth"
	"github.com/attendify/platform/errs"
	"github.com/attendify/platform/events"
	"github.com/attendify/platform/rpc"
	"github.com/attendify/platform/testkit"
)

// newApp creates a published app owned by a fresh organizer and returns
// it with the owner's app token.
func newApp(t *testing.T, env *hubtest.Env, slug string) (hub.App, string) {
	t.Helper()
	ctx := testkit.Context(t)
	acct := must(hub.DevSignUp(ctx, env.Client, env.Service, slug+"@example.com", password, "Owner"))(t)
	a := must(hub.CreateApp.Call(hubtest.As(ctx, acct.Token), env.Client, hub.CreateAppParams{Name: "App " + slug, Slug: slug}))(t)
	at := must(hub.AppTokenFor.Call(hubtest.As(ctx, acct.Token), env.Client, hub.AppParams{AppRef: rpc.AppRef{App: a.ID}}))(t)
	must(hub.PublishApp.Call(hubtest.As(ctx, at.Token), env.Client, hub.AppParams{AppRef: rpc.AppRef{App: a.ID}}))(t)
	return a, at.Token
}

func TestDirectorySearch(t *testing.T) {
	env := hubtest.Start(t)
	ctx := testkit.Context(t)
	app, _ := newApp(t, env, "dir")
	people := []hub.MemberInput{
		{Email: "a@x.io", Name: "Éloïse Dupont", Company: "Société Générale"},
		{Email: "b@x.io", Name: "eloise martin", Company: "Acme"},
		{Email: "c@x.io", Name: "Jöhn O'Brien-Smith", Company: "ACME Corp"},
		{Email: "d@x.io", Name: "Zoë Zhang", Company: "Zeta"},
		{Email: "e@x.io", Name: "Łukasz Żółć", Company: "Ørsted"},
		{Email: "f@x.io", Name: "Иван Петров", Company: "Яндекс"},
	}
	res := must(hub.BulkMembers.Call(ctx, env.Service, hub.BulkMembersParams{AppRef: rpc.AppRef{App: app.ID}, Members: people}))(t)
	if !res.Applied || res.Created != len(people) {
		t.Fatalf("bulk: %+v", res)
	}
	tests := []struct {
		query string
		want  []string
	}{
		{"eloise", []string{"Éloïse Dupont", "eloise martin"}},
		{"ÉLO", []string{"Éloïse Dupont", "eloise martin"}},
		{"elo soc", []string{"Éloïse Dupont"}},
		{"acme", []string{"eloise martin", "Jöhn O'Brien-Smith"}},
		{"smith", []string{"Jöhn O'Brien-Smith"}},
		{"brien", []string{"Jöhn O'Brien-Smith"}},
		{"o'brien", []string{"Jöhn O'Brien-Smith"}},
		{"mith", nil}, // prefixes of words, not infixes
		{"lukasz zolc", []string{"Łukasz Żółć"}},
		{"orsted", []string{"Łukasz Żółć"}},
		{"иван", []string{"Иван Петров"}},
		{"ЯНД", []string{"Иван Петров"}},
		{"z", []string{"Łukasz Żółć", "Zoë Zhang"}},
		{"", []string{"eloise martin", "Éloïse Dupont", "Jöhn O'Brien-Smith", "Łukasz Żółć", "Zoë Zhang", "Иван Петров"}},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			page := must(hub.SearchMembers.Call(ctx, env.Service, hub.SearchMembersParams{AppRef: rpc.AppRef{App: app.ID}, Query: tt.query}))(t)
			var got []string
			for _, m := range page.Members {
				got = append(got, m.Name)
			}
			if tt.query == "" {
				// Folded-name order: "eloise martin" and "eloise dupont" fold
				// to "eloise ..."; check the set and the first letters.
				if len(got) != len(tt.want) {
					t.Errorf("got %v", got)
				}
				return
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("search %q (-want +got):\n%s", tt.query, diff)
			}
		})
	}
}

func TestDirectoryPagination(t *testing.T) {
	env := hubtest.Start(t)
	ctx := testkit.Context(t)
	app, _ := newApp(t, env, "pages")
	var rows []hub.MemberInput
	for i := range 230 {
		rows = append(rows, hub.MemberInput{Email: fmt.Sprintf("p%d@x.io", i), Name: fmt.Sprintf("Person %03d", i%100), Company: "Co"})
	}
	must(hub.BulkMembers.Call(ctx, env.Service, hub.BulkMembersParams{AppRef: rpc.AppRef{App: app.ID}, Members: rows}))(t)
	seen := map[string]bool{}
	var names []string
	cursor := ""
	pages := 0
	for {
		page := must(hub.SearchMembers.Call(ctx, env.Service, hub.SearchMembersParams{AppRef: rpc.AppRef{App: app.ID}, Query: "pers", Limit: 50, Cursor: cursor}))(t)
		pages++
		for _, m := range page.Members {
			if seen[m.ID] {
				t.Fatalf("member %s listed twice", m.ID)
			}
			seen[m.ID] = true
			names = append(names, m.Name)
		}
		if page.NextCursor == "" {
			break
		}
		cursor = page.NextCursor
	}
	if len(seen) != 230 || pages != 5 {
		t.Errorf("saw %d members in %d pages, want 230 in 5", len(seen), pages)
	}
	for i := 1; i < len(names); i++ {
		if strings.ToLower(names[i-1]) > strings.ToLower(names[i]) {
			t.Fatalf("out of order: %q before %q", names[i-1], names[i])
		}
	}
	if _, err := hub.SearchMembers.Call(ctx, env.Service, hub.SearchMembersParams{AppRef: rpc.AppRef{App: app.ID}, Cursor: "garbage!"}); !errors.Is(err, errs.Invalid) {
		t.Errorf("bad cursor: %v", err)
	}
}

// TestDirectoryEventAccess lists the registrants of events: a member sees
// those of the events whose agenda they may read, organizers all.
func TestDirectoryEventAccess(t *testing.T) {
	env := hubtest.Start(t)
	ctx := testkit.Context(t)
	app, owner := newApp(t, env, "direvents")
	octx := hubtest.As(ctx, owner)
	evs := newAccessEvents(t, env, octx, app.ID)
	open, listed, coded, hidden := evs.open, evs.listed, evs.coded, evs.hidden
	type person struct{ id, token string }
	member := func(name string) person {
		t.Helper()
		m := must(hub.CreateMember.Call(octx, env.Client, hub.CreateMemberParams{AppRef: rpc.AppRef{App: app.ID},
			MemberInput: hub.MemberInput{Email: name + "@x.io", Name: name}}))(t)
		return person{m.ID, env.Token(t, auth.Claims{User: m.ID, App: app.ID, Role: auth.RoleAttendee})}
	}
	ada, bob, cy := member("Ada"), member("Bob"), member("Cy")
	// Ada registers to the open event and is listed in the listed and the
	// hidden ones; Cy registers with the code; Bob to nothing.
	must(hub.Register.Call(hubtest.As(ctx, ada.token), env.Client, hub.RegisterParams{AppRef: rpc.AppRef{App: app.ID}, Event: open}))(t)
	for _, ev := range []string{listed, hidden} {
		must(hub.AddAttendees.Call(octx, env.Client, hub.AttendeesParams{AppRef: rpc.AppRef{App: app.ID}, Event: ev, Members: []string{ada.id}}))(t)
	}
	must(hub.Register.Call(hubtest.As(ctx, cy.token), env.Client, hub.RegisterParams{AppRef: rpc.AppRef{App: app.ID}, Event: coded, Code: "SECRET"}))(t)

	// list is what the caller gets for an event's registrants: their names,
	// or the kind of refusal.
	list := func(token, event string) string {
		page, err := hub.SearchMembers.Call(hubtest.As(ctx, token), env.Client, hub.SearchMembersParams{AppRef: rpc.AppRef{App: app.ID}, Event: event})
		switch {
		case errors.Is(err, errs.Forbidden):
			return "forbidden"
		case errors.Is(err, errs.NotFound):
			return "not found"
		case err != nil:
			return err.Error()
		}
		var names []string
		for _, m := range page.Members {
			names = append(names, m.Name)
		}
		return strings.Join(names, ",")
	}
	events := map[string]string{"open": open, "listed": listed, "coded": coded, "hidden": hidden}
	callers := []struct {
		name, token string
		want        map[string]string // by event name
	}{
		{"owner", owner, map[string]string{"open": "Ada", "listed": "Ada", "coded": "Cy", "hidden": "Ada"}},
		{"Ada", ada.token, map[string]string{"open": "Ada", "listed": "Ada", "coded": "forbidden", "hidden": "Ada"}},
		{"Cy", cy.token, map[string]string{"open": "Ada", "listed": "forbidden", "coded": "Cy", "hidden": "not found"}},
		{"Bob", bob.token, map[string]string{"open": "Ada", "listed": "forbidden", "coded": "forbidden", "hidden": "not found"}},
	}
	for _, c := range callers {
		t.Run(c.name, func(t *testing.T) {
			got := map[string]string{}
			for name, ev := range events {
				got[name] = list(c.token, ev)
			}
			if diff := cmp.Diff(c.want, got); diff != "" {
				t.Errorf("registrants by event (-want +got):\n%s", diff)
			}
			// The whole directory stays open to every member.
			if got := list(c.token, ""); got != "Ada,Bob,Cy" {
				t.Errorf("directory: %s", got)
			}
		})
	}
}

func TestBulkMembers(t *testing.T) {
	env := hubtest.Start(t)
	ctx := testkit.Context(t)
	app, _ := newApp(t, env, "bulk")
	call := func(rows ...hub.MemberInput) hub.BulkResult {
		t.Helper()
		return must(hub.BulkMembers.Call(ctx, env.Service, hub.BulkMembersParams{AppRef: rpc.AppRef{App: app.ID}, Members: rows}))(t)
	}
	ada := hub.MemberInput{Email: "ada@x.io", ExternalID: "E1", Name: "Ada"}
	bob := hub.MemberInput{Email: "bob@x.io", Name: "Bob"}
	cy := hub.MemberInput{Email: "cy@x.io", ExternalID: "E3", Name: "Cy"}

	r := call(ada, bob, cy)
	if !r.Applied || r.Created != 3 || r.Updated != 0 || len(r.IDs) != 3 {
		t.Fatalf("first batch: %+v", r)
	}
	first := r.IDs
	if r = call(ada, bob, cy); r.Unchanged != 3 || r.Created+r.Updated != 0 {
		t.Errorf("same batch again: %+v", r)
	}
	ada2 := ada
	ada2.Email, ada2.Company = "ada@new.io", "Analytical" // matched by external id
	bob2 := bob
	bob2.Title = "CTO" // matched by email
	if r = call(ada2, bob2, cy); r.Updated != 2 || r.Unchanged != 1 || !cmp.Equal(r.IDs, first) {
		t.Errorf("changed batch: %+v (ids %v, first %v)", r, r.IDs, first)
	}
	m := must(hub.GetMember.Call(ctx, env.Service, hub.MemberParams{AppRef: rpc.AppRef{App: app.ID}, Member: first[0]}))(t)
	if m.Email != "ada@new.io" || m.Company != "Analytical" {
		t.Errorf("ada after update: %+v", m)
	}

	// Row errors: nothing is written.
	newbie := hub.MemberInput{Email: "new@x.io", Name: "New"}
	tests := []struct {
		name string
		rows []hub.MemberInput
		want []hub.RowError
	}{
		{"duplicate email", []hub.MemberInput{newbie, newbie}, []hub.RowError{{Row: 1, Field: "email", Message: "repeats row 0"}}},
		{"email of another member", []hub.MemberInput{newbie, {Email: "bob@x.io", ExternalID: "E1", Name: "Clash"}},
			[]hub.RowError{{Row: 1, Field: "email", Message: "belongs to another member than the external id"}}},
		{"email known under another external id", []hub.MemberInput{newbie, {Email: "cy@x.io", ExternalID: "E9", Name: "Cy"}},
			[]hub.RowError{{Row: 1, Field: "email", Message: "belongs to a member with another external id"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := call(tt.rows...)
			wantRefused(t, r, tt.want)
			page := must(hub.SearchMembers.Call(ctx, env.Service, hub.SearchMembersParams{AppRef: rpc.AppRef{App: app.ID}, Query: "new"}))(t)
			if len(page.Members) != 0 {
				t.Errorf("a failed batch wrote %+v", page.Members)
			}
		})
	}

	// The members are in the read model and announced.
	rm := hub.NewReadModel(env.Redis, env.Namespace)
	waitFor(t, func() error { _, err := rm.Membership(ctx, app.ID, first[2]); return err })
	evs := streamEvents(t, env, "member")
	created := 0
	for _, e := range evs {
		if e.Type == hub.EventMemberCreated && e.App == app.ID {
			created++
		}
	}
	if created != 3 {
		t.Errorf("%d member.created events, want 3", created)
	}
}

// streamEvents waits for the relay and reads a topic's stream.
func streamEvents(t *testing.T, env *hubtest.Env, topic string) []events.Event {
	t.Helper()
	ctx := testkit.Context(t)
	stream := events.NewStreams(env.Namespace).Stream(topic)
	var out []events.Event
	waitFor(t, func() error {
		var n int
		if err := env.Pool.QueryRow(ctx, `SELECT count(*) FROM outbox`).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return fmt.Errorf("%d events not relayed yet", n)
		}
		return nil
	})
	msgs, err := env.Redis.XRange(ctx, stream, "-", "+").Result()
	if err != nil && err != redis.Nil {
		t.Fatal(err)
	}
	for _, m := range msgs {
		e := events.Event{Type: fmt.Sprint(m.Values["type"]), App: fmt.Sprint(m.Values["app"]), Subject: fmt.Sprint(m.Values["subject"])}
		if d, ok := m.Values["data"].(string); ok {
			e.Data = json.RawMessage(d)
		}
		out = append(out, e)
	}
	return out
}

func TestDeleteMemberErases(t *testing.T) {
	env := hubtest.Start(t)
	ctx := testkit.Context(t)
	app, _ := newApp(t, env, "erase")
	m := must(hub.CreateMember.Call(ctx, env.Service, hub.CreateMemberParams{AppRef: rpc.AppRef{App: app.ID}, MemberInput: hub.MemberInput{
		Email: "gone@x.io", Name: "Gone Soon", Company: "Secret Co", Bio: "personal"}}))(t)
	rm := hub.NewReadModel(env.Redis, env.Namespace)
	waitFor(t, func() error { _, err := rm.Membership(ctx, app.ID, m.ID); return err })
	must(hub.DeleteMember.Call(ctx, env.Service, hub.MemberParams{AppRef: rpc.AppRef{App: app.ID}, Member: m.ID}))(t)

	var n int
	if err := env.Pool.QueryRow(ctx, `SELECT count(*) FROM members WHERE email = 'gone@x.io'`).Scan(&n); err != nil || n != 0 {
		t.Errorf("member row still there (%d, %v)", n, err)
	}
	if _, err := rm.Membership(ctx, app.ID, m.ID); !errors.Is(err, errs.NotFound) {
		t.Errorf("read model after delete: %v", err)
	}
	for _, e := range streamEvents(t, env, "member") {
		if e.Type != hub.EventMemberDeleted {
			continue
		}
		var p map[string]any
		if err := json.Unmarshal(e.Data, &p); err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(map[string]any{"app_id": app.ID, "id": m.ID}, p); diff != "" {
			t.Errorf("member.deleted carries more than ids (-want +got):\n%s", diff)
		}
		return
	}
	t.Error("no member.deleted event")
}

func TestMemberSignInRules(t *testing.T) {
	env := hubtest.Start(t)
	ctx := testkit.Context(t)
	c := env.Client
	app, ownerTok := newApp(t, env, "signin")
	octx := hubtest.As(ctx, ownerTok)
	code := func(email string) string {
		return must(hub.DevLastCode.Call(ctx, env.Service, hub.DevCodeParams{App: app.ID, Email: email}))(t).Code
	}

	// Rate limit: one code a minute per email.
	must(hub.RequestCode.Call(ctx, c, hub.RequestCodeParams{App: app.ID, Email: "r@x.io"}))(t)
	_, err := hub.RequestCode.Call(ctx, c, hub.RequestCodeParams{App: app.ID, Email: "r@x.io"})
	if e, ok := errs.As(err); !ok || e.Code != errs.CodeRateLimited || e.RetryAfter <= 0 {
		t.Errorf("second code within a minute: %v", err)
	}
	// Five wrong tries burn the code.
	for range 5 {
		hub.VerifyCode.Call(ctx, c, hub.VerifyCodeParams{App: app.ID, Email: "r@x.io", Code: wrong(code("r@x.io"))})
	}
	if _, err := hub.VerifyCode.Call(ctx, c, hub.VerifyCodeParams{App: app.ID, Email: "r@x.io", Code: code("r@x.io")}); !errors.Is(err, errs.Unauthenticated) {
		t.Errorf("a burnt code still works: %v", err)
	}

	// Passcode apps need the passcode.
	must(hub.SetAccess.Call(octx, c, hub.SetAccessParams{AppRef: rpc.AppRef{App: app.ID}, Access: hub.AccessPasscode, Passcode: "letmein"}))(t)
	if _, err := hub.RequestCode.Call(ctx, c, hub.RequestCodeParams{App: app.ID, Email: "p@x.io", Passcode: "nope"}); !errors.Is(err, errs.Invalid) {
		t.Errorf("wrong passcode: %v", err)
	}
	must(hub.RequestCode.Call(ctx, c, hub.RequestCodeParams{App: app.ID, Email: "p@x.io", Passcode: "letmein"}))(t)

	// Invite-only apps take listed members only: a stranger gets the same
	// answer as a member, and no code.
	noCode := func(email string) {
		t.Helper()
		if _, err := hub.DevLastCode.Call(ctx, env.Service, hub.DevCodeParams{App: app.ID, Email: email}); !errors.Is(err, errs.NotFound) {
			t.Errorf("a code was sent to %s: %v", email, err)
		}
	}
	must(hub.SetAccess.Call(octx, c, hub.SetAccessParams{AppRef: rpc.AppRef{App: app.ID}, Access: hub.AccessInvite}))(t)
	must(hub.RequestCode.Call(ctx, c, hub.RequestCodeParams{App: app.ID, Email: "stranger@x.io"}))(t)
	noCode("stranger@x.io")
	listed := must(hub.CreateMember.Call(octx, c, hub.CreateMemberParams{AppRef: rpc.AppRef{App: app.ID}, MemberInput: hub.MemberInput{Email: "listed@x.io", Name: "Listed"}}))(t)
	must(hub.RequestCode.Call(ctx, c, hub.RequestCodeParams{App: app.ID, Email: "listed@x.io"}))(t)
	s := must(hub.VerifyCode.Call(ctx, c, hub.VerifyCodeParams{App: app.ID, Email: "listed@x.io", Code: code("listed@x.io")}))(t)
	if s.Member.ID != listed.ID {
		t.Errorf("signed in as %s, want %s", s.Member.ID, listed.ID)
	}
	mctx := hubtest.As(ctx, s.Token)
	must(hub.MemberMe.Call(mctx, c, hub.AppParams{AppRef: rpc.AppRef{App: app.ID}}))(t)

	// A blocked member's token stops working, in hub and in the read model.
	must(hub.BlockMember.Call(octx, c, hub.MemberParams{AppRef: rpc.AppRef{App: app.ID}, Member: listed.ID}))(t)
	if _, err := hub.MemberMe.Call(mctx, c, hub.AppParams{AppRef: rpc.AppRef{App: app.ID}}); !errors.Is(err, errs.Forbidden) {
		t.Errorf("blocked member: %v", err)
	}
	rm := hub.NewReadModel(env.Redis, env.Namespace)
	caller := auth.Caller{Kind: auth.CallerUser, User: listed.ID, App: app.ID, Role: auth.RoleAttendee}
	if _, err := rm.Authorize(ctx, caller, app.ID); !errors.Is(err, errs.Forbidden) {
		t.Errorf("read model Authorize of a blocked member: %v", err)
	}
	must(hub.UnblockMember.Call(octx, c, hub.MemberParams{AppRef: rpc.AppRef{App: app.ID}, Member: listed.ID}))(t)
	if _, err := rm.Authorize(ctx, caller, app.ID); err != nil {
		t.Errorf("read model Authorize after unblock: %v", err)
	}

	// Expired apps stay readable and take no new members.
	must(hub.SetAccess.Call(octx, c, hub.SetAccessParams{AppRef: rpc.AppRef{App: app.ID}, Access: hub.AccessOpen}))(t)
	must(hub.ExpireApp.Call(octx, c, hub.AppParams{AppRef: rpc.AppRef{App: app.ID}}))(t)
	must(hub.ListEvents.Call(mctx, c, hub.AppParams{AppRef: rpc.AppRef{App: app.ID}}))(t)
	must(hub.RequestCode.Call(ctx, c, hub.RequestCodeParams{App: app.ID, Email: "late@x.io"}))(t)
	noCode("late@x.io")
	bio := "read-only"
	if _, err := hub.UpdateMe.Call(mctx, c, hub.UpdateMeParams{AppRef: rpc.AppRef{App: app.ID}, ProfileChanges: hub.ProfileChanges{Bio: &bio}}); !errors.Is(err, errs.Forbidden) {
		t.Errorf("profile change in an expired app: %v", err)
	}
	// Unpublished apps are closed to members.
	must(hub.UnpublishApp.Call(octx, c, hub.AppParams{AppRef: rpc.AppRef{App: app.ID}}))(t)
	if _, err := hub.ListEvents.Call(mctx, c, hub.AppParams{AppRef: rpc.AppRef{App: app.ID}}); !errors.Is(err, errs.Forbidden) {
		t.Errorf("member of an unpublished app: %v", err)
	}
}

func TestOrganizerAccounts(t *testing.T) {
	env := hubtest.Start(t)
	ctx := testkit.Context(t)
	c := env.Client
	app, ownerTok := newApp(t, env, "orgs")
	octx := hubtest.As(ctx, ownerTok)

	// Lock-out after five wrong passwords, even for the right one.
	must(hub.DevSignUp(ctx, c, env.Service, "lock@x.io", password, "Lock"))(t)
	for i := range 5 {
		_, err := hub.LogIn.Call(ctx, c, hub.LogInParams{Email: "lock@x.io", Password: "wrong password"})
		want := errs.CodeUnauthenticated
		if i == 4 {
			want = errs.CodeRateLimited
		}
		if errs.CodeOf(err) != want {
			t.Errorf("wrong password %d: %v", i+1, err)
		}
	}
	if _, err := hub.LogIn.Call(ctx, c, hub.LogInParams{Email: "lock@x.io", Password: password}); errs.CodeOf(err) != errs.CodeRateLimited {
		t.Errorf("right password while locked: %v", err)
	}
	if _, err := hub.LogIn.Call(ctx, c, hub.LogInParams{Email: "nobody@x.io", Password: password}); errs.CodeOf(err) != errs.CodeUnauthenticated {
		t.Errorf("unknown email: %v", err)
	}

	// An invitation taken along a sign-up: the role comes with the
	// confirmed account.
	inv := must(hub.Invite.Call(octx, c, hub.InviteParams{AppRef: rpc.AppRef{App: app.ID}, Email: "later@x.io", Role: hub.RoleModerator}))(t)
	if inv.Status != hub.InvitationPending {
		t.Fatalf("invitation: %+v", inv)
	}
	token := must(hub.DevLastToken.Call(ctx, env.Service, hub.DevTokenParams{Kind: hub.TokenInvitation, App: app.ID, Email: "later@x.io"}))(t).Token
	must(hub.SignUp.Call(ctx, c, hub.SignUpParams{Email: "later@x.io", Invitation: token}))(t)
	confirm := must(hub.DevLastToken.Call(ctx, env.Service, hub.DevTokenParams{Kind: hub.TokenSignUp, Email: "later@x.io"}))(t).Token
	later := must(hub.ConfirmSignUp.Call(ctx, c, hub.ConfirmSignUpParams{Token: confirm, Password: password, Name: "Later"}))(t)
	if later.Joined == nil || later.Joined.AppID != app.ID || later.Joined.Role != hub.RoleModerator {
		t.Errorf("joined at sign-up: %+v", later.Joined)
	}
	lt := must(hub.AppTokenFor.Call(hubtest.As(ctx, later.Token), c, hub.AppParams{AppRef: rpc.AppRef{App: app.ID}}))(t)
	if lt.Role != hub.RoleModerator {
		t.Errorf("accepted invitation role %q", lt.Role)
	}

	// Ownership moves; the old owner becomes an admin.
	must(hub.TransferOwnership.Call(octx, c, hub.TransferOwnershipParams{AppRef: rpc.AppRef{App: app.ID}, OrganizerID: later.Organizer.ID}))(t)
	list := must(hub.ListCollaborators.Call(octx, c, hub.AppParams{AppRef: rpc.AppRef{App: app.ID}}))(t)
	roles := map[string]string{}
	for _, col := range list.Collaborators {
		roles[col.Email] = col.Role
	}
	if roles["later@x.io"] != hub.RoleOwner || roles["orgs@example.com"] != hub.RoleAdmin {
		t.Errorf("roles after transfer: %v", roles)
	}
	// The old owner's token still says owner, but hub reads the role now.
	if _, err := hub.DeleteApp.Call(octx, c, hub.AppParams{AppRef: rpc.AppRef{App: app.ID}}); !errors.Is(err, errs.Forbidden) {
		t.Errorf("former owner deletes the app: %v", err)
	}

	// At most 25 collaborators and invitations.
	for i := len(list.Collaborators); i < hub.MaxCollaborators; i++ {
		must(hub.Invite.Call(octx, c, hub.InviteParams{AppRef: rpc.AppRef{App: app.ID}, Email: fmt.Sprintf("c%d@x.io", i), Role: hub.RoleMember}))(t)
	}
	if _, err := hub.Invite.Call(octx, c, hub.InviteParams{AppRef: rpc.AppRef{App: app.ID}, Email: "one-too-many@x.io", Role: hub.RoleMember}); !errors.Is(err, errs.Conflict) {
		t.Errorf("26th collaborator: %v", err)
	}
}

func TestEventTimeZoneChangeKeepsWallClock(t *testing.T) {
	env := hubtest.Start(t)
	ctx := testkit.Context(t)
	app, tok := newApp(t, env, "tz-app")
	octx := hubtest.As(ctx, tok)
	c := env.Client
	e := must(hub.CreateEvent.Call(octx, c, hub.CreateEventParams{AppRef: rpc.AppRef{App: app.ID}, Name: "E", TimeZone: "Europe/Paris",
		Start: "2026-03-28T09:00", End: "2026-03-30T18:00"}))(t)
	// Across the spring DST change in Paris.
	s1 := must(hub.SaveSession.Call(octx, c, hub.SessionParams{AppRef: rpc.AppRef{App: app.ID}, Event: e.ID, SessionInput: hub.SessionInput{
		Title: "Sat", Start: "2026-03-28T10:00", End: "2026-03-28T11:00"}}))(t)
	s2 := must(hub.SaveSession.Call(octx, c, hub.SessionParams{AppRef: rpc.AppRef{App: app.ID}, Event: e.ID, SessionInput: hub.SessionInput{
		Title: "Mon", Start: "2026-03-30T10:00", End: "2026-03-30T11:00"}}))(t)
	if s1.StartUTC.Hour() != 9 || s2.StartUTC.Hour() != 8 {
		t.Errorf("UTC hours %d and %d, want 9 (CET) and 8 (CEST)", s1.StartUTC.Hour(), s2.StartUTC.Hour())
	}
	tz := "Asia/Tokyo"
	must(hub.UpdateEvent.Call(octx, c, hub.UpdateEventParams{AppRef: rpc.AppRef{App: app.ID}, Event: e.ID, TimeZone: &tz}))(t)
	ag := must(hub.GetAgenda.Call(octx, c, hub.AgendaParams{AppRef: rpc.AppRef{App: app.ID}, Event: e.ID}))(t)
	var got []string
	for _, d := range ag.Days {
		for _, s := range d.Sessions {
			got = append(got, s.Start+" "+s.StartUTC.Format("15:04"))
		}
	}
	want := []string{"2026-03-28T10:00 01:00", "2026-03-30T10:00 01:00"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("sessions after the zone change (-want +got):\n%s", diff)
	}
	if ag.Event.Start != "2026-03-28T09:00" {
		t.Errorf("event start %q", ag.Event.Start)
	}
}
