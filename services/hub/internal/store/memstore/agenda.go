package memstore

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"sort"
	"time"

	"github.com/attendify/hub"
	"github.com/attendify/hub/internal/service"
	"github.com/attendify/platform/errs"
	"github.com/attendify/platform/flake"
)

// ---------------------------------------------------------------------------
// Rooms and tracks.

// places is what rooms and tracks share here: an event's named places of
// its agenda, by app and id, which a session may name.
type places[T any] struct {
	kind    string // in errors: "room"
	of      func(d *data) map[key2]T
	fields  func(x T) (app, id, event, name string)
	named   func(app, event, name, id string) T
	session func(x service.Session) string // the session's place of this kind
}

var (
	rooms = places[service.Room]{
		kind: "room",
		of:   func(d *data) map[key2]service.Room { return d.rooms },
		fields: func(r service.Room) (string, string, string, string) {
			return r.AppID, r.ID, r.EventID, r.Name
		},
		named: func(app, event, name, id string) service.Room {
			return service.Room{ID: id, AppID: app, EventID: event, Name: name}
		},
		session: func(x service.Session) string { return x.RoomID },
	}
	tracks = places[service.Track]{
		kind: "track",
		of:   func(d *data) map[key2]service.Track { return d.tracks },
		fields: func(t service.Track) (string, string, string, string) {
			return t.AppID, t.ID, t.EventID, t.Name
		},
		named: func(app, event, name, id string) service.Track {
			return service.Track{ID: id, AppID: app, EventID: event, Name: name}
		},
		session: func(x service.Session) string { return x.TrackID },
	}
)

func (p places[T]) save(d *data, x T, create bool) error {
	app, id, event, _ := p.fields(x)
	k := key2{app, id}
	old, ok := p.of(d)[k]
	switch {
	case create && ok:
		return errs.New(errs.Conflict, "a %s has this id already", p.kind)
	case create:
		if _, ok := d.events[key2{app, event}]; !ok {
			return errs.New(errs.Invalid, "no such event")
		}
	default:
		if _, _, oldEvent, _ := p.fields(old); !ok || oldEvent != event {
			return notFound(p.kind)
		}
	}
	p.of(d)[k] = x
	return nil
}

func (p places[T]) get(d *data, app, id string) (T, error) {
	x, ok := p.of(d)[key2{app, id}]
	if !ok {
		return x, notFound(p.kind)
	}
	return x, nil
}

func (p places[T]) delete(d *data, app, id string) error {
	k := key2{app, id}
	if _, ok := p.of(d)[k]; !ok {
		return notFound(p.kind)
	}
	for sk, x := range d.sessions {
		if sk.a == app && p.session(x) == id {
			return errs.New(errs.Invalid, "the %s has sessions", p.kind)
		}
	}
	delete(p.of(d), k)
	return nil
}

// list is an event's places, by name, then id.
func (p places[T]) list(d *data, app, event string) []T {
	var out []T
	for k, x := range p.of(d) {
		if _, _, e, _ := p.fields(x); k.a == app && e == event {
			out = append(out, x)
		}
	}
	slices.SortFunc(out, func(a, b T) int {
		_, aid, _, an := p.fields(a)
		_, bid, _, bn := p.fields(b)
		return cmp.Or(cmp.Compare(an, bn), cmp.Compare(aid, bid))
	})
	return out
}

// ids returns the ids of the event's places by name, after creating those
// of names that do not exist.
func (p places[T]) ids(d *data, app, event string, names []string) map[string]string {
	out := map[string]string{}
	for _, x := range p.of(d) {
		if a, id, e, name := p.fields(x); a == app && e == event {
			out[name] = id
		}
	}
	for _, n := range names {
		if _, ok := out[n]; !ok {
			id := placeIDs.Next().String()
			p.of(d)[key2{app, id}], out[n] = p.named(app, event, n, id), id
		}
	}
	return out
}

// SaveRoom implements service.PlaceStore.
func (s *Store) SaveRoom(ctx context.Context, r service.Room, create bool) error {
	return s.do(func(d *data) error { return rooms.save(d, r, create) })
}

// Room implements service.PlaceStore.
func (s *Store) Room(ctx context.Context, app, id string) (out service.Room, err error) {
	err = s.do(func(d *data) (e error) { out, e = rooms.get(d, app, id); return e })
	return out, err
}

// DeleteRoom implements service.PlaceStore.
func (s *Store) DeleteRoom(ctx context.Context, app, id string) error {
	return s.do(func(d *data) error { return rooms.delete(d, app, id) })
}

