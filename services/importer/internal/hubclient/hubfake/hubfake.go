// Package hubfake is hub in memory, for the importer's unit tests: the
// events of each app, and the members, speakers and sessions its bulk
// upserts keep, keyed as hub keys them (external id, else email; a
// session by external id), with hub's modes, merge and dry runs. It
// checks no schema and no permission, and keeps no rooms, tracks or
// registrations. It is not for production.
package hubfake

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"sync"

	"github.com/attendify/hub"
	"github.com/attendify/importer/internal/service"
)

// Hub implements service.Hub in memory.
type Hub struct {
	// Fail, when set, is called first by every method with the call: a
	// non-nil error is the call's answer (and the call is not recorded).
	Fail func(c Call) error
	// Refuse, when set, is hub's own check of a row of a bulk upsert, by
	// key: a message refuses the row (a row error on field "email").
	Refuse func(key string) string

	mu       sync.Mutex
	events   map[string][]hub.Event
	members  map[string]*table[hub.MemberInput]
	speakers map[string]*table[hub.SpeakerInput]
	sessions map[string]*table[hub.BulkSessionInput] // by event
	calls    []Call
}

var _ service.Hub = (*Hub)(nil)

// Call is a call to hub: its method ("bulk.members"...) and, for a bulk
// upsert, whether it is a dry run and the keys of its rows.
type Call struct {
	Method string
	DryRun bool
	Keys   []string
}

// New returns a hub without apps.
func New() *Hub {
	return &Hub{events: map[string][]hub.Event{}, members: map[string]*table[hub.MemberInput]{},
		speakers: map[string]*table[hub.SpeakerInput]{}, sessions: map[string]*table[hub.BulkSessionInput]{}}
}

// AddEvent adds an event to an app.
func (h *Hub) AddEvent(e hub.Event) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.events[e.AppID] = append(h.events[e.AppID], e)
}

// Members returns an app's members, in the order they were created.
func (h *Hub) Members(app string) []hub.MemberInput {
	h.mu.Lock()
	defer h.mu.Unlock()
	if t := h.members[app]; t != nil {
		return slices.Clone(t.rows)
	}
	return nil
}

// Calls returns the bulk calls made so far.
func (h *Hub) Calls() []Call {
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Clone(h.calls)
}

