package hub_test

import (
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/attendify/hub"
	"github.com/attendify/hub/internal/hubtest"
	"github.com/attendify/platform/auth"
	"github.com/attendify/platform/errs"
	"github.com/attendify/platform/testkit"
)

// TestBulkMembersDryRun checks that a dry run says what each row would do
// and writes nothing: no member, no event, no change.
func TestBulkMembersDryRun(t *testing.T) {
	env := hubtest.Start(t)
	ctx := testkit.Context(t)
	app, _ := newApp(t, env, "dry")
	call := func(p hub.BulkMembersParams) hub.BulkResult {
		t.Helper()
		p.App = app.ID
		return must(hub.BulkMembers.Call(ctx, env.Service, p))(t)
	}
	ada := hub.MemberInput{Email: "ada@x.io", ExternalID: "E1", Name: "Ada"}
	bob := hub.MemberInput{Email: "bob@x.io", Name: "Bob"}
	first := call(hub.BulkMembersParams{Members: []hub.MemberInput{ada, bob}})
	if !first.Applied || !cmp.Equal(first.Rows, []string{hub.RowCreated, hub.RowCreated}) {
		t.Fatalf("first batch: %+v", first)
	}
	count := func() int {
		var n int
		if err := env.Pool.QueryRow(ctx, `SELECT count(*) FROM members WHERE app_id = $1`, app.ID).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	bob2 := bob
	bob2.Title = "CTO"
	cy := hub.MemberInput{Email: "cy@x.io", Name: "Cy"}
	clash := hub.MemberInput{Email: "bob@x.io", ExternalID: "E1", Name: "Clash"} // Ada's id, Bob's email
	tests := []struct {
		name string
		rows []hub.MemberInput
		want hub.BulkResult
	}{
		{"mixed", []hub.MemberInput{ada, bob2, cy},
			hub.BulkResult{Created: 1, Updated: 1, Unchanged: 1, Rows: []string{hub.RowUnchanged, hub.RowUpdated, hub.RowCreated}}},
		{"a bad row", []hub.MemberInput{cy, clash, {Email: "dan@x.io", Name: "Dan", Custom: map[string]string{"": "x"}}},
			hub.BulkResult{Created: 1, Rows: []string{hub.RowCreated, hub.RowRejected, hub.RowRejected}, Errors: []hub.RowError{
				{Row: 1, Field: "email", Message: "belongs to another member than the external id"},
				{Row: 2, Field: "custom", Message: "a custom field's name has 1 to 60 characters"}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := count()
			got := call(hub.BulkMembersParams{DryRun: true, Members: tt.rows})
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("dry run (-want +got):\n%s", diff)
			}
			if after := count(); after != before {
				t.Errorf("a dry run wrote members: %d -> %d", before, after)
			}
		})
	}
	m := must(hub.GetMember.Call(ctx, env.Service, hub.MemberParams{App: app.ID, Member: first.IDs[1]}))(t)
	if m.Title != "" {
		t.Errorf("a dry run changed bob: %+v", m)
	}
	// Only the first batch was announced.
	created := 0
	for _, e := range streamEvents(t, env, "member") {
		if e.App == app.ID {
			created++
		}
	}
	if created != 2 {
		t.Errorf("%d member events, want the 2 of the first batch", created)
	}
}

// TestBulkMembersEventFieldsMerge registers imported members to an event
// in the same call, keeps phone and custom fields, and merges updates.
func TestBulkMembersEventFieldsMerge(t *testing.T) {
	env := hubtest.Start(t)
	ctx := testkit.Context(t)
	app, owner := newApp(t, env, "fields")
	ev := must(hub.CreateEvent.Call(hubtest.As(ctx, owner), env.Client, hub.CreateEventParams{App: app.ID, Name: "Day", TimeZone: "Europe/Paris",
		Start: "2026-06-11T09:00", End: "2026-06-11T18:00"}))(t)
	rows := []hub.MemberInput{
		{Email: "ada@x.io", ExternalID: "E1", Name: "Ada", Company: "Engines", Title: "Countess", Phone: "+44 20 7946 0000",
			Links:  []hub.Link{{Label: "Website", URL: "https://ada.example"}, {Label: "LinkedIn", URL: "https://li.example/ada"}},
			Custom: map[string]string{"Dietary needs": "vegetarian", "T-shirt": "M"}},
		{Email: "bob@x.io", Name: "Bob"},
	}
	r := must(hub.BulkMembers.Call(ctx, env.Service, hub.BulkMembersParams{App: app.ID, Event: ev.ID, Members: rows}))(t)
	if !r.Applied || r.Created != 2 || r.Registered != 2 {
		t.Fatalf("bulk with an event: %+v", r)
	}
	registered := func() int {
		p := must(hub.SearchMembers.Call(ctx, env.Service, hub.SearchMembersParams{App: app.ID, Event: ev.ID}))(t)
		return len(p.Members)
	}
	if n := registered(); n != 2 {
		t.Errorf("%d members registered to the event, want 2", n)
	}
	ada := must(hub.GetMember.Call(ctx, env.Service, hub.MemberParams{App: app.ID, Member: r.IDs[0]}))(t)
	if ada.Phone != "+44 20 7946 0000" || !cmp.Equal(ada.Custom, rows[0].Custom) {
		t.Errorf("phone and custom fields: %q %v", ada.Phone, ada.Custom)
	}

	// A merge: blank fields keep what is stored, the links of the labels
	// given and the custom fields named are replaced.
	merged := hub.MemberInput{Email: "ada@x.io", ExternalID: "E1", Name: "Ada Lovelace", Title: "Analyst",
		Links: []hub.Link{{Label: "website", URL: "https://ada.new"}}, Custom: map[string]string{"T-shirt": "S"}}
	r = must(hub.BulkMembers.Call(ctx, env.Service, hub.BulkMembersParams{App: app.ID, Event: ev.ID, Merge: true,
		Members: []hub.MemberInput{merged, {Email: "cy@x.io", Name: "Cy"}}}))(t)
	if !r.Applied || !cmp.Equal(r.Rows, []string{hub.RowUpdated, hub.RowCreated}) || r.Registered != 1 {
		t.Fatalf("merge: %+v", r)
	}
	got := must(hub.GetMember.Call(ctx, env.Service, hub.MemberParams{App: app.ID, Member: r.IDs[0]}))(t)
	want := ada
	want.Name, want.Title = "Ada Lovelace", "Analyst"
	want.Links = []hub.Link{{Label: "LinkedIn", URL: "https://li.example/ada"}, {Label: "website", URL: "https://ada.new"}}
	want.Custom = map[string]string{"Dietary needs": "vegetarian", "T-shirt": "S"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("merged member (-want +got):\n%s", diff)
	}
	cy := r.IDs[1]
	// The same merge again changes nothing.
	r = must(hub.BulkMembers.Call(ctx, env.Service, hub.BulkMembersParams{App: app.ID, Event: ev.ID, Merge: true,
		Members: []hub.MemberInput{merged}}))(t)
	if r.Unchanged != 1 || r.Registered != 0 {
		t.Errorf("merge again: %+v", r)
	}
	if n := registered(); n != 3 {
		t.Errorf("%d members registered to the event, want 3", n)
	}
	// Attendees see neither the phone nor the custom fields of others.
	tok, err := env.Issuer.Issue(auth.Claims{User: cy, App: app.ID, Role: auth.RoleAttendee}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	seen := must(hub.GetMember.Call(hubtest.As(ctx, tok), env.Client, hub.MemberParams{App: app.ID, Member: got.ID}))(t)
	if seen.Phone != "" || seen.Custom != nil || seen.Email != "" {
		t.Errorf("an attendee sees private fields: %+v", seen)
	}
	var regEvents int
	for _, e := range streamEvents(t, env, "member") {
		if e.App == app.ID && e.Type == hub.EventMemberRegistered {
			var p hub.RegistrationPayload
			if err := json.Unmarshal(e.Data, &p); err != nil || p.EventID != ev.ID {
				t.Errorf("member.registered payload %s: %v", e.Data, err)
			}
			regEvents++
		}
	}
	if regEvents != 3 {
		t.Errorf("%d member.registered events, want 3", regEvents)
	}

	// An event of no such app: the call fails and writes nothing.
	_, err = hub.BulkMembers.Call(ctx, env.Service, hub.BulkMembersParams{App: app.ID, Event: "no-such-event",
		Members: []hub.MemberInput{{Email: "dan@x.io", Name: "Dan"}}})
	if !errors.Is(err, errs.NotFound) {
		t.Errorf("unknown event: %v", err)
	}
	p := must(hub.SearchMembers.Call(ctx, env.Service, hub.SearchMembersParams{App: app.ID, Query: "dan"}))(t)
	if len(p.Members) != 0 {
		t.Errorf("a refused call wrote %+v", p.Members)
	}
}
