package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5"

	"github.com/attendify/hub"
	"github.com/attendify/importer"
	"github.com/attendify/importer/internal/app"
	"github.com/attendify/platform/errs"
	"github.com/attendify/platform/rpc"
	"github.com/attendify/platform/testkit"
)

// writeFile writes lines to a file of the test's directory.
func writeFile(t *testing.T, name string, lines ...string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// sessions returns the sessions of the stack's event by external id.
func (st *stack) sessions(t *testing.T) map[string]hub.Session {
	t.Helper()
	out := map[string]hub.Session{}
	for _, s := range st.agenda(t, st.event) {
		out[s.ExternalID] = s
	}
	return out
}

// agenda returns the sessions of an event of the stack's app, in order.
func (st *stack) agenda(t *testing.T, event string) []hub.Session {
	t.Helper()
	ag, err := hub.GetAgenda.Call(st.as(testkit.Context(t)), st.hubClient, hub.AgendaParams{AppRef: rpc.AppRef{App: st.app}, Event: event})
	if err != nil {
		t.Fatal(err)
	}
	var out []hub.Session
	for _, d := range ag.Days {
		out = append(out, d.Sessions...)
	}
	return out
}

// wantForbidden checks that err is a forbidden error saying what.
func wantForbidden(t *testing.T, err error, what string) {
	t.Helper()
	if !errors.Is(err, errs.Forbidden) || !strings.Contains(err.Error(), what) {
		t.Errorf("got %v, want a forbidden error about %q", err, what)
	}
}

// reportRow downloads an import's error report and returns the row of its
// first sheet whose first cell is key (the Import and Errors columns
// last), and whether the cell of column col is highlighted as an error.
func (st *stack) reportRow(t *testing.T, id, key, col string) ([]string, bool) {
	t.Helper()
	f := st.report(t, id)
	name := f.GetSheetList()[0]
	rows, err := f.GetRows(name)
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range rows {
		if len(r) > 0 && r[0] == key {
			header, _ := f.GetCellStyle(name, "A1")
			style, _ := f.GetCellStyle(name, col+strconv.Itoa(i+1))
			return r, style != 0 && style != header
		}
	}
	t.Fatalf("no row %q in the report: %q", key, rows)
	return nil, false
}

// TestUploadRefusesAnotherAppsEvent: an event id that is not one of the
// app's events (another app's, or none at all) is refused at upload and by
// import.configure, with nothing stored, not at the commit.
func TestUploadRefusesAnotherAppsEvent(t *testing.T) {
	st := startStack(t)
	st.startImporter(t)
	ctx := testkit.Context(t)
	acct, err := hub.DevSignUp(ctx, st.hubClient, st.hubService, "other@example.com", "correct horse battery", "Other")
	if err != nil {
		t.Fatal(err)
	}
	other, err := hub.CreateApp.Call(asUser(ctx, acct.Token), st.hubClient, hub.CreateAppParams{Name: "Other Conf", Slug: "other-conf"})
	if err != nil {
		t.Fatal(err)
	}
	otherTok, err := hub.AppTokenFor.Call(asUser(ctx, acct.Token), st.hubClient, hub.AppParams{AppRef: rpc.AppRef{App: other.ID}})
	if err != nil {
		t.Fatal(err)
	}
	otherEvent, err := hub.CreateEvent.Call(asUser(ctx, otherTok.Token), st.hubClient, hub.CreateEventParams{AppRef: rpc.AppRef{App: other.ID}, Name: "Theirs",
		TimeZone: "Europe/Paris", Start: "2025-06-12T08:00", End: "2025-06-13T19:00"})
	if err != nil {
		t.Fatal(err)
	}
	wantUnknownEvent := func(t *testing.T, err error) {
		t.Helper()
		e, ok := errs.As(err)
		if !errors.Is(err, errs.Invalid) || !ok || len(e.Fields) != 1 || e.Fields[0].Field != "/event_id" {
			t.Errorf("got %v, want invalid with the field /event_id", err)
		}
	}
	people := writeFile(t, "people.csv", "Email;Name", "ev@example.com;Event Goer")
	for _, ev := range []string{otherEvent.ID, "no-such-event"} {
		_, err := st.uploadAs(t, st.token, people, importer.UploadParams{Kind: "attendees", Event: ev})
		wantUnknownEvent(t, err)
	}
	l, err := importer.ListImports.Call(st.as(ctx), st.client, importer.ListParams{AppRef: rpc.AppRef{App: st.app}})
	if err != nil || len(l.Imports) != 0 {
		t.Errorf("imports after refused uploads: %v %+v", err, l.Imports)
	}

	imp := st.analyze(t, people, importer.UploadParams{Kind: "attendees", Event: st.event})
	_, err = importer.ConfigureImport.Call(st.as(ctx), st.client, importer.ConfigureParams{AppRef: rpc.AppRef{App: st.app}, Import: imp.ID, EventID: &otherEvent.ID})
	wantUnknownEvent(t, err)
	if got := st.wait(t, imp.ID, importer.StatusAnalyzing); got.EventID != st.event {
		t.Errorf("after a refused configure the import's event is %q, want %q", got.EventID, st.event)
	}
}

// TestImportPermissions checks that the importer applies hub's permission
// matrix to the rows it writes for an organizer, with the role the
// organizer holds now: a moderator may import attendees but not register
// them to an event nor touch the agenda; a "member" collaborator may do
// both.
func TestImportPermissions(t *testing.T) {
	st := startStack(t)
	st.startImporter(t)
	ctx := testkit.Context(t)
	_, mod := st.organizer(t, "mod@example.com", hub.RoleModerator)
	memberID, member := st.organizer(t, "member@example.com", hub.RoleMember)
	agenda := writeFile(t, "agenda.csv", "Session ID;Title;Date;Start;End;Room",
		"p1;Who may import;12/06/2025;10:00;11:00;Room P")
	people := writeFile(t, "people.csv", "Email;Name", "m1@example.com;Moderated One")

	t.Run("a moderator may not import the agenda", func(t *testing.T) {
		_, err := st.uploadAs(t, mod, agenda, importer.UploadParams{Kind: "sessions", Event: st.event})
		wantForbidden(t, err, "edit the agenda")
		// Without a kind, the upload may hold attendees: the analysis
		// finds sessions, and the commit refuses them.
		imp := st.analyzeAs(t, mod, agenda, importer.UploadParams{})
		if got := counts(imp); got != "sessions:1/0/0/0" {
			t.Fatalf("counts %s %+v", got, imp.Problems)
		}
		ip := importer.ImportParams{AppRef: rpc.AppRef{App: st.app}, Import: imp.ID}
		_, err = importer.CommitImport.Call(asUser(ctx, mod), st.client, ip)
		wantForbidden(t, err, "edit the agenda")
		if got := st.wait(t, imp.ID); got.Status != importer.StatusReady {
			t.Errorf("a refused commit left the import %s", got.Status)
		}
		if _, ok := st.sessions(t)["p1"]; ok {
			t.Error("a moderator's sessions reached hub")
		}
	})

	t.Run("a moderator may import attendees, not register them", func(t *testing.T) {
		_, err := st.uploadAs(t, mod, people, importer.UploadParams{Kind: "attendees", Event: st.event})
		wantForbidden(t, err, "register attendees")
		imp := st.analyzeAs(t, mod, people, importer.UploadParams{})
		if _, err := importer.CommitImport.Call(asUser(ctx, mod), st.client, importer.ImportParams{AppRef: rpc.AppRef{App: st.app}, Import: imp.ID}); err != nil {
			t.Fatal(err)
		}
		if imp = st.wait(t, imp.ID, importer.StatusCommitting); imp.Status != importer.StatusDone || imp.Result["attendees"].Created != 1 {
			t.Errorf("commit: %s %+v", imp.Status, imp.Result)
		}
	})

	t.Run("a member collaborator may import the agenda", func(t *testing.T) {
		imp := st.analyzeAs(t, member, agenda, importer.UploadParams{Kind: "sessions", Event: st.event})
		if _, err := importer.CommitImport.Call(asUser(ctx, member), st.client, importer.ImportParams{AppRef: rpc.AppRef{App: st.app}, Import: imp.ID}); err != nil {
			t.Fatal(err)
		}
		if imp = st.wait(t, imp.ID, importer.StatusCommitting); imp.Status != importer.StatusDone {
			t.Fatalf("commit: %s %+v", imp.Status, imp.Error)
		}
		if _, ok := st.sessions(t)["p1"]; !ok {
			t.Error("the member's session is not in hub")
		}
	})

	t.Run("the role at the commit counts", func(t *testing.T) {
		later := writeFile(t, "later.csv", "Session ID;Title;Date;Start;End;Room",
			"p2;Demoted before the commit;12/06/2025;14:00;15:00;Room P")
		imp := st.analyzeAs(t, member, later, importer.UploadParams{Kind: "sessions", Event: st.event})
		if imp.Status != importer.StatusReady {
			t.Fatalf("status %s %+v", imp.Status, imp.Error)
		}
		if _, err := hub.SetRole.Call(st.as(ctx), st.hubClient, hub.SetRoleParams{AppRef: rpc.AppRef{App: st.app}, OrganizerID: memberID, Role: hub.RoleModerator}); err != nil {
			t.Fatal(err)
		}
		_, err := importer.CommitImport.Call(asUser(ctx, member), st.client, importer.ImportParams{AppRef: rpc.AppRef{App: st.app}, Import: imp.ID})
		wantForbidden(t, err, "edit the agenda")
		if _, ok := st.sessions(t)["p2"]; ok {
			t.Error("a demoted organizer's session reached hub")
		}
	})
}

// TestHubRefusedRows imports rows that pass the importer's checks but not
// hub's: the others land, and each refused row is reported with hub's
// reason, its cell highlighted in the error report.
func TestHubRefusedRows(t *testing.T) {
	st := startStack(t)
	st.startImporter(t)
	ctx := st.as(testkit.Context(t))
	commit := func(t *testing.T, imp importer.Import) importer.Import {
		t.Helper()
		if imp.Status != importer.StatusReady {
			t.Fatalf("status %s %+v %+v", imp.Status, imp.Error, imp.Problems)
		}
		imp = st.commit(t, imp.ID)
		if imp.Status != importer.StatusDone {
			t.Fatalf("commit: %s %+v", imp.Status, imp.Error)
		}
		return imp
	}

	t.Run("an attendee hub's schema refuses", func(t *testing.T) {
		// A local part over 64 characters: net/mail takes it, hub's
		// JSON schema (format email) does not.
		long := strings.Repeat("a", 65) + "@example.com"
		path := writeFile(t, "people.csv", "Email;Name", "ok1@example.com;One", long+";Long", "ok2@example.com;Two")
		imp := st.analyze(t, path, importer.UploadParams{})
		if got := counts(imp); got != "attendees:2/0/0/1" {
			t.Fatalf("counts %s", got)
		}
		imp = commit(t, imp)
		if r := imp.Result["attendees"]; r.Created != 2 {
			t.Errorf("result %+v, want 2 created", r)
		}
		row, red := st.reportRow(t, imp.ID, long, "A")
		if got := strings.Join(row[len(row)-2:], " | "); !strings.Contains(got, "reject | A: ") || !strings.Contains(got, "64 characters") {
			t.Errorf("report row %q", row)
		}
		if !red {
			t.Error("the refused email is not highlighted")
		}
	})

	t.Run("a speaker hub's rules refuse", func(t *testing.T) {
		first := writeFile(t, "speakers.csv", "Speaker ID;Name;Email", "a;Ann;ann@example.com", "b;Bea;bea@example.com")
		commit(t, st.analyze(t, first, importer.UploadParams{Kind: "speakers"}))
		// Row 2 gives Ann Bea's email: hub finds the two speakers.
		second := writeFile(t, "speakers2.csv", "Speaker ID;Name;Email", "a;Ann;bea@example.com", "c;Cy;cy@example.com")
		imp := st.analyze(t, second, importer.UploadParams{Kind: "speakers"})
		if got := counts(imp); got != "speakers:1/1/0/0" {
			t.Fatalf("counts %s", got)
		}
		imp = commit(t, imp)
		if r := imp.Result["speakers"]; r.Created != 1 || r.Rejected != 1 {
			t.Errorf("result %+v, want 1 created, 1 rejected", r)
		}
		row, red := st.reportRow(t, imp.ID, "a", "C")
		if got := row[len(row)-1]; !strings.Contains(got, "C: belongs to another speaker") {
			t.Errorf("report row %q", row)
		}
		if !red {
			t.Error("the refused email is not highlighted")
		}
		sps, err := hub.ListSpeakers.Call(ctx, st.hubClient, hub.AppParams{AppRef: rpc.AppRef{App: st.app}})
		if err != nil {
			t.Fatal(err)
		}
		if len(sps.Speakers) != 3 {
			t.Errorf("hub has %d speakers, want 3", len(sps.Speakers))
		}
	})

	t.Run("a session hub's schema refuses at the commit", func(t *testing.T) {
		path := writeFile(t, "sessions.csv", "Session ID;Title;Date;Start;End;Room",
			"r1;First;12/06/2025;09:00;10:00;Room R", "r2;Second;12/06/2025;10:00;11:00;Room R", "r3;Third;12/06/2025;11:00;12:00;Room R")
		imp := st.analyze(t, path, importer.UploadParams{Kind: "sessions", Event: st.event})
		if got := counts(imp); got != "sessions:3/0/0/0" {
			t.Fatalf("counts %s", got)
		}
		// Hub's limits change between the analysis and the commit: the
		// staged title of r2 is now longer than hub takes.
		conn, err := pgx.Connect(ctx, st.importerDB)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close(ctx)
		const q = `UPDATE ` + app.Schema + `.import_rows SET input = jsonb_set(input::jsonb, '{title}', to_jsonb(repeat('x', 301)))::json
			WHERE import_id = $1 AND key = 'x:r2'`
		if tag, err := conn.Exec(ctx, q, imp.ID); err != nil || tag.RowsAffected() != 1 {
			t.Fatalf("tamper: %v %v", tag, err)
		}
		imp = commit(t, imp)
		if r := imp.Result["sessions"]; r.Created != 2 || r.Rejected != 1 {
			t.Errorf("result %+v, want 2 created, 1 rejected", r)
		}
		got := st.sessions(t)
		if _, ok := got["r2"]; ok || len(got) != 2 {
			t.Errorf("hub has sessions %v, want r1 and r3", got)
		}
		row, red := st.reportRow(t, imp.ID, "r2", "B")
		if !strings.Contains(row[len(row)-1], "B: ") || row[len(row)-2] != "reject" {
			t.Errorf("report row %q", row)
		}
		if !red {
			t.Error("the refused title is not highlighted")
		}
	})
}

// memberByEmail returns hub's member of the stack's app with email.
func (st *stack) memberByEmail(t *testing.T, email string) (hub.Member, bool) {
	t.Helper()
	for _, m := range st.members(t) {
		if m.Email == email {
			return m, true
		}
	}
	return hub.Member{}, false
}

// TestImportModes checks the create and update modes end to end, with hub
// changing between the analysis and the commit: hub applies the mode when
// it writes, and the rows it skips are reported.
func TestImportModes(t *testing.T) {
	st := startStack(t)
	st.startImporter(t)
	ctx := st.as(testkit.Context(t))
	createMember := func(t *testing.T, email, name string) hub.Member {
		t.Helper()
		m, err := hub.CreateMember.Call(ctx, st.hubClient, hub.CreateMemberParams{AppRef: rpc.AppRef{App: st.app}, MemberInput: hub.MemberInput{Email: email, Name: name}})
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	skipped := func(t *testing.T, imp importer.Import, key, reason string) {
		t.Helper()
		row, _ := st.reportRow(t, imp.ID, key, "A")
		if got := strings.Join(row, " | "); !strings.Contains(got, "skip ("+reason+")") {
			t.Errorf("report row of %s: %q, want skipped: %s", key, got, reason)
		}
	}

	t.Run("create", func(t *testing.T) {
		people := writeFile(t, "people.csv", "Email;Name", "c1@example.com;Cee One", "c2@example.com;Cee Two")
		imp := st.analyze(t, people, importer.UploadParams{Mode: "create"})
		if got := counts(imp); got != "attendees:2/0/0/0" {
			t.Fatalf("counts %s", got)
		}
		createMember(t, "c2@example.com", "Someone Else") // before the commit
		imp = st.commit(t, imp.ID)
		if r := imp.Result["attendees"]; imp.Status != importer.StatusDone || r.Created != 1 || r.Skipped != 1 || r.Updated != 0 {
			t.Errorf("commit: %s %+v, want 1 created, 1 skipped", imp.Status, r)
		}
		if m, _ := st.memberByEmail(t, "c2@example.com"); m.Name != "Someone Else" {
			t.Errorf("create mode changed a member: %+v", m)
		}
		skipped(t, imp, "c2@example.com", "already in the app (create mode)")

		agenda := writeFile(t, "agenda.csv", "Session ID;Title;Date;Start;End;Room", "m1;Imported;12/06/2025;16:00;17:00;Room M")
		imp = st.analyze(t, agenda, importer.UploadParams{Mode: "create", Kind: "sessions", Event: st.event})
		if got := counts(imp); got != "sessions:1/0/0/0" {
			t.Fatalf("counts %s %+v", got, imp.Problems)
		}
		if _, err := hub.SaveSession.Call(ctx, st.hubClient, hub.SessionParams{AppRef: rpc.AppRef{App: st.app}, Event: st.event, SessionInput: hub.SessionInput{
			ExternalID: "m1", Title: "Stored", Start: "2025-06-12T16:00", End: "2025-06-12T17:00"}}); err != nil {
			t.Fatal(err)
		}
		imp = st.commit(t, imp.ID)
		if r := imp.Result["sessions"]; r.Created != 0 || r.Skipped != 1 {
			t.Errorf("commit: %+v, want 1 skipped", r)
		}
		if s := st.sessions(t)["m1"]; s.Title != "Stored" {
			t.Errorf("create mode changed a session: %+v", s)
		}
		skipped(t, imp, "m1", "already in the app (create mode)")
	})

	t.Run("update", func(t *testing.T) {
		createMember(t, "u1@example.com", "U One")
		u2 := createMember(t, "u2@example.com", "U Two")
		people := writeFile(t, "people.csv", "Email;Name", "u1@example.com;U One Updated", "u2@example.com;U Two Updated", "u3@example.com;U Three")
		imp := st.analyze(t, people, importer.UploadParams{Mode: "update"})
		if got := counts(imp); got != "attendees:0/2/1/0" {
			t.Fatalf("counts %s", got)
		}
		skipped(t, imp, "u3@example.com", "not in the app (update mode)")
		if _, err := hub.DeleteMember.Call(ctx, st.hubClient, hub.MemberParams{AppRef: rpc.AppRef{App: st.app}, Member: u2.ID}); err != nil {
			t.Fatal(err)
		}
		imp = st.commit(t, imp.ID)
		if r := imp.Result["attendees"]; r.Updated != 1 || r.Skipped != 1 || r.Created != 0 {
			t.Errorf("commit: %+v, want 1 updated, 1 skipped", r)
		}
		if m, _ := st.memberByEmail(t, "u1@example.com"); m.Name != "U One Updated" {
			t.Errorf("u1: %+v", m)
		}
		for _, email := range []string{"u2@example.com", "u3@example.com"} {
			if m, ok := st.memberByEmail(t, email); ok {
				t.Errorf("update mode created %+v", m)
			}
		}
		skipped(t, imp, "u2@example.com", "not in the app (update mode)")
	})
}

// TestImportAPI covers the paths of the importer's API an organizer takes
// besides the plain upload and commit: the mapping overrides of
// import.configure, unknown columns kept as custom profile fields, the
// multipart upload, the progress of a running commit, and a cancel during
// the commit.
func TestImportAPI(t *testing.T) {
	st := startStack(t)
	st.startImporter(t, "IMPORTER_BATCH_ROWS=10", "IMPORTER_WORKERS=1")
	ctx := st.as(testkit.Context(t))
	custom := func(t *testing.T, email string) hub.Member {
		t.Helper()
		m, ok := st.memberByEmail(t, email)
		if !ok {
			t.Fatalf("no member %s in hub", email)
		}
		m, err := hub.GetMember.Call(ctx, st.hubClient, hub.MemberParams{AppRef: rpc.AppRef{App: st.app}, Member: m.ID})
		if err != nil {
			t.Fatal(err)
		}
		return m
	}

	t.Run("configure overrides the mapping", func(t *testing.T) {
		path := writeFile(t, "people.csv", "Email;Name;Boîte;Shirt;Notes", "ov@example.com;Over Ride;ACME;L;call back")
		imp := st.analyze(t, path, importer.UploadParams{})
		if len(imp.Mapping) != 1 || strings.Join(imp.Mapping[0].Unknown, ",") != "Boîte,Shirt,Notes" {
			t.Fatalf("mapping %+v", imp.Mapping)
		}
		sheet := imp.Mapping[0].Name
		_, err := importer.ConfigureImport.Call(ctx, st.client, importer.ConfigureParams{AppRef: rpc.AppRef{App: st.app}, Import: imp.ID, Options: importer.Options{
			Overrides: []importer.Override{{Sheet: sheet, Columns: map[string]string{"C": "company", "shirt": "custom:T-shirt"}}}}})
		if err != nil {
			t.Fatal(err)
		}
		imp = st.wait(t, imp.ID, importer.StatusAnalyzing)
		var got []string
		for _, c := range imp.Mapping[0].Columns {
			got = append(got, c.Letter+"="+c.Field+c.Custom)
		}
		if want := "A=email B=name C=company D=T-shirt E="; strings.Join(got, " ") != want {
			t.Errorf("mapping after configure: %s, want %s", strings.Join(got, " "), want)
		}
		if imp = st.commit(t, imp.ID); imp.Status != importer.StatusDone {
			t.Fatalf("commit: %s %+v", imp.Status, imp.Error)
		}
		m := custom(t, "ov@example.com")
		if m.Company != "ACME" || !cmp.Equal(m.Custom, map[string]string{"T-shirt": "L"}) {
			t.Errorf("member: company %q, custom %v; want ACME and the T-shirt only", m.Company, m.Custom)
		}
	})

	t.Run("keep_unknown keeps custom profile fields", func(t *testing.T) {
		path := writeFile(t, "people.csv", "Email;Name;Dietary needs;T-shirt size", "keep@example.com;Kept Fields;vegetarian;M")
		imp := st.analyze(t, path, importer.UploadParams{KeepUnknown: true})
		if imp = st.commit(t, imp.ID); imp.Status != importer.StatusDone || imp.Result["attendees"].Created != 1 {
			t.Fatalf("commit: %s %+v", imp.Status, imp.Result)
		}
		m := custom(t, "keep@example.com")
		if want := map[string]string{"Dietary needs": "vegetarian", "T-shirt size": "M"}; !cmp.Equal(m.Custom, want) {
			t.Errorf("custom fields %v, want %v", m.Custom, want)
		}
		// The same file again: nothing to change.
		if again := st.analyze(t, path, importer.UploadParams{KeepUnknown: true}); counts(again) != "attendees:0/0/1/0" {
			t.Errorf("re-import counts %s", counts(again))
		}
	})

	t.Run("multipart upload", func(t *testing.T) {
		post := func(t *testing.T, parts func(w *multipart.Writer)) *http.Response {
			t.Helper()
			var body bytes.Buffer
			w := multipart.NewWriter(&body)
			parts(w)
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			req, err := http.NewRequestWithContext(ctx, http.MethodPost, st.importerURL+"/imports?app_id="+st.app, &body)
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Content-Type", w.FormDataContentType())
			req.Header.Set("Authorization", "Bearer "+st.token)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { resp.Body.Close() })
			return resp
		}
		resp := post(t, func(w *multipart.Writer) {
			_ = w.WriteField("note", "a form field before the file")
			f, _ := w.CreateFormFile("file", `C:\Users\org\multi.csv`)
			_, _ = io.WriteString(f, "Email;Name\nmulti@example.com;Multi Part\n")
		})
		if resp.StatusCode != http.StatusAccepted {
			b, _ := io.ReadAll(resp.Body)
			t.Fatalf("HTTP %d: %s", resp.StatusCode, b)
		}
		var imp importer.Import
		if err := json.NewDecoder(resp.Body).Decode(&imp); err != nil {
			t.Fatal(err)
		}
		if imp.FileName != "multi.csv" {
			t.Errorf("file name %q, want multi.csv (from the part, without the client's path)", imp.FileName)
		}
		if imp = st.wait(t, imp.ID, importer.StatusAnalyzing); counts(imp) != "attendees:1/0/0/0" {
			t.Errorf("counts %s %+v", counts(imp), imp.Error)
		}

		resp = post(t, func(w *multipart.Writer) { _ = w.WriteField("note", "no file") })
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(b), "no part named file") {
			t.Errorf("a form without a file: HTTP %d %s", resp.StatusCode, b)
		}
	})

	// A commit of many small batches (IMPORTER_BATCH_ROWS=10), long
	// enough to be watched and canceled.
	many := func(t *testing.T, prefix string, n int) string {
		lines := []string{"Email;Name"}
		for i := range n {
			lines = append(lines, fmt.Sprintf("%s%04d@example.com;Person %d", prefix, i, i))
		}
		return writeFile(t, prefix+".csv", lines...)
	}
	ip := func(imp importer.Import) importer.ImportParams {
		return importer.ImportParams{AppRef: rpc.AppRef{App: st.app}, Import: imp.ID}
	}

	t.Run("progress while the commit runs", func(t *testing.T) {
		const rows = 1500
		imp := st.analyze(t, many(t, "prog", rows), importer.UploadParams{})
		if _, err := importer.CommitImport.Call(ctx, st.client, ip(imp)); err != nil {
			t.Fatal(err)
		}
		var seen []importer.Progress
		for {
			cur, err := importer.GetImport.Call(ctx, st.client, ip(imp))
			if err != nil {
				t.Fatal(err)
			}
			if cur.Status != importer.StatusCommitting {
				imp = cur
				break
			}
			seen = append(seen, cur.Progress)
			time.Sleep(10 * time.Millisecond)
		}
		if imp.Status != importer.StatusDone || imp.Progress.RowsDone != rows {
			t.Fatalf("commit: %s %+v", imp.Status, imp.Progress)
		}
		partial := 0
		for i, p := range seen {
			if p.RowsTotal != rows || (i > 0 && p.RowsDone < seen[i-1].RowsDone) {
				t.Fatalf("progress %+v after %+v: want %d rows in all, never going back", p, seen[max(i-1, 0)], rows)
			}
			if p.RowsDone > 0 && p.RowsDone < rows {
				partial++
			}
		}
		if partial == 0 {
			t.Errorf("no progress between 0 and %d seen during the commit (%d polls)", rows, len(seen))
		}
	})

	t.Run("cancel during the commit", func(t *testing.T) {
		const rows = 1500
		imp := st.analyze(t, many(t, "cancel", rows), importer.UploadParams{})
		if _, err := importer.CommitImport.Call(ctx, st.client, ip(imp)); err != nil {
			t.Fatal(err)
		}
		for {
			cur, err := importer.GetImport.Call(ctx, st.client, ip(imp))
			if err != nil {
				t.Fatal(err)
			}
			if cur.Status != importer.StatusCommitting {
				t.Fatalf("the commit ended (%s) before a batch was seen", cur.Status)
			}
			if cur.Progress.RowsDone > 0 {
				break
			}
			time.Sleep(5 * time.Millisecond)
		}
		c, err := importer.CancelImport.Call(ctx, st.client, ip(imp))
		if err != nil {
			t.Fatal(err)
		}
		if c.Status != importer.StatusCanceling && c.Status != importer.StatusCanceled {
			t.Errorf("cancel answered %s", c.Status)
		}
		imp = st.wait(t, imp.ID, importer.StatusCommitting, importer.StatusCanceling)
		if imp.Status != importer.StatusCanceled || imp.Progress.RowsDone >= rows {
			t.Fatalf("after cancel: %s %+v", imp.Status, imp.Progress)
		}
		// The batches recorded are in hub, and at most the two in flight
		// beside them; the rest was not sent.
		inHub := 0
		for _, m := range st.members(t) {
			if strings.HasPrefix(m.Email, "cancel") {
				inHub++
			}
		}
		if done := imp.Progress.RowsDone; inHub < done || inHub > done+2*10 {
			t.Errorf("hub has %d of the rows, the import recorded %d", inHub, done)
		}
		if _, err := importer.CommitImport.Call(ctx, st.client, ip(imp)); err == nil {
			t.Error("a canceled import was committed again")
		}
	})
}
