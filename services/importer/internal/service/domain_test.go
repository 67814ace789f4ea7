package service_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/attendify/hub"
	"github.com/attendify/importer/internal/hubclient/hubfake"
	"github.com/attendify/importer/internal/mapping"
	"github.com/attendify/importer/internal/service"
	"github.com/attendify/importer/internal/sheet"
	"github.com/attendify/importer/internal/store/memstore"
	"github.com/attendify/platform/errs"
)

// The domain rules of an import's life (upload, analysis, preview,
// commit, cancel) on the fakes: memstore for the store, hubfake for hub.
// The same stories run on Postgres and the real hub in cmd/importer.

const app = "app1"

// world is a service on fakes, with the jobs it starts run by hand.
type world struct {
	t     *testing.T
	ctx   context.Context
	store *memstore.Store
	hub   *hubfake.Hub
	svc   *service.Service
}

func newWorld(t *testing.T, cfg service.Config) *world {
	store, h := memstore.New(), hubfake.New()
	h.AddEvent(hub.Event{ID: "ev1", AppID: app, Name: "Conf", TimeZone: "UTC", Start: "2026-06-12T09:00", End: "2026-06-13T18:00"})
	cfg.TempDir = t.TempDir()
	return &world{t: t, ctx: t.Context(), store: store, hub: h, svc: service.New(store, h, cfg, nil)}
}

// attendees is a CSV of n attendees, from the first'th on.
func attendees(first, n int) string {
	var b strings.Builder
	b.WriteString("Email,Name\n")
	for i := first; i < first+n; i++ {
		fmt.Fprintf(&b, "a%d@example.com,Attendee %d\n", i, i)
	}
	return b.String()
}

func (w *world) upload(file string) (*service.Import, error) {
	return w.svc.Upload(w.ctx, service.UploadInput{AppID: app, CreatedBy: "org1", Role: hub.RoleOwner, FileName: "people.csv"},
		strings.NewReader(file))
}

// analyzed uploads file and runs its analysis.
func (w *world) analyzed(file string) *service.Import {
	w.t.Helper()
	imp, err := w.upload(file)
	if err != nil {
		w.t.Fatal(err)
	}
	w.run()
	return w.get(imp.ID)
}

// committed commits an analyzed import and runs the commit.
func (w *world) committed(id string) *service.Import {
	w.t.Helper()
	if _, err := w.svc.Commit(w.ctx, ref(id), hub.RoleOwner); err != nil {
		w.t.Fatal(err)
	}
	w.run()
	return w.get(id)
}

func ref(id string) service.ImportRef { return service.ImportRef{App: app, ID: id} }

func (w *world) get(id string) *service.Import {
	w.t.Helper()
	imp, err := w.svc.Get(w.ctx, ref(id))
	if err != nil {
		w.t.Fatal(err)
	}
	return imp
}

// run runs the jobs enqueued, and those they enqueue, failing the test on
// an error.
func (w *world) run() {
	w.t.Helper()
	if err := w.runJobs(); err != nil {
		w.t.Fatal(err)
	}
}

func (w *world) runJobs() error {
	for jobs := w.store.Jobs(); len(jobs) > 0; jobs = w.store.Jobs() {
		for _, j := range jobs {
			run := w.svc.RunCommit
			if j.Kind == service.JobAnalyze {
				run = w.svc.RunAnalyze
			}
			if err := run(w.ctx, j.Import, j.Gen, j.ID); err != nil {
				return fmt.Errorf("%s of %s: %w", j.Kind, j.Import, err)
			}
		}
	}
	return nil
}

// counts are an import's counts of attendees.
func counts(imp *service.Import) map[service.Action]int { return imp.Counts[mapping.Attendees] }

// commits counts the bulk.members calls that write.
func commits(h *hubfake.Hub) int {
	n := 0
	for _, c := range h.Calls() {
		if !c.DryRun {
			n++
		}
	}
	return n
}

func wantKind(t *testing.T, err error, kind errs.Kind) {
	t.Helper()
	if !errors.Is(err, kind) {
		t.Fatalf("got %v, want %v", err, kind)
	}
}

