package service

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"slices"
	"sync"
	"unicode/utf8"

	"github.com/attendify/hub"
	"github.com/attendify/multievent"
	"github.com/attendify/platform/errs"
	"github.com/attendify/platform/kv"
)

// Op is one operation of a sync. Malformed, when set, says why the
// operation as sent could not be read as one (the wire's decoding: not an
// object, a field that is not a string or that operations do not have);
// the sync rejects it as it rejects an operation its rules refuse.
type Op struct {
	Op, Session, Text string
	Malformed         *Fault
}

// Fault is why an operation is rejected: a multievent.Reject reason, the
// wire name of the field at fault (empty for the operation as a whole)
// and a message for people.
type Fault struct {
	Reason, Field, Message string
}

// AgendaItem is a bookmarked session the member may open, with its event
// and note.
type AgendaItem struct {
	Session Session
	Event   Event
	Note    string
}

// Conflict is two bookmarked sessions that overlap.
type Conflict struct{ A, B string }

// Rejected is an operation a sync did not apply: its index among the
// sync's operations, and why.
type Rejected struct {
	Index int
	Fault
}

// Agenda is a member's personal agenda as they may see it now.
type Agenda struct {
	Items                          []AgendaItem
	Conflicts                      []Conflict
	Rejected                       []Rejected
	BookmarksContext, NotesContext []byte
}

// GetAgenda returns the member's agenda (the caller's, or memberID's for
// a service).
func (s *Service) GetAgenda(ctx context.Context, app, memberID string) (Agenda, error) {
	member, st, err := s.member(ctx, app, memberID)
	if err != nil {
		return Agenda{}, err
	}
	return s.agenda(ctx, app, member, st)
}

