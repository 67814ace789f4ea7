package service_test

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/attendify/hub"
	"github.com/attendify/importer/internal/mapping"
	"github.com/attendify/importer/internal/service"
	"github.com/attendify/importer/internal/store/memstore"
	"github.com/attendify/platform/errs"
)

// wantMessage fails the test unless err is of kind and its message says
// what.
func wantMessage(t *testing.T, err error, kind errs.Kind, what string) {
	t.Helper()
	wantKind(t, err, kind)
	if !strings.Contains(err.Error(), what) {
		t.Errorf("got %q, want it to say %q", err, what)
	}
}

// TestRetention: the retention job deletes the file and staged rows of
// the imports left uncommitted after Unfinished and of those that ended
// after Retention; what remains answers Get, and the preview, the report
// and configure say the file was deleted.
func TestRetention(t *testing.T) {
	w := newWorld(t, service.Config{})
	done := w.committed(w.analyzed(attendees(1, 3)).ID)
	left := w.analyzed(attendees(10, 2))
	failed := w.analyzed("Colour,Shape\nred,round\n")
	if done.Status != service.Done || left.Status != service.Ready || failed.Status != service.Failed {
		t.Fatalf("statuses %s %s %s", done.Status, left.Status, failed.Status)
	}
	now := time.Now()

	if n, err := w.svc.Expire(w.ctx, now.Add(6*24*time.Hour)); err != nil || n != 0 {
		t.Fatalf("expired %d imports after 6 days (%v), want none", n, err)
	}
	// After a week, the import left ready is canceled and its file deleted.
	if n, err := w.svc.Expire(w.ctx, now.Add(8*24*time.Hour)); err != nil || n != 1 {
		t.Fatalf("expired %d imports after 8 days (%v), want 1", n, err)
	}
	got := w.get(left.ID)
	if got.Status != service.Canceled || got.ErrorCode != "expired" || got.ExpiredAt == nil || counts(got)[service.ActCreate] != 2 {
		t.Errorf("left ready: %s %q expired at %v counts %v; want canceled, expired, its counts", got.Status, got.ErrorCode, got.ExpiredAt, counts(got))
	}
	_, err := w.svc.Preview(w.ctx, ref(left.ID), 5)
	wantMessage(t, err, errs.NotFound, "deleted 7 days without a commit")
	wantMessage(t, w.svc.Report(w.ctx, ref(left.ID), &bytes.Buffer{}), errs.NotFound, "deleted 7 days")
	_, err = w.svc.Commit(w.ctx, ref(left.ID), hub.RoleOwner)
	wantKind(t, err, errs.Conflict)
	if w.get(done.ID).ExpiredAt != nil || w.get(failed.ID).ExpiredAt != nil {
		t.Error("an import that ended expired after 8 days")
	}

	// After 30 days, the ended imports: their summaries stay.
	if n, err := w.svc.Expire(w.ctx, now.Add(31*24*time.Hour)); err != nil || n != 2 {
		t.Fatalf("expired %d imports after 31 days (%v), want 2", n, err)
	}
	got = w.get(done.ID)
	if r := got.Result[mapping.Attendees]; got.Status != service.Done || got.ExpiredAt == nil || r == nil || r.Created != 3 || counts(got)[service.ActCreate] != 3 {
		t.Errorf("done: %s expired at %v result %+v counts %v", got.Status, got.ExpiredAt, r, counts(got))
	}
	_, err = w.svc.Preview(w.ctx, ref(done.ID), 5)
	wantMessage(t, err, errs.NotFound, "deleted 30 days after the import ended")
	wantMessage(t, w.svc.Report(w.ctx, ref(done.ID), &bytes.Buffer{}), errs.NotFound, "30 days")
	_, err = w.svc.ReadFile(w.ctx, ref(failed.ID), &bytes.Buffer{})
	wantKind(t, err, errs.NotFound)
	_, err = w.svc.Configure(w.ctx, ref(failed.ID), hub.RoleOwner, service.Options{Kind: mapping.Attendees}, nil)
	wantMessage(t, err, errs.NotFound, "30 days")
	if got := w.get(failed.ID); got.Status != service.Failed || got.ErrorCode != "empty" {
		t.Errorf("failed: %s %q", got.Status, got.ErrorCode)
	}
	// Nothing of the files or rows is left.
	for _, id := range []string{done.ID, left.ID, failed.ID} {
		var file bytes.Buffer
		if err := w.store.ReadFile(w.ctx, id, &file); err != nil || file.Len() != 0 {
			t.Errorf("%s keeps %d bytes (%v)", id, file.Len(), err)
		}
		if rows, err := w.store.FirstRows(w.ctx, id, 5); err != nil || len(rows) != 0 {
			t.Errorf("%s keeps %d rows (%v)", id, len(rows), err)
		}
	}
	if imps, err := w.svc.List(w.ctx, app, service.Page{}); err != nil || len(imps) != 3 {
		t.Errorf("history of %d imports (%v), want 3", len(imps), err)
	}
}