// Rooms implements service.PlaceStore.
func (s *Store) Rooms(ctx context.Context, app, event string) (out []service.Room, err error) {
	err = s.do(func(d *data) error { out = rooms.list(d, app, event); return nil })
	return out, err
}

// SaveTrack implements service.PlaceStore.
func (s *Store) SaveTrack(ctx context.Context, t service.Track, create bool) error {
	return s.do(func(d *data) error { return tracks.save(d, t, create) })
}

// Track implements service.PlaceStore.
func (s *Store) Track(ctx context.Context, app, id string) (out service.Track, err error) {
	err = s.do(func(d *data) (e error) { out, e = tracks.get(d, app, id); return e })
	return out, err
}

// DeleteTrack implements service.PlaceStore.
func (s *Store) DeleteTrack(ctx context.Context, app, id string) error {
	return s.do(func(d *data) error { return tracks.delete(d, app, id) })
}

// Tracks implements service.PlaceStore.
func (s *Store) Tracks(ctx context.Context, app, event string) (out []service.Track, err error) {
	err = s.do(func(d *data) error { out = tracks.list(d, app, event); return nil })
	return out, err
}

// ---------------------------------------------------------------------------
// Speakers.

// speaker is a stored speaker with its member (by email) linked.
func (d *data) speaker(x service.Speaker) service.Speaker {
	x.MemberID = ""
	if x.Email != "" {
		for k, m := range d.members {
			if k.a == x.AppID && m.Email == x.Email {
				x.MemberID = m.ID
			}
		}
	}
	return x
}

// SaveSpeaker implements service.SpeakerStore.
func (s *Store) SaveSpeaker(ctx context.Context, x service.Speaker, create bool) (out service.Speaker, err error) {
	err = s.do(func(d *data) error {
		k := key2{x.AppID, x.ID}
		_, ok := d.speakers[k]
		switch {
		case create && ok:
			return errs.New(errs.Conflict, "a speaker has this id already")
		case create:
			if _, ok := d.apps[x.AppID]; !ok {
				return errs.New(errs.Invalid, "no such app")
			}
		case !ok:
			return notFound("speaker")
		}
		if d.speakerKeysTaken(x) {
			return errs.New(errs.Conflict, "a speaker of this app has this email or external id already")
		}
		x.MemberID = ""
		d.speakers[k] = x
		out = d.speaker(x)
		return nil
	})
	return out, err
}

// Speaker implements service.SpeakerStore.
func (s *Store) Speaker(ctx context.Context, app, id string) (out service.Speaker, err error) {
	err = s.do(func(d *data) error {
		x, ok := d.speakers[key2{app, id}]
		if !ok {
			return notFound("speaker")
		}
		out = d.speaker(x)
		return nil
	})
	return out, err
}

// DeleteSpeaker implements service.SpeakerStore.
func (s *Store) DeleteSpeaker(ctx context.Context, app, id string) error {
	return s.do(func(d *data) error {
		k := key2{app, id}
		if _, ok := d.speakers[k]; !ok {
			return notFound("speaker")
		}
		delete(d.speakers, k)
		d.eraseCollisions("speakers", func(x string) bool { return x == id })
		for sk, x := range d.sessions {
			if sk.a == app && slices.Contains(x.SpeakerIDs, id) {
				x.SpeakerIDs = slices.DeleteFunc(slices.Clone(x.SpeakerIDs), func(s string) bool { return s == id })
				d.sessions[sk] = x
			}
		}
		return nil
	})
}

// Speakers implements service.SpeakerStore.
func (s *Store) Speakers(ctx context.Context, app string, ids []string) (out []service.Speaker, err error) {
	err = s.do(func(d *data) error {
		for k, x := range d.speakers {
			if k.a == app && (ids == nil || slices.Contains(ids, x.ID)) {
				out = append(out, d.speaker(x))
			}
		}
		sort.Slice(out, func(i, j int) bool {
			return out[i].Name < out[j].Name || out[i].Name == out[j].Name && out[i].ID < out[j].ID
		})
		return nil
	})
	return out, err
}

// SpeakerEvents implements service.SpeakerStore.
func (s *Store) SpeakerEvents(ctx context.Context, app string) (out map[string][]string, err error) {
	err = s.do(func(d *data) error {
		out = map[string][]string{}
		for k, x := range d.sessions {
			if k.a != app {
				continue
			}
			for _, sp := range x.SpeakerIDs {
				if !slices.Contains(out[sp], x.EventID) {
					out[sp] = append(out[sp], x.EventID)
				}
			}
		}
		for _, evs := range out {
			slices.Sort(evs)
		}
		return nil
	})
	return out, err
}

