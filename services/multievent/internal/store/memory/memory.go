// Package memory holds in-memory fakes of multievent's ports, for the
// domain's unit tests: each passes the same contract suite as the real
// adapter (internal/store/storetest). They are safe for concurrent use and
// keep everything in maps behind one mutex.
package memory

import (
	"cmp"
	"context"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/attendify/multievent/internal/service"
	"github.com/attendify/platform/errs"
)

// Store fakes the Postgres adapter: projection, search and links.
type Store struct {
	mu       sync.Mutex
	apps     map[string]appRow
	rows     map[key]*row
	dirty    map[[2]string]int64 // (app, doc) -> seq
	seq      int64
	placed   map[[2]string][]service.Placement // (app, doc) -> placements
	links    map[[2]string]link
	owners   map[[2]string]bool
	settling map[string]*sync.Mutex
	// changes counts every Apply, Snapshot and DeleteApp: the content
	// version of every app (it moves on any app's change, which the
	// contract allows).
	changes int64
}

var (
	_ service.Projection = (*Store)(nil)
	_ service.Searcher   = (*Store)(nil)
	_ service.Links      = (*Store)(nil)
)

type appRow struct {
	version time.Time
	deleted bool
}

type key struct {
	kind    service.Kind
	app, id string
}

// row is one projected object: the Change that last wrote it.
type row struct {
	c service.Change
}

type link struct {
	hash []byte
	at   time.Time
}

// NewStore returns an empty store.
func NewStore() *Store {
	return &Store{apps: map[string]appRow{}, rows: map[key]*row{}, dirty: map[[2]string]int64{},
		placed: map[[2]string][]service.Placement{}, links: map[[2]string]link{}, owners: map[[2]string]bool{},
		settling: map[string]*sync.Mutex{}}
}

func (s *Store) markDirty(app string, docs ...string) {
	for _, d := range docs {
		s.seq++
		s.dirty[[2]string{app, d}] = s.seq
	}
}

// live reports whether the row exists and is not deleted.
func (r *row) live() bool { return r != nil && !r.c.Deleted }

func (s *Store) get(k service.Kind, app, id string) *row { return s.rows[key{k, app, id}] }

// put writes c's row unless a newer one is there.
func (s *Store) put(c service.Change) bool {
	k := key{c.Kind, c.App, c.ID}
	if r := s.rows[k]; r != nil && r.c.Version.After(c.Version) {
		return false
	}
	if c.Kind == service.KindSession && !c.Deleted {
		c.Session.SpeakerIDs = slices.Clone(c.Session.SpeakerIDs)
	}
	s.rows[k] = &row{c: c}
	return true
}

// Apply implements service.Projection.
func (s *Store) Apply(_ context.Context, c service.Change) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.changes++
	if a, ok := s.apps[c.App]; ok && a.deleted {
		return false, nil
	} else if !ok {
		s.apps[c.App] = appRow{version: c.Version}
	}
	return s.apply(c), nil
}