// TestUploadQuota: an app may not have more than MaxAppAnalyses imports
// being uploaded or analyzed (rate_limited, retryable), nor keep more
// than MaxAppBytes of files (invalid on /file); expired imports free
// their bytes, and other apps are not concerned.
func TestUploadQuota(t *testing.T) {
	file := attendees(1, 3)
	size := int64(len(file))
	w := newWorld(t, service.Config{MaxAppAnalyses: 2, MaxAppBytes: 5 * size})
	upload := func(app string, size int64) (*service.Import, error) {
		return w.svc.Upload(w.ctx, service.UploadInput{AppID: app, CreatedBy: "org1", Role: hub.RoleOwner, FileName: "people.csv", Size: size},
			strings.NewReader(file))
	}

	// Two analyses at once, not three.
	for range 2 {
		if _, err := upload(app, size); err != nil {
			t.Fatal(err)
		}
	}
	_, err := upload(app, size)
	wantMessage(t, err, errs.RateLimited, "being uploaded or analyzed")
	if e, ok := errs.As(err); !ok || !e.Code.Retryable() || e.RetryAfter <= 0 {
		t.Errorf("got %#v, want a retryable error with a retry-after", err)
	}
	if _, err := upload("app2", size); err != nil {
		t.Errorf("another app: %v", err)
	}
	w.run()

	// An upload of unknown length reserves the largest file.
	_, err = upload(app, 0)
	wantKind(t, err, errs.Invalid)
	if e, ok := errs.As(err); !ok || len(e.Fields) != 1 || e.Fields[0].Field != "/file" || !strings.Contains(e.Fields[0].Message, "quota") {
		t.Errorf("got %#v, want a quota error on /file", err)
	}
	// Five files fit, not six.
	var last *service.Import
	for range 3 {
		if last, err = upload(app, size); err != nil {
			t.Fatal(err)
		}
		w.run()
	}
	_, err = upload(app, size)
	wantMessage(t, err, errs.Invalid, "over the app's storage quota")
	if e, _ := errs.As(err); e.Code.Retryable() {
		t.Error("the storage quota's error is retryable")
	}
	// An upload longer than it declared is refused.
	_, err = w.svc.Upload(w.ctx, service.UploadInput{AppID: "app3", CreatedBy: "org1", Role: hub.RoleOwner, FileName: "people.csv", Size: 10},
		strings.NewReader(file))
	wantKind(t, err, errs.Invalid)

	// A week later the imports left ready expire and free their bytes.
	if _, err := w.svc.Expire(w.ctx, time.Now().Add(8*24*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if got := w.get(last.ID); got.ExpiredAt == nil {
		t.Fatalf("not expired: %+v", got)
	}
	if _, err := upload(app, size); err != nil {
		t.Errorf("after the expiry: %v", err)
	}
}

// hooked is a store whose first UpdateImport runs before first, as if
// first happened between a caller's read and the import's lock.
type hooked struct {
	*memstore.Store
	before func()
}

func (h *hooked) UpdateImport(ctx context.Context, ref service.ImportRef, update func(*service.Import) (service.Followup, error)) (*service.Import, error) {
	if f := h.before; f != nil {
		h.before = nil
		f()
	}
	return h.Store.UpdateImport(ctx, ref, update)
}

// TestCommitChecksRoleUnderLock: a re-analysis that ends between the
// commit's call and the import's lock brings in rows the committer's role
// may not write (a moderator: attendees, not speakers): the commit, whose
// role check runs under the lock, refuses them.
func TestCommitChecksRoleUnderLock(t *testing.T) {
	w := newWorld(t, service.Config{})
	store := &hooked{Store: w.store}
	w.svc = service.New(store, w.hub, service.Config{TempDir: t.TempDir()}, nil)
	imp, err := w.svc.Upload(w.ctx, service.UploadInput{AppID: app, CreatedBy: "org1", Role: hub.RoleOwner, FileName: "people.csv",
		Options: service.Options{Kind: mapping.Attendees}}, strings.NewReader(attendees(1, 2)))
	if err != nil {
		t.Fatal(err)
	}
	w.run()
	if c := w.get(imp.ID).Counts; c[mapping.Attendees][service.ActCreate] != 2 {
		t.Fatalf("counts %v, want 2 attendees", c)
	}
	if _, err := w.svc.Commit(w.ctx, ref(imp.ID), hub.RoleModerator); err != nil {
		t.Fatalf("a moderator may commit attendees: %v", err)
	}
	if _, err := w.svc.Cancel(w.ctx, ref(imp.ID)); err != nil {
		t.Fatal(err)
	}
	w.store.Jobs()

	imp, err = w.svc.Upload(w.ctx, service.UploadInput{AppID: app, CreatedBy: "org1", Role: hub.RoleOwner, FileName: "people.csv",
		Options: service.Options{Kind: mapping.Attendees}}, strings.NewReader(attendees(1, 2)))
	if err != nil {
		t.Fatal(err)
	}
	w.run()
	store.before = func() {
		// An owner makes it a list of speakers, and the analysis ends.
		if _, err := w.svc.Configure(w.ctx, ref(imp.ID), hub.RoleOwner, service.Options{Kind: mapping.Speakers}, nil); err != nil {
			t.Fatal(err)
		}
		w.run()
		if c := w.get(imp.ID).Counts; c[mapping.Speakers][service.ActCreate] != 2 {
			t.Fatalf("counts %v, want 2 speakers", c)
		}
	}
	_, err = w.svc.Commit(w.ctx, ref(imp.ID), hub.RoleModerator)
	if !errors.Is(err, errs.Forbidden) {
		t.Fatalf("a moderator's commit of speakers: %v, want forbidden", err)
	}
	if got := w.get(imp.ID); got.Status != service.Ready || len(w.store.Jobs()) != 0 {
		t.Errorf("a refused commit left the import %s", got.Status)
	}
}
