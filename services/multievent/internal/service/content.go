package service

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/attendify/hub"
	"github.com/attendify/multievent"
	"github.com/attendify/platform/errs"
)

// The content databases. Each app's published content is written as
// documents into CouchDB databases that phones replicate and read offline,
// one database per content group, so that what a member may not read
// never reaches a database they may replicate:
//
//   - GroupAll: what every member of the app may read: the cards of the
//     public events, and the agendas (sessions, rooms, tracks) of the
//     events every member may open;
//   - EventGroup(e): what only the members registered to e (and
//     organizers) may read: the agenda of an event whose access is "code"
//     or "listed", and the card too of a hidden event.
//
// Which group holds what is hub's rule, asked of hub.DecideEvent for a
// member who is not registered. A speaker's document goes to the groups
// of the events they speak at (GroupAll when they speak at none).
//
// The writer settles dirty documents (marked by Projection.Apply in the
// transaction of the change): it computes each one's groups and content,
// compares with where it is placed (and its hash), and writes or deletes
// only what differs, under a lock per app.

// settleBatch is how many dirty documents one settle pass takes.
const settleBatch = 500

// cardGroup is the group of an event's card (its document).
func cardGroup(e Event) string {
	if hub.DecideEvent(e.Visibility, e.Access, false, false) == hub.GateHidden {
		return EventGroup(e.ID)
	}
	return GroupAll
}

// agendaGroup is the group of what an event holds (sessions, rooms,
// tracks).
func agendaGroup(e Event) string {
	if hub.DecideEvent(e.Visibility, e.Access, false, false) == hub.GateOpen {
		return GroupAll
	}
	return EventGroup(e.ID)
}

// SettleApp writes the dirty content documents of app until none is left;
// it returns how many it settled. In one process one call at a time
// settles an app: a call that finds another at work asks it to look again
// once done, and returns at once (holding no database connection while the
// other works); across replicas, Projection.Settle's lock takes turns.
func (s *Service) SettleApp(ctx context.Context, app string) (int, error) {
	if !s.settling.start(app) {
		return 0, nil
	}
	total := 0
	for {
		n, err := s.settlePasses(ctx, app)
		total += n
		if err != nil {
			s.settling.stop(app)
			return total, err
		}
		if s.settling.done(app) {
			return total, nil
		}
	}
}

// settlePasses settles batches of app's dirty documents until a batch is
// not full.
func (s *Service) settlePasses(ctx context.Context, app string) (int, error) {
	total := 0
	for {
		n, err := s.proj.Settle(ctx, app, settleBatch, func(dirty []string, placed []Placement) ([]Placement, error) {
			return s.settle(ctx, app, dirty, placed)
		})
		total += n
		if err != nil || n < settleBatch {
			return total, err
		}
	}
}

// settlers tracks, per app, whether a settle runs in this process and
// whether it was asked to look again.
type settlers struct {
	mu   sync.Mutex
	apps map[string]bool // app -> asked again while running
}

// start reports whether the caller is to settle app (none was running);
// otherwise it asks the one running to look again.
func (st *settlers) start(app string) bool {
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.apps == nil {
		st.apps = map[string]bool{}
	}
	if _, running := st.apps[app]; running {
		st.apps[app] = true
		return false
	}
	st.apps[app] = false
	return true
}

// done ends a settle of app unless it was asked to look again meanwhile
// (then it clears the request and reports false: settle once more).
func (st *settlers) done(app string) bool {
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.apps[app] {
		st.apps[app] = false
		return false
	}
	delete(st.apps, app)
	return true
}

// stop ends a settle of app that failed (what is dirty stays for the
// sweeper).
func (st *settlers) stop(app string) {
	st.mu.Lock()
	defer st.mu.Unlock()
	delete(st.apps, app)
}

// SettleDirty settles every app with dirty documents (the sweeper's pass:
// writes that failed, or whose writer died, get done here).
func (s *Service) SettleDirty(ctx context.Context) (int, error) {
	apps, err := s.proj.DirtyApps(ctx, 100)
	if err != nil {
		return 0, err
	}
	total := 0
	var errList []error
	for _, app := range apps {
		n, err := s.SettleApp(ctx, app)
		total += n
		if err != nil {
			errList = append(errList, fmt.Errorf("app %s: %w", app, err))
		}
	}
	return total, errors.Join(errList...)
}

// docKey is a document in a group.
type docKey struct{ id, group string }

