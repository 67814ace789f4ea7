// Package memstore is the importer's store in memory: every port of
// service.Store on maps, for the domain's unit tests. It passes the
// contract suite the Postgres adapter passes (internal/store/storetest).
// One lock serializes every call; the jobs a status change starts are
// queued in memory, for the test to run (Jobs), where the Postgres adapter
// inserts them into River's queue. It is not for production.
package memstore

import (
	"cmp"
	"context"
	"encoding/json"
	"io"
	"iter"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/attendify/importer/internal/service"
	"github.com/attendify/platform/errs"
)

// Store implements service.Store in memory.
type Store struct {
	// PickupGrace is how long a newly enqueued job may wait in the queue
	// before the reaper enqueues another (the Postgres adapter's field).
	PickupGrace time.Duration

	mu      sync.Mutex
	imports map[string]*importRow
	chunks  map[string]map[int][]byte
	rows    map[string]map[int]service.StagedRow // import, seq
	queue   []Job
	lastJob int64
}

var _ service.Store = (*Store)(nil)

// Job is a job the store enqueued, with its id (the lease holder's).
type Job struct {
	ID int64
	service.Job
}

// importRow is a stored import and its lease.
type importRow struct {
	imp        service.Import // owns its slices and maps (see clone)
	leaseJob   int64          // 0: none
	leaseUntil time.Time      // zero: none
}

// New returns an empty store.
func New() *Store {
	return &Store{PickupGrace: time.Minute, imports: map[string]*importRow{}, chunks: map[string]map[int][]byte{},
		rows: map[string]map[int]service.StagedRow{}}
}

// Jobs returns the jobs enqueued since the last call, oldest first, and
// forgets them.
func (s *Store) Jobs() []Job {
	s.mu.Lock()
	defer s.mu.Unlock()
	q := s.queue
	s.queue = nil
	return q
}

// clone is a deep copy of imp, through JSON as the Postgres adapter keeps
// its options, mapping, problems, counts and result.
func clone(imp *service.Import) *service.Import {
	b, err := json.Marshal(imp)
	if err != nil {
		panic(err)
	}
	var c service.Import
	if err := json.Unmarshal(b, &c); err != nil {
		panic(err)
	}
	return &c
}

func cloneRow(r service.StagedRow) service.StagedRow {
	r.Problems = slices.Clone(r.Problems)
	r.Input = slices.Clone(r.Input)
	return r
}

func noImport() error { return errs.New(errs.NotFound, "no such import") }

// enqueue queues a job and returns its id; s.mu is held.
func (s *Store) enqueue(j service.Job) int64 {
	s.lastJob++
	s.queue = append(s.queue, Job{ID: s.lastJob, Job: j})
	return s.lastJob
}

// final reports whether an import in status st is finished.
func final(st service.Status) bool {
	return st == service.Canceled || st == service.Done || st == service.Failed
}

// CreateImport implements service.ImportStore: s.mu is the app's lock.
func (s *Store) CreateImport(ctx context.Context, imp *service.Import, admit func(service.Usage) error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.imports[imp.ID]; ok {
		return errs.New(errs.Conflict, "import %s exists", imp.ID)
	}
	if admit != nil {
		var u service.Usage
		for _, r := range s.imports {
			if r.imp.AppID != imp.AppID || r.imp.ExpiredAt != nil {
				continue
			}
			u.Bytes += r.imp.FileSize
			if r.imp.Status == service.Uploading || r.imp.Status == service.Analyzing {
				u.Analyses++
			}
		}
		if err := admit(u); err != nil {
			return err
		}
	}
	c := clone(imp)
	now := time.Now()
	s.imports[imp.ID] = &importRow{imp: service.Import{ID: c.ID, AppID: c.AppID, EventID: c.EventID, CreatedBy: c.CreatedBy,
		FileName: c.FileName, FileSize: c.FileSize, Status: c.Status, Gen: 1, Options: c.Options, CreatedAt: now, UpdatedAt: now}}
	return nil
}

