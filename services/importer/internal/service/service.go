package service

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/attendify/hub"
	"github.com/attendify/importer/internal/mapping"
	"github.com/attendify/importer/internal/report"
	"github.com/attendify/importer/internal/sheet"
	"github.com/attendify/platform/errs"
	"github.com/attendify/platform/flake"
)

// Config tunes the service.
type Config struct {
	MaxFileBytes int64
	Limits       sheet.Limits
	// BatchRows is the rows of one bulk upsert sent to hub (at most
	// hub.MaxBulkRows), BatchBytes a bound of their JSON under hub's
	// request size limit.
	BatchRows  int
	BatchBytes int
	// LeaseTTL is how long a job's lease lasts without a heartbeat: a
	// killed worker's import resumes elsewhere after it.
	LeaseTTL time.Duration
	// TempDir receives the spooled copies of files being read.
	TempDir string
	// ChunkBytes is the size of the stored file's chunks.
	ChunkBytes int
	// Retention is how long an import that ended (done, canceled,
	// failed) keeps its file and staged rows; Unfinished how long one
	// left ready (analyzed, never committed) or uploading keeps them.
	// Then they are deleted and the import's summary remains.
	Retention  time.Duration
	Unfinished time.Duration
	// MaxAppBytes bounds the bytes of an app's stored files (of imports
	// not expired); MaxAppAnalyses the imports an app has being uploaded
	// or analyzed at once.
	MaxAppBytes    int64
	MaxAppAnalyses int
	// AfterHubBatch, when set, runs after hub applied a batch and before
	// the importer records it, with the number of batches this process has
	// sent: the kill test dies there, the worst moment.
	AfterHubBatch func(sent int)
}

// Service runs imports.
type Service struct {
	store Store
	hub   Hub
	cfg   Config
	log   *slog.Logger
	ids   *flake.Generator
}