func (s *Store) apply(c service.Change) bool {
	var before []string
	if c.Kind == service.KindSession {
		if r := s.get(service.KindSession, c.App, c.ID); r != nil && !r.c.Deleted {
			before = r.c.Session.SpeakerIDs
		}
	}
	if c.Deleted {
		// A tombstone keeps what the object was (for the dirty marks of
		// its children), flagged deleted.
		if r := s.rows[key{c.Kind, c.App, c.ID}]; r != nil && !r.c.Version.After(c.Version) {
			d := r.c
			d.Deleted, d.Version = true, c.Version
			c = d
		}
	}
	if !s.put(c) {
		return false
	}
	docs := []string{string(c.Kind) + ":" + c.ID}
	switch c.Kind {
	case service.KindEvent:
		for k, r := range s.rows {
			if k.app != c.App || k.kind == service.KindEvent || k.kind == service.KindSpeaker || eventOf(r.c) != c.ID {
				continue
			}
			docs = append(docs, string(k.kind)+":"+k.id)
			if k.kind == service.KindSession {
				for _, p := range r.c.Session.SpeakerIDs {
					docs = append(docs, "speaker:"+p)
				}
			}
			if c.Deleted && (!r.c.Deleted || r.c.Version.Before(c.Version)) {
				r.c.Deleted = true
				r.c.Version = later(r.c.Version, c.Version)
			}
		}
	case service.KindSession:
		for _, p := range before {
			docs = append(docs, "speaker:"+p)
		}
		if !c.Deleted {
			for _, p := range c.Session.SpeakerIDs {
				docs = append(docs, "speaker:"+p)
			}
		}
	case service.KindSpeaker:
		if c.Deleted {
			for k, r := range s.rows {
				if k.app == c.App && k.kind == service.KindSession && slices.Contains(r.c.Session.SpeakerIDs, c.ID) {
					r.c.Session.SpeakerIDs = slices.DeleteFunc(slices.Clone(r.c.Session.SpeakerIDs), func(p string) bool { return p == c.ID })
					docs = append(docs, "session:"+k.id)
				}
			}
		}
	}
	s.markDirty(c.App, docs...)
	return true
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// eventOf is the event a session, room or track belongs to.
func eventOf(c service.Change) string {
	switch c.Kind {
	case service.KindSession:
		return c.Session.EventID
	case service.KindRoom:
		return c.Room.EventID
	case service.KindTrack:
		return c.Track.EventID
	}
	return ""
}

// DeleteApp implements service.Projection.
func (s *Store) DeleteApp(_ context.Context, app string, v time.Time) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if a, ok := s.apps[app]; ok && a.version.After(v) {
		return false, nil
	}
	s.changes++
	s.apps[app] = appRow{version: v, deleted: true}
	for k := range s.rows {
		if k.app == app {
			delete(s.rows, k)
		}
	}
	for k := range s.dirty {
		if k[0] == app {
			delete(s.dirty, k)
		}
	}
	for k := range s.placed {
		if k[0] == app {
			delete(s.placed, k)
		}
	}
	return true, nil
}

// Apps implements service.Projection.
func (s *Store) Apps(context.Context) ([]string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := []string{}
	for id, a := range s.apps {
		if !a.deleted {
			out = append(out, id)
		}
	}
	slices.Sort(out)
	return out, nil
}

// Snapshot implements service.Projection.
func (s *Store) Snapshot(_ context.Context, app string, v time.Time, snap service.AppSnapshot) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.changes++
	if a, ok := s.apps[app]; ok && a.deleted {
		return nil
	} else if !ok {
		s.apps[app] = appRow{version: v}
	}
	keep := map[key]bool{}
	add := func(c service.Change) {
		c.App, c.Version = app, v
		keep[key{c.Kind, app, c.ID}] = true
		s.apply(c)
	}
	for _, e := range snap.Events {
		add(service.Change{Kind: service.KindEvent, ID: e.ID, Event: e})
	}
	for _, x := range snap.Sessions {
		add(service.Change{Kind: service.KindSession, ID: x.ID, Session: x})
	}
	for _, p := range snap.Speakers {
		add(service.Change{Kind: service.KindSpeaker, ID: p.ID, Speaker: p})
	}
	for _, r := range snap.Rooms {
		add(service.Change{Kind: service.KindRoom, ID: r.ID, Room: r})
	}
	for _, t := range snap.Tracks {
		add(service.Change{Kind: service.KindTrack, ID: t.ID, Track: t})
	}
	for k, r := range s.rows {
		if k.app == app && !keep[k] && !r.c.Deleted && r.c.Version.Before(v) {
			r.c.Deleted, r.c.Version = true, v
		}
	}
	s.markAllDirty(app)
	return nil
}

// ContentVersion implements service.Projection.
func (s *Store) ContentVersion(_ context.Context, app string) (int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.apps[app]; !ok {
		return 0, nil
	}
	return s.changes, nil
}

