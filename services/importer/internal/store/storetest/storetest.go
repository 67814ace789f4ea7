// Package storetest is the contract of the importer's store ports
// (service.Store, port by port): what the domain relies on, run against
// every adapter — the Postgres store (internal/store/postgres) and the
// in-memory one (internal/store/memstore) — by their own tests.
package storetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/attendify/importer/internal/mapping"
	"github.com/attendify/importer/internal/service"
	"github.com/attendify/importer/internal/validate"
	"github.com/attendify/platform/errs"
	"github.com/attendify/platform/testkit"
)

// Adapter is a store under test.
type Adapter struct {
	service.Store
	// Jobs returns the jobs the store enqueued since the last call,
	// oldest first, and forgets them.
	Jobs func() []Enqueued
}

// Enqueued is a job a store enqueued, with its id.
type Enqueued struct {
	ID int64
	service.Job
}

// Run runs the contract of every port; newStore returns an empty store.
func Run(t *testing.T, newStore func(t *testing.T) Adapter) {
	ports := []struct {
		name string
		run  func(t *testing.T, ctx context.Context, s Adapter)
	}{
		{"ImportStore", imports},
		{"ImportStore.UpdateImport", updates},
		{"FileStore", files},
		{"LeaseStore", leases},
		{"RowStore", rows},
		{"OutcomeStore", outcomes},
		{"ImportStore.CreateImport quota", quotas},
		{"RetentionStore", retention},
	}
	for _, p := range ports {
		t.Run(p.name, func(t *testing.T) { p.run(t, testkit.Context(t), newStore(t)) })
	}
}