// Sync applies a phone's operations with the contexts of the agenda it
// last saw and returns the merged agenda. Removals honour the contexts
// (what another device added since stays); additions and note writes
// need the session to exist and be open to the member. An operation that
// does not, or breaks the rules of checkOp, is rejected on its own and
// the others apply; the last operation on a session in a sync wins.
func (s *Service) Sync(ctx context.Context, app, memberID string, ops []Op, bookmarksCC, notesCC []byte) (Agenda, error) {
	member, st, err := s.member(ctx, app, memberID)
	if err != nil {
		return Agenda{}, err
	}
	if len(ops) > multievent.MaxOps {
		return Agenda{}, errs.InvalidFields("too many operations", errs.FieldError{Field: "/ops", Message: "at most 500"})
	}
	// Contexts this service did not hand out for this agenda are refused
	// before any operation applies: a sync is refused whole, never half
	// applied (removals done, then a foreign notes context found).
	if err := s.agendas.CheckContexts(ctx, AgendaRef{app, member}, bookmarksCC, notesCC); err != nil {
		return Agenda{}, err
	}
	// The last operation on each session and kind wins.
	type target struct {
		bookmark bool
		session  string
	}
	last := map[target]int{}
	var rejected []Rejected
	var wanted []string // sessions that bookmark or note ops need open
	for i, op := range ops {
		// An operation that breaks the rules is this operation's
		// rejection, not the whole sync's failure: the phone sends its
		// queue again on every sync.
		if f := checkOp(op); f != nil {
			rejected = append(rejected, Rejected{i, *f})
			continue
		}
		bookmark := op.Op == multievent.OpBookmark || op.Op == multievent.OpUnbookmark
		last[target{bookmark, op.Session}] = i
		if op.Op == multievent.OpBookmark || op.Op == multievent.OpNote {
			wanted = append(wanted, op.Session)
		}
	}
	open, err := s.openSessions(ctx, app, st, wanted)
	if err != nil {
		return Agenda{}, err
	}
	var add, remove, unnote []string
	var addAt, noteAt []int // the operations' indices of add and of the notes written, in order
	notes := map[string]string{}
	// A removal takes away only what its context saw. A phone sends no
	// context when it saw no agenda ("empty when it saw none"): its
	// removals saw nothing, and remove nothing (the store would read a
	// missing context as "remove what is there now", another device's
	// adds included). Its own adds of this sync are already undone by
	// "the last operation wins".
	noBookmarksCC, noNotesCC := len(bookmarksCC) == 0, len(notesCC) == 0
	for i, op := range ops {
		bookmark := op.Op == multievent.OpBookmark || op.Op == multievent.OpUnbookmark
		if j, ok := last[target{bookmark, op.Session}]; !ok || j != i {
			continue // not the last on this session, or rejected above
		}
		if (op.Op == multievent.OpBookmark || op.Op == multievent.OpNote) && !open[op.Session] {
			rejected = append(rejected, Rejected{i, Fault{multievent.RejectNotOpen, "session_id", "no such session open to you"}})
			continue
		}
		switch op.Op {
		case multievent.OpBookmark:
			add, addAt = append(add, op.Session), append(addAt, i)
		case multievent.OpUnbookmark:
			if !noBookmarksCC {
				remove = append(remove, op.Session)
			}
		case multievent.OpNote:
			notes[op.Session] = op.Text
			noteAt = append(noteAt, i)
		case multievent.OpUnnote:
			if !noNotesCC {
				unnote = append(unnote, op.Session)
			}
		}
	}
	// The limits are the operations' too, not the sync's: the adds that
	// would take the agenda past one are rejected, the first ones in the
	// queue kept, so that a full agenda cannot refuse a phone's other
	// operations on every sync.
	if len(add) > 0 {
		have, _, err := s.agendas.Bookmarks(ctx, AgendaRef{app, member})
		if err != nil {
			return Agenda{}, err
		}
		over := overLimit(have, remove, add, multievent.MaxBookmarks)
		for _, k := range slices.Backward(over) {
			rejected = append(rejected, Rejected{addAt[k], Fault{multievent.RejectLimit, "session_id",
				fmt.Sprintf("at most %d bookmarks", multievent.MaxBookmarks)}})
			add = slices.Delete(add, k, k+1)
		}
	}
	if len(notes) > 0 {
		have, _, err := s.agendas.Notes(ctx, AgendaRef{app, member})
		if err != nil {
			return Agenda{}, err
		}
		written := make([]string, len(noteAt))
		for k, i := range noteAt {
			written[k] = ops[i].Session
		}
		for _, k := range overLimit(slices.Collect(maps.Keys(have)), unnote, written, multievent.MaxNotes) {
			rejected = append(rejected, Rejected{noteAt[k], Fault{multievent.RejectLimit, "session_id",
				fmt.Sprintf("at most %d notes", multievent.MaxNotes)}})
			delete(notes, written[k])
		}
	}
	if len(add)+len(notes) > 0 {
		if err := s.recordOwner(ctx, app, member); err != nil {
			return Agenda{}, err
		}
	}
	// Removals first, with the phone's context: an add of this same sync
	// is never one the context saw.
	if len(remove) > 0 {
		if err := s.agendas.RemoveBookmarks(ctx, AgendaRef{app, member}, bookmarksCC, remove...); err != nil {
			return Agenda{}, err
		}
	}
	if len(add) > 0 {
		if err := s.agendas.AddBookmarks(ctx, AgendaRef{app, member}, add...); err != nil {
			return Agenda{}, err
		}
	}
	if len(notes)+len(unnote) > 0 {
		if err := s.agendas.UpdateNotes(ctx, AgendaRef{app, member}, notesCC, notes, unnote); err != nil {
			return Agenda{}, err
		}
	}
	a, err := s.agenda(ctx, app, member, st)
	if err != nil {
		return Agenda{}, err
	}
	slices.SortFunc(rejected, func(x, y Rejected) int { return x.Index - y.Index })
	a.Rejected = rejected
	return a, nil
}

// checkOp says why op breaks the rules of an operation, or returns nil.
// It states them all, but for what the wire decides (an object of string
// fields) and whether the session is open to the member (asked of the
// projection for all operations at once).
func checkOp(op Op) *Fault {
	if op.Malformed != nil {
		return op.Malformed
	}
	switch op.Op {
	case multievent.OpBookmark, multievent.OpUnbookmark, multievent.OpNote, multievent.OpUnnote:
	case "":
		return &Fault{multievent.RejectMissing, "op", "required"}
	default:
		return &Fault{multievent.RejectUnknownOp, "op", "one of bookmark, unbookmark, note, unnote"}
	}
	switch {
	case op.Session == "":
		return &Fault{multievent.RejectMissing, "session_id", "required"}
	case utf8.RuneCountInString(op.Session) > multievent.MaxSessionIDLen:
		return &Fault{multievent.RejectTooLong, "session_id", fmt.Sprintf("at most %d characters", multievent.MaxSessionIDLen)}
	case !keepable(op.Session):
		return &Fault{multievent.RejectBadCharacter, "session_id", "a NUL character or invalid UTF-8"}
	case utf8.RuneCountInString(op.Text) > multievent.MaxNoteLen:
		return &Fault{multievent.RejectTooLong, "text", fmt.Sprintf("at most %d characters", multievent.MaxNoteLen)}
	case !keepable(op.Text):
		return &Fault{multievent.RejectBadCharacter, "text", "a NUL character or invalid UTF-8"}
	}
	return nil
}

// keepable reports whether the key-value port can keep s, a session id or
// a note within their lengths: by its own rule (kv.CheckText), which
// refuses NUL characters (JSON carries them as \u0000) and invalid UTF-8.
func keepable(s string) bool {
	return kv.CheckText(s, kv.MaxValueLen) == ""
}

