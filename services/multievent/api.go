// Package multievent is the contract of the multievent service, the
// attendee's side of an app with many events: the directory of the app's
// events (what a member may open, unlock with a code, or must be listed
// for), search across them, a personal agenda across them (bookmarks and
// notes written by phones that were offline, merged as Riak's data types
// merge, exported as an iCalendar feed), and the per-app CouchDB content
// databases phones replicate to read offline.
//
// Multievent keeps its own projection of hub's events, apps and agenda,
// fed by hub's event streams; it applies hub's access rules with hub's own
// function (hub.DecideEvent, through the read model). README.md explains
// the data flow and each method.
package multievent

import (
	"time"

	"github.com/attendify/platform/auth"
	"github.com/attendify/platform/errs"
	"github.com/attendify/platform/rpc"
)

// Limits.
const (
	// SearchPageSize is how many hits a page of search.query holds.
	SearchPageSize = 20
	// MaxOps bounds the operations of one agenda.sync.
	MaxOps = 500
	// MaxBookmarks bounds a member's bookmarks (across the app's events).
	MaxBookmarks = 2000
	// MaxNotes bounds a member's notes (across the app's events).
	MaxNotes = 2000
	// MaxConflicts bounds the overlapping pairs an agenda reports (the
	// first by start).
	MaxConflicts = 2000
	// MaxNoteLen bounds a note, in characters.
	MaxNoteLen = 2000
	// MaxSessionIDLen bounds the session id of an agenda.sync operation,
	// in characters.
	MaxSessionIDLen = 64
)

// Status of an event in the directory, by the clock: from its start to its
// end it is happening now.
const (
	StatusUpcoming = "upcoming"
	StatusNow      = "now"
	StatusPast     = "past"
)

// Gates of an event in the directory: what the caller may do with it
// (hub.DecideEvent's answer).
const (
	GateOpen   = "open"   // the member may open it (its agenda, its content)
	GateCode   = "code"   // registering with the event code opens it (hub's event.register)
	GateListed = "listed" // only the organizers register its attendees
)

// Kinds of search hits.
const (
	KindEvent   = "event"
	KindSession = "session"
	KindSpeaker = "speaker"
	KindRoom    = "room"
	KindTrack   = "track"
)

// Operations of agenda.sync.
const (
	OpBookmark   = "bookmark"   // add the session to the bookmarks
	OpUnbookmark = "unbookmark" // remove it, as the bookmarks_context saw it
	OpNote       = "note"       // set the session's note to text
	OpUnnote     = "unnote"     // remove the session's note, as the notes_context saw it
)

// Empty is the result of methods with nothing to return.
type Empty struct{}

// AppParams address one app.
type AppParams struct {
	rpc.AppRef
}

// ---------------------------------------------------------------------------
// Directory.

// DirectoryEvent is one event as the caller sees it in the directory.
// Start and End are wall-clock times in the event's own time zone
// ("2026-06-11T09:00"), UTCOffset the zone's offset at the start
// ("+02:00").
type DirectoryEvent struct {
	ID         string    `json:"id"`
	Name       string    `json:"name"`
	Venue      string    `json:"venue"`
	TimeZone   string    `json:"time_zone"`
	Start      string    `json:"start"`
	End        string    `json:"end"`
	UTCOffset  string    `json:"utc_offset"`
	StartUTC   time.Time `json:"start_utc"`
	EndUTC     time.Time `json:"end_utc"`
	Status     string    `json:"status"` // upcoming, now, past
	Gate       string    `json:"gate"`   // open, code, listed
	Registered bool      `json:"registered,omitempty"`
	Hidden     bool      `json:"hidden,omitempty"` // a hidden event the caller is registered to
}

// Directory is an app's events for the caller: those happening now,
// upcoming ones (soonest first), past ones (latest first), and Mine, the
// ids of the events the caller is registered to. Hidden events appear only
// to their registered members (and organizers).
type Directory struct {
	Now      []DirectoryEvent `json:"now"`
	Upcoming []DirectoryEvent `json:"upcoming"`
	Past     []DirectoryEvent `json:"past"`
	Mine     []string         `json:"mine"`
}

// EventParams address one event.
type EventParams struct {
	rpc.AppRef
	Event string `json:"event_id" jsonschema:"minLength=1,maxLength=64"`
}