// TestImport is the whole story: upload, analysis, preview, commit.
func TestImport(t *testing.T) {
	w := newWorld(t, service.Config{})
	imp, err := w.upload(attendees(1, 3))
	if err != nil {
		t.Fatal(err)
	}
	if imp.Status != service.Analyzing || imp.Gen != 2 || imp.FileSize == 0 || imp.FileSHA256 == "" {
		t.Errorf("uploaded: %s at gen %d, %d bytes %q", imp.Status, imp.Gen, imp.FileSize, imp.FileSHA256)
	}
	_, err = w.svc.Preview(w.ctx, ref(imp.ID), 5)
	wantKind(t, err, errs.Conflict) // still analyzing
	w.run()
	imp = w.get(imp.ID)
	if imp.Status != service.Ready || imp.Format != "csv" || imp.RowsTotal != 3 {
		t.Fatalf("analyzed: %s, %q, %d rows", imp.Status, imp.Format, imp.RowsTotal)
	}
	if diff := cmp.Diff(map[service.Action]int{service.ActCreate: 3}, counts(imp)); diff != "" {
		t.Errorf("counts (-want +got):\n%s", diff)
	}
	pv, err := w.svc.Preview(w.ctx, ref(imp.ID), 2)
	if err != nil {
		t.Fatal(err)
	}
	if len(pv.First) != 2 || pv.First[0].Num != 2 || pv.First[0].Action != service.ActCreate {
		t.Errorf("preview: %+v", pv.First)
	}
	if len(w.hub.Members(app)) != 0 || commits(w.hub) != 0 {
		t.Fatal("the analysis wrote to hub")
	}
	imp = w.committed(imp.ID)
	if imp.Status != service.Done || imp.RowsDone != 3 || imp.FinishedAt == nil {
		t.Errorf("committed: %s, %d rows done", imp.Status, imp.RowsDone)
	}
	if got := imp.Result[mapping.Attendees]; got == nil || *got != (service.KindResult{Created: 3}) {
		t.Errorf("result %+v, want 3 created", got)
	}
	if n := len(w.hub.Members(app)); n != 3 {
		t.Errorf("hub has %d members, want 3", n)
	}
}

// TestUploadRefused: an upload refused stores nothing.
func TestUploadRefused(t *testing.T) {
	tests := []struct {
		name  string
		in    service.UploadInput
		file  string
		kind  errs.Kind
		field string
	}{
		{"empty file", service.UploadInput{}, "", errs.Invalid, "/file"},
		{"too large", service.UploadInput{}, strings.Repeat("x", 2<<20), errs.Invalid, "/file"},
		{"bad mode", service.UploadInput{Options: service.Options{Mode: "merge"}}, attendees(1, 1), errs.Invalid, "/mode"},
		{"bad date order", service.UploadInput{Options: service.Options{DateOrder: "YMD"}}, attendees(1, 1), errs.Invalid, "/date_order"},
		{"bad kind", service.UploadInput{Options: service.Options{Kind: "rooms"}}, attendees(1, 1), errs.Invalid, "/kind"},
		{"unknown event", service.UploadInput{EventID: "ev2"}, attendees(1, 1), errs.Invalid, "/event_id"},
		{"role", service.UploadInput{Role: hub.RoleModerator, EventID: "ev1"}, attendees(1, 1), errs.Forbidden, ""},
		{"role for the kind", service.UploadInput{Role: hub.RoleModerator, Options: service.Options{Kind: mapping.Speakers}},
			attendees(1, 1), errs.Forbidden, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t, service.Config{MaxFileBytes: 1 << 20, ChunkBytes: 1 << 10})
			in := tt.in
			in.AppID, in.CreatedBy, in.FileName = app, "org1", "people.csv"
			if in.Role == "" {
				in.Role = hub.RoleOwner
			}
			_, err := w.svc.Upload(w.ctx, in, strings.NewReader(tt.file))
			wantKind(t, err, tt.kind)
			if e, ok := errs.As(err); tt.field != "" && (!ok || len(e.Fields) != 1 || e.Fields[0].Field != tt.field) {
				t.Errorf("got %v, want an error on %s", err, tt.field)
			}
			if imps, err := w.store.List(w.ctx, app, service.Page{Limit: 10}); err != nil || len(imps) != 0 {
				t.Errorf("an upload refused left %d imports (%v)", len(imps), err)
			}
			if jobs := w.store.Jobs(); len(jobs) != 0 {
				t.Errorf("an upload refused started %d jobs", len(jobs))
			}
		})
	}
}