// UpsertSpeakers implements service.SpeakerStore as the Postgres adapter's
// statements do, row by row: a row matches the stored speaker of its
// external id, else of its email, and updates it (empty keys keep the
// stored ones); a row that matches none creates a speaker of its ID.
func (s *Store) UpsertSpeakers(ctx context.Context, app string, rows []service.Speaker) (counts service.BulkCounts, rowErrs []service.RowError, err error) {
	err = s.do(func(d *data) error {
		byExt, byEmail := map[string]string{}, map[string]string{}
		for k, x := range d.speakers {
			if k.a != app {
				continue
			}
			if x.ExternalID != "" {
				byExt[x.ExternalID] = x.ID
			}
			if x.Email != "" {
				byEmail[x.Email] = x.ID
			}
		}
		targets := make([]string, len(rows))
		rowOf := map[string]int{} // target -> first row
		for i, r := range rows {
			ext, email := byExt[r.ExternalID], byEmail[r.Email]
			if r.ExternalID == "" {
				ext = ""
			}
			if r.Email == "" {
				email = ""
			}
			targets[i] = cmp.Or(ext, email, r.ID)
			if ext != "" && email != "" && ext != email {
				rowErrs = append(rowErrs, service.RowError{Row: i, Field: "email", Message: "belongs to another speaker than the external id"})
			}
			if _, dup := rowOf[targets[i]]; dup {
				rowErrs = append(rowErrs, service.RowError{Row: i, Field: "external_id", Message: "matches the same speaker as another row"})
			} else {
				rowOf[targets[i]] = i
			}
		}
		if len(rowErrs) > 0 {
			return nil
		}
		counts = service.BulkCounts{IDs: targets, Rows: make([]string, len(rows))}
		for i, r := range rows {
			x, stored := d.speakers[key2{app, targets[i]}]
			switch {
			case targets[i] == r.ID && stored:
				return errs.New(errs.Conflict, "a speaker has this id already")
			case targets[i] == r.ID:
				x = service.Speaker{ID: r.ID, AppID: app}
			}
			y := x
			y.ExternalID, y.Email = cmp.Or(r.ExternalID, x.ExternalID), cmp.Or(r.Email, x.Email)
			y.Name, y.Company, y.Title, y.Bio, y.PhotoURL = r.Name, r.Company, r.Title, r.Bio, r.PhotoURL
			switch {
			case !stored:
				counts.Rows[i] = hub.RowCreated
				counts.Created++
			case y != x:
				counts.Rows[i] = hub.RowUpdated
				counts.Updated++
			default:
				counts.Rows[i] = hub.RowUnchanged
				counts.Unchanged++
				continue
			}
			if d.speakerKeysTaken(y) {
				return errs.New(errs.Conflict, "a speaker of this app has this email or external id already")
			}
			y.MemberID = ""
			d.speakers[key2{app, y.ID}] = y
		}
		return nil
	})
	if err != nil || len(rowErrs) > 0 {
		return service.BulkCounts{}, rowErrs, err
	}
	return counts, nil, nil
}

// speakerKeysTaken reports whether another speaker of x's app has x's
// external id or email.
func (d *data) speakerKeysTaken(x service.Speaker) bool {
	for k, y := range d.speakers {
		if k.a == x.AppID && y.ID != x.ID && (x.ExternalID != "" && y.ExternalID == x.ExternalID || x.Email != "" && y.Email == x.Email) {
			return true
		}
	}
	return false
}

// ---------------------------------------------------------------------------
// Sessions.

// SaveSession implements service.SessionStore.
func (s *Store) SaveSession(ctx context.Context, x service.Session, create bool) error {
	return s.do(func(d *data) error { return d.putSession(x, create) })
}