// Expire implements service.RetentionStore, at once (one lock).
func (s *Store) Expire(ctx context.Context, e service.Expiry) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := time.Now()
	n := 0
	for id, r := range s.imports {
		imp := &r.imp
		if imp.ExpiredAt != nil {
			continue
		}
		due := false
		switch {
		case final(imp.Status):
			due = imp.FinishedAt != nil && imp.FinishedAt.Before(e.Ended)
		case imp.Status == service.Ready && imp.UpdatedAt.Before(e.Abandoned):
			due = true
			imp.ErrorCode, imp.ErrorMessage = e.AbandonedFailure.Code, e.AbandonedFailure.Message
		case imp.Status == service.Uploading && imp.UpdatedAt.Before(e.Interrupted):
			due = true
			imp.ErrorCode, imp.ErrorMessage = e.InterruptedFailure.Code, e.InterruptedFailure.Message
		}
		if !due {
			continue
		}
		if !final(imp.Status) {
			imp.Status, imp.FinishedAt = service.Canceled, &now
		}
		imp.ExpiredAt, imp.UpdatedAt = &now, now
		r.leaseJob, r.leaseUntil = 0, time.Time{}
		delete(s.chunks, id)
		delete(s.rows, id)
		n++
	}
	return n, nil
}

// DeleteImport implements service.ImportStore.
func (s *Store) DeleteImport(ctx context.Context, id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.imports, id)
	delete(s.chunks, id)
	delete(s.rows, id)
	return nil
}

// Get implements service.ImportStore.
func (s *Store) Get(ctx context.Context, ref service.ImportRef) (*service.Import, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.imports[ref.ID]
	if !ok || r.imp.AppID != ref.App {
		return nil, noImport()
	}
	return clone(&r.imp), nil
}

// List implements service.ImportStore.
func (s *Store) List(ctx context.Context, app string, page service.Page) ([]*service.Import, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []*service.Import
	for _, r := range s.imports {
		if r.imp.AppID == app && r.imp.Status != service.Uploading && (page.Before == "" || r.imp.ID < page.Before) {
			out = append(out, clone(&r.imp))
		}
	}
	slices.SortFunc(out, func(a, b *service.Import) int { return cmp.Compare(b.ID, a.ID) })
	return out[:min(len(out), page.Limit)], nil
}

// UpdateImport implements service.ImportStore.
func (s *Store) UpdateImport(ctx context.Context, ref service.ImportRef, update func(imp *service.Import) (service.Followup, error)) (*service.Import, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.imports[ref.ID]
	if !ok || r.imp.AppID != ref.App {
		return nil, noImport()
	}
	c := clone(&r.imp)
	then, err := update(c)
	if err != nil {
		return nil, err
	}
	if then.DeleteRows {
		delete(s.rows, ref.ID)
	}
	c = clone(c) // owns its slices and maps
	imp := &r.imp
	imp.Status, imp.Options, imp.EventID, imp.FileSize, imp.FileSHA256 = c.Status, c.Options, c.EventID, c.FileSize, c.FileSHA256
	imp.Mapping, imp.Problems, imp.Counts, imp.Result = c.Mapping, c.Problems, c.Counts, c.Result
	imp.ErrorCode, imp.ErrorMessage = c.ErrorCode, c.ErrorMessage
	imp.RowsTotal, imp.RowsDone, imp.BatchesDone, imp.CursorSeq = c.RowsTotal, c.RowsDone, c.BatchesDone, c.CursorSeq
	now := time.Now()
	imp.UpdatedAt, imp.FinishedAt = now, nil
	if final(imp.Status) {
		imp.FinishedAt = &now
	}
	if then.Start != "" {
		imp.Gen++
		r.leaseJob = s.enqueue(service.Job{Kind: then.Start, Import: ref.ID, Gen: imp.Gen})
		r.leaseUntil = now.Add(s.PickupGrace)
	}
	return clone(imp), nil
}

// AppendChunk implements service.FileStore.
func (s *Store) AppendChunk(ctx context.Context, id string, seq int, data []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.imports[id]; !ok {
		return errs.New(errs.Invalid, "no import %s", id)
	}
	if s.chunks[id] == nil {
		s.chunks[id] = map[int][]byte{}
	}
	if _, ok := s.chunks[id][seq]; ok {
		return errs.New(errs.Conflict, "import %s has a chunk %d", id, seq)
	}
	s.chunks[id][seq] = slices.Clone(data)
	return nil
}

