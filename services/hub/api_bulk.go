package hub

import (
	"time"

	"github.com/attendify/platform/auth"
	"github.com/attendify/platform/errs"
	"github.com/attendify/platform/rpc"
)

// Modes of a bulk upsert: what it may do to the rows' objects, decided
// inside its transaction.
const (
	BulkUpsert = "upsert" // create the new objects, update the stored ones (the default)
	BulkCreate = "create" // create the new objects; the rows of stored ones are skipped
	BulkUpdate = "update" // update the stored objects; the rows of new ones are skipped
)

// BulkMembersParams upsert members keyed by external id, else email.
type BulkMembersParams struct {
	rpc.AppRef
	// Event, when set, registers the member of every row to this event of
	// the app, in the same transaction (member.registered for each new
	// registration).
	Event string `json:"event_id,omitempty" jsonschema:"maxLength=64"`
	// DryRun checks the rows and says what each would do (BulkResult.Rows)
	// without writing anything.
	DryRun bool `json:"dry_run,omitempty"`
	// Merge makes an update keep the stored value of every field the row
	// leaves empty, the stored links whose label the row does not give,
	// and the stored custom fields it does not name (a spreadsheet's blank
	// cells and missing columns change nothing).
	Merge bool `json:"merge,omitempty"`
	// Mode is upsert (empty), create or update.
	Mode    string        `json:"mode,omitempty" jsonschema:"enum=upsert,enum=create,enum=update"`
	Members []MemberInput `json:"members" jsonschema:"minItems=1,maxItems=10000"`
}

// BulkSpeakersParams upsert speakers keyed by external id, else email.
type BulkSpeakersParams struct {
	rpc.AppRef
	// DryRun checks the rows and says what each would do without writing.
	DryRun bool `json:"dry_run,omitempty"`
	// Mode is upsert (empty), create or update.
	Mode     string         `json:"mode,omitempty" jsonschema:"enum=upsert,enum=create,enum=update"`
	Speakers []SpeakerInput `json:"speakers" jsonschema:"minItems=1,maxItems=10000"`
}

// BulkSessionInput is a session of a bulk upsert: rooms and tracks by name
// (created when missing), speakers by external id or email.
type BulkSessionInput struct {
	ExternalID  string   `json:"external_id" jsonschema:"minLength=1,maxLength=128"`
	Title       string   `json:"title" jsonschema:"minLength=1,maxLength=300"`
	Description string   `json:"description,omitempty" jsonschema:"maxLength=10000"`
	Start       string   `json:"start" jsonschema:"pattern=^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}$"`
	End         string   `json:"end" jsonschema:"pattern=^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}$"`
	Room        string   `json:"room,omitempty" jsonschema:"maxLength=120"`
	Track       string   `json:"track,omitempty" jsonschema:"maxLength=120"`
	Capacity    int      `json:"capacity,omitempty" jsonschema:"minimum=0,maximum=1000000"`
	Speakers    []string `json:"speakers,omitempty" jsonschema:"maxItems=50"`
}

// BulkSessionsParams upsert the sessions of one event keyed by external id.
type BulkSessionsParams struct {
	rpc.AppRef
	Event string `json:"event_id" jsonschema:"minLength=1,maxLength=64"`
	// DryRun checks the rows and says what each would do without writing.
	DryRun bool `json:"dry_run,omitempty"`
	// Mode is upsert (empty), create or update: a session is stored when
	// this event has one with the row's external id.
	Mode     string             `json:"mode,omitempty" jsonschema:"enum=upsert,enum=create,enum=update"`
	Sessions []BulkSessionInput `json:"sessions" jsonschema:"minItems=1,maxItems=10000"`
}

// RowError is what is wrong with one row of a bulk upsert (Row counts from
// 0 in the request's list).
type RowError struct {
	Row     int    `json:"row"`
	Field   string `json:"field"`
	Message string `json:"message"`
}

// Outcomes of one row of a bulk upsert (BulkResult.Rows).
const (
	RowCreated   = "created"
	RowUpdated   = "updated"
	RowUnchanged = "unchanged"
	RowSkipped   = "skipped" // left alone by the mode (create: stored; update: new)
	RowRejected  = "rejected"
)

// BulkResult is the outcome of a bulk upsert. A batch is all or nothing:
// when Errors is not empty, Applied is false and nothing was written. The
// counts and Rows say what was done or, in a dry run or a batch with
// errors, what would be done (a batch with errors: with the bad rows left
// out).
type BulkResult struct {
	Applied   bool `json:"applied"`
	Created   int  `json:"created"`
	Updated   int  `json:"updated"`
	Unchanged int  `json:"unchanged"`
	// Skipped counts the rows the mode left alone.
	Skipped int `json:"skipped,omitempty"`
	// Registered counts the new registrations to the event of a
	// bulk.members call with event_id.
	Registered int `json:"registered,omitempty"`
	// IDs is the id of each row's object, in order, when applied ("" for
	// a row skipped in update mode).
	IDs []string `json:"ids,omitempty"`
	// Rows is the outcome of each row, in order: created, updated,
	// unchanged, skipped or rejected.
	Rows   []string   `json:"rows,omitempty"`
	Errors []RowError `json:"errors,omitempty"`
}

// Methods of the bulk upsert.
var (
	BulkMembers = rpc.Method[BulkMembersParams, BulkResult]{
		Name: "bulk.members", Auth: auth.Service, Idempotent: true, Timeout: 2 * time.Minute, MaxBody: MaxBulkBytes,
		Summary: "Upsert up to 10000 members keyed by external id, else email; all or nothing.",
		Description: "Rows equal to what is stored count as unchanged and emit no event. With event_id the members are " +
			"registered to that event in the same transaction; dry_run says what each row would do and writes nothing; " +
			"merge keeps the stored value of the fields a row leaves empty; mode create skips the rows of stored members " +
			"(not registered either), mode update the rows of new ones. A row that gives a stored member a new email (not the " +
			"same one written otherwise) refuses that member's tokens issued before, as member.update does.",
		Errors: []errs.Code{errs.CodeNotFound},
	}
	BulkSpeakers = rpc.Method[BulkSpeakersParams, BulkResult]{
		Name: "bulk.speakers", Auth: auth.Service, Idempotent: true, Timeout: 2 * time.Minute, MaxBody: MaxBulkBytes,
		Summary:     "Upsert up to 10000 speakers keyed by external id, else email; all or nothing.",
		Description: "dry_run says what each row would do and writes nothing; mode create skips the rows of stored speakers, mode update the rows of new ones.",
	}
	BulkSessions = rpc.Method[BulkSessionsParams, BulkResult]{
		Name: "bulk.sessions", Auth: auth.Service, Idempotent: true, Timeout: 2 * time.Minute, MaxBody: MaxBulkBytes,
		Summary:     "Upsert up to 10000 sessions of an event keyed by external id; all or nothing.",
		Description: "dry_run says what each row would do and writes nothing; mode create skips the rows of the event's stored sessions, mode update the rows of new ones.",
		Errors:      []errs.Code{errs.CodeNotFound},
	}
)