// TestAnalysisFails: a file that cannot be imported fails its analysis,
// saying why, with nothing staged.
func TestAnalysisFails(t *testing.T) {
	tests := []struct {
		name string
		cfg  service.Config
		file string
		code string
	}{
		{"no known header", service.Config{}, "Colour,Shape\nred,round\n", "empty"},
		{"too many rows", service.Config{Limits: sheetRows(3)}, attendees(1, 5), "too_many_rows"},
		{"html", service.Config{}, "<!DOCTYPE html><html><body><table><tr><td>x</td></tr></table></body></html>", "unsupported_format"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t, tt.cfg)
			imp := w.analyzed(tt.file)
			if imp.Status != service.Failed || imp.ErrorCode != tt.code || imp.ErrorMessage == "" || imp.FinishedAt == nil {
				t.Errorf("got %s %q %q, want failed %q", imp.Status, imp.ErrorCode, imp.ErrorMessage, tt.code)
			}
			if pv, err := w.svc.Preview(w.ctx, ref(imp.ID), 5); err != nil || len(pv.First) != 0 {
				t.Errorf("preview of a failed import: %v rows, %v", pv, err)
			}
			_, err := w.svc.Commit(w.ctx, ref(imp.ID), hub.RoleOwner)
			wantKind(t, err, errs.Conflict)
		})
	}
}

// TestCommitOnce: committing twice is committing once, and importing the
// same file again sends nothing.
func TestCommitOnce(t *testing.T) {
	w := newWorld(t, service.Config{})
	imp := w.analyzed(attendees(1, 3))
	first, err := w.svc.Commit(w.ctx, ref(imp.ID), hub.RoleOwner)
	if err != nil {
		t.Fatal(err)
	}
	again, err := w.svc.Commit(w.ctx, ref(imp.ID), hub.RoleOwner)
	if err != nil || again.Status != service.Committing || again.Gen != first.Gen {
		t.Fatalf("commit again while committing: %v, %v", again, err)
	}
	if jobs := w.store.Jobs(); len(jobs) != 1 {
		t.Fatalf("%d commit jobs, want 1", len(jobs))
	} else if err := w.svc.RunCommit(w.ctx, imp.ID, jobs[0].Gen, jobs[0].ID); err != nil {
		t.Fatal(err)
	}
	done, err := w.svc.Commit(w.ctx, ref(imp.ID), hub.RoleOwner)
	if err != nil || done.Status != service.Done || len(w.store.Jobs()) != 0 {
		t.Fatalf("commit again when done: %v, %v", done, err)
	}
	if n := commits(w.hub); n != 1 {
		t.Errorf("%d bulk writes, want 1", n)
	}

	// The same file again: every row unchanged, nothing to send.
	imp = w.analyzed(attendees(1, 3))
	if diff := cmp.Diff(map[service.Action]int{service.ActSkip: 3}, counts(imp)); diff != "" {
		t.Errorf("counts of a re-import (-want +got):\n%s", diff)
	}
	pv, err := w.svc.Preview(w.ctx, ref(imp.ID), 5)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range pv.First {
		if r.Action != service.ActSkip || r.Reason != "unchanged" {
			t.Errorf("row %d: %s (%s), want skip (unchanged)", r.Num, r.Action, r.Reason)
		}
	}
	imp = w.committed(imp.ID)
	if imp.Status != service.Done || commits(w.hub) != 1 || imp.BatchesDone != 0 {
		t.Errorf("re-import: %s, %d bulk writes, %d batches; want done, 1, 0", imp.Status, commits(w.hub), imp.BatchesDone)
	}
}

// TestModes: the mode skips the rows whose object is (create) or is not
// (update) in hub.
func TestModes(t *testing.T) {
	tests := []struct {
		mode service.Mode
		want map[service.Action]int
	}{
		{service.Upsert, map[service.Action]int{service.ActUpdate: 1, service.ActSkip: 1, service.ActCreate: 1}},
		{service.Create, map[service.Action]int{service.ActSkip: 2, service.ActCreate: 1}},
		{service.Update, map[service.Action]int{service.ActSkip: 2, service.ActUpdate: 1}},
	}
	for _, tt := range tests {
		t.Run(string(tt.mode), func(t *testing.T) {
			w := newWorld(t, service.Config{})
			w.committed(w.analyzed(attendees(1, 2)).ID)
			// a1 unchanged, a2 renamed, a3 new.
			file := "Email,Name\na1@example.com,Attendee 1\na2@example.com,Renamed\na3@example.com,Attendee 3\n"
			imp, err := w.svc.Upload(w.ctx, service.UploadInput{AppID: app, CreatedBy: "org1", Role: hub.RoleOwner, FileName: "people.csv",
				Options: service.Options{Mode: tt.mode}}, strings.NewReader(file))
			if err != nil {
				t.Fatal(err)
			}
			w.run()
			if diff := cmp.Diff(tt.want, counts(w.get(imp.ID))); diff != "" {
				t.Errorf("counts (-want +got):\n%s", diff)
			}
		})
	}
}