// must fails the test on an error and returns v.
func must[T any](t *testing.T) func(v T, err error) T {
	return func(v T, err error) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

// check fails the test on an error.
func check(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// isKind fails the test unless err is of kind.
func isKind(t *testing.T, what string, err error, kind errs.Kind) {
	t.Helper()
	if !errors.Is(err, kind) {
		t.Errorf("%s: got %v, want %v", what, err, kind)
	}
}

func diff(t *testing.T, what string, want, got any, opts ...cmp.Option) {
	t.Helper()
	if d := cmp.Diff(want, got, append(opts, cmpopts.EquateEmpty())...); d != "" {
		t.Errorf("%s (-want +got):\n%s", what, d)
	}
}

// stored ignores what the store sets itself.
var stored = cmpopts.IgnoreFields(service.Import{}, "CreatedAt", "UpdatedAt", "FinishedAt")

// newImport creates import id of app in status (uploading when empty).
func newImport(t *testing.T, ctx context.Context, s Adapter, app, id string, status service.Status) *service.Import {
	t.Helper()
	check(t, s.CreateImport(ctx, &service.Import{ID: id, AppID: app, EventID: "ev1", CreatedBy: "org1", FileName: id + ".csv",
		Status: service.Uploading, Options: service.Options{Mode: service.Upsert}}, nil))
	if status != "" && status != service.Uploading {
		setStatus(t, ctx, s, app, id, status)
	}
	return must[*service.Import](t)(s.Get(ctx, service.ImportRef{App: app, ID: id}))
}

func setStatus(t *testing.T, ctx context.Context, s Adapter, app, id string, status service.Status) {
	t.Helper()
	must[*service.Import](t)(s.UpdateImport(ctx, service.ImportRef{App: app, ID: id}, func(imp *service.Import) (service.Followup, error) {
		imp.Status = status
		return service.Followup{}, nil
	}))
}

// start moves an import to status and starts a job of kind, returning it.
func start(t *testing.T, ctx context.Context, s Adapter, ref service.ImportRef, status service.Status, kind service.JobKind) Enqueued {
	t.Helper()
	s.Jobs()
	must[*service.Import](t)(s.UpdateImport(ctx, ref, func(imp *service.Import) (service.Followup, error) {
		imp.Status = status
		return service.Followup{Start: kind}, nil
	}))
	jobs := s.Jobs()
	if len(jobs) != 1 {
		t.Fatalf("%d jobs enqueued, want 1", len(jobs))
	}
	return jobs[0]
}

func imports(t *testing.T, ctx context.Context, s Adapter) {
	imp := newImport(t, ctx, s, "app1", "i1", "")
	diff(t, "created", &service.Import{ID: "i1", AppID: "app1", EventID: "ev1", CreatedBy: "org1", FileName: "i1.csv",
		Status: service.Uploading, Gen: 1, Options: service.Options{Mode: service.Upsert}}, imp, stored)
	if imp.CreatedAt.IsZero() || imp.FinishedAt != nil {
		t.Errorf("created at %v, finished at %v", imp.CreatedAt, imp.FinishedAt)
	}
	isKind(t, "create twice", s.CreateImport(ctx, &service.Import{ID: "i1", AppID: "app1", Status: service.Uploading}, nil), errs.Conflict)
	_, err := s.Get(ctx, service.ImportRef{App: "app2", ID: "i1"})
	isKind(t, "another app's", err, errs.NotFound)
	_, err = s.Get(ctx, service.ImportRef{App: "app1", ID: "nope"})
	isKind(t, "unknown", err, errs.NotFound)

	for _, id := range []string{"i2", "i3", "i4"} {
		newImport(t, ctx, s, "app1", id, service.Ready)
	}
	newImport(t, ctx, s, "app2", "i5", service.Ready)
	ids := func(page service.Page) []string {
		var out []string
		for _, imp := range must[[]*service.Import](t)(s.List(ctx, "app1", page)) {
			out = append(out, imp.ID)
		}
		return out
	}
	diff(t, "list (no uploads, newest first)", []string{"i4", "i3", "i2"}, ids(service.Page{Limit: 10}))
	diff(t, "list, limit", []string{"i4", "i3"}, ids(service.Page{Limit: 2}))
	diff(t, "list, before", []string{"i2"}, ids(service.Page{Limit: 10, Before: "i3"}))

	check(t, s.AppendChunk(ctx, "i2", 0, []byte("a,b\n")))
	check(t, s.InsertRows(ctx, "i2", []service.StagedRow{{Seq: 1, Kind: mapping.Attendees, Sheet: "s", Num: 2, Action: service.ActCreate}}))
	check(t, s.DeleteImport(ctx, "i2"))
	_, err = s.Get(ctx, service.ImportRef{App: "app1", ID: "i2"})
	isKind(t, "deleted", err, errs.NotFound)
	var file bytes.Buffer
	check(t, s.ReadFile(ctx, "i2", &file))
	if rows := must[[]service.StagedRow](t)(s.FirstRows(ctx, "i2", 5)); file.Len() != 0 || len(rows) != 0 {
		t.Errorf("a deleted import keeps %d bytes of file and %d rows", file.Len(), len(rows))
	}
	check(t, s.DeleteImport(ctx, "i2"))
}

func updates(t *testing.T, ctx context.Context, s Adapter) {
	ref := service.ImportRef{App: "app1", ID: "i1"}
	newImport(t, ctx, s, ref.App, ref.ID, "")
	s.Jobs()

	t.Run("refused", func(t *testing.T) {
		refusal := errs.New(errs.Conflict, "no")
		_, err := s.UpdateImport(ctx, ref, func(imp *service.Import) (service.Followup, error) {
			imp.Status = service.Done
			return service.Followup{Start: service.JobCommit}, refusal
		})
		if !errors.Is(err, refusal) {
			t.Errorf("got %v, want the update's error", err)
		}
		if got := must[*service.Import](t)(s.Get(ctx, ref)); got.Status != service.Uploading || got.Gen != 1 || len(s.Jobs()) != 0 {
			t.Errorf("a refused update left %s at gen %d", got.Status, got.Gen)
		}
		_, err = s.UpdateImport(ctx, service.ImportRef{App: "app2", ID: "i1"}, func(*service.Import) (service.Followup, error) {
			t.Error("update ran on another app's import")
			return service.Followup{}, nil
		})
		isKind(t, "another app's", err, errs.NotFound)
	})

	t.Run("stored", func(t *testing.T) {
		opts := service.Options{Mode: service.Create, DateOrder: "MDY", Overrides: []mapping.Override{{Sheet: "s", Kind: "skip"}}}
		got := must[*service.Import](t)(s.UpdateImport(ctx, ref, func(imp *service.Import) (service.Followup, error) {
			imp.Status, imp.Options, imp.EventID, imp.FileSize, imp.FileSHA256 = service.Analyzing, opts, "ev2", 42, "abc"
			imp.Gen, imp.CreatedBy, imp.Format = 99, "someone", "xlsx" // the store's, or the analysis's
			return service.Followup{Start: service.JobAnalyze}, nil
		}))
		want := &service.Import{ID: "i1", AppID: "app1", EventID: "ev2", CreatedBy: "org1", FileName: "i1.csv", FileSize: 42,
			FileSHA256: "abc", Status: service.Analyzing, Gen: 2, Options: opts}
		diff(t, "updated", want, got, stored)
		diff(t, "read again", want, must[*service.Import](t)(s.Get(ctx, ref)), stored)
		jobs := s.Jobs()
		if len(jobs) != 1 || jobs[0].Job != (service.Job{Kind: service.JobAnalyze, Import: "i1", Gen: 2}) {
			t.Fatalf("enqueued %+v, want the analysis at gen 2", jobs)
		}
		// The new job holds the lease until it is picked up.
		if _, ok := must2(t)(s.Claim(ctx, service.Claim{ID: "i1", Gen: 2, Status: service.Analyzing, Job: jobs[0].ID + 1000, TTL: time.Minute})); ok {
			t.Error("another job took the lease of the job just started")
		}
		if _, ok := must2(t)(s.Claim(ctx, service.Claim{ID: "i1", Gen: 2, Status: service.Analyzing, Job: jobs[0].ID, TTL: time.Minute})); !ok {
			t.Error("the job started could not take its lease")
		}
	})

	t.Run("reset", func(t *testing.T) {
		check(t, s.InsertRows(ctx, "i1", []service.StagedRow{{Seq: 1, Kind: mapping.Attendees, Sheet: "s", Num: 2, Action: service.ActCreate}}))
		got := must[*service.Import](t)(s.UpdateImport(ctx, ref, func(imp *service.Import) (service.Followup, error) {
			imp.Counts = service.Counts{mapping.Attendees: {service.ActCreate: 1}}
			imp.Result = service.Result{mapping.Attendees: {Created: 1}}
			imp.Mapping = []mapping.Sheet{{Name: "s", Kind: mapping.Attendees}}
			imp.Problems = []validate.Problem{{Sheet: "s", Message: "m"}}
			imp.ErrorCode, imp.ErrorMessage, imp.RowsTotal, imp.RowsDone, imp.BatchesDone, imp.CursorSeq = "c", "m", 1, 2, 3, 4
			return service.Followup{DeleteRows: true}, nil
		}))
		if got.Counts[mapping.Attendees][service.ActCreate] != 1 || got.Result[mapping.Attendees].Created != 1 || len(got.Mapping) != 1 ||
			len(got.Problems) != 1 || got.ErrorCode != "c" || got.ErrorMessage != "m" || got.RowsTotal != 1 || got.RowsDone != 2 ||
			got.BatchesDone != 3 || got.CursorSeq != 4 || got.Gen != 2 {
			t.Errorf("stored %+v", got)
		}
		if rows := must[[]service.StagedRow](t)(s.FirstRows(ctx, "i1", 5)); len(rows) != 0 {
			t.Errorf("%d rows left", len(rows))
		}
	})

	t.Run("final", func(t *testing.T) {
		got := must[*service.Import](t)(s.UpdateImport(ctx, ref, func(imp *service.Import) (service.Followup, error) {
			imp.Status = service.Canceled
			return service.Followup{}, nil
		}))
		if got.Status != service.Canceled || got.FinishedAt == nil || len(s.Jobs()) != 0 {
			t.Errorf("canceled: %s, finished at %v", got.Status, got.FinishedAt)
		}
	})
}

// must2 is must for a result and a flag.
func must2(t *testing.T) func(imp *service.Import, ok bool, err error) (*service.Import, bool) {
	return func(imp *service.Import, ok bool, err error) (*service.Import, bool) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return imp, ok
	}
}

func files(t *testing.T, ctx context.Context, s Adapter) {
	newImport(t, ctx, s, "app1", "i1", "")
	for i, chunk := range []string{"email,name\n", "ann@x.io,Ann\n", "bob@x.io,Bob\n"} {
		check(t, s.AppendChunk(ctx, "i1", i, []byte(chunk)))
	}
	isKind(t, "a chunk twice", s.AppendChunk(ctx, "i1", 1, []byte("x")), errs.Conflict)
	var file bytes.Buffer
	check(t, s.ReadFile(ctx, "i1", &file))
	diff(t, "file", "email,name\nann@x.io,Ann\nbob@x.io,Bob\n", file.String())
}

func leases(t *testing.T, ctx context.Context, s Adapter) {
	ref := service.ImportRef{App: "app1", ID: "i1"}
	newImport(t, ctx, s, ref.App, ref.ID, "")
	job := start(t, ctx, s, ref, service.Analyzing, service.JobAnalyze) // gen 2
	claim := func(gen int, status service.Status, job int64, ttl time.Duration) bool {
		t.Helper()
		imp, ok := must2(t)(s.Claim(ctx, service.Claim{ID: "i1", Gen: gen, Status: status, Job: job, TTL: ttl}))
		if ok && (imp.ID != "i1" || imp.Gen != gen) {
			t.Errorf("claimed %s at gen %d", imp.ID, imp.Gen)
		}
		return ok
	}
	if claim(1, service.Analyzing, job.ID, time.Minute) || claim(2, service.Ready, job.ID, time.Minute) {
		t.Error("claimed at another generation or status")
	}
	for range 2 { // a job claims its import again when River retries it
		if !claim(2, service.Analyzing, job.ID, time.Minute) {
			t.Fatal("the job could not claim its import")
		}
	}
	if claim(2, service.Analyzing, job.ID+1, time.Minute) {
		t.Error("another job took a live lease")
	}
	if ok := must[bool](t)(s.Heartbeat(ctx, "i1", job.ID+1, time.Minute)); ok {
		t.Error("another job's heartbeat kept the lease")
	}
	if n := must[int](t)(s.Reap(ctx, time.Minute)); n != 0 {
		t.Errorf("reaped %d imports with a live lease", n)
	}
	// The lease runs out: the reaper enqueues the job again, and the new
	// job takes the lease.
	if ok := must[bool](t)(s.Heartbeat(ctx, "i1", job.ID, -time.Second)); !ok {
		t.Fatal("the holder's heartbeat lost the lease")
	}
	s.Jobs()
	if n := must[int](t)(s.Reap(ctx, time.Minute)); n != 1 {
		t.Fatalf("reaped %d imports, want 1", n)
	}
	jobs := s.Jobs()
	if len(jobs) != 1 || jobs[0].Job != (service.Job{Kind: service.JobAnalyze, Import: "i1", Gen: 2}) {
		t.Fatalf("the reaper enqueued %+v, want the analysis at gen 2", jobs)
	}
	if n := must[int](t)(s.Reap(ctx, time.Minute)); n != 0 {
		t.Errorf("reaped %d imports again", n)
	}
	if claim(2, service.Analyzing, job.ID, time.Minute) {
		t.Error("the dead job took back the lease the reaper gave another")
	}
	if !claim(2, service.Analyzing, jobs[0].ID, -time.Second) {
		t.Fatal("the reaper's job could not claim the import")
	}
	// A lease that ran out is anybody's.
	if !claim(2, service.Analyzing, job.ID, time.Minute) {
		t.Error("could not take over a lease that ran out")
	}

	// A commit's job claims its import while the organizer cancels it too.
	commit := start(t, ctx, s, ref, service.Committing, service.JobCommit) // gen 3
	setStatus(t, ctx, s, ref.App, ref.ID, service.Canceling)
	if !claim(3, service.Committing, commit.ID, time.Minute) {
		t.Error("the commit's job could not claim an import being canceled")
	}
	if !must[bool](t)(s.Heartbeat(ctx, "i1", commit.ID, -time.Second)) {
		t.Fatal("the holder's heartbeat lost the lease")
	}
	s.Jobs()
	if n := must[int](t)(s.Reap(ctx, time.Minute)); n != 1 {
		t.Fatalf("reaped %d imports, want 1", n)
	}
	if jobs := s.Jobs(); len(jobs) != 1 || jobs[0].Job != (service.Job{Kind: service.JobCommit, Import: "i1", Gen: 3}) {
		t.Errorf("the reaper enqueued %+v, want the commit at gen 3", jobs)
	}
}

// row is a staged row of kind k at seq.
func row(k mapping.Kind, seq, num int, a service.Action) service.StagedRow {
	r := service.StagedRow{Seq: seq, Kind: k, Sheet: string(k), Num: num, Key: fmt.Sprintf("k%d", seq), Action: a}
	if a == service.ActCreate || a == service.ActUpdate {
		r.Input = []byte(fmt.Sprintf(`{"name":"n%d"}`, seq))
	}
	if a == service.ActReject {
		r.Reason = "bad"
		r.Problems = []validate.Problem{{Sheet: r.Sheet, Row: num, Column: "B", Field: "email", Message: "bad"}}
	}
	return r
}

func rows(t *testing.T, ctx context.Context, s Adapter) {
	newImport(t, ctx, s, "app1", "i1", service.Analyzing)
	newImport(t, ctx, s, "app1", "i2", service.Analyzing)
	staged := []service.StagedRow{
		row(mapping.Attendees, 1, 3, service.ActCreate), row(mapping.Attendees, 2, 2, service.ActUpdate),
		row(mapping.Attendees, 3, 4, service.ActSkip), row(mapping.Attendees, 4, 5, service.ActCreate),
		row(mapping.Attendees, 5, 6, service.ActReject), row(mapping.Attendees, 6, 7, service.ActCreate),
		row(mapping.Speakers, 200_000_001, 2, service.ActCreate), row(mapping.Speakers, 200_000_002, 3, service.ActCreate),
	}
	check(t, s.InsertRows(ctx, "i1", staged[:3]))
	check(t, s.InsertRows(ctx, "i1", staged[3:]))
	check(t, s.InsertRows(ctx, "i2", []service.StagedRow{row(mapping.Attendees, 1, 2, service.ActCreate)}))
	isKind(t, "a row twice", s.InsertRows(ctx, "i1", staged[:1]), errs.Conflict)

	// The commit reads every row to send, in order, a batch at a time.
	var sent []int
	for after := 0; ; {
		batch := must[[]service.StagedRow](t)(s.Rows(ctx, "i1", after, 2, service.ActCreate, service.ActUpdate))
		if len(batch) == 0 {
			break
		}
		if len(batch) > 2 {
			t.Fatalf("%d rows, want at most 2", len(batch))
		}
		for _, r := range batch {
			sent = append(sent, r.Seq)
		}
		after = batch[len(batch)-1].Seq
	}
	diff(t, "sent", []int{1, 2, 4, 6, 200_000_001, 200_000_002}, sent)
	diff(t, "rows", []service.StagedRow{staged[4]}, must[[]service.StagedRow](t)(s.Rows(ctx, "i1", 0, 10, service.ActReject)))

	var bySheet []service.StagedRow
	for r, err := range s.SheetRows(ctx, "i1", string(mapping.Attendees)) {
		check(t, err)
		bySheet = append(bySheet, r)
	}
	want := []service.StagedRow{staged[1], staged[0], staged[2], staged[3], staged[4], staged[5]}
	for i := range want {
		want[i].Input = nil
	}
	diff(t, "sheet rows (by row, no input)", want, bySheet)

	diff(t, "first rows", []service.StagedRow{staged[0], staged[1], staged[2], staged[4], staged[6]},
		must[[]service.StagedRow](t)(s.FirstRows(ctx, "i1", 1)))

	check(t, s.DeleteRows(ctx, "i1"))
	if rows := must[[]service.StagedRow](t)(s.Rows(ctx, "i1", 0, 10, service.ActCreate)); rows != nil {
		t.Errorf("%d rows left", len(rows))
	}
	if rows := must[[]service.StagedRow](t)(s.FirstRows(ctx, "i2", 5)); len(rows) != 1 {
		t.Errorf("another import has %d rows, want 1", len(rows))
	}
}

func outcomes(t *testing.T, ctx context.Context, s Adapter) {
	ref := service.ImportRef{App: "app1", ID: "i1"}
	newImport(t, ctx, s, ref.App, ref.ID, "")
	job := start(t, ctx, s, ref, service.Analyzing, service.JobAnalyze)
	must2(t)(s.Claim(ctx, service.Claim{ID: "i1", Gen: 2, Status: service.Analyzing, Job: job.ID, TTL: time.Minute}))
	check(t, s.InsertRows(ctx, "i1", []service.StagedRow{row(mapping.Attendees, 1, 2, service.ActCreate),
		row(mapping.Attendees, 2, 3, service.ActCreate), row(mapping.Attendees, 3, 4, service.ActCreate)}))

	analyzed := must[*service.Import](t)(s.Get(ctx, ref))
	analyzed.Status, analyzed.Format, analyzed.EventID, analyzed.RowsTotal = service.Ready, "csv", "ev9", 3
	analyzed.Mapping = []mapping.Sheet{{Name: "attendees", Kind: mapping.Attendees, HeaderRow: 1}}
	analyzed.Problems = []validate.Problem{{Sheet: "attendees", Message: "columns not imported: X", Warning: true}}
	analyzed.Counts = service.Counts{mapping.Attendees: {service.ActCreate: 3}}
	isKind(t, "another job's analysis", s.FinishAnalysis(ctx, analyzed, job.ID+1), errs.Conflict)
	check(t, s.FinishAnalysis(ctx, analyzed, job.ID))
	got := must[*service.Import](t)(s.Get(ctx, ref))
	diff(t, "analyzed", analyzed, got, stored)
	isKind(t, "an analysis twice", s.FinishAnalysis(ctx, analyzed, job.ID), errs.Conflict)

	commit := start(t, ctx, s, ref, service.Committing, service.JobCommit)
	must2(t)(s.Claim(ctx, service.Claim{ID: "i1", Gen: 3, Status: service.Committing, Job: commit.ID, TTL: time.Minute}))
	_, err := s.CommitBatch(ctx, "i1", commit.ID+1, service.Batch{LastSeq: 1, Rows: 1})
	isKind(t, "another job's batch", err, errs.Conflict)
	rejected := row(mapping.Attendees, 2, 3, service.ActReject)
	st := must[service.Status](t)(s.CommitBatch(ctx, "i1", commit.ID, service.Batch{LastSeq: 2, Rows: 2,
		Result: service.Result{mapping.Attendees: {Created: 1, Rejected: 1}}, Changed: []service.StagedRow{rejected}}))
	if st != service.Committing {
		t.Errorf("status %s after a batch, want committing", st)
	}
	setStatus(t, ctx, s, ref.App, ref.ID, service.Canceling)
	st = must[service.Status](t)(s.CommitBatch(ctx, "i1", commit.ID, service.Batch{LastSeq: 3, Rows: 1,
		Result: service.Result{mapping.Attendees: {Unchanged: 1}, mapping.Speakers: {Skipped: 2}}}))
	if st != service.Canceling {
		t.Errorf("status %s after a cancel, want canceling", st)
	}
	got = must[*service.Import](t)(s.Get(ctx, ref))
	diff(t, "result", service.Result{mapping.Attendees: {Created: 1, Unchanged: 1, Rejected: 1}, mapping.Speakers: {Skipped: 2}}, got.Result)
	if got.CursorSeq != 3 || got.RowsDone != 3 || got.BatchesDone != 2 {
		t.Errorf("cursor %d, rows done %d, batches %d; want 3, 3, 2", got.CursorSeq, got.RowsDone, got.BatchesDone)
	}
	rows := must[[]service.StagedRow](t)(s.Rows(ctx, "i1", 0, 10, service.ActReject))
	if len(rows) != 1 || rows[0].Seq != 2 || rows[0].Reason != "bad" || len(rows[0].Problems) != 1 {
		t.Errorf("rejected rows %+v, want row 2 with its problem", rows)
	}

	check(t, s.FinishCommit(ctx, "i1", commit.ID+1, service.Done)) // not the holder's: nothing
	if got := must[*service.Import](t)(s.Get(ctx, ref)); got.Status != service.Canceling {
		t.Errorf("another job finished the commit: %s", got.Status)
	}
	check(t, s.FinishCommit(ctx, "i1", commit.ID, service.Canceled))
	got = must[*service.Import](t)(s.Get(ctx, ref))
	if got.Status != service.Canceled || got.FinishedAt == nil {
		t.Errorf("finished commit: %s at %v", got.Status, got.FinishedAt)
	}
	if _, ok := must2(t)(s.Claim(ctx, service.Claim{ID: "i1", Gen: 3, Status: service.Committing, Job: commit.ID, TTL: time.Minute})); ok {
		t.Error("claimed a finished commit")
	}

	// Hub refuses a commit.
	ref2 := service.ImportRef{App: "app1", ID: "i2"}
	newImport(t, ctx, s, ref2.App, ref2.ID, service.Ready)
	failing := start(t, ctx, s, ref2, service.Committing, service.JobCommit)
	must2(t)(s.Claim(ctx, service.Claim{ID: "i2", Gen: 2, Status: service.Committing, Job: failing.ID, TTL: time.Minute}))
	check(t, s.FailCommit(ctx, "i2", failing.ID, service.Failure{Code: "hub_refused", Message: "hub refused the import: no"}))
	got = must[*service.Import](t)(s.Get(ctx, ref2))
	if got.Status != service.Failed || got.ErrorCode != "hub_refused" || got.ErrorMessage != "hub refused the import: no" || got.FinishedAt == nil {
		t.Errorf("failed commit: %s %q %q at %v", got.Status, got.ErrorCode, got.ErrorMessage, got.FinishedAt)
	}
}

// quotas: CreateImport measures the app's imports that have not expired
// under the app's lock, so that concurrent creations see each other.
func quotas(t *testing.T, ctx context.Context, s Adapter) {
	create := func(app, id string, size int64, admit func(service.Usage) error) error {
		return s.CreateImport(ctx, &service.Import{ID: id, AppID: app, CreatedBy: "org1", FileName: id + ".csv", FileSize: size,
			Status: service.Uploading, Options: service.Options{Mode: service.Upsert}}, admit)
	}
	var seen service.Usage
	measure := func(u service.Usage) error { seen = u; return nil }
	check(t, create("app1", "i1", 100, measure))
	diff(t, "usage of no import", service.Usage{}, seen)
	check(t, create("app1", "i2", 50, measure))
	check(t, create("app2", "i3", 1000, nil))
	diff(t, "usage (an upload counts its reservation)", service.Usage{Bytes: 100, Analyses: 1}, seen)
	setStatus(t, ctx, s, "app1", "i1", service.Ready)
	setStatus(t, ctx, s, "app1", "i2", service.Analyzing)
	check(t, create("app1", "i4", 1, measure))
	diff(t, "usage", service.Usage{Bytes: 150, Analyses: 1}, seen)

	refusal := errs.New(errs.RateLimited, "no")
	if err := create("app1", "i5", 1, func(service.Usage) error { return refusal }); !errors.Is(err, refusal) {
		t.Errorf("got %v, want admit's error", err)
	}
	_, err := s.Get(ctx, service.ImportRef{App: "app1", ID: "i5"})
	isKind(t, "a refused import", err, errs.NotFound)

	// Expired imports count no more.
	setStatus(t, ctx, s, "app1", "i1", service.Done)
	must[int](t)(s.Expire(ctx, service.Expiry{Ended: time.Now().Add(time.Hour), Batch: 10}))
	check(t, create("app1", "i6", 1, measure))
	diff(t, "usage after an expiry", service.Usage{Bytes: 51, Analyses: 2}, seen)

	// Concurrent creations within a quota of 3 analyses: 3 pass (admit
	// takes its time, so that without the lock all would see room).
	const tries = 8
	errc := make(chan error, tries)
	for i := range tries {
		go func() {
			errc <- create("app3", fmt.Sprintf("c%d", i), 10, func(u service.Usage) error {
				time.Sleep(20 * time.Millisecond)
				if u.Analyses >= 3 {
					return refusal
				}
				return nil
			})
		}()
	}
	passed := 0
	for range tries {
		switch err := <-errc; {
		case err == nil:
			passed++
		case !errors.Is(err, refusal):
			t.Fatal(err)
		}
	}
	if passed != 3 {
		t.Errorf("%d concurrent creations passed a quota of 3", passed)
	}
}

// retention: Expire marks the imports due and deletes their files and
// rows; the imports' summaries remain.
func retention(t *testing.T, ctx context.Context, s Adapter) {
	staged := func(id string, n int) {
		t.Helper()
		for seq := range 3 {
			check(t, s.AppendChunk(ctx, id, seq, []byte("chunk")))
		}
		var rs []service.StagedRow
		for i := 1; i <= n; i++ {
			rs = append(rs, row(mapping.Attendees, i, i+1, service.ActCreate))
		}
		check(t, s.InsertRows(ctx, id, rs))
	}
	kept := func(id string) (int, int) {
		t.Helper()
		var file bytes.Buffer
		check(t, s.ReadFile(ctx, id, &file))
		return file.Len(), len(must[[]service.StagedRow](t)(s.Rows(ctx, id, 0, 1000, service.ActCreate)))
	}
	for _, id := range []string{"done", "failed", "ready", "committing", "fresh", "uploading"} {
		newImport(t, ctx, s, "app1", id, "")
		staged(id, 7)
	}
	must[*service.Import](t)(s.UpdateImport(ctx, service.ImportRef{App: "app1", ID: "done"}, func(imp *service.Import) (service.Followup, error) {
		imp.Status, imp.Counts = service.Done, service.Counts{mapping.Attendees: {service.ActCreate: 7}}
		return service.Followup{}, nil
	}))
	setStatus(t, ctx, s, "app1", "failed", service.Failed)
	setStatus(t, ctx, s, "app1", "ready", service.Ready)
	setStatus(t, ctx, s, "app1", "committing", service.Committing)
	setStatus(t, ctx, s, "app1", "fresh", service.Done)
	time.Sleep(20 * time.Millisecond)
	setStatus(t, ctx, s, "app1", "fresh", service.Done) // ended after the cutoff
	cut := time.Now().Add(-10 * time.Millisecond)
	e := service.Expiry{Ended: cut, Abandoned: cut, Interrupted: cut, Batch: 2,
		AbandonedFailure:   service.Failure{Code: "expired", Message: "not committed"},
		InterruptedFailure: service.Failure{Code: "expired", Message: "interrupted"}}
	if n := must[int](t)(s.Expire(ctx, e)); n != 4 {
		t.Errorf("expired %d imports, want 4 (done, failed, ready, uploading)", n)
	}
	want := map[string]struct {
		status  service.Status
		code    string
		expired bool
	}{
		"done": {service.Done, "", true}, "failed": {service.Failed, "", true}, "ready": {service.Canceled, "expired", true},
		"uploading": {service.Canceled, "expired", true}, "committing": {service.Committing, "", false}, "fresh": {service.Done, "", false},
	}
	for id, w := range want {
		imp := must[*service.Import](t)(s.Get(ctx, service.ImportRef{App: "app1", ID: id}))
		if imp.Status != w.status || imp.ErrorCode != w.code || (imp.ExpiredAt != nil) != w.expired || imp.FinishedAt == nil && w.expired {
			t.Errorf("%s: %s %q expired at %v finished at %v; want %s %q expired %v", id, imp.Status, imp.ErrorCode, imp.ExpiredAt,
				imp.FinishedAt, w.status, w.code, w.expired)
		}
		bytes, rows := kept(id)
		if w.expired && (bytes != 0 || rows != 0) {
			t.Errorf("%s expired keeps %d bytes and %d rows", id, bytes, rows)
		}
		if !w.expired && (bytes != 15 || rows != 7) {
			t.Errorf("%s keeps %d bytes and %d rows, want 15 and 7", id, bytes, rows)
		}
	}
	if imp := must[*service.Import](t)(s.Get(ctx, service.ImportRef{App: "app1", ID: "done"})); imp.Counts[mapping.Attendees][service.ActCreate] != 7 {
		t.Errorf("an expired import lost its counts: %v", imp.Counts)
	}
	if n := must[int](t)(s.Expire(ctx, e)); n != 0 {
		t.Errorf("expired %d imports again", n)
	}
}