// Events implements service.Projection.
func (s *Store) Events(_ context.Context, app string) ([]service.Event, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := []service.Event{}
	for k, r := range s.rows {
		if k.app == app && k.kind == service.KindEvent && r.live() {
			e := r.c.Event
			e.ID, e.AppID = k.id, app
			out = append(out, e)
		}
	}
	slices.SortFunc(out, func(a, b service.Event) int {
		if c := a.Start.Compare(b.Start); c != 0 {
			return c
		}
		return cmp.Compare(a.ID, b.ID)
	})
	return out, nil
}

func (s *Store) liveEvent(app, id string) (service.Event, bool) {
	r := s.get(service.KindEvent, app, id)
	if !r.live() {
		return service.Event{}, false
	}
	e := r.c.Event
	e.ID, e.AppID = id, app
	return e, true
}

func (s *Store) liveSession(app, id string) (service.Session, bool) {
	r := s.get(service.KindSession, app, id)
	if !r.live() {
		return service.Session{}, false
	}
	x := r.c.Session
	x.ID, x.AppID, x.SpeakerIDs = id, app, slices.Clone(x.SpeakerIDs)
	if x.SpeakerIDs == nil {
		x.SpeakerIDs = []string{}
	}
	return x, true
}

// Sessions implements service.Projection.
func (s *Store) Sessions(_ context.Context, app string, ids []string) ([]service.Session, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := []service.Session{}
	for _, id := range slices.Compact(slices.Sorted(slices.Values(ids))) {
		x, ok := s.liveSession(app, id)
		if !ok {
			continue
		}
		if _, ok := s.liveEvent(app, x.EventID); ok {
			out = append(out, x)
		}
	}
	slices.SortFunc(out, func(a, b service.Session) int {
		if c := a.Start.Compare(b.Start); c != 0 {
			return c
		}
		return cmp.Compare(a.ID, b.ID)
	})
	return out, nil
}

// Content implements service.Projection.
func (s *Store) Content(_ context.Context, app string, docIDs []string) (service.ContentState, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := service.ContentState{Events: map[string]service.Event{}, Sessions: map[string]service.Session{},
		Speakers: map[string]service.Speaker{}, Rooms: map[string]service.Room{}, Tracks: map[string]service.Track{},
		SpeakerEvents: map[string][]string{}}
	addEvent := func(id string) {
		if e, ok := s.liveEvent(app, id); ok {
			st.Events[id] = e
		}
	}
	for _, d := range docIDs {
		kind, id, _ := strings.Cut(d, ":")
		r := s.get(service.Kind(kind), app, id)
		if !r.live() {
			continue
		}
		switch service.Kind(kind) {
		case service.KindEvent:
			addEvent(id)
		case service.KindSession:
			x, _ := s.liveSession(app, id)
			st.Sessions[id] = x
			addEvent(x.EventID)
		case service.KindRoom:
			x := r.c.Room
			x.ID, x.AppID = id, app
			st.Rooms[id] = x
			addEvent(x.EventID)
		case service.KindTrack:
			x := r.c.Track
			x.ID, x.AppID = id, app
			st.Tracks[id] = x
			addEvent(x.EventID)
		case service.KindSpeaker:
			p := r.c.Speaker
			p.ID, p.AppID = id, app
			st.Speakers[id] = p
			var evs []string
			for k, sr := range s.rows {
				if k.app != app || k.kind != service.KindSession || !sr.live() || !slices.Contains(sr.c.Session.SpeakerIDs, id) {
					continue
				}
				// Live events, and those not projected yet; not deleted ones.
				if er := s.get(service.KindEvent, app, sr.c.Session.EventID); er == nil || er.live() {
					evs = append(evs, sr.c.Session.EventID)
					addEvent(sr.c.Session.EventID)
				}
			}
			if len(evs) > 0 {
				slices.Sort(evs)
				st.SpeakerEvents[id] = slices.Compact(evs)
			}
		}
	}
	return st, nil
}

// MarkAllDirty implements service.Projection.
func (s *Store) MarkAllDirty(_ context.Context, app string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.markAllDirty(app)
	return nil
}