// New returns a service.
func New(store Store, h Hub, cfg Config, log *slog.Logger) *Service {
	if cfg.MaxFileBytes <= 0 {
		cfg.MaxFileBytes = 200 << 20
	}
	if cfg.BatchRows <= 0 || cfg.BatchRows > hub.MaxBulkRows {
		cfg.BatchRows = hub.MaxBulkRows
	}
	if cfg.BatchBytes <= 0 {
		cfg.BatchBytes = 8 << 20
	}
	if cfg.LeaseTTL <= 0 {
		cfg.LeaseTTL = 30 * time.Second
	}
	if cfg.ChunkBytes <= 0 {
		cfg.ChunkBytes = 1 << 20
	}
	if cfg.Retention <= 0 {
		cfg.Retention = DefaultRetention
	}
	if cfg.Unfinished <= 0 {
		cfg.Unfinished = DefaultUnfinished
	}
	if cfg.MaxAppBytes <= 0 {
		cfg.MaxAppBytes = DefaultMaxAppBytes
	}
	if cfg.MaxAppAnalyses <= 0 {
		cfg.MaxAppAnalyses = DefaultMaxAppAnalyses
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Service{store: store, hub: h, cfg: cfg, log: log, ids: flake.New(0)}
}

// UploadInput describes an upload.
type UploadInput struct {
	AppID     string
	EventID   string
	CreatedBy string
	// Role is the uploader's column in hub's permission matrix (a
	// collaborator role, or hub.RoleService).
	Role     string
	FileName string
	// Size is the body's declared length (Content-Length), 0 when
	// unknown: the upload reserves it (at most MaxFileBytes) in the app's
	// storage quota.
	Size    int64
	Options Options
}

func (o *Options) normalize() error {
	switch o.Mode {
	case "":
		o.Mode = Upsert
	case Create, Update, Upsert:
	default:
		return errs.InvalidFields("bad mode", errs.FieldError{Field: "/mode", Message: "want create, update or upsert"})
	}
	switch o.DateOrder {
	case "", "DMY", "MDY": // empty: each column's unambiguous dates decide, else day first
	default:
		return errs.InvalidFields("bad date order", errs.FieldError{Field: "/date_order", Message: "want DMY or MDY"})
	}
	switch o.Kind {
	case "", "attendees", "speakers", "sessions":
	default:
		return errs.InvalidFields("bad kind", errs.FieldError{Field: "/kind", Message: "want attendees, speakers or sessions"})
	}
	return nil
}

// Upload stores a file in chunks, streaming (the file never sits whole in
// memory), then starts its analysis. A file over the size limit is refused
// and nothing is kept, as is an upload of rows the uploader's role may not
// write.
func (s *Service) Upload(ctx context.Context, in UploadInput, body io.Reader) (*Import, error) {
	if err := in.Options.normalize(); err != nil {
		return nil, err
	}
	if err := mayStart(in.Role, in.Options, in.EventID); err != nil {
		return nil, err
	}
	if err := s.checkEvent(ctx, in.AppID, in.EventID); err != nil {
		return nil, err
	}
	reserve := s.cfg.MaxFileBytes
	if in.Size > 0 && in.Size < reserve {
		reserve = in.Size
	}
	imp := &Import{ID: s.ids.Next().String(), AppID: in.AppID, EventID: in.EventID, CreatedBy: in.CreatedBy,
		FileName: in.FileName, FileSize: reserve, Status: Uploading, Options: in.Options}
	if err := s.store.CreateImport(ctx, imp, func(u Usage) error { return s.admit(u, reserve) }); err != nil {
		return nil, err
	}
	size, sum, err := s.storeFile(ctx, imp.ID, body, reserve)
	if err != nil {
		_ = s.store.DeleteImport(context.WithoutCancel(ctx), imp.ID)
		return nil, err
	}
	if size == 0 {
		_ = s.store.DeleteImport(context.WithoutCancel(ctx), imp.ID)
		return nil, errs.InvalidFields("empty file", errs.FieldError{Field: "/file", Message: "the file is empty"})
	}
	up, err := s.store.UpdateImport(ctx, ImportRef{App: in.AppID, ID: imp.ID}, func(imp *Import) (Followup, error) {
		if err := leave(imp, Uploading); err != nil {
			return Followup{}, err
		}
		imp.FileSize, imp.FileSHA256, imp.Status = size, sum, Analyzing
		return Followup{Start: JobAnalyze}, nil
	})
	if err != nil {
		// The retention job took the upload for dead (UploadTimeout): what
		// it stored since goes with it.
		_ = s.store.DeleteImport(context.WithoutCancel(ctx), imp.ID)
		return nil, err
	}
	return up, nil
}

// leave is nil when imp is in one of the statuses from, which a status
// change may leave, a conflict otherwise.
func leave(imp *Import, from ...Status) error {
	if !slices.Contains(from, imp.Status) {
		return errs.New(errs.Conflict, "the import is %s", imp.Status)
	}
	return nil
}

// storeFile stores body in chunks, at most limit bytes (the upload's
// reservation).
func (s *Service) storeFile(ctx context.Context, id string, body io.Reader, limit int64) (int64, string, error) {
	h := sha256.New()
	buf := make([]byte, s.cfg.ChunkBytes)
	var size int64
	for seq := 0; ; seq++ {
		n, err := io.ReadFull(body, buf)
		if n > 0 {
			size += int64(n)
			if size > limit {
				msg := "the file is larger than the limit of " + strconv.Itoa(int(s.cfg.MaxFileBytes>>20)) + " MB"
				if limit < s.cfg.MaxFileBytes {
					msg = "the file is longer than the upload's declared length"
				}
				return 0, "", errs.InvalidFields("file too large", errs.FieldError{Field: "/file", Message: msg})
			}
			h.Write(buf[:n])
			if err := s.store.AppendChunk(ctx, id, seq, buf[:n]); err != nil {
				return 0, "", err
			}
		}
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			break
		}
		if err != nil {
			return 0, "", errs.Wrap(errs.Invalid, err, "the upload was interrupted")
		}
	}
	return size, hex.EncodeToString(h.Sum(nil)), nil
}

// ImportRef names an import of an app.
type ImportRef struct {
	App, ID string
}

// Get returns an import.
func (s *Service) Get(ctx context.Context, ref ImportRef) (*Import, error) {
	return s.store.Get(ctx, ref)
}

// List returns an app's import history, newest first: a page of at most
// 100 (50 when page.Limit is not in 1-100).
func (s *Service) List(ctx context.Context, app string, page Page) ([]*Import, error) {
	if page.Limit <= 0 || page.Limit > 100 {
		page.Limit = 50
	}
	return s.store.List(ctx, app, page)
}

