// Package service is the importer's domain logic: an upload becomes an
// import job that is analyzed (format, sheets, column mapping, per-row
// validation, what each row will do in hub), previewed, then committed to
// hub batch by batch through its idempotent bulk upsert, resuming after a
// crash where the last committed batch ended.
package service

import (
	"time"

	"github.com/attendify/importer/internal/mapping"
	"github.com/attendify/importer/internal/validate"
)

// Status is where an import stands.
type Status string

// The statuses, in lifecycle order.
const (
	Uploading  Status = "uploading"
	Analyzing  Status = "analyzing"
	Ready      Status = "ready"  // analyzed: previewable, committable
	Failed     Status = "failed" // the file cannot be imported (ErrorCode says why)
	Committing Status = "committing"
	Canceling  Status = "canceling" // cancel asked during the commit
	Canceled   Status = "canceled"
	Done       Status = "done"
)

// Mode says what a commit may do to existing objects.
type Mode string

// The modes.
const (
	Create Mode = "create" // only add new objects; existing ones are skipped
	Update Mode = "update" // only change existing objects; new ones are skipped
	Upsert Mode = "upsert" // both
)

// skipReason is why the mode skips a row: its object is in the app
// (create), or not (update).
func (m Mode) skipReason() string {
	if m == Update {
		return "not in the app (update mode)"
	}
	return "already in the app (create mode)"
}

// Action is what the commit does with a row.
type Action string

// The actions.
const (
	ActCreate Action = "create"
	ActUpdate Action = "update"
	ActSkip   Action = "skip"
	ActReject Action = "reject"
)

// Actions in display order.
var Actions = []Action{ActCreate, ActUpdate, ActSkip, ActReject}

// Options are the organizer's choices for one import.
type Options struct {
	Mode      Mode               `json:"mode"`
	DateOrder validate.DateOrder `json:"date_order,omitempty"`
	Kind      mapping.Kind       `json:"kind,omitempty"` // the kind of a sheet whose name says nothing (CSV)
	// KeepUnknown keeps unknown columns as custom profile fields.
	KeepUnknown bool               `json:"keep_unknown,omitempty"`
	Overrides   []mapping.Override `json:"overrides,omitempty"`
}

// Counts are rows per kind and action.
type Counts map[mapping.Kind]map[Action]int

// Add counts one row.
func (c Counts) Add(k mapping.Kind, a Action, n int) {
	if c[k] == nil {
		c[k] = map[Action]int{}
	}
	c[k][a] += n
}

// Total is the number of rows of an action over every kind.
func (c Counts) Total(a Action) int {
	n := 0
	for _, m := range c {
		n += m[a]
	}
	return n
}

// Result is what the commit did, per kind, as hub counted it.
type Result map[mapping.Kind]*KindResult

// KindResult is the outcome of a kind's batches.
type KindResult struct {
	Created   int `json:"created"`
	Updated   int `json:"updated"`
	Unchanged int `json:"unchanged"`
	// Skipped counts the rows hub's mode skipped at the commit: their
	// object appeared (create) or went (update) after the analysis.
	Skipped  int `json:"skipped,omitempty"`
	Rejected int `json:"rejected"`
}

// Import is an upload and its job.
type Import struct {
	ID           string
	AppID        string
	EventID      string
	CreatedBy    string
	FileName     string
	FileSize     int64
	FileSHA256   string
	Format       string
	Status       Status
	Gen          int
	Options      Options
	Mapping      []mapping.Sheet
	Problems     []validate.Problem // file- and sheet-level problems
	ErrorCode    string
	ErrorMessage string
	Counts       Counts
	Result       Result
	RowsTotal    int
	RowsDone     int
	BatchesDone  int
	CursorSeq    int
	CreatedAt    time.Time
	UpdatedAt    time.Time
	FinishedAt   *time.Time
	// ExpiredAt is when the retention job deleted (or began to delete)
	// the import's file and staged rows; what remains is its summary.
	ExpiredAt *time.Time
}

// resetAnalysis clears what an analysis and a commit found and did, for a
// new analysis.
func (imp *Import) resetAnalysis() {
	imp.Mapping, imp.Problems = []mapping.Sheet{}, []validate.Problem{}
	imp.Counts, imp.Result = Counts{}, Result{}
	imp.ErrorCode, imp.ErrorMessage = "", ""
	imp.RowsTotal, imp.RowsDone, imp.BatchesDone, imp.CursorSeq = 0, 0, 0, 0
}

// sheet is the mapping of the sheet named name, or nil.
func (imp *Import) sheet(name string) *mapping.Sheet {
	for i := range imp.Mapping {
		if imp.Mapping[i].Name == name {
			return &imp.Mapping[i]
		}
	}
	return nil
}

// StagedRow is a validated row waiting for the commit.
type StagedRow struct {
	Seq    int
	Kind   mapping.Kind
	Sheet  string
	Num    int
	Key    string
	Action Action
	Reason string
	// Problems are the row's problems (warnings included), for the
	// preview and the error report.
	Problems []validate.Problem
	// Input is what is sent to hub (a hub.MemberInput, SpeakerInput or
	// BulkSessionInput as JSON); nil unless created or updated.
	Input []byte
}