// Methods of the directory.
var (
	ListDirectory = rpc.Method[AppParams, Directory]{
		Name: "directory.list", ReadOnly: true, Auth: auth.Member, Idempotent: true, Timeout: 5 * time.Second,
		Summary: "The app's events the caller may see, now, upcoming and past, with what the caller may do with each.",
		Description: "Unlock a \"code\" event with hub's event.register and its code; a \"listed\" event only through the organizers. " +
			"The directory follows hub's access rule (hub.DecideEvent) with the caller's standing read from hub's read model.",
	}
	GetDirectoryEvent = rpc.Method[EventParams, DirectoryEvent]{
		Name: "directory.event", ReadOnly: true, Auth: auth.Member, Idempotent: true, Timeout: 5 * time.Second,
		Summary: "One event of the directory.",
		Errors:  []errs.Code{errs.CodeNotFound},
	}
)

// ---------------------------------------------------------------------------
// Search.

// SearchParams search the events, sessions, speakers, rooms and tracks the
// caller may see. Every word must match the start of a word (accents and
// case folded: "kéy" finds "Keynote"); hits matching in titles rank first.
type SearchParams struct {
	rpc.AppRef
	Query  string `json:"query" jsonschema:"minLength=1,maxLength=100"`
	Cursor string `json:"cursor,omitempty" jsonschema:"maxLength=400"`
}

// SearchHit is one hit. EventID is empty for a speaker; StartUTC is set
// for events and sessions.
type SearchHit struct {
	Kind     string     `json:"kind"`
	ID       string     `json:"id"`
	EventID  string     `json:"event_id,omitempty"`
	Title    string     `json:"title"`
	Subtitle string     `json:"subtitle,omitempty"`
	StartUTC *time.Time `json:"start_utc,omitempty"`
}

// SearchPage is a page of up to SearchPageSize hits, best first;
// NextCursor is empty on the last.
type SearchPage struct {
	Hits       []SearchHit `json:"hits"`
	NextCursor string      `json:"next_cursor,omitempty"`
}

// Search is search.query.
var Search = rpc.Method[SearchParams, SearchPage]{
	Name: "search.query", ReadOnly: true, Auth: auth.Member, Idempotent: true, Timeout: 5 * time.Second,
	Summary: "Search the events, sessions, speakers, rooms and tracks of the events the caller may see.",
	Errors:  []errs.Code{errs.CodeInvalid},
}

// ---------------------------------------------------------------------------
// Personal agenda.

// AgendaParams address the agenda of the caller, or, for a service caller,
// of MemberID.
type AgendaParams struct {
	rpc.AppRef
	MemberID string `json:"member_id,omitempty" jsonschema:"maxLength=64"`
}

// AgendaOp is one operation a phone recorded, offline or not: Op is one
// of the Op constants, Session the session's id (1 to MaxSessionIDLen
// characters), Text a note's text (up to MaxNoteLen characters). Each is
// sent as it is (EncodeOps) and checked on its own: an operation that
// breaks these rules is listed in Agenda.Rejected and the others apply.
//
// Its tags document the shape (rpc.Unchecked's x-shape, which typed
// clients follow); the service, not the schema, applies the rules.
type AgendaOp struct {
	Op      string `json:"op" jsonschema:"enum=bookmark,enum=unbookmark,enum=note,enum=unnote"`
	Session string `json:"session_id" jsonschema:"minLength=1,maxLength=64"`
	Text    string `json:"text,omitempty" jsonschema:"maxLength=2000"`
}

// EncodeOps encodes ops for SyncParams.Ops.
func EncodeOps(ops ...AgendaOp) []rpc.Unchecked[AgendaOp] {
	out := make([]rpc.Unchecked[AgendaOp], len(ops))
	for i, op := range ops {
		out[i], _ = rpc.Of(op) // three strings: it cannot fail
	}
	return out
}

// SyncParams send a phone's operations with the causal contexts of the
// agenda it last saw (empty when it saw none). The operations apply in
// order; removals remove only what the contexts saw: a bookmark or a note
// another device added since stays (an add wins over a concurrent remove,
// as in Riak's observed-remove set and map).
//
// The schema checks the envelope only, and takes any JSON value as an
// operation (rpc.Unchecked): a phone resends the queue it recorded offline until a sync
// succeeds, so one operation it should not have recorded (a note too
// long, an op this version does not know) must not refuse the others with
// it, on every sync. The service reads each operation as an AgendaOp.
type SyncParams struct {
	rpc.AppRef
	MemberID         string                    `json:"member_id,omitempty" jsonschema:"maxLength=64"`
	Ops              []rpc.Unchecked[AgendaOp] `json:"ops" jsonschema:"maxItems=500" jsonschema_description:"The operations, each an object {op, session_id, text} checked on its own (see the method)."`
	BookmarksContext []byte                    `json:"bookmarks_context,omitempty"`
	NotesContext     []byte                    `json:"notes_context,omitempty"`
}