// Configure changes an import's options (mode, mapping overrides, date
// order, event) and analyzes it again, if role may write what the import
// would then hold.
func (s *Service) Configure(ctx context.Context, ref ImportRef, role string, opts Options, eventID *string) (*Import, error) {
	if err := opts.normalize(); err != nil {
		return nil, err
	}
	imp, err := s.store.Get(ctx, ref)
	if err != nil {
		return nil, err
	}
	event := imp.EventID
	if eventID != nil {
		event = *eventID
	}
	if err := mayStart(role, opts, event); err != nil {
		return nil, err
	}
	if eventID != nil {
		if err := s.checkEvent(ctx, ref.App, *eventID); err != nil {
			return nil, err
		}
	}
	return s.store.UpdateImport(ctx, ref, func(imp *Import) (Followup, error) {
		if imp.ExpiredAt != nil {
			return Followup{}, s.expired(imp)
		}
		if err := leave(imp, Ready, Failed, Analyzing); err != nil {
			return Followup{}, err
		}
		imp.Options = opts
		if eventID != nil {
			imp.EventID = *eventID
		}
		imp.resetAnalysis()
		imp.Status = Analyzing
		return Followup{Start: JobAnalyze, DeleteRows: true}, nil
	})
}

// checkEvent refuses an event id (given at upload or to configure) that is
// not one of the app's events in hub, before anything is stored, rather
// than when the commit asks hub to write it.
func (s *Service) checkEvent(ctx context.Context, app, event string) error {
	if event == "" {
		return nil
	}
	evs, err := s.hub.Events(ctx, app)
	if err != nil {
		return err
	}
	for _, e := range evs {
		if e.ID == event {
			return nil
		}
	}
	return errs.InvalidFields("unknown event", errs.FieldError{Field: "/event_id", Message: "the app has no such event"})
}

// Commit starts writing an analyzed import's rows to hub, if role may
// write every kind of them. The role is checked under the import's lock,
// against the counts the commit will send: a re-analysis that ended
// before the lock was taken is seen, and none can end while it is held.
func (s *Service) Commit(ctx context.Context, ref ImportRef, role string) (*Import, error) {
	imp, err := s.store.UpdateImport(ctx, ref, func(imp *Import) (Followup, error) {
		if err := mayCommit(role, imp); err != nil {
			return Followup{}, err
		}
		if imp.Status == Committing || imp.Status == Done {
			return Followup{}, &unchanged{imp: imp} // committing twice is committing once
		}
		if imp.Status != Ready {
			return Followup{}, errs.New(errs.Conflict, "the import is %s: only an analyzed import can be committed", imp.Status)
		}
		imp.Status = Committing
		return Followup{Start: JobCommit}, nil
	})
	if u, ok := errors.AsType[*unchanged](err); ok {
		return u.imp, nil
	}
	return imp, err
}

// unchanged is the "error" of an update that leaves the import as it is
// (the store writes nothing), with the import as read under its lock.
type unchanged struct{ imp *Import }

func (*unchanged) Error() string { return "unchanged" }

// Cancel stops an import: before the commit nothing is written; during
// the commit, the batches already in hub stay and the rest is not sent.
func (s *Service) Cancel(ctx context.Context, ref ImportRef) (*Import, error) {
	imp, err := s.store.Get(ctx, ref)
	if err != nil {
		return nil, err
	}
	switch imp.Status {
	case Canceled, Canceling:
		return imp, nil
	case Committing:
		return s.store.UpdateImport(ctx, ref, moveTo(Canceling, Followup{}, Committing))
	case Uploading, Analyzing, Ready, Failed:
		return s.store.UpdateImport(ctx, ref, moveTo(Canceled, Followup{}, Uploading, Analyzing, Ready, Failed))
	}
	return nil, errs.New(errs.Conflict, "the import is %s and can no longer be canceled", imp.Status)
}

// moveTo is the update of an import that moves it from one of the
// statuses from to status to, and then does then.
func moveTo(to Status, then Followup, from ...Status) func(imp *Import) (Followup, error) {
	return func(imp *Import) (Followup, error) {
		if err := leave(imp, from...); err != nil {
			return Followup{}, err
		}
		imp.Status = to
		return then, nil
	}
}