// TestCancel: before the commit an import is canceled at once; during
// the commit at the next batch; after it, never.
func TestCancel(t *testing.T) {
	tests := []struct {
		name string
		// at brings a new import to the status it is canceled in.
		at     func(w *world) *service.Import
		status service.Status // after the cancel
		after  service.Status // after the jobs ran
		sent   int            // members in hub at the end
	}{
		{"analyzing", func(w *world) *service.Import {
			imp, err := w.upload(attendees(1, 3))
			if err != nil {
				w.t.Fatal(err)
			}
			return imp
		}, service.Canceled, service.Canceled, 0},
		{"ready", func(w *world) *service.Import { return w.analyzed(attendees(1, 3)) }, service.Canceled, service.Canceled, 0},
		{"failed", func(w *world) *service.Import { return w.analyzed("Colour\nred\n") }, service.Canceled, service.Canceled, 0},
		{"committing", func(w *world) *service.Import {
			imp := w.analyzed(attendees(1, 3))
			imp, err := w.svc.Commit(w.ctx, ref(imp.ID), hub.RoleOwner)
			if err != nil {
				w.t.Fatal(err)
			}
			return imp
		}, service.Canceling, service.Canceled, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t, service.Config{})
			imp := tt.at(w)
			got, err := w.svc.Cancel(w.ctx, ref(imp.ID))
			if err != nil || got.Status != tt.status {
				t.Fatalf("cancel: %v, %v; want %s", got, err, tt.status)
			}
			if again, err := w.svc.Cancel(w.ctx, ref(imp.ID)); err != nil || again.Status != tt.status {
				t.Errorf("cancel again: %v, %v", again, err)
			}
			w.run()
			if got := w.get(imp.ID); got.Status != tt.after {
				t.Errorf("after the jobs: %s, want %s", got.Status, tt.after)
			}
			if n := len(w.hub.Members(app)); n != tt.sent {
				t.Errorf("hub has %d members, want %d", n, tt.sent)
			}
			_, err = w.svc.Commit(w.ctx, ref(imp.ID), hub.RoleOwner)
			wantKind(t, err, errs.Conflict)
		})
	}

	t.Run("done", func(t *testing.T) {
		w := newWorld(t, service.Config{})
		imp := w.committed(w.analyzed(attendees(1, 1)).ID)
		_, err := w.svc.Cancel(w.ctx, ref(imp.ID))
		wantKind(t, err, errs.Conflict)
	})

	t.Run("between batches", func(t *testing.T) {
		w := newWorld(t, service.Config{BatchRows: 2})
		imp := w.analyzed(attendees(1, 10))
		if _, err := w.svc.Commit(w.ctx, ref(imp.ID), hub.RoleOwner); err != nil {
			t.Fatal(err)
		}
		w.hub.Fail = func(c hubfake.Call) error {
			if !c.DryRun && commits(w.hub) == 1 {
				if _, err := w.svc.Cancel(w.ctx, ref(imp.ID)); err != nil {
					t.Error(err)
				}
			}
			return nil
		}
		w.run()
		imp = w.get(imp.ID)
		// The batches at hub when the cancel came stay; no other is sent.
		if n := len(w.hub.Members(app)); imp.Status != service.Canceled || n == 0 || n >= 10 || imp.RowsDone != n {
			t.Errorf("canceled during the commit: %s, %d rows done, %d members in hub", imp.Status, imp.RowsDone, n)
		}
	})
}

