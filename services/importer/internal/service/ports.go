package service

import (
	"context"
	"io"
	"iter"
	"time"

	"github.com/attendify/hub"
)

// JobKind names the two background jobs of an import.
type JobKind string

// The jobs.
const (
	JobAnalyze JobKind = "import.analyze"
	JobCommit  JobKind = "import.commit"
)

// Job is a background job of an import at a generation: a job of an
// older generation (the import was reconfigured since) finds nothing to
// do.
type Job struct {
	Kind   JobKind
	Import string
	Gen    int
}

// Store is every port of the importer's store: one adapter (Postgres;
// memstore in the unit tests) implements them all.
type Store interface {
	ImportStore
	FileStore
	LeaseStore
	RowStore
	OutcomeStore
	RetentionStore
}

// Followup is what an update of an import asks the store to do besides
// storing it, in the same transaction.
type Followup struct {
	// Start enqueues a job of this kind for the import at its next
	// generation; the job holds the import's lease until a worker picks
	// it up (Claim).
	Start JobKind
	// DeleteRows deletes the import's staged rows.
	DeleteRows bool
}

// ImportStore keeps the imports.
type ImportStore interface {
	// CreateImport inserts a new import at generation 1. With admit, it
	// first takes the lock of imp's app, measures what the app's imports
	// that have not expired use (Usage: the stored bytes count an
	// uploading import's FileSize, its reservation) and inserts nothing,
	// returning admit's error, if admit refuses: two concurrent creations
	// for one app never both see the usage without the other.
	CreateImport(ctx context.Context, imp *Import, admit func(Usage) error) error
	// DeleteImport deletes an import with its file and staged rows.
	DeleteImport(ctx context.Context, id string) error
	// Get returns an import of an app (errs.NotFound if the app has no
	// such import).
	Get(ctx context.Context, ref ImportRef) (*Import, error)
	// List returns an app's imports but those still uploading, newest
	// (greatest id) first.
	List(ctx context.Context, app string, page Page) ([]*Import, error)
	// UpdateImport runs update on the import under its lock, in a
	// transaction, then stores what update changed of the import's status,
	// options, event, file, analysis and progress (the store keeps its
	// generation and times: finished_at is set when the status is final)
	// and does what update's Followup asks. It returns the import as
	// stored. An error of update changes nothing and is returned as it is.
	// update may run more than once (a transaction retried): it must only
	// change imp.
	UpdateImport(ctx context.Context, ref ImportRef, update func(imp *Import) (Followup, error)) (*Import, error)
}

// Page selects a page of a listing.
type Page struct {
	Limit int
	// Before, when not empty, starts the page after the import of this id.
	Before string
}

// FileStore keeps the uploaded files, in chunks.
type FileStore interface {
	// AppendChunk stores the chunk seq (0, 1, ...) of an import's file.
	AppendChunk(ctx context.Context, id string, seq int, data []byte) error
	// ReadFile writes the stored file to w.
	ReadFile(ctx context.Context, id string, w io.Writer) error
}

// LeaseStore hands the imports to the jobs that work them: a lease held
// by a job, renewed while it runs, taken over when it runs out.
type LeaseStore interface {
	// Claim takes the lease of an import for job, if the import is still
	// in status at generation gen and nobody else holds a live lease.
	// Claim for a commit also succeeds in status canceling.
	Claim(ctx context.Context, c Claim) (*Import, bool, error)
	// Heartbeat extends job's lease; false when the lease was lost.
	Heartbeat(ctx context.Context, id string, job int64, ttl time.Duration) (bool, error)
	// Reap enqueues again the job of every import being analyzed or
	// committed whose lease ran out (its worker died), giving the new job
	// the lease for grace, and returns how many it enqueued.
	Reap(ctx context.Context, grace time.Duration) (int, error)
}

// Usage is what an app's imports that have not expired hold.
type Usage struct {
	// Bytes are the bytes of their files (an upload's reservation while
	// it runs).
	Bytes int64
	// Analyses are those being uploaded or analyzed.
	Analyses int
}

