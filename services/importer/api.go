// Package importer is the contract of the importer service: organizers
// upload attendee, speaker and agenda spreadsheets (.xlsx, .xls, .csv),
// see what an import would do, and commit it into hub.
//
// HTTP routes (organizer token of the app: Authorization: Bearer <token>):
//
//	POST /imports?app_id=A[&event_id=E][&mode=upsert][&kind=attendees][&date_order=DMY][&keep_unknown=true]
//	     body: the file, raw (Content-Type anything; name in X-File-Name or
//	     ?name=) or as multipart/form-data field "file". Answers 202 with the
//	     Import (status "analyzing"); poll import.get until "ready" or "failed".
//	     Per app: over IMPORTER_APP_MAX_ANALYSES imports being uploaded or
//	     analyzed at once, 429 rate_limited (retry after retry_after_ms);
//	     when the app's stored files (of imports not expired) and this
//	     upload's length would exceed IMPORTER_APP_QUOTA_MB, 400 invalid on
//	     /file (room comes back as imports expire).
//	GET  /imports/{id}/report.xlsx?app_id=A   the uploaded rows with an Errors
//	     column and the bad cells highlighted
//	GET  /imports/template.xlsx               an empty workbook with the
//	     Attendees, Speakers and Sessions sheets (public)
//
// JSON-RPC methods (Admin level: an organizer's app token, or a service):
// import.get, import.list, import.configure, import.preview,
// import.commit, import.cancel.
package importer

import (
	"time"

	"github.com/attendify/platform/auth"
	"github.com/attendify/platform/errs"
	"github.com/attendify/platform/rpc"
)

// Import statuses.
const (
	StatusAnalyzing  = "analyzing"
	StatusReady      = "ready"
	StatusFailed     = "failed"
	StatusCommitting = "committing"
	StatusCanceling  = "canceling"
	StatusCanceled   = "canceled"
	StatusDone       = "done"
)

// File error codes (Import.Error.Code when the status is failed).
const (
	ErrCorrupt           = "corrupt"
	ErrPasswordProtected = "password_protected"
	ErrUnsupported       = "unsupported_format"
	ErrTooLarge          = "too_large"
	ErrTooManyRows       = "too_many_rows"
	ErrCellTooLong       = "cell_too_long"
	ErrEmpty             = "empty"
	ErrHubRefused        = "hub_refused"
	// ErrSheetNotImported: a sheet the importer recognised (by its name
	// or its headers) cannot be imported as it is (a required column is
	// missing, or its event is not known); the message names it and says
	// why. Fix the mapping or the event with import.configure, or leave
	// the sheet out (override kind "skip").
	ErrSheetNotImported = "sheet_not_imported"
	// ErrExpired (status canceled): the import was left uncommitted, or
	// its upload interrupted, and the retention job canceled it and
	// deleted its file.
	ErrExpired = "expired"
)

// Problem is one thing wrong, located in the file: Row 0 is about the
// whole sheet (or file, without Sheet).
type Problem struct {
	Sheet   string `json:"sheet,omitempty"`
	Row     int    `json:"row,omitempty"`
	Column  string `json:"column,omitempty"`
	Field   string `json:"field,omitempty"`
	Message string `json:"message"`
	Warning bool   `json:"warning,omitempty"`
}

// Column is how a column of a sheet is read.
type Column struct {
	Letter string `json:"letter"`
	Header string `json:"header"`
	Field  string `json:"field,omitempty"`  // empty: not imported
	Custom string `json:"custom,omitempty"` // kept as this custom field
}

// SheetMapping is how a sheet is read.
type SheetMapping struct {
	Name      string   `json:"name"`
	Kind      string   `json:"kind,omitempty"` // attendees, speakers, sessions; empty: not imported
	HeaderRow int      `json:"header_row"`
	Columns   []Column `json:"columns"`
	Unknown   []string `json:"unknown,omitempty"`
	Missing   []string `json:"missing,omitempty"`
}