// AgendaSession is a bookmarked session with its event, in the event's
// time zone.
type AgendaSession struct {
	ID        string    `json:"id"`
	EventID   string    `json:"event_id"`
	EventName string    `json:"event_name"`
	Title     string    `json:"title"`
	TimeZone  string    `json:"time_zone"`
	Start     string    `json:"start"`
	End       string    `json:"end"`
	StartUTC  time.Time `json:"start_utc"`
	EndUTC    time.Time `json:"end_utc"`
	RoomID    string    `json:"room_id,omitempty"`
	Note      string    `json:"note,omitempty"`
}

// Conflict is two bookmarked sessions that overlap in time, across events
// and time zones.
type Conflict struct {
	A string `json:"a"`
	B string `json:"b"`
}

// Rejected is an operation of agenda.sync that was not applied: its
// index in ops, why (a Reject reason), the field at fault (op,
// session_id, text; empty when it is the operation as a whole) and a
// message for people.
type Rejected struct {
	Index   int    `json:"index"`
	Reason  string `json:"reason" jsonschema:"enum=wrong_type,enum=unknown_field,enum=missing,enum=unknown_op,enum=too_long,enum=bad_character,enum=not_open,enum=limit"`
	Field   string `json:"field,omitempty" jsonschema:"enum=op,enum=session_id,enum=text"`
	Message string `json:"message"`
}

// Reasons an operation of agenda.sync is rejected (Rejected.Reason).
const (
	RejectWrongType    = "wrong_type"    // the operation is not an object, or the field is not a string
	RejectUnknownField = "unknown_field" // the operation has a field operations do not have
	RejectMissing      = "missing"       // the field (op, session_id) is absent or empty
	RejectUnknownOp    = "unknown_op"    // op is not one of the Op constants
	RejectTooLong      = "too_long"      // a session id over MaxSessionIDLen characters, a note over MaxNoteLen
	RejectBadCharacter = "bad_character" // a NUL character (or invalid UTF-8), which the key-value port cannot keep
	RejectNotOpen      = "not_open"      // no session the caller may open has this id (bookmark, note)
	RejectLimit        = "limit"         // the agenda holds MaxBookmarks bookmarks (MaxNotes notes) with the operations before it
)

// Agenda is the caller's agenda across the app's events: the bookmarked
// sessions the caller may still open, by start, with their notes; the
// overlapping pairs; and the causal contexts to send with the next sync.
// Bookmarks of sessions deleted since, or of events the caller may no
// longer open, are kept but not shown.
type Agenda struct {
	Sessions         []AgendaSession `json:"sessions"`
	Conflicts        []Conflict      `json:"conflicts"`
	Rejected         []Rejected      `json:"rejected,omitempty"`
	BookmarksContext []byte          `json:"bookmarks_context"`
	NotesContext     []byte          `json:"notes_context"`
}

// CalendarLink is the secret address of a member's agenda as an iCalendar
// feed (webcal-able). Whoever knows it reads the agenda: it carries 256
// random bits, and calendar.link replaces it.
type CalendarLink struct {
	URL       string    `json:"url"`
	CreatedAt time.Time `json:"created_at"`
}

// Methods of the personal agenda.
var (
	GetAgenda = rpc.Method[AgendaParams, Agenda]{
		Name: "agenda.get", ReadOnly: true, Auth: auth.Member, Idempotent: true, Timeout: 5 * time.Second,
		Summary: "The caller's bookmarked sessions across the app's events, with notes, overlaps and causal contexts.",
		Errors:  []errs.Code{errs.CodeInvalid},
	}
	SyncAgenda = rpc.Method[SyncParams, Agenda]{
		Name: "agenda.sync", Auth: auth.Member, Idempotent: true, Timeout: 10 * time.Second,
		Summary: "Apply a phone's bookmark and note operations (recorded offline or not) and return the merged agenda.",
		Description: "Send the contexts of the agenda the phone last saw: removals take away only what they saw, so two devices' " +
			"edits merge (an add on one and a remove on the other of the same session keep the session). " +
			"Each operation is an object {op, session_id, text}: op is bookmark, unbookmark, note or unnote; session_id is " +
			"1 to 64 characters; text, a note's, up to 2000 characters; no NUL characters. Each is checked on its own: one that " +
			"breaks these rules, bookmarks or notes a session the caller may not open, or would take the agenda past 2000 " +
			"bookmarks or 2000 notes (the first operations in the queue kept), is listed in rejected (its index, a " +
			"reason, the field at fault), never the whole call, and the others apply; removals always apply. " +
			"The call is refused whole (invalid) only for its envelope: more than 500 operations, or a context that is not one " +
			"this service handed out for this member.",
		Errors: []errs.Code{errs.CodeInvalid},
	}
	IssueCalendarLink = rpc.Method[AgendaParams, CalendarLink]{
		Name: "calendar.link", Auth: auth.Member, Timeout: 5 * time.Second,
		Summary: "Issue a new secret iCalendar feed address for the caller's agenda; the previous one stops working.",
	}
	RevokeCalendarLink = rpc.Method[AgendaParams, Empty]{
		Name: "calendar.revoke", Auth: auth.Member, Idempotent: true, Timeout: 5 * time.Second,
		Summary: "Stop the caller's iCalendar feed address.",
	}
)