// Events implements service.Hub.
func (h *Hub) Events(ctx context.Context, app string) ([]hub.Event, error) {
	if err := h.fail(Call{Method: "event.list"}); err != nil {
		return nil, err
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Clone(h.events[app]), nil
}

// Speakers implements service.Hub.
func (h *Hub) Speakers(ctx context.Context, app string) ([]hub.Speaker, error) {
	if err := h.fail(Call{Method: "speaker.list"}); err != nil {
		return nil, err
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []hub.Speaker
	if t := h.speakers[app]; t != nil {
		for _, s := range t.rows {
			out = append(out, hub.Speaker{ID: speakerKey(s), ExternalID: s.ExternalID, Email: s.Email, Name: s.Name,
				Company: s.Company, Title: s.Title, Bio: s.Bio, PhotoURL: s.PhotoURL})
		}
	}
	return out, nil
}

// Agenda implements service.Hub: the event's sessions, in one day.
func (h *Hub) Agenda(ctx context.Context, p hub.AgendaParams) (hub.Agenda, error) {
	if err := h.fail(Call{Method: "agenda.get"}); err != nil {
		return hub.Agenda{}, err
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	var ag hub.Agenda
	for _, e := range h.events[p.App] {
		if e.ID == p.Event {
			ag.Event = e
		}
	}
	t := h.sessions[p.App+"/"+p.Event]
	if t == nil {
		return ag, nil
	}
	day := hub.AgendaDay{Date: ag.Event.Start}
	for _, s := range t.rows {
		x := hub.Session{ID: s.ExternalID, EventID: p.Event, ExternalID: s.ExternalID, Title: s.Title, Description: s.Description,
			Start: s.Start, End: s.End, Capacity: s.Capacity}
		if s.Room != "" {
			x.Room = &hub.Room{Name: s.Room}
		}
		if s.Track != "" {
			x.Track = &hub.Track{Name: s.Track}
		}
		for _, k := range s.Speakers {
			x.Speakers = append(x.Speakers, hub.Speaker{ExternalID: k})
		}
		day.Sessions = append(day.Sessions, x)
	}
	ag.Days = []hub.AgendaDay{day}
	return ag, nil
}

// BulkMembers implements service.Hub.
func (h *Hub) BulkMembers(ctx context.Context, p hub.BulkMembersParams) (hub.BulkResult, error) {
	return bulk(h, Call{Method: "bulk.members", DryRun: p.DryRun}, h.members, p.App, memberKey, p.Members, p.Mode, p.Merge)
}

// BulkSpeakers implements service.Hub.
func (h *Hub) BulkSpeakers(ctx context.Context, p hub.BulkSpeakersParams) (hub.BulkResult, error) {
	return bulk(h, Call{Method: "bulk.speakers", DryRun: p.DryRun}, h.speakers, p.App, speakerKey, p.Speakers, p.Mode, false)
}

// BulkSessions implements service.Hub.
func (h *Hub) BulkSessions(ctx context.Context, p hub.BulkSessionsParams) (hub.BulkResult, error) {
	key := func(s hub.BulkSessionInput) string { return "x:" + s.ExternalID }
	return bulk(h, Call{Method: "bulk.sessions", DryRun: p.DryRun}, h.sessions, p.App+"/"+p.Event, key, p.Sessions, p.Mode, false)
}

func (h *Hub) fail(c Call) error {
	if h.Fail == nil {
		return nil
	}
	return h.Fail(c)
}

// bulk answers call c, a bulk upsert of rows into the table of owner.
func bulk[T any](h *Hub, c Call, tables map[string]*table[T], owner string, key func(T) string, rows []T, mode string,
	merge bool) (hub.BulkResult, error) {
	for _, r := range rows {
		c.Keys = append(c.Keys, key(r))
	}
	if err := h.fail(c); err != nil {
		return hub.BulkResult{}, err
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	h.calls = append(h.calls, c)
	return upsert(tables, owner, key, rows, mode, c.DryRun, merge, h.Refuse), nil
}

func memberKey(m hub.MemberInput) string {
	if m.ExternalID != "" {
		return "x:" + m.ExternalID
	}
	return "e:" + strings.ToLower(m.Email)
}

func speakerKey(s hub.SpeakerInput) string {
	if s.ExternalID != "" {
		return "x:" + s.ExternalID
	}
	return "e:" + strings.ToLower(s.Email)
}

// table is the rows of one kind of one app (or event), by key.
type table[T any] struct {
	rows  []T
	index map[string]int
}

// upsert applies rows to the table of owner, all or nothing, in mode; a
// dry run or a batch with refused rows writes nothing. With merge, an
// update keeps the stored value of every field the row leaves empty.
func upsert[T any](tables map[string]*table[T], owner string, key func(T) string, rows []T, mode string, dry, merge bool,
	refuse func(key string) string) hub.BulkResult {
	t := tables[owner]
	if t == nil {
		t = &table[T]{index: map[string]int{}}
	}
	var res hub.BulkResult
	next := make([]T, len(t.rows))
	copy(next, t.rows)
	index := make(map[string]int, len(t.index))
	for k, i := range t.index {
		index[k] = i
	}
	for j, r := range rows {
		k := key(r)
		if refuse != nil {
			if msg := refuse(k); msg != "" {
				res.Errors = append(res.Errors, hub.RowError{Row: j, Field: "email", Message: msg})
				res.Rows = append(res.Rows, hub.RowRejected)
				continue
			}
		}
		i, found := index[k]
		switch {
		case found && mode == hub.BulkCreate, !found && mode == hub.BulkUpdate:
			res.Skipped++
			res.Rows = append(res.Rows, hub.RowSkipped)
		case found:
			if merge {
				r = overlay(next[i], r)
			}
			if equal(next[i], r) {
				res.Unchanged++
				res.Rows = append(res.Rows, hub.RowUnchanged)
				continue
			}
			next[i] = r
			res.Updated++
			res.Rows = append(res.Rows, hub.RowUpdated)
		default:
			index[k] = len(next)
			next = append(next, r)
			res.Created++
			res.Rows = append(res.Rows, hub.RowCreated)
		}
	}
	res.Applied = !dry && len(res.Errors) == 0
	if res.Applied {
		tables[owner] = &table[T]{rows: next, index: index}
	}
	return res
}

// overlay is old with the fields r gives (not empty in its JSON).
func overlay[T any](old, r T) T {
	var fields map[string]json.RawMessage
	b, _ := json.Marshal(old)
	_ = json.Unmarshal(b, &fields)
	b, _ = json.Marshal(r)
	_ = json.Unmarshal(b, &fields)
	b, _ = json.Marshal(fields)
	var out T
	_ = json.Unmarshal(b, &out)
	return out
}

func equal[T any](a, b T) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return string(x) == string(y)
}