// ActionCounts are rows per action.
type ActionCounts struct {
	Create int `json:"create"`
	Update int `json:"update"`
	Skip   int `json:"skip"`
	Reject int `json:"reject"`
}

// KindResult is what the commit did to one kind, as hub counted.
type KindResult struct {
	Created   int `json:"created"`
	Updated   int `json:"updated"`
	Unchanged int `json:"unchanged"`
	// Skipped counts the rows the mode skipped at the commit: their
	// object appeared (create) or went (update) after the analysis.
	Skipped  int `json:"skipped,omitempty"`
	Rejected int `json:"rejected"`
}

// Progress is the commit's progress: rows sent to hub of those to send.
type Progress struct {
	RowsDone    int `json:"rows_done"`
	RowsTotal   int `json:"rows_total"`
	BatchesDone int `json:"batches_done"`
}

// FileError says why a file cannot be imported.
type FileError struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// Options are an import's settings.
type Options struct {
	Mode string `json:"mode,omitempty" jsonschema:"enum=create,enum=update,enum=upsert"`
	// DateOrder reads the slash dates whose day and month are both 12 or
	// less (03/04/2026): DMY or MDY. Empty: in the order the column's
	// other dates give, else day first, each flagged in the preview.
	DateOrder   string     `json:"date_order,omitempty" jsonschema:"enum=DMY,enum=MDY"`
	Kind        string     `json:"kind,omitempty" jsonschema:"enum=attendees,enum=speakers,enum=sessions"`
	KeepUnknown bool       `json:"keep_unknown,omitempty"`
	Overrides   []Override `json:"overrides,omitempty" jsonschema:"maxItems=64"`
}

// Override corrects the mapping of one sheet: its kind ("skip" to leave
// it out), header row, and columns (by letter or header) to a field, to ""
// (not imported) or to "custom:<name>".
type Override struct {
	Sheet     string            `json:"sheet" jsonschema:"minLength=1,maxLength=200"`
	Kind      string            `json:"kind,omitempty" jsonschema:"enum=attendees,enum=speakers,enum=sessions,enum=skip"`
	HeaderRow int               `json:"header_row,omitempty" jsonschema:"minimum=0,maximum=10000"`
	Columns   map[string]string `json:"columns,omitempty"`
}

// Import is an upload and its job.
type Import struct {
	ID         string                  `json:"id"`
	AppID      string                  `json:"app_id"`
	EventID    string                  `json:"event_id,omitempty"`
	CreatedBy  string                  `json:"created_by"`
	FileName   string                  `json:"file_name"`
	FileSize   int64                   `json:"file_size"`
	Format     string                  `json:"format,omitempty"`
	Status     string                  `json:"status"`
	Options    Options                 `json:"options"`
	Error      *FileError              `json:"error,omitempty"`
	Mapping    []SheetMapping          `json:"mapping"`
	Problems   []Problem               `json:"problems"`
	Counts     map[string]ActionCounts `json:"counts"` // by kind
	Result     map[string]KindResult   `json:"result,omitempty"`
	RowsInFile int                     `json:"rows_in_file"`
	Progress   Progress                `json:"progress"`
	CreatedAt  time.Time               `json:"created_at"`
	UpdatedAt  time.Time               `json:"updated_at"`
	FinishedAt *time.Time              `json:"finished_at,omitempty"`
	// ExpiredAt is when the import's file and staged rows were deleted
	// (retention: IMPORTER_RETENTION after it ended, 30 days by default;
	// IMPORTER_UNFINISHED_RETENTION after it was left uncommitted, 7 days,
	// which cancels it with error "expired"). What remains answers
	// import.get and import.list; import.preview and the report answer
	// not_found.
	ExpiredAt *time.Time `json:"expired_at,omitempty"`
}