// ReadFile implements service.FileStore.
func (s *Store) ReadFile(ctx context.Context, id string, w io.Writer) error {
	for seq := 0; ; seq++ {
		s.mu.Lock()
		data, ok := s.chunks[id][seq]
		s.mu.Unlock()
		if !ok {
			return nil
		}
		if _, err := w.Write(data); err != nil {
			return err
		}
	}
}

// Claim implements service.LeaseStore.
func (s *Store) Claim(ctx context.Context, c service.Claim) (*service.Import, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.imports[c.ID]
	if !ok || r.imp.Gen != c.Gen {
		return nil, false, nil
	}
	st := r.imp.Status
	if st != c.Status && (c.Status != service.Committing || st != service.Canceling) {
		return nil, false, nil
	}
	now := time.Now()
	if r.leaseJob != 0 && r.leaseJob != c.Job && !r.leaseUntil.Before(now) {
		return nil, false, nil
	}
	r.leaseJob, r.leaseUntil = c.Job, now.Add(c.TTL)
	return clone(&r.imp), true, nil
}

// Heartbeat implements service.LeaseStore.
func (s *Store) Heartbeat(ctx context.Context, id string, job int64, ttl time.Duration) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.imports[id]
	if !ok || r.leaseJob != job {
		return false, nil
	}
	r.leaseUntil = time.Now().Add(ttl)
	return true, nil
}

// Reap implements service.LeaseStore.
func (s *Store) Reap(ctx context.Context, grace time.Duration) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := time.Now()
	n := 0
	for _, id := range slices.Sorted(maps.Keys(s.imports)) {
		r := s.imports[id]
		kind := service.JobCommit
		switch r.imp.Status {
		case service.Analyzing:
			kind = service.JobAnalyze
		case service.Committing, service.Canceling:
		default:
			continue
		}
		if r.leaseUntil.IsZero() || !r.leaseUntil.Before(now) || n == 100 {
			continue
		}
		r.leaseJob, r.leaseUntil = s.enqueue(service.Job{Kind: kind, Import: id, Gen: r.imp.Gen}), now.Add(grace)
		n++
	}
	return n, nil
}

// DeleteRows implements service.RowStore.
func (s *Store) DeleteRows(ctx context.Context, id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.rows, id)
	return nil
}

// InsertRows implements service.RowStore: all the rows or none.
func (s *Store) InsertRows(ctx context.Context, id string, rows []service.StagedRow) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.imports[id]; !ok {
		return errs.New(errs.Invalid, "no import %s", id)
	}
	staged := s.rows[id]
	for _, r := range rows {
		if _, ok := staged[r.Seq]; ok {
			return errs.New(errs.Conflict, "import %s has a row %d", id, r.Seq)
		}
	}
	if staged == nil {
		staged = map[int]service.StagedRow{}
		s.rows[id] = staged
	}
	for _, r := range rows {
		staged[r.Seq] = cloneRow(r)
	}
	return nil
}

// sorted returns the rows of import id that keep, in seq order; s.mu is
// held.
func (s *Store) sorted(id string, keep func(r *service.StagedRow) bool) []service.StagedRow {
	var out []service.StagedRow
	for _, seq := range slices.Sorted(maps.Keys(s.rows[id])) {
		if r := s.rows[id][seq]; keep(&r) {
			out = append(out, cloneRow(r))
		}
	}
	return out
}

// Rows implements service.RowStore.
func (s *Store) Rows(ctx context.Context, id string, after, limit int, actions ...service.Action) ([]service.StagedRow, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := s.sorted(id, func(r *service.StagedRow) bool { return r.Seq > after && slices.Contains(actions, r.Action) })
	if len(out) == 0 {
		return nil, nil
	}
	return out[:min(len(out), limit)], nil
}

// SheetRows implements service.RowStore.
func (s *Store) SheetRows(ctx context.Context, id, sheet string) iter.Seq2[service.StagedRow, error] {
	s.mu.Lock()
	rows := s.sorted(id, func(r *service.StagedRow) bool { return r.Sheet == sheet })
	s.mu.Unlock()
	slices.SortStableFunc(rows, func(a, b service.StagedRow) int { return a.Num - b.Num })
	return func(yield func(service.StagedRow, error) bool) {
		for _, r := range rows {
			r.Input = nil
			if !yield(r, nil) {
				return
			}
		}
	}
}