// overLimit returns the positions in add of the ids that do not fit in
// limit, taken in order, beside have less remove: an id already there
// takes no room, and a removal of what is not there frees none.
func overLimit(have, remove, add []string, limit int) []int {
	set := make(map[string]bool, len(have)+len(add))
	for _, id := range have {
		set[id] = true
	}
	for _, id := range remove {
		delete(set, id)
	}
	var over []int
	for k, id := range add {
		switch {
		case set[id]:
		case len(set) < limit:
			set[id] = true
		default:
			over = append(over, k)
		}
	}
	return over
}

// openSessions reports which of ids are sessions the member may open.
func (s *Service) openSessions(ctx context.Context, app string, st Standing, ids []string) (map[string]bool, error) {
	open := map[string]bool{}
	if len(ids) == 0 {
		return open, nil
	}
	xs, err := s.proj.Sessions(ctx, app, ids)
	if err != nil {
		return nil, err
	}
	for _, x := range xs {
		if st.Gate(x.EventID) == hub.GateOpen {
			open[x.ID] = true
		}
	}
	return open, nil
}

// agenda reads the member's bookmarks and notes and keeps the sessions
// they may open, by start.
func (s *Service) agenda(ctx context.Context, app, member string, st Standing) (Agenda, error) {
	ids, bcc, err := s.agendas.Bookmarks(ctx, AgendaRef{app, member})
	if err != nil {
		return Agenda{}, err
	}
	notes, ncc, err := s.agendas.Notes(ctx, AgendaRef{app, member})
	if err != nil {
		return Agenda{}, err
	}
	items, err := s.items(ctx, app, st, ids, notes)
	if err != nil {
		return Agenda{}, err
	}
	return Agenda{Items: items, Conflicts: conflicts(items), BookmarksContext: bcc, NotesContext: ncc}, nil
}

// items are the sessions among ids the member may open, by start, with
// their events and notes.
func (s *Service) items(ctx context.Context, app string, st Standing, ids []string, notes map[string]string) ([]AgendaItem, error) {
	items := []AgendaItem{}
	if len(ids) == 0 {
		return items, nil
	}
	xs, err := s.proj.Sessions(ctx, app, ids)
	if err != nil {
		return nil, err
	}
	evs, err := s.proj.Events(ctx, app)
	if err != nil {
		return nil, err
	}
	byID := make(map[string]Event, len(evs))
	for _, e := range evs {
		byID[e.ID] = e
	}
	for _, x := range xs {
		e, ok := byID[x.EventID]
		if !ok || st.Gate(x.EventID) != hub.GateOpen {
			continue
		}
		items = append(items, AgendaItem{Session: x, Event: e, Note: notes[x.ID]})
	}
	slices.SortFunc(items, func(a, b AgendaItem) int {
		if c := a.Session.Start.Compare(b.Session.Start); c != 0 {
			return c
		}
		return cmp.Compare(a.Session.ID, b.Session.ID)
	})
	return items, nil
}

// conflicts lists the pairs of items (sorted by start) that overlap in
// time: one starts before the other ends. Time zones do not matter:
// instants are compared. The pairs grow with the square of the items (up
// to two million for MaxBookmarks sessions at one time): only the first
// multievent.MaxConflicts are listed.
func conflicts(items []AgendaItem) []Conflict {
	out := []Conflict{}
	for i := range items {
		for j := i + 1; j < len(items) && items[j].Session.Start.Before(items[i].Session.End); j++ {
			if len(out) == multievent.MaxConflicts {
				return out
			}
			out = append(out, Conflict{items[i].Session.ID, items[j].Session.ID})
		}
	}
	return out
}

// ownerCache remembers the (app, member) pairs recorded as agenda owners
// by this process, so that a sync records one only once.
type ownerCache struct {
	mu   sync.Mutex
	seen map[[2]string]bool
}

func (c *ownerCache) has(app, member string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.seen[[2]string{app, member}]
}

func (c *ownerCache) add(app, member string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.seen == nil || len(c.seen) > 100_000 {
		c.seen = map[[2]string]bool{}
	}
	c.seen[[2]string{app, member}] = true
}

func (c *ownerCache) forget(app, member string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.seen, [2]string{app, member})
}

// recordOwner records that member has an agenda in app (for erasing it
// with the app).
func (s *Service) recordOwner(ctx context.Context, app, member string) error {
	if s.owners.has(app, member) {
		return nil
	}
	if err := s.links.AddAgendaOwner(ctx, app, member); err != nil {
		return err
	}
	s.owners.add(app, member)
	return nil
}