// Preview is what a commit would do.
type Preview struct {
	Import *Import
	// First are the first rows of each kind and action.
	First []StagedRow
}

// Preview returns the counts and the first n rows of each kind and
// action (5 when n is not in 1-50) of an analyzed import.
func (s *Service) Preview(ctx context.Context, ref ImportRef, n int) (*Preview, error) {
	imp, err := s.store.Get(ctx, ref)
	if err != nil {
		return nil, err
	}
	if imp.ExpiredAt != nil {
		return nil, s.expired(imp)
	}
	if imp.Status == Analyzing || imp.Status == Uploading {
		return nil, errs.New(errs.Conflict, "the import is still being analyzed; retry when its status is ready")
	}
	if n <= 0 || n > 50 {
		n = 5
	}
	rows, err := s.store.FirstRows(ctx, ref.ID, n)
	if err != nil {
		return nil, err
	}
	return &Preview{Import: imp, First: rows}, nil
}

// ReadFile writes an import's stored file to w.
func (s *Service) ReadFile(ctx context.Context, ref ImportRef, w io.Writer) (*Import, error) {
	imp, err := s.store.Get(ctx, ref)
	if err != nil {
		return nil, err
	}
	if imp.ExpiredAt != nil {
		return nil, s.expired(imp)
	}
	return imp, s.store.ReadFile(ctx, ref.ID, w)
}

// Report writes an import's error report: the uploaded rows with what
// happened to each and the problems highlighted.
func (s *Service) Report(ctx context.Context, ref ImportRef, w io.Writer) error {
	id := ref.ID
	imp, err := s.store.Get(ctx, ref)
	if err != nil {
		return err
	}
	if imp.ExpiredAt != nil {
		return s.expired(imp)
	}
	if imp.Status == Uploading || imp.Status == Analyzing {
		return errs.New(errs.Conflict, "the import is still being analyzed")
	}
	failure := ""
	if imp.Status == Failed {
		failure = imp.ErrorMessage
	}
	f, err := s.spool(ctx, id)
	if err != nil {
		return err
	}
	defer f.Close()
	book, err := sheet.Open(f, imp.FileSize, s.cfg.Limits)
	if err != nil {
		// A file that cannot be read: the report says why, and no more.
		return report.Errors(w, nil, nil, failure, nil)
	}
	defer book.Close()
	var notesErr error
	sheets := make([]report.Sheet, 0, len(imp.Mapping))
	for _, m := range imp.Mapping {
		rs := report.Sheet{Mapping: m, NotImported: notImported(imp, m)}
		rs.Unnoted = "not imported"
		if rs.NotImported == "" {
			rs.Notes = func(yield func(int, report.RowNote) bool) {
				for r, err := range s.store.SheetRows(ctx, id, m.Name) {
					if err != nil {
						notesErr = err
						return
					}
					if !yield(r.Num, report.RowNote{Label: rowLabel(imp, r), Problems: r.Problems}) {
						return
					}
				}
			}
		}
		if failure != "" && rs.NotImported == "" {
			rs.NotImported = "the import failed"
		}
		sheets = append(sheets, rs)
	}
	return report.Errors(w, book, sheets, failure, func() error { return notesErr })
}

// notImported is why no row of sheet m is imported, or "": the sheet's
// problem that says so.
func notImported(imp *Import, m mapping.Sheet) string {
	if m.Kind != "" && len(m.Missing) == 0 {
		return ""
	}
	for _, p := range imp.Problems {
		if p.Sheet == m.Name && (strings.Contains(p.Message, "not imported") || strings.Contains(p.Message, "left out")) {
			return p.Message
		}
	}
	return "the sheet is not imported"
}

// rowLabel is what the report's Import column says of a staged row: its
// action and reason, in the past once the commit has sent it.
func rowLabel(imp *Import, r StagedRow) string {
	label := string(r.Action)
	sent := imp.Status == Done || (imp.CursorSeq > 0 && r.Seq <= imp.CursorSeq)
	if sent && (r.Action == ActCreate || r.Action == ActUpdate) {
		label += "d"
	}
	if r.Reason != "" && r.Action == ActSkip {
		label += " (" + r.Reason + ")"
	}
	return label
}
