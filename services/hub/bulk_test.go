package hub_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/attendify/hub"
	"github.com/attendify/hub/internal/hubtest"
	"github.com/attendify/platform/auth"
	"github.com/attendify/platform/errs"
	"github.com/attendify/platform/rpc"
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
	m := must(hub.GetMember.Call(ctx, env.Service, hub.MemberParams{AppRef: rpc.AppRef{App: app.ID}, Member: first.IDs[1]}))(t)
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
	ev := must(hub.CreateEvent.Call(hubtest.As(ctx, owner), env.Client, hub.CreateEventParams{AppRef: rpc.AppRef{App: app.ID}, Name: "Day", TimeZone: "Europe/Paris",
		Start: "2026-06-11T09:00", End: "2026-06-11T18:00"}))(t)
	rows := []hub.MemberInput{
		{Email: "ada@x.io", ExternalID: "E1", Name: "Ada", Company: "Engines", Title: "Countess", Phone: "+44 20 7946 0000",
			Links:  []hub.Link{{Label: "Website", URL: "https://ada.example"}, {Label: "LinkedIn", URL: "https://li.example/ada"}},
			Custom: map[string]string{"Dietary needs": "vegetarian", "T-shirt": "M"}},
		{Email: "bob@x.io", Name: "Bob"},
	}
	r := must(hub.BulkMembers.Call(ctx, env.Service, hub.BulkMembersParams{AppRef: rpc.AppRef{App: app.ID}, Event: ev.ID, Members: rows}))(t)
	if !r.Applied || r.Created != 2 || r.Registered != 2 {
		t.Fatalf("bulk with an event: %+v", r)
	}
	registered := func() int {
		p := must(hub.SearchMembers.Call(ctx, env.Service, hub.SearchMembersParams{AppRef: rpc.AppRef{App: app.ID}, Event: ev.ID}))(t)
		return len(p.Members)
	}
	if n := registered(); n != 2 {
		t.Errorf("%d members registered to the event, want 2", n)
	}
	ada := must(hub.GetMember.Call(ctx, env.Service, hub.MemberParams{AppRef: rpc.AppRef{App: app.ID}, Member: r.IDs[0]}))(t)
	if ada.Phone != "+44 20 7946 0000" || !cmp.Equal(ada.Custom, rows[0].Custom) {
		t.Errorf("phone and custom fields: %q %v", ada.Phone, ada.Custom)
	}

	// A merge: blank fields keep what is stored, the links of the labels
	// given and the custom fields named are replaced.
	merged := hub.MemberInput{Email: "ada@x.io", ExternalID: "E1", Name: "Ada Lovelace", Title: "Analyst",
		Links: []hub.Link{{Label: "website", URL: "https://ada.new"}}, Custom: map[string]string{"T-shirt": "S"}}
	r = must(hub.BulkMembers.Call(ctx, env.Service, hub.BulkMembersParams{AppRef: rpc.AppRef{App: app.ID}, Event: ev.ID, Merge: true,
		Members: []hub.MemberInput{merged, {Email: "cy@x.io", Name: "Cy"}}}))(t)
	if !r.Applied || !cmp.Equal(r.Rows, []string{hub.RowUpdated, hub.RowCreated}) || r.Registered != 1 {
		t.Fatalf("merge: %+v", r)
	}
	got := must(hub.GetMember.Call(ctx, env.Service, hub.MemberParams{AppRef: rpc.AppRef{App: app.ID}, Member: r.IDs[0]}))(t)
	want := ada
	want.Name, want.Title = "Ada Lovelace", "Analyst"
	want.Links = []hub.Link{{Label: "LinkedIn", URL: "https://li.example/ada"}, {Label: "website", URL: "https://ada.new"}}
	want.Custom = map[string]string{"Dietary needs": "vegetarian", "T-shirt": "S"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("merged member (-want +got):\n%s", diff)
	}
	cy := r.IDs[1]
	// The same merge again changes nothing.
	r = must(hub.BulkMembers.Call(ctx, env.Service, hub.BulkMembersParams{AppRef: rpc.AppRef{App: app.ID}, Event: ev.ID, Merge: true,
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
	seen := must(hub.GetMember.Call(hubtest.As(ctx, tok), env.Client, hub.MemberParams{AppRef: rpc.AppRef{App: app.ID}, Member: got.ID}))(t)
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
	_, err = hub.BulkMembers.Call(ctx, env.Service, hub.BulkMembersParams{AppRef: rpc.AppRef{App: app.ID}, Event: "no-such-event",
		Members: []hub.MemberInput{{Email: "dan@x.io", Name: "Dan"}}})
	if !errors.Is(err, errs.NotFound) {
		t.Errorf("unknown event: %v", err)
	}
	p := must(hub.SearchMembers.Call(ctx, env.Service, hub.SearchMembersParams{AppRef: rpc.AppRef{App: app.ID}, Query: "dan"}))(t)
	if len(p.Members) != 0 {
		t.Errorf("a refused call wrote %+v", p.Members)
	}
}

// tableDump reads rows of a query as text, to tell whether a call changed
// anything (updated_at included).
func tableDump(t *testing.T, env *hubtest.Env, q string, args ...any) []string {
	t.Helper()
	rows, err := env.Pool.Query(testkit.Context(t), q, args...)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		vals, err := rows.Values()
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, fmt.Sprint(vals...))
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestBulkSpeakers checks bulk.speakers: a second call with the same rows
// changes nothing, and a batch with a failing row writes nothing.
func TestBulkSpeakers(t *testing.T) {
	env := hubtest.Start(t)
	ctx := testkit.Context(t)
	app, _ := newApp(t, env, "speakers")
	call := func(rows ...hub.SpeakerInput) hub.BulkResult {
		t.Helper()
		return must(hub.BulkSpeakers.Call(ctx, env.Service, hub.BulkSpeakersParams{AppRef: rpc.AppRef{App: app.ID}, Speakers: rows}))(t)
	}
	dump := func() []string {
		return tableDump(t, env, `SELECT * FROM speakers WHERE app_id = $1 ORDER BY id`, app.ID)
	}
	ada := hub.SpeakerInput{ExternalID: "ada", Email: "ada@x.io", Name: "Ada", Company: "Engines"}
	bob := hub.SpeakerInput{Email: "bob@x.io", Name: "Bob"}
	first := call(ada, bob)
	if !first.Applied || !cmp.Equal(first.Rows, []string{hub.RowCreated, hub.RowCreated}) {
		t.Fatalf("first call: %+v", first)
	}
	before := dump()

	t.Run("idempotent", func(t *testing.T) {
		again := call(ada, bob)
		want := hub.BulkResult{Applied: true, Unchanged: 2, IDs: first.IDs, Rows: []string{hub.RowUnchanged, hub.RowUnchanged}}
		if diff := cmp.Diff(want, again); diff != "" {
			t.Errorf("the same rows again (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff(before, dump()); diff != "" {
			t.Errorf("the same rows again changed the table (-before +after):\n%s", diff)
		}
	})

	t.Run("all or nothing", func(t *testing.T) {
		bob2 := bob
		bob2.Company = "Bobcorp"
		clash := hub.SpeakerInput{ExternalID: "ada", Email: "bob@x.io", Name: "Clash"} // Ada's id, Bob's email
		tests := []struct {
			name string
			rows []hub.SpeakerInput
			want []hub.RowError
		}{
			{"a row hub's rules refuse", []hub.SpeakerInput{{ExternalID: "cy", Name: "Cy"}, clash},
				[]hub.RowError{{Row: 1, Field: "email", Message: "belongs to another speaker than the external id"}}},
			{"a row without a key", []hub.SpeakerInput{{ExternalID: "cy", Name: "Cy"}, bob2, {Name: "Nobody"}},
				[]hub.RowError{{Row: 2, Field: "external_id", Message: "a speaker needs an external id or an email"}}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				r := call(tt.rows...)
				wantRefused(t, r, tt.want)
				if diff := cmp.Diff(before, dump()); diff != "" {
					t.Errorf("a failed batch changed the table (-before +after):\n%s", diff)
				}
			})
		}
	})
}

// TestBulkSessions checks bulk.sessions: a second call with the same rows
// changes nothing, a batch with a failing row writes nothing (not even
// its rooms and tracks), and sessions overlapping in a room are refused.
func TestBulkSessions(t *testing.T) {
	env := hubtest.Start(t)
	ctx := testkit.Context(t)
	app, owner := newApp(t, env, "sessions")
	ev := must(hub.CreateEvent.Call(hubtest.As(ctx, owner), env.Client, hub.CreateEventParams{AppRef: rpc.AppRef{App: app.ID}, Name: "Day", TimeZone: "Europe/Paris",
		Start: "2026-06-11T09:00", End: "2026-06-11T18:00"}))(t)
	must(hub.BulkSpeakers.Call(ctx, env.Service, hub.BulkSpeakersParams{AppRef: rpc.AppRef{App: app.ID}, Speakers: []hub.SpeakerInput{{ExternalID: "ada", Name: "Ada"}}}))(t)
	call := func(rows ...hub.BulkSessionInput) hub.BulkResult {
		t.Helper()
		return must(hub.BulkSessions.Call(ctx, env.Service, hub.BulkSessionsParams{AppRef: rpc.AppRef{App: app.ID}, Event: ev.ID, Sessions: rows}))(t)
	}
	dump := func() []string {
		t.Helper()
		var out []string
		for _, q := range []string{
			`SELECT * FROM sessions WHERE app_id = $1 ORDER BY id`,
			`SELECT * FROM rooms WHERE app_id = $1 ORDER BY id`,
			`SELECT * FROM tracks WHERE app_id = $1 ORDER BY id`,
			`SELECT ss.* FROM session_speakers ss JOIN sessions s ON s.id = ss.session_id WHERE s.app_id = $1 ORDER BY 1, 2`,
		} {
			out = append(out, tableDump(t, env, q, app.ID)...)
		}
		return out
	}
	sessionEvents := func() int {
		n := 0
		for _, e := range streamEvents(t, env, "session") {
			if e.App == app.ID {
				n++
			}
		}
		return n
	}
	open := hub.BulkSessionInput{ExternalID: "open", Title: "Opening", Start: "2026-06-11T09:00", End: "2026-06-11T10:00",
		Room: "Main hall", Track: "Keynotes", Speakers: []string{"ada"}}
	talk := hub.BulkSessionInput{ExternalID: "talk", Title: "A talk", Start: "2026-06-11T10:00", End: "2026-06-11T11:00", Room: "Main hall"}
	first := call(open, talk)
	if !first.Applied || first.Created != 2 {
		t.Fatalf("first call: %+v", first)
	}
	before, announced := dump(), sessionEvents()
	if announced != 2 {
		t.Errorf("%d session events after the first call, want 2", announced)
	}

	t.Run("idempotent", func(t *testing.T) {
		again := call(open, talk)
		want := hub.BulkResult{Applied: true, Unchanged: 2, IDs: first.IDs, Rows: []string{hub.RowUnchanged, hub.RowUnchanged}}
		if diff := cmp.Diff(want, again); diff != "" {
			t.Errorf("the same rows again (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff(before, dump()); diff != "" {
			t.Errorf("the same rows again changed the tables (-before +after):\n%s", diff)
		}
		if n := sessionEvents(); n != announced {
			t.Errorf("the same rows again announced %d events", n-announced)
		}
	})

	t.Run("all or nothing, overlaps refused", func(t *testing.T) {
		talk2 := talk
		talk2.Title = "A longer talk"
		fresh := hub.BulkSessionInput{ExternalID: "fresh", Title: "Fresh", Start: "2026-06-11T14:00", End: "2026-06-11T15:00",
			Room: "New room", Track: "New track"}
		tests := []struct {
			name string
			rows []hub.BulkSessionInput
			want []hub.RowError
		}{
			{"an unknown speaker", []hub.BulkSessionInput{fresh, talk2, {ExternalID: "ghost", Title: "Ghost", Start: "2026-06-11T16:00",
				End: "2026-06-11T17:00", Speakers: []string{"nobody"}}},
				[]hub.RowError{{Row: 2, Field: "speakers", Message: `no speaker "nobody"`}}},
			{"two rows overlapping in a room", []hub.BulkSessionInput{fresh, talk2, {ExternalID: "late", Title: "Late", Start: "2026-06-11T14:30",
				End: "2026-06-11T15:30", Room: "New room"}},
				[]hub.RowError{{Row: 2, Field: "room", Message: "overlaps row 0 in the same room"}}},
			{"a row overlapping a stored session", []hub.BulkSessionInput{fresh, {ExternalID: "early", Title: "Early", Start: "2026-06-11T09:30",
				End: "2026-06-11T10:30", Room: "Main hall"}},
				[]hub.RowError{
					{Row: 1, Field: "room", Message: `overlaps the session "A talk" in the same room`},
					{Row: 1, Field: "room", Message: `overlaps the session "Opening" in the same room`},
				}},
			{"an end before the start", []hub.BulkSessionInput{fresh, {ExternalID: "back", Title: "Backwards", Start: "2026-06-11T16:00",
				End: "2026-06-11T15:00"}},
				[]hub.RowError{{Row: 1, Field: "end", Message: "not after start"}}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				r := call(tt.rows...)
				sortErrors := cmpopts.SortSlices(func(a, b hub.RowError) bool { return a.Row < b.Row || a.Row == b.Row && a.Message < b.Message })
				wantRefused(t, r, tt.want, sortErrors)
				if diff := cmp.Diff(before, dump()); diff != "" {
					t.Errorf("a failed batch changed the tables (-before +after):\n%s", diff)
				}
			})
		}
		if n := sessionEvents(); n != announced {
			t.Errorf("failed batches announced %d events", n-announced)
		}
	})
}

// TestBulkModes checks the modes of the bulk upserts: create skips the
// rows of stored objects, update those of new ones, in a dry run too; the
// default, upsert, does both.
func TestBulkModes(t *testing.T) {
	env := hubtest.Start(t)
	ctx := testkit.Context(t)
	app, owner := newApp(t, env, "modes")
	ev := must(hub.CreateEvent.Call(hubtest.As(ctx, owner), env.Client, hub.CreateEventParams{AppRef: rpc.AppRef{App: app.ID}, Name: "Day", TimeZone: "Europe/Paris",
		Start: "2026-06-11T09:00", End: "2026-06-11T18:00"}))(t)

	// Each kind's call sends two rows: the stored object "ada", changed
	// from what the first call stored, and a new object of key fresh.
	kinds := []struct {
		name string
		call func(t *testing.T, mode string, dryRun bool, fresh string) hub.BulkResult
		dump func() []string
	}{
		{
			name: "members",
			call: func(t *testing.T, mode string, dryRun bool, fresh string) hub.BulkResult {
				return must(hub.BulkMembers.Call(ctx, env.Service, hub.BulkMembersParams{AppRef: rpc.AppRef{App: app.ID}, Event: ev.ID, Mode: mode, DryRun: dryRun,
					Members: []hub.MemberInput{{Email: "ada@x.io", Name: "Ada " + mode}, {Email: fresh + "@x.io", Name: fresh}}}))(t)
			},
			dump: func() []string {
				return append(tableDump(t, env, `SELECT * FROM members WHERE app_id = $1 ORDER BY id`, app.ID),
					tableDump(t, env, `SELECT r.* FROM registrations r JOIN members m ON m.id = r.member_id WHERE m.app_id = $1 ORDER BY 1, 2`, app.ID)...)
			},
		},
		{
			name: "speakers",
			call: func(t *testing.T, mode string, dryRun bool, fresh string) hub.BulkResult {
				return must(hub.BulkSpeakers.Call(ctx, env.Service, hub.BulkSpeakersParams{AppRef: rpc.AppRef{App: app.ID}, Mode: mode, DryRun: dryRun,
					Speakers: []hub.SpeakerInput{{ExternalID: "ada", Name: "Ada " + mode}, {ExternalID: fresh, Name: fresh}}}))(t)
			},
			dump: func() []string {
				return tableDump(t, env, `SELECT * FROM speakers WHERE app_id = $1 ORDER BY id`, app.ID)
			},
		},
		{
			name: "sessions",
			call: func(t *testing.T, mode string, dryRun bool, fresh string) hub.BulkResult {
				hour := map[string]string{"zed": "11", "bob": "12", "cy": "13", "dan": "14"}[fresh]
				return must(hub.BulkSessions.Call(ctx, env.Service, hub.BulkSessionsParams{AppRef: rpc.AppRef{App: app.ID}, Event: ev.ID, Mode: mode, DryRun: dryRun,
					Sessions: []hub.BulkSessionInput{
						{ExternalID: "ada", Title: "Ada " + mode, Start: "2026-06-11T09:00", End: "2026-06-11T10:00"},
						{ExternalID: fresh, Title: fresh, Start: "2026-06-11T" + hour + ":00", End: "2026-06-11T" + hour + ":30"},
					}}))(t)
			},
			dump: func() []string {
				return tableDump(t, env, `SELECT * FROM sessions WHERE app_id = $1 ORDER BY id`, app.ID)
			},
		},
	}
	ignoreIDs := cmpopts.IgnoreFields(hub.BulkResult{}, "IDs")
	for _, k := range kinds {
		t.Run(k.name, func(t *testing.T) {
			// "ada" stored with a first call, in create mode (nothing stored yet).
			first := k.call(t, hub.BulkCreate, false, "zed")
			if !first.Applied || first.Created != 2 {
				t.Fatalf("first call: %+v", first)
			}
			ada := first.IDs[0]
			steps := []struct {
				mode, fresh string
				dry         bool
				want        hub.BulkResult
				wantIDs     func(r hub.BulkResult) bool
			}{
				{hub.BulkCreate, "bob", true, hub.BulkResult{Created: 1, Skipped: 1, Rows: []string{hub.RowSkipped, hub.RowCreated}}, nil},
				{hub.BulkCreate, "bob", false, hub.BulkResult{Applied: true, Created: 1, Skipped: 1, Rows: []string{hub.RowSkipped, hub.RowCreated}},
					func(r hub.BulkResult) bool { return r.IDs[0] == ada && r.IDs[1] != "" }},
				{hub.BulkUpdate, "cy", true, hub.BulkResult{Updated: 1, Skipped: 1, Rows: []string{hub.RowUpdated, hub.RowSkipped}}, nil},
				{hub.BulkUpdate, "cy", false, hub.BulkResult{Applied: true, Updated: 1, Skipped: 1, Rows: []string{hub.RowUpdated, hub.RowSkipped}},
					func(r hub.BulkResult) bool { return r.IDs[0] == ada && r.IDs[1] == "" }},
				{"", "dan", false, hub.BulkResult{Applied: true, Created: 1, Updated: 1, Rows: []string{hub.RowUpdated, hub.RowCreated}}, nil},
			}
			for _, st := range steps {
				before := k.dump()
				r := k.call(t, st.mode, st.dry, st.fresh)
				want := st.want
				if k.name == "members" && !st.dry && st.mode != hub.BulkUpdate {
					want.Registered = 1 // the new member (Ada is registered since the first call)
				}
				if diff := cmp.Diff(want, r, ignoreIDs); diff != "" {
					t.Errorf("mode %q, dry run %v (-want +got):\n%s", st.mode, st.dry, diff)
				}
				if st.wantIDs != nil && (len(r.IDs) != 2 || !st.wantIDs(r)) {
					t.Errorf("mode %q: ids %v (ada is %s)", st.mode, r.IDs, ada)
				}
				after := k.dump()
				switch {
				case st.dry && !cmp.Equal(before, after):
					t.Errorf("mode %q: a dry run wrote", st.mode)
				case !st.dry && st.mode == hub.BulkUpdate && len(after) != len(before):
					t.Errorf("mode %q: %d rows before, %d after: a new object was created", st.mode, len(before), len(after))
				case !st.dry && st.mode == hub.BulkCreate:
					for _, line := range before {
						if !slices.Contains(after, line) {
							t.Errorf("mode create changed a stored row: %s", line)
						}
					}
				}
			}
		})
	}

	t.Run("a bad mode", func(t *testing.T) {
		_, err := hub.BulkSpeakers.Call(ctx, env.Service, hub.BulkSpeakersParams{AppRef: rpc.AppRef{App: app.ID}, Mode: "replace",
			Speakers: []hub.SpeakerInput{{ExternalID: "x", Name: "X"}}})
		if !errors.Is(err, errs.Invalid) {
			t.Errorf("mode replace: %v, want invalid params", err)
		}
	})
}

// wantRefused checks that a bulk upsert wrote nothing and refused exactly
// the rows of want, compared with opts.
func wantRefused(t *testing.T, r hub.BulkResult, want []hub.RowError, opts ...cmp.Option) {
	t.Helper()
	if r.Applied {
		t.Errorf("applied: %+v", r)
	}
	if diff := cmp.Diff(want, r.Errors, opts...); diff != "" {
		t.Errorf("row errors (-want +got):\n%s", diff)
	}
}
