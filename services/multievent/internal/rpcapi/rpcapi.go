// Package rpcapi binds multievent's JSON-RPC methods (declared in package
// multievent) to the domain service, converting wire types to domain types
// and back, and serves its two HTTP routes: the iCalendar feeds and the
// read-only replication front of the content databases.
package rpcapi

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/attendify/hub"
	"github.com/attendify/multievent"
	"github.com/attendify/multievent/internal/service"
	"github.com/attendify/platform/rpc"
)

// Register binds every multievent method on srv to svc.
func Register(srv *rpc.Server, svc *service.Service) {
	h := handlers{svc: svc, dirs: &wireDirectories{m: map[string]wireDirectory{}}}
	// The same method, its result sent from the cached encoding
	// (wireDirectory).
	rpc.Handle(srv, rpc.Method[multievent.AppParams, wireDirectory](multievent.ListDirectory), h.directory)
	rpc.Handle(srv, multievent.GetDirectoryEvent, h.directoryEvent)
	rpc.Handle(srv, multievent.Search, h.search)
	rpc.Handle(srv, multievent.GetAgenda, h.agenda)
	rpc.Handle(srv, multievent.SyncAgenda, h.sync)
	rpc.Handle(srv, multievent.IssueCalendarLink, h.calendarLink)
	rpc.Handle(srv, multievent.RevokeCalendarLink, h.revokeCalendarLink)
	rpc.Handle(srv, multievent.ListContentDatabases, h.contentDatabases)
}

type handlers struct {
	svc  *service.Service
	dirs *wireDirectories
}

// wireDirectories keeps the wire form of directories by Directory.Key
// (equal keys, equal directories), encoded: formatting each event's local
// times was a tenth of a directory call, encoding the result a fifth.
// Emptied when the events it holds would pass
// service.MaxCachedDirectoryEvents.
type wireDirectories struct {
	mu     sync.Mutex
	m      map[string]wireDirectory
	events int
}

// wireDirectory is directory.list's result, a multievent.Directory (whose
// fields give the method's schema) with its JSON encoding, made once per
// cached directory and sent as it is (rpc.JSONAppender).
type wireDirectory struct {
	multievent.Directory
	raw []byte
}

// AppendJSON implements rpc.JSONAppender.
func (d wireDirectory) AppendJSON(b []byte) ([]byte, error) {
	return rpc.AppendEncoded(b, d.raw, d.Directory)
}

// MarshalJSON implements json.Marshaler, for any other encoder.
func (d wireDirectory) MarshalJSON() ([]byte, error) {
	return rpc.AppendEncoded(nil, d.raw, d.Directory)
}

func (h handlers) directory(ctx context.Context, p multievent.AppParams) (wireDirectory, error) {
	d, err := h.svc.Directory(ctx, p.App)
	if err != nil {
		return wireDirectory{}, err
	}
	h.dirs.mu.Lock()
	w, ok := h.dirs.m[d.Key]
	h.dirs.mu.Unlock()
	if ok {
		return w, nil
	}
	w = wireDirectory{Directory: multievent.Directory{Now: directoryEvents(d.Now), Upcoming: directoryEvents(d.Upcoming),
		Past: directoryEvents(d.Past), Mine: d.Mine}}
	if w.raw, err = json.Marshal(w.Directory); err != nil {
		return wireDirectory{}, fmt.Errorf("encode the directory: %w", err)
	}
	n := len(w.Now) + len(w.Upcoming) + len(w.Past) + 1
	h.dirs.mu.Lock()
	if h.dirs.events+n > service.MaxCachedDirectoryEvents {
		clear(h.dirs.m)
		h.dirs.events = 0
	}
	if _, ok := h.dirs.m[d.Key]; !ok {
		h.dirs.events += n
	}
	h.dirs.m[d.Key] = w
	h.dirs.mu.Unlock()
	return w, nil
}

func (h handlers) directoryEvent(ctx context.Context, p multievent.EventParams) (multievent.DirectoryEvent, error) {
	e, err := h.svc.DirectoryEvent(ctx, p.App, p.Event)
	if err != nil {
		return multievent.DirectoryEvent{}, err
	}
	return directoryEvent(e), nil
}

func directoryEvents(evs []service.DirectoryEvent) []multievent.DirectoryEvent {
	out := make([]multievent.DirectoryEvent, len(evs))
	for i, e := range evs {
		out[i] = directoryEvent(e)
	}
	return out
}

func directoryEvent(e service.DirectoryEvent) multievent.DirectoryEvent {
	start, end, offset := service.LocalTimes(e.TimeZone, e.Start, e.End)
	return multievent.DirectoryEvent{ID: e.ID, Name: e.Name, Venue: e.Venue, TimeZone: e.TimeZone, Start: start, End: end,
		UTCOffset: offset, StartUTC: e.Start.UTC(), EndUTC: e.End.UTC(), Status: e.Status, Gate: e.Gate.String(),
		Registered: e.Registered, Hidden: e.Visibility == hub.VisibilityHidden}
}