// TestConfigure: a new analysis with other options, in the statuses
// that allow one.
func TestConfigure(t *testing.T) {
	w := newWorld(t, service.Config{})
	imp := w.analyzed(attendees(1, 3))
	got, err := w.svc.Configure(w.ctx, ref(imp.ID), hub.RoleOwner, service.Options{Mode: service.Update}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != service.Analyzing || got.Gen != imp.Gen+1 || got.RowsTotal != 0 || len(got.Counts) != 0 {
		t.Errorf("configured: %s at gen %d, %d rows, counts %v", got.Status, got.Gen, got.RowsTotal, got.Counts)
	}
	w.run()
	if diff := cmp.Diff(map[service.Action]int{service.ActSkip: 3}, counts(w.get(imp.ID))); diff != "" {
		t.Errorf("counts in update mode (-want +got):\n%s", diff)
	}
	ev := "ev2"
	_, err = w.svc.Configure(w.ctx, ref(imp.ID), hub.RoleOwner, service.Options{}, &ev)
	wantKind(t, err, errs.Invalid)

	w.committed(imp.ID)
	_, err = w.svc.Configure(w.ctx, ref(imp.ID), hub.RoleOwner, service.Options{}, nil)
	wantKind(t, err, errs.Conflict)
}

// TestCommitRefused: the commit checks the role again, and hub's
// refusals end it or take out the rows they name.
func TestCommitRefused(t *testing.T) {
	t.Run("role", func(t *testing.T) {
		// A moderator may import attendees, not register them to an event.
		w := newWorld(t, service.Config{})
		imp, err := w.svc.Upload(w.ctx, service.UploadInput{AppID: app, EventID: "ev1", CreatedBy: "org1", Role: hub.RoleOwner,
			FileName: "people.csv"}, strings.NewReader(attendees(1, 2)))
		if err != nil {
			t.Fatal(err)
		}
		w.run()
		_, err = w.svc.Commit(w.ctx, ref(imp.ID), hub.RoleModerator)
		wantKind(t, err, errs.Forbidden)
		if got := w.get(imp.ID); got.Status != service.Ready {
			t.Errorf("a refused commit left the import %s", got.Status)
		}
	})

	t.Run("rows", func(t *testing.T) {
		w := newWorld(t, service.Config{})
		imp := w.analyzed(attendees(1, 4))
		w.hub.Refuse = func(key string) string {
			if key == "e:a2@example.com" {
				return "taken"
			}
			return ""
		}
		imp = w.committed(imp.ID)
		if got := imp.Result[mapping.Attendees]; imp.Status != service.Done || got == nil || *got != (service.KindResult{Created: 3, Rejected: 1}) {
			t.Fatalf("%s, result %+v; want done, 3 created and 1 rejected", imp.Status, got)
		}
		rows, err := w.store.Rows(w.ctx, imp.ID, 0, 10, service.ActReject)
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) != 1 || rows[0].Num != 3 || rows[0].Reason != "hub refused the row: email: taken" {
			t.Errorf("rejected rows %+v", rows)
		}
	})

	t.Run("import", func(t *testing.T) {
		w := newWorld(t, service.Config{})
		imp := w.analyzed(attendees(1, 2))
		w.hub.Fail = func(hubfake.Call) error { return errs.New(errs.Forbidden, "the app is suspended") }
		imp = w.committed(imp.ID)
		if imp.Status != service.Failed || imp.ErrorCode != "hub_refused" || !strings.Contains(imp.ErrorMessage, "suspended") {
			t.Errorf("got %s %q %q, want failed hub_refused", imp.Status, imp.ErrorCode, imp.ErrorMessage)
		}
	})

	t.Run("unavailable", func(t *testing.T) {
		w := newWorld(t, service.Config{BatchRows: 2})
		imp := w.analyzed(attendees(1, 5))
		// Hub fails the second batch (a3, a4) while it applies the third
		// (a5): the job fails after recording the first.
		down := errs.New(errs.Unavailable, "hub is down")
		w.hub.Fail = func(c hubfake.Call) error {
			if !c.DryRun && slices.Contains(c.Keys, "e:a3@example.com") {
				return down
			}
			return nil
		}
		if _, err := w.svc.Commit(w.ctx, ref(imp.ID), hub.RoleOwner); err != nil {
			t.Fatal(err)
		}
		jobs := w.store.Jobs()
		if err := w.svc.RunCommit(w.ctx, imp.ID, jobs[0].Gen, jobs[0].ID); !errors.Is(err, down) {
			t.Fatalf("got %v, want hub's error (the job retries)", err)
		}
		if got := w.get(imp.ID); got.Status != service.Committing || got.RowsDone != 2 {
			t.Fatalf("after hub failed: %s, %d rows done; want committing, 2", got.Status, got.RowsDone)
		}
		// The job's retry resumes after the recorded batch; hub finds the
		// third unchanged.
		w.hub.Fail = nil
		if err := w.svc.RunCommit(w.ctx, imp.ID, jobs[0].Gen, jobs[0].ID); err != nil {
			t.Fatal(err)
		}
		got := w.get(imp.ID)
		want := service.KindResult{Created: 4, Unchanged: 1}
		if r := got.Result[mapping.Attendees]; got.Status != service.Done || r == nil || *r != want || len(w.hub.Members(app)) != 5 {
			t.Errorf("resumed: %s, result %+v, %d members in hub; want done, %+v, 5", got.Status, r, len(w.hub.Members(app)), want)
		}
	})
}