// RetentionStore deletes what expired imports keep.
type RetentionStore interface {
	// Expire marks expired the imports due (see Expiry), at most
	// e.Batch at a time, each batch in a short transaction that skips the
	// imports locked by someone else; then it deletes the file chunks and
	// staged rows of every expired import that still has some, at most
	// e.Batch rows per statement (and a few chunks), never holding an
	// import's lock meanwhile. It returns how many imports it marked.
	Expire(ctx context.Context, e Expiry) (int, error)
}

// Expiry says which imports expire: those that ended (done, canceled,
// failed) before Ended, those left ready since before Abandoned and those
// still uploading since before Interrupted. An expired import keeps its
// status, but one left ready becomes canceled with the failure Abandoned,
// and an upload canceled with Interrupted.
type Expiry struct {
	Ended, Abandoned, Interrupted        time.Time
	AbandonedFailure, InterruptedFailure Failure
	Batch                                int
}

// Claim asks for the lease of import ID at generation Gen in Status for
// Job, for TTL.
type Claim struct {
	ID     string
	Gen    int
	Status Status
	Job    int64
	TTL    time.Duration
}

// RowStore keeps the staged rows of the imports, in seq order.
type RowStore interface {
	// DeleteRows deletes an import's staged rows (before an analysis
	// stages them again).
	DeleteRows(ctx context.Context, id string) error
	// InsertRows stages rows.
	InsertRows(ctx context.Context, id string, rows []StagedRow) error
	// Rows returns up to limit staged rows of the given actions with seq >
	// after, in seq order, none left out between them: nil when no such row
	// is left.
	Rows(ctx context.Context, id string, after, limit int, actions ...Action) ([]StagedRow, error)
	// SheetRows yields the staged rows of one sheet in row order, for
	// the error report (without their input).
	SheetRows(ctx context.Context, id, sheet string) iter.Seq2[StagedRow, error]
	// FirstRows returns the first n rows of each kind and action, in seq
	// order.
	FirstRows(ctx context.Context, id string, n int) ([]StagedRow, error)
}

// OutcomeStore records what an import's jobs did, for the holder of the
// import's lease only.
type OutcomeStore interface {
	// FinishAnalysis stores the outcome of an analysis (status ready or
	// failed, format, mapping, problems, error, counts, rows, event) and
	// releases the lease (errs.Conflict if job lost it, or the import is no
	// longer analyzing).
	FinishAnalysis(ctx context.Context, imp *Import, job int64) error
	// CommitBatch records a committed batch: the cursor, progress, the
	// result, rows hub refused; it returns the import's status after (the
	// organizer may have asked to cancel). It fails (errs.Conflict) if job
	// lost the lease.
	CommitBatch(ctx context.Context, id string, job int64, b Batch) (Status, error)
	// FinishCommit ends the commit (done or canceled) and releases the
	// lease.
	FinishCommit(ctx context.Context, id string, job int64, status Status) error
	// FailCommit ends a commit hub refused: status failed, with the error.
	FailCommit(ctx context.Context, id string, job int64, failure Failure) error
}

// Failure is why an import failed: a stable code and a message for the
// organizer.
type Failure struct {
	Code    string
	Message string
}

// Batch is a committed batch's bookkeeping.
type Batch struct {
	LastSeq int
	Rows    int
	Result  Result
	// Changed are the rows whose action the commit changed, with Reason:
	// rejected (hub refused them) or skipped (hub's mode did).
	Changed []StagedRow
}

// Hub is what the importer asks of hub (signed as the importer service):
// the speakers and agenda to compare a file with, and the bulk upserts
// (in a dry run, attendees are compared by hub itself).
type Hub interface {
	Events(ctx context.Context, app string) ([]hub.Event, error)
	Speakers(ctx context.Context, app string) ([]hub.Speaker, error)
	Agenda(ctx context.Context, p hub.AgendaParams) (hub.Agenda, error)
	BulkMembers(ctx context.Context, p hub.BulkMembersParams) (hub.BulkResult, error)
	BulkSpeakers(ctx context.Context, p hub.BulkSpeakersParams) (hub.BulkResult, error)
	BulkSessions(ctx context.Context, p hub.BulkSessionsParams) (hub.BulkResult, error)
}