// ---------------------------------------------------------------------------
// Offline content.

// ContentDatabase is a CouchDB database of the app's published content the
// caller may replicate, through multievent's read-only replication front
// (URL; send the member token as "Authorization: Bearer ..."). Group "all"
// holds what every member of the app may read; group "e<event id>" what
// only an event's registered members (and organizers) may read.
type ContentDatabase struct {
	Name    string `json:"name"`
	Group   string `json:"group"`
	EventID string `json:"event_id,omitempty"`
	URL     string `json:"url"`
}

// ContentDatabases is the list of databases the caller may replicate now.
type ContentDatabases struct {
	Databases []ContentDatabase `json:"databases"`
}

// ListContentDatabases is content.databases.
var ListContentDatabases = rpc.Method[AppParams, ContentDatabases]{
	Name: "content.databases", Auth: auth.Member, Idempotent: true, Timeout: 5 * time.Second,
	Summary: "The content databases the caller may replicate to read the app offline.",
}

// ---------------------------------------------------------------------------
// Content documents (what phones read in the content databases).

// Document types in the content databases (field "type").
const (
	DocEvent   = "event"
	DocSession = "session"
	DocSpeaker = "speaker"
	DocRoom    = "room"
	DocTrack   = "track"
)

// EventDoc is an event's document ("event:<id>"). Gate is what a member
// not registered to it may do ("open", "code", "listed"); a registered
// member may open it whatever the gate.
type EventDoc struct {
	Type     string    `json:"type"`
	ID       string    `json:"id"`
	Name     string    `json:"name"`
	Venue    string    `json:"venue"`
	TimeZone string    `json:"time_zone"`
	Start    string    `json:"start"`
	End      string    `json:"end"`
	StartUTC time.Time `json:"start_utc"`
	EndUTC   time.Time `json:"end_utc"`
	Gate     string    `json:"gate"`
	Hidden   bool      `json:"hidden,omitempty"`
	Hash     string    `json:"h"` // a hash of the rest: the writer rewrites a document only when it changes
}

// SessionDoc is a session's document ("session:<id>").
type SessionDoc struct {
	Type        string    `json:"type"`
	ID          string    `json:"id"`
	EventID     string    `json:"event_id"`
	Title       string    `json:"title"`
	Description string    `json:"description,omitempty"`
	Start       string    `json:"start"`
	End         string    `json:"end"`
	StartUTC    time.Time `json:"start_utc"`
	EndUTC      time.Time `json:"end_utc"`
	RoomID      string    `json:"room_id,omitempty"`
	TrackID     string    `json:"track_id,omitempty"`
	Capacity    int       `json:"capacity,omitempty"`
	SpeakerIDs  []string  `json:"speaker_ids"`
	Hash        string    `json:"h"`
}

// SpeakerDoc is a speaker's document ("speaker:<id>"), in the databases of
// the events they speak at (the "all" database when they have no session).
type SpeakerDoc struct {
	Type     string `json:"type"`
	ID       string `json:"id"`
	Name     string `json:"name"`
	Company  string `json:"company,omitempty"`
	Title    string `json:"title,omitempty"`
	Bio      string `json:"bio,omitempty"`
	PhotoURL string `json:"photo_url,omitempty"`
	Hash     string `json:"h"`
}

// PlaceDoc is a room's ("room:<id>") or a track's ("track:<id>") document.
type PlaceDoc struct {
	Type     string `json:"type"`
	ID       string `json:"id"`
	EventID  string `json:"event_id"`
	Name     string `json:"name"`
	Capacity int    `json:"capacity,omitempty"`
	Color    string `json:"color,omitempty"`
	Hash     string `json:"h"`
}