// FirstRows implements service.RowStore.
func (s *Store) FirstRows(ctx context.Context, id string, n int) ([]service.StagedRow, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	type group struct {
		kind   string
		action service.Action
	}
	seen := map[group]int{}
	return s.sorted(id, func(r *service.StagedRow) bool {
		g := group{string(r.Kind), r.Action}
		seen[g]++
		return seen[g] <= n
	}), nil
}

// holder returns the import whose lease job holds; s.mu is held.
func (s *Store) holder(id string, job int64) *importRow {
	r, ok := s.imports[id]
	if !ok || r.leaseJob != job || job == 0 {
		return nil
	}
	return r
}

// FinishAnalysis implements service.OutcomeStore.
func (s *Store) FinishAnalysis(ctx context.Context, imp *service.Import, job int64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.holder(imp.ID, job)
	if r == nil || r.imp.Status != service.Analyzing {
		return errs.New(errs.Conflict, "import %s changed during its analysis", imp.ID)
	}
	c := clone(imp)
	d := &r.imp
	d.Status, d.Format, d.Mapping, d.Problems, d.ErrorCode, d.ErrorMessage = c.Status, c.Format, c.Mapping, c.Problems, c.ErrorCode, c.ErrorMessage
	d.Counts, d.RowsTotal, d.EventID = c.Counts, c.RowsTotal, c.EventID
	now := time.Now()
	d.UpdatedAt, d.FinishedAt = now, nil
	if d.Status == service.Failed {
		d.FinishedAt = &now
	}
	r.leaseJob, r.leaseUntil = 0, time.Time{}
	return nil
}

// CommitBatch implements service.OutcomeStore.
func (s *Store) CommitBatch(ctx context.Context, id string, job int64, b service.Batch) (service.Status, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.holder(id, job)
	if r == nil {
		return "", errs.New(errs.Conflict, "import %s: lease lost", id)
	}
	d := &r.imp
	if d.Result == nil {
		d.Result = service.Result{}
	}
	for k, kr := range b.Result {
		sum := d.Result[k]
		if sum == nil {
			sum = &service.KindResult{}
			d.Result[k] = sum
		}
		sum.Created += kr.Created
		sum.Updated += kr.Updated
		sum.Unchanged += kr.Unchanged
		sum.Skipped += kr.Skipped
		sum.Rejected += kr.Rejected
	}
	for _, c := range b.Changed {
		if row, ok := s.rows[id][c.Seq]; ok {
			row.Action, row.Reason, row.Problems = c.Action, c.Reason, slices.Clone(c.Problems)
			s.rows[id][c.Seq] = row
		}
	}
	now := time.Now()
	d.CursorSeq, d.RowsDone, d.BatchesDone, d.UpdatedAt = b.LastSeq, d.RowsDone+b.Rows, d.BatchesDone+1, now
	if r.leaseUntil.Before(now) {
		r.leaseUntil = now
	}
	return d.Status, nil
}

// FinishCommit implements service.OutcomeStore.
func (s *Store) FinishCommit(ctx context.Context, id string, job int64, status service.Status) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.holder(id, job)
	if r == nil || (r.imp.Status != service.Committing && r.imp.Status != service.Canceling) {
		return nil
	}
	s.finish(r, status)
	return nil
}

// FailCommit implements service.OutcomeStore.
func (s *Store) FailCommit(ctx context.Context, id string, job int64, f service.Failure) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.holder(id, job)
	if r == nil {
		return nil
	}
	r.imp.ErrorCode, r.imp.ErrorMessage = f.Code, f.Message
	s.finish(r, service.Failed)
	return nil
}

// finish ends an import's job in status and releases its lease; s.mu is
// held.
func (s *Store) finish(r *importRow, status service.Status) {
	now := time.Now()
	r.imp.Status, r.imp.UpdatedAt, r.imp.FinishedAt = status, now, &now
	r.leaseJob, r.leaseUntil = 0, time.Time{}
}
