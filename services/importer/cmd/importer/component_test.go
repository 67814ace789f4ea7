package main

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/attendify/hub"
	"github.com/attendify/importer"
	"github.com/attendify/platform/rpc"
	"github.com/attendify/platform/testkit"
)

const testdata = "../../testdata"

// counts is a compact form of an import's counts: "kind:create/update/skip/reject".
func counts(imp importer.Import) string {
	var parts []string
	for _, k := range []string{"attendees", "speakers", "sessions"} {
		if c, ok := imp.Counts[k]; ok {
			parts = append(parts, fmt.Sprintf("%s:%d/%d/%d/%d", k, c.Create, c.Update, c.Skip, c.Reject))
		}
	}
	return strings.Join(parts, " ")
}

func (st *stack) members(t *testing.T) []hub.Member {
	t.Helper()
	ctx := st.as(testkit.Context(t))
	var out []hub.Member
	cursor := ""
	for {
		p, err := hub.SearchMembers.Call(ctx, st.hubClient, hub.SearchMembersParams{AppRef: rpc.AppRef{App: st.app}, Limit: 200, Cursor: cursor})
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, p.Members...)
		if p.NextCursor == "" {
			return out
		}
		cursor = p.NextCursor
	}
}

func (st *stack) get(t *testing.T, path string) *http.Response {
	t.Helper()
	req, _ := http.NewRequestWithContext(testkit.Context(t), http.MethodGet, st.importerURL+path, nil)
	req.Header.Set("Authorization", "Bearer "+st.token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

func problemsOf(imp importer.Import, rows []importer.PreviewRow, sheet string, row int) []string {
	var out []string
	for _, r := range rows {
		if r.Sheet == sheet && r.Row == row {
			for _, p := range r.Problems {
				out = append(out, p.Column+": "+p.Message)
			}
		}
	}
	return out
}

// TestImportWorkbooks imports workbooks written by LibreOffice into a
// real hub, as an organizer would, and checks what the importer saw and
// what hub holds.
func TestImportWorkbooks(t *testing.T) {
	st := startStack(t)
	st.startImporter(t)
	ctx := st.as(testkit.Context(t))
	ev := importer.UploadParams{Event: st.event}

	t.Run("template", func(t *testing.T) {
		resp, err := http.Get(st.importerURL + "/imports/template.xlsx")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		f, err := excelize.OpenReader(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		if got := strings.Join(f.GetSheetList(), ","); got != "Attendees,Speakers,Sessions" {
			t.Errorf("template sheets %s", got)
		}
	})

	var first importer.Import
	t.Run("clean workbook, then the same again", func(t *testing.T) {
		imp := st.analyze(t, filepath.Join(testdata, "demo.xlsx"), ev)
		if imp.Status != importer.StatusReady {
			t.Fatalf("status %s, error %+v", imp.Status, imp.Error)
		}
		if got, want := counts(imp), "attendees:6/0/0/0 speakers:3/0/0/0 sessions:5/0/0/0"; got != want {
			t.Errorf("counts %s, want %s; problems %+v", got, want, imp.Problems)
		}
		imp = st.commit(t, imp.ID)
		if imp.Status != importer.StatusDone {
			t.Fatalf("commit status %s %+v", imp.Status, imp.Error)
		}
		if r := imp.Result["attendees"]; r.Created != 6 {
			t.Errorf("attendees result %+v", r)
		}
		if r := imp.Result["sessions"]; r.Created != 5 {
			t.Errorf("sessions result %+v", r)
		}
		if imp.Progress.RowsDone != 14 || imp.Progress.RowsTotal != 14 {
			t.Errorf("progress %+v, want 14 of 14", imp.Progress)
		}
		ms := st.members(t)
		if len(ms) != 6 {
			t.Errorf("hub has %d members, want 6", len(ms))
		}
		ag, err := hub.GetAgenda.Call(ctx, st.hubClient, hub.AgendaParams{AppRef: rpc.AppRef{App: st.app}, Event: st.event})
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, d := range ag.Days {
			for _, s := range d.Sessions {
				n++
				if s.ExternalID == "panel" && len(s.Speakers) != 3 {
					t.Errorf("panel has %d speakers, want 3", len(s.Speakers))
				}
				if s.ExternalID == "open" && s.Start != "2026-06-12T09:00" {
					t.Errorf("opening starts %s, want 2026-06-12T09:00 (a date cell and a time cell)", s.Start)
				}
			}
		}
		if n != 5 {
			t.Errorf("agenda has %d sessions, want 5", n)
		}
		first = imp

		// The same file again (as .xls this time): nothing to do.
		again := st.analyze(t, filepath.Join(testdata, "demo.xls"), ev)
		if got, want := counts(again), "attendees:0/0/6/0 speakers:0/0/3/0 sessions:0/0/5/0"; got != want {
			t.Errorf("re-import counts %s, want %s", got, want)
		}
		again = st.commit(t, again.ID)
		if again.Status != importer.StatusDone || again.Progress.RowsDone != 0 {
			t.Errorf("re-import: %s, %+v", again.Status, again.Progress)
		}
		if n := len(st.members(t)); n != 6 {
			t.Errorf("hub has %d members after the re-import, want 6", n)
		}
	})

	for _, name := range []string{"problems.xlsx", "problems.xls"} {
		t.Run(name, func(t *testing.T) {
			imp := st.analyze(t, filepath.Join(testdata, name), ev)
			if imp.Status != importer.StatusReady {
				t.Fatalf("status %s %+v", imp.Status, imp.Error)
			}
			pv, err := importer.PreviewImport.Call(ctx, st.client, importer.PreviewParams{AppRef: rpc.AppRef{App: st.app}, Import: imp.ID, Rows: 50})
			if err != nil {
				t.Fatal(err)
			}
			want := map[string]map[int]string{ // sheet -> row -> a problem it must have
				"Attendees": {6: "A: \"alan@example\" is not an email address", 8: "A: Email ADA@example.com repeats row 3", 9: "A: Email is required"},
				"Speakers":  {5: "B: Name is required"},
				"Sessions": {4: "D: overlaps \"Compilers\" (row 3) in Main hall: 10:45 to 11:30 against 10:30 to 11:15", 5: "H: speaker \"spk-9\" is neither", 6: "E: ends at 15:00, not after its start 16:00",
					7: "D: Start is required"},
			}
			for sheetName, rows := range want {
				for row, msg := range rows {
					got := problemsOf(imp, pv.Rows, sheetName, row)
					if !strings.Contains(strings.Join(got, "\n"), msg) {
						t.Errorf("%s row %d: problems %q, want one like %q", sheetName, row, got, msg)
					}
				}
			}
			var phone, vip bool
			for _, p := range problemsOf(imp, pv.Rows, "Attendees", 6) {
				phone = phone || strings.HasPrefix(p, "F: \"12\" is not a phone number")
				vip = vip || strings.HasPrefix(p, "G: \"maybe\" is not yes or no")
			}
			if !phone || !vip {
				t.Errorf("row 6 should report the phone and the VIP cell: %q", problemsOf(imp, pv.Rows, "Attendees", 6))
			}
			for _, r := range pv.Rows {
				if r.Sheet == "Attendees" && r.Row == 7 && (r.Action != "skip" || r.Reason != "hidden row") {
					t.Errorf("the hidden row is %s (%s), want skipped", r.Action, r.Reason)
				}
				if name == "problems.xlsx" && r.Sheet == "Attendees" && r.Row == 4 && r.Values["company"] != "US Navy" {
					t.Errorf("a formula's cached value: company %v, want US Navy", r.Values["company"])
				}
				if r.Sheet == "Sessions" && r.Row == 3 && (r.Values["start"] != "2025-06-12T10:30" || r.Action != "create") {
					t.Errorf("a date written as text: %+v", r)
				}
				if r.Sheet == "Sessions" && r.Row == 2 && r.Values["capacity"] != float64(250) {
					t.Errorf("a numeric formula: capacity %v, want 250", r.Values["capacity"])
				}
			}
			// The blank row 5 of the attendees is listed, skipped.
			if got, want := counts(imp), "attendees:3/0/2/3 speakers:2/0/0/1 sessions:2/0/0/4"; got != want {
				t.Errorf("counts %s, want %s", got, want)
			}

			resp := st.get(t, "/imports/"+imp.ID+"/report.xlsx?app_id="+st.app)
			defer resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				b, _ := io.ReadAll(resp.Body)
				t.Fatalf("report: %d %s", resp.StatusCode, b)
			}
			f, err := excelize.OpenReader(resp.Body)
			if err != nil {
				t.Fatal(err)
			}
			rows, _ := f.GetRows("Attendees")
			if len(rows) < 6 || rows[1][len(rows[1])-1] != "Errors" {
				t.Fatalf("report rows %q", rows)
			}
			var errCol []string
			for _, r := range rows {
				if len(r) == 10 {
					errCol = append(errCol, r[9])
				}
			}
			if !strings.Contains(strings.Join(errCol, "\n"), "A: \"alan@example\" is not an email address") {
				t.Errorf("the report's errors column: %q", errCol)
			}
			// Row 6 of the upload is row 6 of the report: its email cell
			// is highlighted.
			style, _ := f.GetCellStyle("Attendees", "A6")
			ok, _ := f.GetCellStyle("Attendees", "A3")
			if style == ok || style == 0 {
				t.Errorf("the bad email cell is not highlighted (style %d, a good cell %d)", style, ok)
			}
		})
	}

	t.Run("csv encodings and separators", func(t *testing.T) {
		files, _ := filepath.Glob(filepath.Join(testdata, "csv", "*.csv"))
		if len(files) != 4 {
			t.Fatalf("csv fixtures: %v", files)
		}
		for _, path := range files {
			imp := st.analyze(t, path, importer.UploadParams{})
			if got := counts(imp); got != "attendees:3/0/0/0" {
				t.Errorf("%s: counts %s %+v %+v", filepath.Base(path), got, imp.Error, imp.Problems)
				continue
			}
			pv, err := importer.PreviewImport.Call(ctx, st.client, importer.PreviewParams{AppRef: rpc.AppRef{App: st.app}, Import: imp.ID})
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, r := range pv.Rows {
				names = append(names, fmt.Sprint(r.Values["name"], " / ", r.Values["company"]))
			}
			if got, want := strings.Join(names, "; "), "Zoé Durand / Société Générale; José Núñez / Café, Bar & Co; François Lemaître / Crème brûlée SARL"; got != want {
				t.Errorf("%s: %s, want %s", filepath.Base(path), got, want)
			}
		}
	})

	t.Run("hostile files write nothing", func(t *testing.T) {
		before := len(st.members(t))
		tests := []struct{ file, code string }{
			{"hostile/truncated.xlsx", importer.ErrCorrupt},
			{"hostile/truncated.xls", importer.ErrCorrupt},
			{"hostile/report.xlsx", importer.ErrUnsupported},
			{"hostile/password.xlsx", importer.ErrPasswordProtected},
			{"hostile/password.xls", importer.ErrPasswordProtected},
			{"hostile/bomb.xlsx", importer.ErrTooLarge},
			{"hostile/long-cell.csv", importer.ErrCellTooLong},
		}
		for _, tt := range tests {
			imp := st.analyze(t, filepath.Join(testdata, tt.file), ev)
			if imp.Status != importer.StatusFailed || imp.Error == nil || imp.Error.Code != tt.code {
				t.Errorf("%s: status %s error %+v, want failed with %s", tt.file, imp.Status, imp.Error, tt.code)
				continue
			}
			t.Logf("%s: %s", tt.file, imp.Error.Message)
			if _, err := importer.CommitImport.Call(ctx, st.client, importer.ImportParams{AppRef: rpc.AppRef{App: st.app}, Import: imp.ID}); err == nil {
				t.Errorf("%s: a failed import was committed", tt.file)
			}
		}
		// An .xlsx named .csv is read as what it is.
		imp := st.analyze(t, filepath.Join(testdata, "hostile/really-xlsx.csv"), ev)
		if imp.Status != importer.StatusReady || imp.Format != "xlsx" {
			t.Errorf("really-xlsx.csv: %s %s %+v", imp.Status, imp.Format, imp.Error)
		}
		if after := len(st.members(t)); after != before {
			t.Errorf("hostile files changed the members: %d -> %d", before, after)
		}
	})

	t.Run("cancel and history", func(t *testing.T) {
		imp := st.analyze(t, filepath.Join(testdata, "demo.xlsx"), ev)
		c, err := importer.CancelImport.Call(ctx, st.client, importer.ImportParams{AppRef: rpc.AppRef{App: st.app}, Import: imp.ID})
		if err != nil || c.Status != importer.StatusCanceled {
			t.Fatalf("cancel: %v %s", err, c.Status)
		}
		if _, err := importer.CommitImport.Call(ctx, st.client, importer.ImportParams{AppRef: rpc.AppRef{App: st.app}, Import: imp.ID}); err == nil {
			t.Error("a canceled import was committed")
		}
		l, err := importer.ListImports.Call(ctx, st.client, importer.ListParams{AppRef: rpc.AppRef{App: st.app}})
		if err != nil {
			t.Fatal(err)
		}
		if len(l.Imports) < 10 || l.Imports[0].ID != imp.ID {
			t.Errorf("history has %d imports, newest %v", len(l.Imports), l.Imports[0].ID)
		}
		found := false
		for _, x := range l.Imports {
			found = found || x.ID == first.ID && x.Status == importer.StatusDone
		}
		if !found {
			t.Error("the first import is not in the history as done")
		}
	})

	t.Run("organizers only", func(t *testing.T) {
		_, err := importer.Upload(testkit.Context(t), nil, st.importerURL, "not-a-token", importer.UploadParams{App: st.app}, strings.NewReader("a,b\n"))
		if err == nil {
			t.Error("an upload with a bad token was accepted")
		}
		var unauth error = err
		if !strings.Contains(fmt.Sprint(unauth), "token") {
			t.Errorf("bad token: %v", err)
		}
		_, err = importer.GetImport.Call(testkit.Context(t), st.client, importer.ImportParams{AppRef: rpc.AppRef{App: st.app}, Import: first.ID})
		if err == nil {
			t.Error("import.get without a token answered")
		}
	})
}

// TestKilledImporterResumes kills a real importer process mid-commit, at
// the worst moment (hub has applied a batch the importer has not recorded),
// and checks that another importer process finishes the job: every row in
// hub once, none lost.
func TestKilledImporterResumes(t *testing.T) {
	st := startStack(t)
	const rows = 1000
	csv := filepath.Join(t.TempDir(), "many.csv")
	var b strings.Builder
	b.WriteString("Email;Name;Company\n")
	for i := range rows {
		fmt.Fprintf(&b, "p%04d@example.com;Person %d;Company %d\n", i, i, i%7)
	}
	if err := os.WriteFile(csv, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	common := []string{"IMPORTER_BATCH_ROWS=50", "IMPORTER_LEASE_TTL=2s", "IMPORTER_WORKERS=1"}
	a := st.startImporter(t, append(common, "IMPORTER_TEST_EXIT_AFTER_BATCHES=7")...)
	imp := st.analyze(t, csv, importer.UploadParams{})
	if got := counts(imp); got != fmt.Sprintf("attendees:%d/0/0/0", rows) {
		t.Fatalf("counts %s", got)
	}
	ctx := st.as(testkit.Context(t))
	if _, err := importer.CommitImport.Call(ctx, st.client, importer.ImportParams{AppRef: rpc.AppRef{App: st.app}, Import: imp.ID}); err != nil {
		t.Fatal(err)
	}
	err := a.Wait()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 1 {
		t.Fatalf("importer A: %v, want it to die at the failpoint", err)
	}
	// A died: hub holds 7 batches (8 when the batch in flight beside the
	// 7th got there first), the importer recorded 6.
	applied := len(st.members(t))
	if applied != 7*50 && applied != 8*50 {
		t.Fatalf("hub has %d members after the kill, want %d or %d", applied, 7*50, 8*50)
	}

	st.startImporter(t, common...)
	done := st.wait(t, imp.ID, importer.StatusCommitting)
	if done.Status != importer.StatusDone {
		t.Fatalf("status %s %+v", done.Status, done.Error)
	}
	r := done.Result["attendees"]
	if unrecorded := applied - 6*50; r.Created+r.Unchanged != rows || r.Unchanged != unrecorded {
		t.Errorf("result %+v: want %d created by the importers' recorded batches and the %d of the unrecorded batches unchanged",
			r, rows-unrecorded, unrecorded)
	}
	if done.Progress.RowsDone != rows {
		t.Errorf("progress %+v, want %d done", done.Progress, rows)
	}
	ms := st.members(t)
	seen := map[string]int{}
	for _, m := range ms {
		seen[m.Email]++
	}
	if len(ms) != rows || len(seen) != rows {
		t.Errorf("hub has %d members (%d distinct emails), want %d", len(ms), len(seen), rows)
	}
}
