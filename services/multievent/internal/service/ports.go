package service

import (
	"context"
	"time"

	"github.com/attendify/hub"
	"github.com/attendify/platform/auth"
)

// Projection is multievent's copy of hub's events and agenda, fed by hub's
// event streams (and rebuilt from hub), with the bookkeeping of the
// content databases. Every method takes the app and never reads or writes
// another app's rows.
type Projection interface {
	// Apply stores c unless the projection holds a newer version of c's
	// object (or a newer deletion of its app), and in the same transaction
	// marks dirty the content documents c changes:
	//   - an event: its own, and those of its sessions, rooms and tracks and
	//     of their speakers (an event's deletion deletes its sessions, rooms
	//     and tracks too);
	//   - a session: its own and those of its speakers before and after;
	//   - a speaker: its own, and on deletion those of the sessions it is
	//     taken off;
	//   - a room or a track: its own.
	// It reports whether c was applied. A change of the version held now
	// applies again (a redelivered event marks its documents again).
	Apply(ctx context.Context, c Change) (bool, error)
	// DeleteApp deletes everything the projection holds of app unless it
	// holds a newer change, and leaves a tombstone of version v that
	// older changes of the app cannot get past. It reports whether it did.
	DeleteApp(ctx context.Context, app string, v time.Time) (bool, error)
	// Apps lists the apps the projection holds (not deleted), by id.
	Apps(ctx context.Context) ([]string, error)
	// Snapshot replaces what the projection holds of app by snap, as of
	// version v (a rebuild from hub): every object of snap is applied as a
	// Change of version v; every object of app not in snap whose version
	// is older than v is deleted. Every content document of the app is
	// marked dirty.
	Snapshot(ctx context.Context, app string, v time.Time, snap AppSnapshot) error

	// ContentVersion returns a number that moves whenever a change to
	// app's events, sessions, speakers, rooms or tracks is applied (Apply,
	// Snapshot, DeleteApp; it may move without one), and 0 for an app the
	// projection never held. A reader that reads it, then the content,
	// may keep what it read under that number: the content is current
	// while the number is. The directory and search cache by it.
	ContentVersion(ctx context.Context, app string) (int64, error)
	// Events returns the app's events that are not deleted, by start.
	Events(ctx context.Context, app string) ([]Event, error)
	// Sessions returns the sessions among ids that are not deleted, of
	// events that are not deleted.
	Sessions(ctx context.Context, app string, ids []string) ([]Session, error)
	// Content returns what the content documents of docIDs are made of.
	Content(ctx context.Context, app string, docIDs []string) (ContentState, error)
	// MarkAllDirty marks every content document of app dirty: those of
	// the live objects and those placed (for a full rewrite of its
	// databases, after they were lost).
	MarkAllDirty(ctx context.Context, app string) error
	// ReplacePlacements replaces every placement of app by ps (what the
	// content databases hold, read back after they were lost or changed
	// behind the writer's back).
	ReplacePlacements(ctx context.Context, app string, ps []Placement) error
	// Settle runs fn under a lock of app that serializes the content
	// writers of one app (across replicas), with up to limit dirty
	// document ids of app and their placements; it then stores the
	// placements fn returns for those ids (replacing theirs) and clears
	// their dirty marks, unless they were marked again while fn ran. It
	// returns how many ids fn got.
	Settle(ctx context.Context, app string, limit int, fn func(dirty []string, placed []Placement) ([]Placement, error)) (int, error)
	// DirtyApps lists up to limit apps with dirty documents.
	DirtyApps(ctx context.Context, limit int) ([]string, error)
}

// AppSnapshot is an app's content as hub has it now (for a rebuild).
type AppSnapshot struct {
	Events   []Event
	Sessions []Session
	Speakers []Speaker
	Rooms    []Room
	Tracks   []Track
}

// Searcher runs searches over the projection.
type Searcher interface {
	// Search returns up to q.Limit hits best first, after q.After.
	Search(ctx context.Context, q Query) ([]Hit, error)
}

// Query is a search of an app's projection. Only the cards of the events
// in Cards, and the sessions, rooms and tracks of the events in Agendas,
// may match; speakers match when they speak in an event of Agendas or in
// no live event at all.
type Query struct {
	App     string
	Words   []string // folded words; each must match the start of a word
	Cards   []string
	Agendas []string
	After   *Hit // the last hit of the previous page
	Limit   int
}

// Hit is one search hit with its rank (higher first; ties by kind, id).
type Hit struct {
	Kind, ID, EventID, Title, Subtitle string
	Start                              time.Time // zero for speakers, rooms, tracks
	Rank                               float32
}

// Links stores the secret calendar links: one per member of an app.
type Links interface {
	// SetLink makes hash (of a new secret) the member's link, replacing
	// the one before.
	SetLink(ctx context.Context, app, member string, hash []byte, at time.Time) error
	// LinkOwner returns the app and member whose link has hash, or
	// errs.NotFound.
	LinkOwner(ctx context.Context, hash []byte) (app, member string, err error)
	// DeleteLink removes the member's link (none is fine).
	DeleteLink(ctx context.Context, app, member string) error
	// DeleteAppLinks removes every link of app.
	DeleteAppLinks(ctx context.Context, app string) error
	// AddAgendaOwner records that member has a personal agenda in app
	// (for erasing it with the app); AgendaOwners lists them.
	AddAgendaOwner(ctx context.Context, app, member string) error
	AgendaOwners(ctx context.Context, app string) ([]string, error)
	// DeleteAgendaOwner forgets member's agenda record.
	DeleteAgendaOwner(ctx context.Context, app, member string) error
}