// settle writes the documents dirty, placed as placed, and returns their
// new placements.
func (s *Service) settle(ctx context.Context, app string, dirty []string, placed []Placement) ([]Placement, error) {
	state, err := s.proj.Content(ctx, app, dirty)
	if err != nil {
		return nil, err
	}
	want := map[docKey][]byte{} // body by (doc, group)
	for _, id := range dirty {
		for group, body := range desired(state, id) {
			want[docKey{id, group}] = body
		}
	}
	have := map[docKey]Placement{}
	for _, p := range placed {
		have[docKey{p.DocID, p.Group}] = p
	}
	writes := map[string][]ContentDoc{} // by group
	for k, body := range want {
		h := hashOf(body)
		if p, ok := have[k]; ok && p.Hash == h {
			continue
		}
		writes[k.group] = append(writes[k.group], ContentDoc{ID: k.id, Rev: have[k].Rev, Body: withHash(body, h)})
	}
	for k, p := range have {
		if _, ok := want[k]; !ok {
			writes[k.group] = append(writes[k.group], ContentDoc{ID: k.id, Rev: p.Rev, Deleted: true})
		}
	}
	out := map[docKey]Placement{}
	for k, p := range have {
		out[k] = p
	}
	for group, docs := range writes {
		db := GroupDB{App: app, Group: group}
		res, err := s.writeDocs(ctx, db, docs)
		if err != nil {
			return nil, err
		}
		deleted := false
		for i, d := range docs {
			k := docKey{d.ID, group}
			if d.Deleted {
				delete(out, k)
				deleted = true
				continue
			}
			out[k] = Placement{DocID: d.ID, Group: group, Rev: res[i], Hash: hashOf(want[k])}
		}
		if deleted {
			s.compact(ctx, db)
		}
	}
	ps := make([]Placement, 0, len(out))
	for _, p := range out {
		ps = append(ps, p)
	}
	return ps, nil
}

// compact has db drop the bodies of its documents' earlier revisions,
// after documents were deleted from it: a document leaves a group's
// database when its reader may no longer see it (an event that became
// listed or locked, a session hidden or moved), and CouchDB would
// otherwise serve the revision before the deletion to anyone who names it
// (GET <doc>?rev=, open_revs, _bulk_get), which the front lets through
// because replication asks for revisions that way. A failure is logged,
// not returned: the documents are written, and the next deletion from
// the database asks again (CouchDB's own compaction daemon also gets to
// it in time).
func (s *Service) compact(ctx context.Context, db GroupDB) {
	if err := s.content.Compact(ctx, db); err != nil {
		s.log.WarnContext(ctx, "compact a content database", "app", db.App, "group", db.Group, "error", err)
	}
}

// writeDocs writes docs into db and returns their new
// revisions in order. A document whose revision was stale (written behind
// the writer's back, or its database lost) is written again over the
// current revision.
func (s *Service) writeDocs(ctx context.Context, db GroupDB, docs []ContentDoc) ([]string, error) {
	res, err := s.content.Write(ctx, db, docs)
	if err != nil {
		return nil, err
	}
	revs := make([]string, len(docs))
	var retry []ContentDoc
	var at []int
	for i, r := range res {
		switch {
		case r.Err == nil:
			revs[i] = r.Rev
		case errors.Is(r.Err, errs.Conflict):
			rev, err := s.content.Rev(ctx, DocRef{GroupDB: db, ID: docs[i].ID})
			if err != nil {
				return nil, err
			}
			if docs[i].Deleted && rev == "" {
				continue // gone already
			}
			d := docs[i]
			d.Rev = rev
			retry = append(retry, d)
			at = append(at, i)
		default:
			return nil, fmt.Errorf("write %s to %s: %w", docs[i].ID, db.Group, r.Err)
		}
	}
	if len(retry) == 0 {
		return revs, nil
	}
	res, err = s.content.Write(ctx, db, retry)
	if err != nil {
		return nil, err
	}
	for j, r := range res {
		if r.Err != nil {
			return nil, fmt.Errorf("write %s to %s again: %w", retry[j].ID, db.Group, r.Err)
		}
		revs[at[j]] = r.Rev
	}
	return revs, nil
}

// desired returns the bodies of document id by group (none: it must not
// be anywhere).
func desired(st ContentState, id string) map[string][]byte {
	kind, oid, _ := strings.Cut(id, ":")
	out := map[string][]byte{}
	switch Kind(kind) {
	case KindEvent:
		if e, ok := st.Events[oid]; ok {
			out[cardGroup(e)] = eventDoc(e)
		}
	case KindSession:
		if x, ok := st.Sessions[oid]; ok {
			if e, ok := st.Events[x.EventID]; ok {
				out[agendaGroup(e)] = sessionDoc(x, e)
			}
		}
	case KindRoom:
		if r, ok := st.Rooms[oid]; ok {
			if e, ok := st.Events[r.EventID]; ok {
				out[agendaGroup(e)] = mustJSON(multievent.PlaceDoc{Type: multievent.DocRoom, ID: r.ID, EventID: r.EventID, Name: r.Name, Capacity: r.Capacity})
			}
		}
	case KindTrack:
		if t, ok := st.Tracks[oid]; ok {
			if e, ok := st.Events[t.EventID]; ok {
				out[agendaGroup(e)] = mustJSON(multievent.PlaceDoc{Type: multievent.DocTrack, ID: t.ID, EventID: t.EventID, Name: t.Name, Color: t.Color})
			}
		}
	case KindSpeaker:
		if sp, ok := st.Speakers[oid]; ok {
			body := mustJSON(multievent.SpeakerDoc{Type: multievent.DocSpeaker, ID: sp.ID, Name: sp.Name, Company: sp.Company,
				Title: sp.Title, Bio: sp.Bio, PhotoURL: sp.PhotoURL})
			// A speaker of no session is everyone's. One whose sessions are
			// only at events not projected yet goes nowhere until they
			// arrive (their arrival marks the speaker again): their group
			// is not known, and may be a restricted one.
			evs := st.SpeakerEvents[oid]
			if len(evs) == 0 {
				out[GroupAll] = body
			}
			for _, ev := range evs {
				if e, ok := st.Events[ev]; ok {
					out[agendaGroup(e)] = body
				}
			}
		}
	}
	return out
}

