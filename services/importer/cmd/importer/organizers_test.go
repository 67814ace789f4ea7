package main

import (
	"fmt"
	"maps"
	"net/http"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/xuri/excelize/v2"

	"github.com/attendify/hub"
	"github.com/attendify/importer"
	"github.com/attendify/platform/rpc"
	"github.com/attendify/platform/testkit"
)

// Issue 13: ordinary files, as LibreOffice and Gnumeric save them, import
// as their author meant (testdata/org, made by testdata/gen.sh).
func TestOrganizerFiles(t *testing.T) {
	st := startStack(t)
	st.startImporter(t)
	ctx := st.as(testkit.Context(t))
	event := func(name string) string {
		ev, err := hub.CreateEvent.Call(ctx, st.hubClient, hub.CreateEventParams{AppRef: rpc.AppRef{App: st.app}, Name: name, TimeZone: "Europe/Paris",
			Start: "2026-06-12T08:00", End: "2026-06-13T19:00"})
		if err != nil {
			t.Fatal(err)
		}
		return ev.ID
	}
	summit, agendaEvent := event("Summit"), event("Agenda")
	org := func(name string) string { return filepath.Join(testdata, "org", name) }
	preview := func(t *testing.T, id string) importer.Preview {
		t.Helper()
		pv, err := importer.PreviewImport.Call(ctx, st.client, importer.PreviewParams{AppRef: rpc.AppRef{App: st.app}, Import: id, Rows: 50})
		if err != nil {
			t.Fatal(err)
		}
		return pv
	}

	t.Run("attendees with a ticket column", func(t *testing.T) {
		files := []string{"tickets.xlsx", "tickets.xls", "tickets.csv", "tickets-semicolon-1252.csv"}
		imps := map[string]importer.Import{}
		for _, file := range files {
			imp := st.analyze(t, org(file), importer.UploadParams{KeepUnknown: true})
			imps[file] = imp
			// Rows 2, 3, 5, 6, 7 created; the blank rows 4, 8 and 9
			// skipped; row 10 repeats row 2's address in capitals.
			if got, want := counts(imp), "attendees:5/0/3/1"; got != want {
				t.Errorf("%s: counts %s, want %s; problems %+v", file, got, want, imp.Problems)
				continue
			}
			if m := imp.Mapping[0]; m.Columns[3].Field != "ticket_type" {
				t.Errorf("%s: the Ticket column maps to %q", file, m.Columns[3].Field)
			}
			got := map[int]string{}
			for _, r := range preview(t, imp.ID).Rows {
				line := strings.TrimSpace(r.Action + " " + r.Reason)
				for _, p := range r.Problems {
					line += "; " + p.Column + ": " + p.Message
				}
				if r.Row == 2 {
					line += fmt.Sprintf(" | %v %v %v %v", r.Values["email"], r.Values["ticket_type"], r.Values["phone"], r.Values["custom"])
				}
				got[r.Row] = strings.TrimSpace(line)
			}
			want := map[int]string{
				2: "create | Ada.Lovelace@Example.com Standard +44 20 7946 0018 map[Newsletter:true Registered on:2026-05-02]",
				3: "create", 5: "create", 6: "create", 7: "create",
				4: "skip blank", 8: "skip blank", 9: "skip blank",
				10: "reject Email ADA.LOVELACE@example.com repeats row 2; A: Email ADA.LOVELACE@example.com repeats row 2",
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("%s: preview (-want +got):\n%s", file, diff)
			}
		}

		imp := st.commit(t, imps["tickets.xlsx"].ID)
		if imp.Status != importer.StatusDone || imp.Result["attendees"].Created != 5 {
			t.Fatalf("commit: %s %+v %+v", imp.Status, imp.Result, imp.Error)
		}
		byEmail := map[string]hub.Member{}
		for _, m := range st.members(t) {
			byEmail[strings.ToLower(m.Email)] = m
		}
		ada := byEmail["ada.lovelace@example.com"]
		if ada.TicketType != "Standard" || ada.Phone != "+44 20 7946 0018" || ada.PhoneE164 != "+442079460018" ||
			ada.Custom["Registered on"] != "2026-05-02" || ada.Custom["Newsletter"] != "true" || ada.ExternalID != "" {
			t.Errorf("Ada in hub: %+v", ada)
		}
		if g := byEmail["grace@example.com"]; g.Phone != "(202) 555-0143" || g.PhoneE164 != "" {
			t.Errorf("Grace's phone: %q %q (no country: no E.164)", g.Phone, g.PhoneE164)
		}
		if a := byEmail["alan@example.com"]; a.Phone != "0033 6 12 34 56 78" || a.PhoneE164 != "+33612345678" {
			t.Errorf("Alan's phone: %q %q", a.Phone, a.PhoneE164)
		}
		page, err := hub.SearchMembers.Call(ctx, st.hubClient, hub.SearchMembersParams{AppRef: rpc.AppRef{App: st.app}, TicketType: "VIP"})
		if err != nil {
			t.Fatal(err)
		}
		var vips []string
		for _, m := range page.Members {
			vips = append(vips, m.Name)
		}
		if got := strings.Join(vips, ","); got != "Edsger Dijkstra,Grace Hopper" {
			t.Errorf("VIP attendees: %s", got)
		}

		// The error report: rows where the file has them, dates as dates,
		// what happened to each row.
		f := st.report(t, imp.ID)
		row := func(n int) []string {
			r, _ := f.GetRows("Attendees")
			if n > len(r) {
				return nil
			}
			return r[n-1]
		}
		if got := row(2); len(got) < 8 || got[5] != "2026-05-02" || got[7] != "created" {
			t.Errorf("report row 2: %q", got)
		}
		if typ, _ := f.GetCellType("Attendees", "F2"); typ == excelize.CellTypeSharedString || typ == excelize.CellTypeInlineString {
			t.Errorf("the date cell F2 is text in the report")
		}
		if got := row(4); len(got) < 8 || got[7] != "skip (blank)" {
			t.Errorf("report row 4: %q", got)
		}
		if got := row(10); len(got) < 9 || got[7] != "reject" || !strings.Contains(got[8], "repeats row 2") {
			t.Errorf("report row 10: %q", got)
		}

		// The same people from the other files: nothing changes.
		for _, file := range files[1:] {
			again := st.analyze(t, org(file), importer.UploadParams{KeepUnknown: true})
			if got, want := counts(again), "attendees:0/0/8/1"; got != want {
				t.Errorf("%s after the .xlsx: counts %s, want %s", file, got, want)
			}
		}
	})

	t.Run("an id header over categories", func(t *testing.T) {
		imp := st.analyze(t, org("references.csv"), importer.UploadParams{})
		if got, want := counts(imp), "attendees:5/0/0/0"; got != want {
			t.Errorf("counts %s, want %s; problems %+v", got, want, imp.Problems)
		}
		found := false
		for _, p := range imp.Problems {
			found = found || strings.Contains(p.Message, `column A ("Reference") is not used as the id: its values repeat (Standard in rows 2 and 4)`)
		}
		if !found {
			t.Errorf("problems %+v: want one saying Reference is not the id", imp.Problems)
		}
	})

	// The three-sheet event workbook with bad rows in each sheet: the
	// preview, what hub holds and the error report agree on every row.
	t.Run("event workbook", func(t *testing.T) {
		want := "attendees:3/0/1/2 speakers:2/0/1/1 sessions:3/0/1/3"
		var imps []importer.Import
		for _, file := range []string{"event.xlsx", "event.xls", "event-gnumeric.xlsx"} {
			imp := st.analyze(t, org(file), importer.UploadParams{Event: summit})
			if got := counts(imp); got != want {
				t.Errorf("%s: counts %s, want %s; problems %+v", file, got, want, imp.Problems)
			}
			imps = append(imps, imp)
		}
		pv := preview(t, imps[0].ID)
		// sheet -> row -> the action, and a problem it must have.
		wantRows := map[string]map[int]string{
			"Attendees": {2: "create", 3: "create", 4: "skip", 5: "reject A: \"not-an-email\" is not an email address",
				6: "reject E: \"12\" is not a phone number", 7: "create"},
			"Speakers": {2: "create", 3: "reject B: Name is required", 4: "skip", 5: "create"},
			"Sessions": {2: "create", 3: "create B: 12/06/2026 is ambiguous: read day first, as 12 June 2026, like 13/06/2026 (row 6)",
				4: "skip", 5: "reject C: overlaps \"Inside the atom\" (row 3) in Main hall: 11:00 to 11:30 against 10:30 to 11:15",
				6: "reject F: speaker \"nobody-here\" is neither", 7: "reject D: ends at 15:00, not after its start 16:00", 8: "create"},
		}
		seen := map[string]map[int]importer.PreviewRow{}
		for _, r := range pv.Rows {
			if seen[r.Sheet] == nil {
				seen[r.Sheet] = map[int]importer.PreviewRow{}
			}
			seen[r.Sheet][r.Row] = r
		}
		for sheetName, rows := range wantRows {
			if len(seen[sheetName]) != len(rows) {
				t.Errorf("%s: preview rows %v, want %d", sheetName, slices.Sorted(maps.Keys(seen[sheetName])), len(rows))
			}
			for n, w := range rows {
				r := seen[sheetName][n]
				action, problem, _ := strings.Cut(w, " ")
				var probs []string
				for _, p := range r.Problems {
					probs = append(probs, p.Column+": "+p.Message)
				}
				if r.Action != action || !strings.Contains(strings.Join(probs, "\n"), problem) {
					t.Errorf("%s row %d: %s %q, want %s with %q", sheetName, n, r.Action, probs, action, problem)
				}
			}
		}

		imp := st.commit(t, imps[0].ID)
		if imp.Status != importer.StatusDone {
			t.Fatalf("commit: %s %+v", imp.Status, imp.Error)
		}
		// Hub holds the created rows, and only them.
		var emails []string
		for _, m := range st.members(t) {
			if strings.HasSuffix(m.Email, "@example.org") {
				emails = append(emails, m.Email+" "+m.TicketType)
			}
		}
		slices.Sort(emails)
		if diff := cmp.Diff([]string{"enrico.fermi@example.org Standard", "marie.curie@example.org VIP", "niels.bohr@example.org Standard"}, emails); diff != "" {
			t.Errorf("members (-want +got):\n%s", diff)
		}
		sps, err := hub.ListSpeakers.Call(ctx, st.hubClient, hub.AppParams{AppRef: rpc.AppRef{App: st.app}})
		if err != nil {
			t.Fatal(err)
		}
		var speakers []string
		for _, s := range sps.Speakers {
			speakers = append(speakers, s.ExternalID)
		}
		slices.Sort(speakers)
		if diff := cmp.Diff([]string{"bohr", "curie"}, speakers); diff != "" {
			t.Errorf("speakers (-want +got):\n%s", diff)
		}
		var sessions []string
		for _, s := range st.agenda(t, summit) {
			sessions = append(sessions, fmt.Sprintf("%s %s %d", s.Title, s.Start, len(s.Speakers)))
		}
		if diff := cmp.Diff([]string{"Opening keynote 2026-06-12T09:00 1", "Inside the atom 2026-06-12T10:30 1", "Closing 2026-06-13T17:00 2"}, sessions); diff != "" {
			t.Errorf("sessions (-want +got):\n%s", diff)
		}
		// The report says of each row what the preview said.
		f := st.report(t, imp.ID)
		for sheetName, rows := range wantRows {
			all, _ := f.GetRows(sheetName)
			header := all[0]
			for n, w := range rows {
				action, problem, _ := strings.Cut(w, " ")
				cells := all[n-1]
				col := func(name string) string {
					i := slices.Index(header, name)
					if i < 0 || i >= len(cells) {
						return ""
					}
					return cells[i]
				}
				label := map[string]string{"create": "created", "skip": "skip (blank)", "reject": "reject"}[action]
				if col("Import") != label || !strings.Contains(strings.ReplaceAll(col("Errors"), "(warning) ", ""), problem) {
					t.Errorf("report %s row %d: %q / %q, want %q with %q", sheetName, n, col("Import"), col("Errors"), label, problem)
				}
			}
		}
		if typ, _ := f.GetCellType("Sessions", "B2"); typ == excelize.CellTypeSharedString || typ == excelize.CellTypeInlineString {
			t.Error("the date cell B2 of the sessions is text in the report")
		}
		if v, _ := f.GetCellValue("Sessions", "B2"); v != "2026-06-12" {
			t.Errorf("the date cell B2 reads %q in the report", v)
		}
	})

	t.Run("an agenda without ids, imported twice", func(t *testing.T) {
		for i, file := range []string{"agenda.xlsx", "agenda.xls", "agenda.csv"} {
			imp := st.analyze(t, org(file), importer.UploadParams{Event: agendaEvent, Kind: "sessions"})
			want := "sessions:3/0/1/1" // row 5 overlaps row 4; row 3 is blank
			if i > 0 {
				want = "sessions:0/0/4/1" // the same sessions: unchanged
			}
			if got := counts(imp); got != want {
				t.Fatalf("%s: counts %s, want %s; problems %+v %+v", file, got, want, imp.Problems, imp.Error)
			}
			got := map[int][]string{}
			for _, r := range preview(t, imp.ID).Rows {
				for _, p := range r.Problems {
					got[r.Row] = append(got[r.Row], p.Column+": "+p.Message)
				}
			}
			if diff := cmp.Diff(map[int][]string{
				4: {"B: 12/06/2026 is ambiguous: read day first, as 12 June 2026, like 13/06/2026 (row 6) of the same column"},
				5: {`C: overlaps "Compilers" (row 4) in Main hall: 10:45 to 11:30 against 10:30 to 11:15`},
			}, got); diff != "" {
				t.Errorf("%s: problems (-want +got):\n%s", file, diff)
			}
			if imp = st.commit(t, imp.ID); imp.Status != importer.StatusDone {
				t.Fatalf("%s: commit %s %+v", file, imp.Status, imp.Error)
			}
		}
		var sessions []string
		for _, s := range st.agenda(t, agendaEvent) {
			sessions = append(sessions, s.Title+" "+s.Start+" "+strconv.FormatBool(strings.HasPrefix(s.ExternalID, "auto-")))
		}
		if diff := cmp.Diff([]string{"Opening keynote 2026-06-12T09:00 true", "Compilers 2026-06-12T10:30 true", "Day two 2026-06-13T09:00 true"}, sessions); diff != "" {
			t.Errorf("sessions after three imports (-want +got):\n%s", diff)
		}
	})

	t.Run("a sheet recognised and not imported fails the import, naming it", func(t *testing.T) {
		// Three events and none chosen: the sessions cannot be placed.
		imp := st.analyze(t, org("event.xlsx"), importer.UploadParams{})
		if imp.Status != importer.StatusFailed || imp.Error == nil || imp.Error.Code != importer.ErrSheetNotImported ||
			!strings.Contains(imp.Error.Message, `sheet "Sessions" is not imported: the app has 3 events; choose the event`) {
			t.Fatalf("status %s, error %+v", imp.Status, imp.Error)
		}
		f := st.report(t, imp.ID)
		if v, _ := f.GetCellValue("Import failed", "A1"); !strings.Contains(v, `sheet "Sessions" is not imported`) {
			t.Errorf("the report of the failed import says %q", v)
		}
		if v, _ := f.GetCellValue("Sessions", "H2"); !strings.HasPrefix(v, "not imported: ") || v == "ok" {
			t.Errorf("an unimported session row says %q", v)
		}
		if v, _ := f.GetCellValue("Attendees", "G2"); !strings.HasPrefix(v, "not imported") {
			t.Errorf("an attendee row of the failed import says %q", v)
		}
		// Leaving the sheet out imports the rest.
		c, err := importer.ConfigureImport.Call(ctx, st.client, importer.ConfigureParams{AppRef: rpc.AppRef{App: st.app}, Import: imp.ID,
			Options: importer.Options{Overrides: []importer.Override{{Sheet: "Sessions", Kind: "skip"}}}})
		if err != nil {
			t.Fatal(err)
		}
		if imp = st.wait(t, c.ID, importer.StatusAnalyzing); imp.Status != importer.StatusReady {
			t.Errorf("with the sessions left out: %s %+v", imp.Status, imp.Error)
		}
	})

	t.Run("clear refusals", func(t *testing.T) {
		imp := st.analyze(t, org("html-renamed.xls"), importer.UploadParams{})
		if imp.Error == nil || imp.Error.Code != importer.ErrUnsupported || !strings.Contains(imp.Error.Message, "HTML") ||
			!strings.Contains(imp.Error.Message, "export it from the spreadsheet as .xlsx or .csv") {
			t.Errorf("html-renamed.xls: %s %+v", imp.Status, imp.Error)
		}
		// Its report says why it failed, and nothing more.
		f := st.report(t, imp.ID)
		if v, _ := f.GetCellValue("Import failed", "A1"); !strings.Contains(v, "HTML") || len(f.GetSheetList()) != 1 {
			t.Errorf("the report of a refused file: %q, sheets %q", v, f.GetSheetList())
		}
		// Text that is no HTML but named .xls: refused too.
		imp = st.analyze(t, org("tickets.csv"), importer.UploadParams{FileName: "attendees.xls"})
		if imp.Error == nil || imp.Error.Message != "the file is an HTML/text file renamed .xls: export it from the spreadsheet as .xlsx or .csv" {
			t.Errorf("a CSV named .xls: %s %+v", imp.Status, imp.Error)
		}
		imp = st.analyze(t, org("unknown.csv"), importer.UploadParams{})
		if imp.Error == nil || imp.Error.Code != importer.ErrEmpty || !strings.Contains(imp.Error.Message, `sheet "Sheet1" has "Foo", "Bar", "Baz"`) ||
			!strings.Contains(imp.Error.Message, "attendees need Email and Name") {
			t.Errorf("unknown headers: %s %+v", imp.Status, imp.Error)
		}
	})
}

// report downloads an import's error report.
func (st *stack) report(t *testing.T, id string) *excelize.File {
	t.Helper()
	resp := st.get(t, "/imports/"+id+"/report.xlsx?app_id="+st.app)
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("report: HTTP %d", resp.StatusCode)
	}
	f, err := excelize.OpenReader(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return f
}