// Agendas stores personal agendas as data types: a set of bookmarked
// session ids and a map of notes (session id to text) per member, with
// causal contexts: a removal removes only what its context saw, so
// devices that were offline merge (an add wins over a concurrent remove).
type Agendas interface {
	// Bookmarks returns the member's bookmarks and their causal context.
	Bookmarks(ctx context.Context, a AgendaRef) ([]string, []byte, error)
	// AddBookmarks adds sessions to the bookmarks.
	AddBookmarks(ctx context.Context, a AgendaRef, sessions ...string) error
	// RemoveBookmarks removes sessions as cc saw them (nil: as they are).
	RemoveBookmarks(ctx context.Context, a AgendaRef, cc []byte, sessions ...string) error
	// Notes returns the member's notes by session and their causal context.
	Notes(ctx context.Context, a AgendaRef) (map[string]string, []byte, error)
	// UpdateNotes sets notes and removes others as cc saw them, atomically.
	UpdateNotes(ctx context.Context, a AgendaRef, cc []byte, set map[string]string, remove []string) error
	// Erase removes the member's bookmarks and notes.
	Erase(ctx context.Context, a AgendaRef) error
	// CheckContexts returns errs.Invalid unless each non-empty context is
	// one handed out for the member's bookmarks (bookmarksCC) or notes
	// (notesCC); it writes nothing. A sync checks them before it applies
	// any of its operations.
	CheckContexts(ctx context.Context, a AgendaRef, bookmarksCC, notesCC []byte) error
}

// AgendaRef names a member's personal agenda in an app (a struct, so that
// the app and the member cannot be swapped beside the session ids).
type AgendaRef struct {
	App, Member string
}

// Content writes the content databases (CouchDB): one per content group of
// an app.
type Content interface {
	// Write writes docs into db, creating it when needed; each doc
	// replaces the revision its Rev names ("" for a new document). It
	// returns each doc's new revision, or, for a doc whose revision was
	// not the current one, errs.Conflict in Err.
	Write(ctx context.Context, db GroupDB, docs []ContentDoc) ([]WriteResult, error)
	// Rev returns the current revision of a document ("" when absent or
	// deleted).
	Rev(ctx context.Context, d DocRef) (string, error)
	// Placed lists what the app's databases hold (document ids, groups,
	// revisions and hashes), for a rewrite after they were lost.
	Placed(ctx context.Context, app string) ([]Placement, error)
	// Compact drops what db keeps of documents' earlier revisions (CouchDB
	// keeps their bodies until a compaction, and serves them to whoever
	// names one: GET <doc>?rev=, open_revs, _bulk_get). It may finish
	// after it returns.
	Compact(ctx context.Context, db GroupDB) error
	// Drop deletes every database of app.
	Drop(ctx context.Context, app string) error
	// DBName is the name of db in the content store.
	DBName(db GroupDB) (string, error)
}

// GroupDB names the content database of one group of an app.
type GroupDB struct {
	App, Group string
}

// DocRef names a document of one of an app's content databases (its
// group's).
type DocRef struct {
	GroupDB
	ID string
}

// ContentDoc is a document to write: Body (JSON of one of the Doc types
// of package multievent), or a deletion.
type ContentDoc struct {
	ID, Rev string
	Body    []byte
	Deleted bool
}

// WriteResult is the outcome of writing one document.
type WriteResult struct {
	ID, Rev string
	Err     error
}

// Access is hub's read model as the domain uses it: the caller's standing
// in an app, decided by hub's own functions.
type Access interface {
	// Standing returns the caller's standing in app (hub's
	// AuthorizeEvents): errs.Forbidden, errs.NotFound or errs.Unavailable
	// when the caller may not read the app.
	Standing(ctx context.Context, c auth.Caller, app string) (Standing, error)
	// StandingOf returns the standing of a member known by id (hub's
	// AccessOf), for requests without the member's token.
	StandingOf(ctx context.Context, app, member string) (Standing, error)
}

// Standing is what a caller may see of an app's events: hub's gate of
// each event for them (hub.DecideEvent over hub's read model).
type Standing struct {
	// User is the caller's user id ("" for a service without a user).
	User string
	// Organizer is true for organizers (collaborators) and services.
	Organizer  bool
	Registered []string
	gate       func(event string) hub.EventGate
}

// NewStanding returns a standing whose gates gate decides.
func NewStanding(user string, organizer bool, registered []string, gate func(event string) hub.EventGate) Standing {
	return Standing{User: user, Organizer: organizer, Registered: registered, gate: gate}
}

// Gate is hub's gate of event for the caller (GateHidden for an event
// hub's read model does not list).
func (s Standing) Gate(event string) hub.EventGate {
	if s.gate == nil {
		return hub.GateHidden
	}
	return s.gate(event)
}

// Hub is what a rebuild reads from hub: every app's id and content.
type Hub interface {
	// AppIDs lists every app's id.
	AppIDs(ctx context.Context) ([]string, error)
	// AppContent reads an app's content (errs.NotFound for an app that is
	// gone).
	AppContent(ctx context.Context, app string) (AppSnapshot, error)
}