// TestBatches: the commit sends batches of BatchRows.
func TestBatches(t *testing.T) {
	tests := []struct {
		rows, batchRows, batches int
	}{
		{5, 2, 3},
		{4, 2, 2},
		{3, 10, 1},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%d by %d", tt.rows, tt.batchRows), func(t *testing.T) {
			w := newWorld(t, service.Config{BatchRows: tt.batchRows})
			imp := w.committed(w.analyzed(attendees(1, tt.rows)).ID)
			if imp.Status != service.Done || imp.BatchesDone != tt.batches || imp.RowsDone != tt.rows || commits(w.hub) != tt.batches {
				t.Errorf("%s, %d batches (%d bulk writes), %d rows; want done, %d, %d", imp.Status, imp.BatchesDone, commits(w.hub),
					imp.RowsDone, tt.batches, tt.rows)
			}
		})
	}
}

// sheetRows are limits of n rows a sheet.
func sheetRows(n int) sheet.Limits { return sheet.Limits{MaxRows: n} }

// TestKinds: speakers and sessions are compared with what hub holds by
// the importer itself: a first import creates them, the same file again
// leaves them unchanged, a changed row updates its object.
func TestKinds(t *testing.T) {
	tests := []struct {
		kind           mapping.Kind
		file, changed  string
		method         string
		created, later map[service.Action]int
	}{
		{mapping.Speakers,
			"ID,Name,Company\nspk-1,Ada Lovelace,Analytical\nspk-2,Alan Turing,Bletchley\n",
			"ID,Name,Company\nspk-1,Ada Lovelace,Analytical\nspk-2,Alan Turing,Manchester\nspk-3,Grace Hopper,Navy\n",
			"bulk.speakers",
			map[service.Action]int{service.ActCreate: 2}, map[service.Action]int{service.ActSkip: 1, service.ActUpdate: 1, service.ActCreate: 1}},
		{mapping.Sessions,
			"Title,Start,End,Room\nKeynote,2026-06-12 09:00,2026-06-12 10:00,Main\nWorkshop,2026-06-12 11:00,2026-06-12 12:00,Lab\n",
			"Title,Start,End,Room\nKeynote,2026-06-12 09:00,2026-06-12 10:00,Main\nWorkshop,2026-06-12 11:00,2026-06-12 12:30,Lab\n",
			"bulk.sessions",
			map[service.Action]int{service.ActCreate: 2}, map[service.Action]int{service.ActSkip: 1, service.ActUpdate: 1}},
	}
	for _, tt := range tests {
		t.Run(string(tt.kind), func(t *testing.T) {
			w := newWorld(t, service.Config{})
			imp := func(file string) *service.Import {
				t.Helper()
				imp, err := w.svc.Upload(w.ctx, service.UploadInput{AppID: app, CreatedBy: "org1", Role: hub.RoleOwner, FileName: "agenda.csv",
					Options: service.Options{Kind: tt.kind}}, strings.NewReader(file))
				if err != nil {
					t.Fatal(err)
				}
				w.run()
				return w.get(imp.ID)
			}
			first := imp(tt.file)
			if first.Status != service.Ready {
				t.Fatalf("analysis: %s %s %v", first.Status, first.ErrorMessage, first.Problems)
			}
			if diff := cmp.Diff(tt.created, first.Counts[tt.kind]); diff != "" {
				t.Errorf("first import (-want +got):\n%s", diff)
			}
			if got := w.committed(first.ID); got.Status != service.Done || got.Result[tt.kind] == nil || got.Result[tt.kind].Created != 2 {
				t.Fatalf("commit: %s, result %+v", got.Status, got.Result[tt.kind])
			}
			again := imp(tt.file)
			if diff := cmp.Diff(map[service.Action]int{service.ActSkip: 2}, again.Counts[tt.kind]); diff != "" {
				t.Errorf("the same file again (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.later, imp(tt.changed).Counts[tt.kind]); diff != "" {
				t.Errorf("a changed file (-want +got):\n%s", diff)
			}
			for _, c := range w.hub.Calls() {
				if c.Method != tt.method {
					t.Errorf("called %s", c.Method)
				}
			}
		})
	}
}