// ImportParams address one import.
type ImportParams struct {
	rpc.AppRef
	Import string `json:"import_id" jsonschema:"minLength=1,maxLength=64"`
}

// ListParams page through an app's import history, newest first.
type ListParams struct {
	rpc.AppRef
	Limit  int    `json:"limit,omitempty" jsonschema:"minimum=1,maximum=100"`
	Before string `json:"before,omitempty" jsonschema:"maxLength=64"`
}

// ImportList is a page of the history.
type ImportList struct {
	Imports []Import `json:"imports"`
}

// ConfigureParams change an import's options and analyze it again.
type ConfigureParams struct {
	rpc.AppRef
	Import  string  `json:"import_id" jsonschema:"minLength=1,maxLength=64"`
	EventID *string `json:"event_id,omitempty" jsonschema:"maxLength=64"`
	Options Options `json:"options"`
}

// PreviewParams ask for the counts and the first rows of each action.
type PreviewParams struct {
	rpc.AppRef
	Import string `json:"import_id" jsonschema:"minLength=1,maxLength=64"`
	Rows   int    `json:"rows,omitempty" jsonschema:"minimum=1,maximum=50"`
}

// PreviewRow is a row of the preview.
type PreviewRow struct {
	Kind     string         `json:"kind"`
	Sheet    string         `json:"sheet"`
	Row      int            `json:"row"`
	Action   string         `json:"action"`
	Reason   string         `json:"reason,omitempty"`
	Key      string         `json:"key,omitempty"`
	Values   map[string]any `json:"values,omitempty"` // what hub will receive
	Problems []Problem      `json:"problems,omitempty"`
}

// Preview is what the commit would do.
type Preview struct {
	Import Import       `json:"import"`
	Rows   []PreviewRow `json:"rows"` // the first rows of each kind and action
}

// Methods.
var (
	GetImport = rpc.Method[ImportParams, Import]{
		Name: "import.get", ReadOnly: true, Auth: auth.Admin, Idempotent: true,
		Summary: "An import: its status, mapping, problems, counts, and the commit's progress.",
		Errors:  []errs.Code{errs.CodeNotFound},
	}
	ListImports = rpc.Method[ListParams, ImportList]{
		Name: "import.list", ReadOnly: true, Auth: auth.Admin, Idempotent: true,
		Summary: "An app's import history, newest first.",
	}
	ConfigureImport = rpc.Method[ConfigureParams, Import]{
		Name: "import.configure", Auth: auth.Admin,
		Summary:     "Change an import's mode, mapping overrides, date order or event, and analyze it again.",
		Description: "Only before the commit (status ready, failed or analyzing).",
		Errors:      []errs.Code{errs.CodeNotFound, errs.CodeConflict, errs.CodeInvalid},
	}
	PreviewImport = rpc.Method[PreviewParams, Preview]{
		Name: "import.preview", ReadOnly: true, Auth: auth.Admin, Idempotent: true,
		Summary:     "Counts of rows to create, update, skip and reject, with the first rows of each; nothing is written.",
		Description: "not_found too when the import expired (Import.expired_at): its rows were deleted.",
		Errors:      []errs.Code{errs.CodeNotFound, errs.CodeConflict},
	}
	CommitImport = rpc.Method[ImportParams, Import]{
		Name: "import.commit", Auth: auth.Admin, Idempotent: true,
		Summary:     "Write an analyzed import to hub, batch by batch; poll import.get for the progress.",
		Description: "Committing twice is committing once. Re-importing the same file changes nothing.",
		Errors:      []errs.Code{errs.CodeNotFound, errs.CodeConflict},
	}
	CancelImport = rpc.Method[ImportParams, Import]{
		Name: "import.cancel", Auth: auth.Admin, Idempotent: true,
		Summary: "Cancel an import; during the commit, the batches already in hub stay.",
		Errors:  []errs.Code{errs.CodeNotFound, errs.CodeConflict},
	}
)