// putSession creates or replaces a session, with the checks of the
// Postgres constraints.
func (d *data) putSession(x service.Session, create bool) error {
	k := key2{x.AppID, x.ID}
	old, ok := d.sessions[k]
	switch {
	case create && ok:
		return errs.New(errs.Conflict, "a session has this id already")
	case create:
		if _, ok := d.events[key2{x.AppID, x.EventID}]; !ok {
			return errs.New(errs.Invalid, "no such event")
		}
	case !ok:
		return notFound("session")
	default:
		x.EventID = old.EventID
	}
	if err := checkSession(x); err != nil {
		return err
	}
	if r, ok := d.rooms[key2{x.AppID, x.RoomID}]; x.RoomID != "" && (!ok || r.EventID != x.EventID) {
		return errs.New(errs.Invalid, "no such room")
	}
	if t, ok := d.tracks[key2{x.AppID, x.TrackID}]; x.TrackID != "" && (!ok || t.EventID != x.EventID) {
		return errs.New(errs.Invalid, "no such track")
	}
	for _, sp := range x.SpeakerIDs {
		if _, ok := d.speakers[key2{x.AppID, sp}]; !ok {
			return errs.New(errs.Invalid, "no such speaker")
		}
	}
	for yk, y := range d.sessions {
		if yk.a != x.AppID || y.ID == x.ID {
			continue
		}
		if x.ExternalID != "" && y.ExternalID == x.ExternalID {
			return errs.New(errs.Conflict, "a session of this app has this external id already")
		}
		if x.RoomID != "" && y.RoomID == x.RoomID && x.Start.Before(y.End) && y.Start.Before(x.End) {
			return errs.New(errs.Conflict, "the session overlaps another session in this room")
		}
	}
	x.SpeakerIDs = slices.Clone(x.SpeakerIDs)
	if x.SpeakerIDs == nil {
		x.SpeakerIDs = []string{}
	}
	d.sessions[k] = x
	return nil
}

// Session implements service.SessionStore.
func (s *Store) Session(ctx context.Context, app, id string) (out service.Session, err error) {
	err = s.do(func(d *data) error {
		x, ok := d.sessions[key2{app, id}]
		if !ok {
			return notFound("session")
		}
		out = x
		out.SpeakerIDs = slices.Clone(x.SpeakerIDs)
		return nil
	})
	return out, err
}

// DeleteSession implements service.SessionStore.
func (s *Store) DeleteSession(ctx context.Context, app, id string) error {
	return s.do(func(d *data) error {
		k := key2{app, id}
		if _, ok := d.sessions[k]; !ok {
			return notFound("session")
		}
		delete(d.sessions, k)
		return nil
	})
}

// Sessions implements service.SessionStore.
func (s *Store) Sessions(ctx context.Context, app, event, track string, from, to time.Time) (out []service.Session, err error) {
	err = s.do(func(d *data) error {
		for k, x := range d.sessions {
			if k.a != app || x.EventID != event || track != "" && x.TrackID != track {
				continue
			}
			if !from.IsZero() && (x.Start.Before(from) || !x.Start.Before(to)) {
				continue
			}
			x.SpeakerIDs = slices.Clone(x.SpeakerIDs)
			out = append(out, x)
		}
		sort.Slice(out, func(i, j int) bool {
			a, b := out[i], out[j]
			switch {
			case !a.Start.Equal(b.Start):
				return a.Start.Before(b.Start)
			case !a.End.Equal(b.End):
				return a.End.Before(b.End)
			}
			return a.ID < b.ID
		})
		return nil
	})
	return out, err
}

// placeIDs numbers the rooms and tracks UpsertSessions creates.
var placeIDs = flake.New(0)