func eventDoc(e Event) []byte {
	gate := hub.DecideEvent(e.Visibility, e.Access, false, false)
	if gate == hub.GateHidden {
		gate = hub.DecideEvent(hub.VisibilityPublic, e.Access, false, false)
	}
	start, end, _ := LocalTimes(e.TimeZone, e.Start, e.End)
	return mustJSON(multievent.EventDoc{Type: multievent.DocEvent, ID: e.ID, Name: e.Name, Venue: e.Venue, TimeZone: e.TimeZone,
		Start: start, End: end, StartUTC: e.Start.UTC(), EndUTC: e.End.UTC(), Gate: gate.String(),
		Hidden: e.Visibility == hub.VisibilityHidden})
}

func sessionDoc(x Session, e Event) []byte {
	start, end, _ := LocalTimes(e.TimeZone, x.Start, x.End)
	speakers := x.SpeakerIDs
	if speakers == nil {
		speakers = []string{}
	}
	return mustJSON(multievent.SessionDoc{Type: multievent.DocSession, ID: x.ID, EventID: x.EventID, Title: x.Title,
		Description: x.Description, Start: start, End: end, StartUTC: x.Start.UTC(), EndUTC: x.End.UTC(),
		RoomID: x.RoomID, TrackID: x.TrackID, Capacity: x.Capacity, SpeakerIDs: slices.Clone(speakers)})
}

// LocalTimes formats start and end on the wall clock of zone, with the
// zone's offset at start ("+02:00").
func LocalTimes(zone string, start, end time.Time) (string, string, string) {
	loc := location(zone)
	const layout = "2006-01-02T15:04"
	return start.In(loc).Format(layout), end.In(loc).Format(layout), start.In(loc).Format("-07:00")
}

// locations caches the zones by name: time.LoadLocation reads the zone
// file each time, and every directory, agenda and document formats times.
var locations sync.Map // name -> *time.Location

// location is the zone of name, UTC for a name Go does not know.
func location(name string) *time.Location {
	if l, ok := locations.Load(name); ok {
		return l.(*time.Location)
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		loc = time.UTC
	}
	locations.Store(name, loc)
	return loc
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic("multievent: content document: " + err.Error()) // plain structs only
	}
	return b
}

// hashOf is the hash a document carries in its "h" field: of its body
// without it.
func hashOf(body []byte) string {
	sum := sha256.Sum256(body)
	return base64.RawURLEncoding.EncodeToString(sum[:16])
}

// withHash sets the body's "h" field (the doc types' Hash).
func withHash(body []byte, h string) []byte {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(body, &m); err != nil {
		panic("multievent: content document: " + err.Error())
	}
	m["h"] = mustJSON(h)
	return mustJSON(m)
}

// ContentDatabase is a content database a caller may replicate.
type ContentDatabase struct {
	Name, Group, EventID, URL string
}

// ContentPath is where the read-only replication front serves the
// content databases: ContentPath + database name.
const ContentPath = "/content/"

// ContentDatabases lists the content databases the caller may replicate
// now: the app's "all" database, and the database of every event with
// restricted content that hub's rule opens to them (registered members,
// organizers).
func (s *Service) ContentDatabases(ctx context.Context, app string) ([]ContentDatabase, error) {
	st, err := s.standing(ctx, app)
	if err != nil {
		return nil, err
	}
	evs, err := s.proj.Events(ctx, app)
	if err != nil {
		return nil, err
	}
	out := []ContentDatabase{}
	add := func(group, event string) error {
		name, err := s.content.DBName(GroupDB{App: app, Group: group})
		if err != nil {
			return err
		}
		out = append(out, ContentDatabase{Name: name, Group: group, EventID: event,
			URL: strings.TrimRight(s.url, "/") + ContentPath + url.PathEscape(name)})
		return nil
	}
	if err := add(GroupAll, ""); err != nil {
		return nil, err
	}
	for _, e := range evs {
		if st.Gate(e.ID) != hub.GateOpen || (cardGroup(e) == GroupAll && agendaGroup(e) == GroupAll) {
			continue
		}
		if err := add(EventGroup(e.ID), e.ID); err != nil {
			return nil, err
		}
	}
	return out, nil
}
