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

// Transition is a status change, optionally starting a job (which bumps
// the import's generation and takes its lease) in the same transaction.
type Transition struct {
	From  []Status
	To    Status
	Start JobKind // empty: no job
	// Reset clears the analysis (mapping, counts, staged rows) and progress.
	Reset   bool
	Options *Options
	EventID *string

	fileSize int64
	fileSHA  string
}

// File returns the size and hash an upload transition records.
func (t Transition) File() (int64, string) { return t.fileSize, t.fileSHA }

// Store keeps imports, their files and staged rows (Postgres).
type Store interface {
	CreateImport(ctx context.Context, imp *Import) error
	AppendChunk(ctx context.Context, id string, seq int, data []byte) error
	DeleteImport(ctx context.Context, id string) error
	// Transition changes an import's status if it is in one of t.From
	// (errs.Conflict otherwise) and returns the import after the change.
	Transition(ctx context.Context, app, id string, t Transition) (*Import, error)
	Get(ctx context.Context, app, id string) (*Import, error)
	List(ctx context.Context, app string, limit int, before string) ([]*Import, error)
	// ReadFile writes the stored file to w.
	ReadFile(ctx context.Context, id string, w io.Writer) error

	// Claim takes the lease of an import for job, if the import is still
	// in status at generation gen and nobody else holds a live lease.
	// Claim for a commit also succeeds in status canceling.
	Claim(ctx context.Context, id string, gen int, status Status, job int64, ttl time.Duration) (*Import, bool, error)
	// Heartbeat extends job's lease; false when the lease was lost.
	Heartbeat(ctx context.Context, id string, job int64, ttl time.Duration) (bool, error)
	// Reap re-enqueues the job of every import whose lease ran out.
	Reap(ctx context.Context, grace time.Duration) (int, error)

	// ReplaceRows deletes an import's staged rows (before an analysis
	// stages them again), InsertRows stages rows, and FinishAnalysis
	// stores the analysis outcome, leaving status analyzing -> ready (or
	// failed): all for the holder of the lease.
	ReplaceRows(ctx context.Context, id string) error
	InsertRows(ctx context.Context, id string, rows []StagedRow) error
	FinishAnalysis(ctx context.Context, imp *Import, job int64) error

	// Rows returns up to limit staged rows of the given actions with seq >
	// after, in order.
	Rows(ctx context.Context, id string, after, limit int, actions ...Action) ([]StagedRow, error)
	// SheetRows yields the staged rows of one sheet in row order, for
	// the error report (without their input).
	SheetRows(ctx context.Context, id, sheet string) iter.Seq2[StagedRow, error]
	// FirstRows returns the first n rows of each kind and action.
	FirstRows(ctx context.Context, id string, n int) ([]StagedRow, error)
	// CommitBatch records a committed batch: the cursor, progress, the
	// result, rows hub refused; it returns the import's status after (the
	// organizer may have asked to cancel). It fails if job lost the lease.
	CommitBatch(ctx context.Context, id string, job int64, b Batch) (Status, error)
	// FinishCommit ends the commit: done or canceled.
	FinishCommit(ctx context.Context, id string, job int64, status Status) error
	// FailCommit ends a commit hub refused.
	FailCommit(ctx context.Context, id string, job int64, code, message string) error
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
	Agenda(ctx context.Context, app, event string) (hub.Agenda, error)
	BulkMembers(ctx context.Context, p hub.BulkMembersParams) (hub.BulkResult, error)
	BulkSpeakers(ctx context.Context, p hub.BulkSpeakersParams) (hub.BulkResult, error)
	BulkSessions(ctx context.Context, p hub.BulkSessionsParams) (hub.BulkResult, error)
}