// UpsertSessions implements service.SessionStore as the Postgres adapter's
// statements do: speakers by external id or email (rows[i].SpeakerIDs set
// to them), rooms and tracks by name (created when missing), and a row
// updates the app's session of its external id or creates one of its ID.
func (s *Store) UpsertSessions(ctx context.Context, app, event string, rows []service.BulkSession) (counts service.BulkCounts, rowErrs []service.RowError, changed []service.Upserted[service.Session], err error) {
	err = s.do(func(d *data) error {
		if rowErrs = d.resolveSpeakers(app, rows); len(rowErrs) > 0 {
			return nil
		}
		roomIDs := rooms.ids(d, app, event, names(rows, func(r service.BulkSession) string { return r.RoomName }))
		trackIDs := tracks.ids(d, app, event, names(rows, func(r service.BulkSession) string { return r.TrackName }))
		existing := make([]service.Session, len(rows))
		targets := map[string]bool{}
		counts = service.BulkCounts{IDs: make([]string, len(rows)), Rows: make([]string, len(rows))}
		for i, r := range rows {
			counts.IDs[i] = r.ID
			for k, x := range d.sessions {
				if k.a == app && r.ExternalID != "" && x.ExternalID == r.ExternalID {
					existing[i], counts.IDs[i] = x, x.ID
				}
			}
			targets[counts.IDs[i]] = true
			rows[i].RoomID, rows[i].TrackID = roomIDs[r.RoomName], trackIDs[r.TrackName]
		}
		for i, r := range rows {
			if existing[i].ID != "" && existing[i].EventID != event {
				rowErrs = append(rowErrs, service.RowError{Row: i, Field: "external_id", Message: "is a session of another event"})
			}
			for j, o := range rows[:i] {
				if r.RoomID != "" && o.RoomID == r.RoomID && overlap(o.Session, r.Session) {
					rowErrs = append(rowErrs, service.RowError{Row: i, Field: "room", Message: fmt.Sprintf("overlaps row %d in the same room", j)})
				}
			}
			for k, x := range d.sessions {
				if k.a == app && r.RoomID != "" && x.RoomID == r.RoomID && x.ID != counts.IDs[i] && !targets[x.ID] && overlap(x, r.Session) {
					rowErrs = append(rowErrs, service.RowError{Row: i, Field: "room", Message: `overlaps the session "` + x.Title + `" in the same room`})
				}
			}
		}
		if len(rowErrs) > 0 {
			return nil
		}
		// Updates first (they may free a room slot), then inserts.
		for _, created := range []bool{false, true} {
			for i, r := range rows {
				if created != (existing[i].ID == "") {
					continue
				}
				x := existing[i]
				if created {
					x = service.Session{ID: r.ID, AppID: app, EventID: event, ExternalID: r.ExternalID}
				}
				y := x
				y.Title, y.Description, y.Start, y.End = r.Title, r.Description, r.Start, r.End
				y.RoomID, y.TrackID, y.Capacity, y.SpeakerIDs = r.RoomID, r.TrackID, r.Capacity, slices.Clone(r.SpeakerIDs)
				if y.SpeakerIDs == nil {
					y.SpeakerIDs = []string{}
				}
				switch {
				case created:
					counts.Rows[i] = hub.RowCreated
					counts.Created++
				case !sameSession(x, y):
					counts.Rows[i] = hub.RowUpdated
					counts.Updated++
				default:
					counts.Rows[i] = hub.RowUnchanged
					counts.Unchanged++
					continue
				}
				if err := d.putSession(y, created); err != nil {
					return err
				}
				changed = append(changed, service.Upserted[service.Session]{Row: y, Created: created})
			}
		}
		sort.Slice(changed, func(i, j int) bool {
			a, b := changed[i].Row, changed[j].Row
			return a.Start.Before(b.Start) || a.Start.Equal(b.Start) && a.ID < b.ID
		})
		for i := range changed {
			changed[i].Row.SpeakerIDs = slices.Clone(changed[i].Row.SpeakerIDs)
		}
		return nil
	})
	if err != nil || len(rowErrs) > 0 {
		return service.BulkCounts{}, rowErrs, nil, err
	}
	return counts, nil, changed, nil
}

// resolveSpeakers sets the SpeakerIDs of rows from their speakers' keys
// (external ids or emails) and returns the keys that match no speaker.
func (d *data) resolveSpeakers(app string, rows []service.BulkSession) []service.RowError {
	var speakers []service.Speaker
	for k, x := range d.speakers {
		if k.a == app {
			speakers = append(speakers, x)
		}
	}
	sort.Slice(speakers, func(i, j int) bool { // the order of Speakers
		a, b := speakers[i], speakers[j]
		return a.Name < b.Name || a.Name == b.Name && a.ID < b.ID
	})
	return service.LinkSpeakers(rows, speakers)
}

// names lists the distinct names that name gives the rows, in order.
func names(rows []service.BulkSession, name func(service.BulkSession) string) []string {
	var out []string
	for _, r := range rows {
		if n := name(r); n != "" && !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	return out
}

// overlap reports whether two sessions' times overlap (an empty span
// overlaps nothing, as Postgres ranges).
func overlap(a, b service.Session) bool {
	return a.Start.Before(a.End) && b.Start.Before(b.End) && a.Start.Before(b.End) && b.Start.Before(a.End)
}

// sameSession reports whether a bulk upsert leaves x as y.
func sameSession(x, y service.Session) bool {
	return x.Title == y.Title && x.Description == y.Description && x.Start.Equal(y.Start) && x.End.Equal(y.End) &&
		x.RoomID == y.RoomID && x.TrackID == y.TrackID && x.Capacity == y.Capacity && slices.Equal(x.SpeakerIDs, y.SpeakerIDs)
}