func (h handlers) search(ctx context.Context, p multievent.SearchParams) (multievent.SearchPage, error) {
	page, err := h.svc.Search(ctx, service.Searching{App: p.App, Text: p.Query, After: p.Cursor})
	if err != nil {
		return multievent.SearchPage{}, err
	}
	out := multievent.SearchPage{Hits: make([]multievent.SearchHit, len(page.Hits)), NextCursor: page.Next}
	for i, hit := range page.Hits {
		out.Hits[i] = multievent.SearchHit{Kind: hit.Kind, ID: hit.ID, EventID: hit.EventID, Title: hit.Title, Subtitle: hit.Subtitle}
		if !hit.Start.IsZero() {
			t := hit.Start.UTC()
			out.Hits[i].StartUTC = &t
		}
	}
	return out, nil
}

func (h handlers) agenda(ctx context.Context, p multievent.AgendaParams) (multievent.Agenda, error) {
	a, err := h.svc.GetAgenda(ctx, p.App, p.MemberID)
	if err != nil {
		return multievent.Agenda{}, err
	}
	return agenda(a), nil
}

func (h handlers) sync(ctx context.Context, p multievent.SyncParams) (multievent.Agenda, error) {
	ops := make([]service.Op, len(p.Ops))
	for i, raw := range p.Ops {
		ops[i] = decodeOp(json.RawMessage(raw))
	}
	a, err := h.svc.Sync(ctx, p.App, p.MemberID, ops, p.BookmarksContext, p.NotesContext)
	if err != nil {
		return multievent.Agenda{}, err
	}
	return agenda(a), nil
}

// decodeOp reads one operation of agenda.sync as sent. The params' schema
// takes any JSON value as an operation (multievent.SyncParams), so that
// one the phone should not have recorded is rejected alone: here is what
// the wire requires of it, an object whose fields are those of
// multievent.AgendaOp, each a string; what their values may be is the
// domain's rule (service.Sync).
func decodeOp(raw json.RawMessage) service.Op {
	var fields map[string]any
	if err := json.Unmarshal(raw, &fields); err != nil || fields == nil { // nil: JSON's null
		return service.Op{Malformed: &service.Fault{Reason: multievent.RejectWrongType, Message: "an operation is an object"}}
	}
	var op service.Op
	for _, name := range slices.Sorted(maps.Keys(fields)) {
		var s *string
		switch name {
		case "op":
			s = &op.Op
		case "session_id":
			s = &op.Session
		case "text":
			s = &op.Text
		default:
			return service.Op{Malformed: &service.Fault{Reason: multievent.RejectUnknownField, Field: name,
				Message: "operations have op, session_id and text"}}
		}
		v, ok := fields[name].(string)
		if !ok {
			return service.Op{Malformed: &service.Fault{Reason: multievent.RejectWrongType, Field: name, Message: "a string"}}
		}
		*s = v
	}
	return op
}

func agenda(a service.Agenda) multievent.Agenda {
	out := multievent.Agenda{Sessions: make([]multievent.AgendaSession, len(a.Items)), Conflicts: make([]multievent.Conflict, len(a.Conflicts)),
		BookmarksContext: a.BookmarksContext, NotesContext: a.NotesContext}
	for i, it := range a.Items {
		x, e := it.Session, it.Event
		start, end, _ := service.LocalTimes(e.TimeZone, x.Start, x.End)
		out.Sessions[i] = multievent.AgendaSession{ID: x.ID, EventID: x.EventID, EventName: e.Name, Title: x.Title,
			TimeZone: e.TimeZone, Start: start, End: end, StartUTC: x.Start.UTC(), EndUTC: x.End.UTC(), RoomID: x.RoomID, Note: it.Note}
	}
	for i, c := range a.Conflicts {
		out.Conflicts[i] = multievent.Conflict{A: c.A, B: c.B}
	}
	for _, r := range a.Rejected {
		out.Rejected = append(out.Rejected, multievent.Rejected{Index: r.Index, Reason: r.Reason, Field: r.Field, Message: r.Message})
	}
	return out
}

func (h handlers) calendarLink(ctx context.Context, p multievent.AgendaParams) (multievent.CalendarLink, error) {
	l, err := h.svc.IssueCalendarLink(ctx, p.App, p.MemberID)
	if err != nil {
		return multievent.CalendarLink{}, err
	}
	return multievent.CalendarLink{URL: l.URL, CreatedAt: l.CreatedAt.UTC().Truncate(time.Second)}, nil
}

func (h handlers) revokeCalendarLink(ctx context.Context, p multievent.AgendaParams) (multievent.Empty, error) {
	return multievent.Empty{}, h.svc.RevokeCalendarLink(ctx, p.App, p.MemberID)
}

func (h handlers) contentDatabases(ctx context.Context, p multievent.AppParams) (multievent.ContentDatabases, error) {
	dbs, err := h.svc.ContentDatabases(ctx, p.App)
	if err != nil {
		return multievent.ContentDatabases{}, err
	}
	out := multievent.ContentDatabases{Databases: make([]multievent.ContentDatabase, len(dbs))}
	for i, d := range dbs {
		out.Databases[i] = multievent.ContentDatabase{Name: d.Name, Group: d.Group, EventID: d.EventID, URL: d.URL}
	}
	return out, nil
}