func (s *Store) markAllDirty(app string) {
	for k := range s.rows {
		if k.app == app {
			s.markDirty(app, string(k.kind)+":"+k.id)
		}
	}
	for k := range s.placed {
		if k[0] == app {
			s.markDirty(app, k[1])
		}
	}
}

// ReplacePlacements implements service.Projection.
func (s *Store) ReplacePlacements(_ context.Context, app string, ps []service.Placement) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for k := range s.placed {
		if k[0] == app {
			delete(s.placed, k)
		}
	}
	for _, p := range ps {
		k := [2]string{app, p.DocID}
		s.placed[k] = append(s.placed[k], p)
	}
	return nil
}

// Settle implements service.Projection.
func (s *Store) Settle(_ context.Context, app string, limit int, fn func(dirty []string, placed []service.Placement) ([]service.Placement, error)) (int, error) {
	s.mu.Lock()
	lock, ok := s.settling[app]
	if !ok {
		lock = &sync.Mutex{}
		s.settling[app] = lock
	}
	s.mu.Unlock()
	lock.Lock()
	defer lock.Unlock()

	s.mu.Lock()
	type mark struct {
		doc string
		seq int64
	}
	var marks []mark
	for k, seq := range s.dirty {
		if k[0] == app {
			marks = append(marks, mark{k[1], seq})
		}
	}
	slices.SortFunc(marks, func(a, b mark) int { return cmp.Compare(a.seq, b.seq) })
	if len(marks) > limit {
		marks = marks[:limit]
	}
	var dirty []string
	var placed []service.Placement
	for _, m := range marks {
		dirty = append(dirty, m.doc)
		placed = append(placed, s.placed[[2]string{app, m.doc}]...)
	}
	s.mu.Unlock()
	if len(dirty) == 0 {
		return 0, nil
	}
	ps, err := fn(dirty, placed)
	if err != nil {
		return len(dirty), err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, m := range marks {
		k := [2]string{app, m.doc}
		delete(s.placed, k)
		if s.dirty[k] == m.seq {
			delete(s.dirty, k)
		}
	}
	for _, p := range ps {
		k := [2]string{app, p.DocID}
		s.placed[k] = append(s.placed[k], p)
	}
	return len(dirty), nil
}

// DirtyApps implements service.Projection.
func (s *Store) DirtyApps(_ context.Context, limit int) ([]string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for k := range s.dirty {
		if !slices.Contains(out, k[0]) {
			out = append(out, k[0])
		}
	}
	slices.Sort(out)
	if len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}

// SetLink implements service.Links.
func (s *Store) SetLink(_ context.Context, app, member string, hash []byte, at time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.links[[2]string{app, member}] = link{hash: slices.Clone(hash), at: at}
	return nil
}

// LinkOwner implements service.Links.
func (s *Store) LinkOwner(_ context.Context, hash []byte) (string, string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for k, l := range s.links {
		if string(l.hash) == string(hash) {
			return k[0], k[1], nil
		}
	}
	return "", "", errs.New(errs.NotFound, "no such calendar")
}

// DeleteLink implements service.Links.
func (s *Store) DeleteLink(_ context.Context, app, member string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.links, [2]string{app, member})
	return nil
}

// DeleteAppLinks implements service.Links.
func (s *Store) DeleteAppLinks(_ context.Context, app string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for k := range s.links {
		if k[0] == app {
			delete(s.links, k)
		}
	}
	return nil
}

// AddAgendaOwner implements service.Links.
func (s *Store) AddAgendaOwner(_ context.Context, app, member string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.owners[[2]string{app, member}] = true
	return nil
}

// AgendaOwners implements service.Links.
func (s *Store) AgendaOwners(_ context.Context, app string) ([]string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := []string{}
	for k := range s.owners {
		if k[0] == app {
			out = append(out, k[1])
		}
	}
	slices.Sort(out)
	return out, nil
}

// DeleteAgendaOwner implements service.Links.
func (s *Store) DeleteAgendaOwner(_ context.Context, app, member string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.owners, [2]string{app, member})
	return nil
}
