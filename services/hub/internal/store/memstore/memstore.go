// Package memstore is hub's relational store in memory: every port of
// service.Store on maps, for the domain's unit tests. It passes the
// contract suite the Postgres adapter passes (internal/store/storetest)
// and is no database: one lock serializes every call and every
// transaction (the update functions of the Update methods run under it),
// and a transaction that fails is undone by restoring a copy of
// everything. It is not for production.
package memstore

import (
	"context"
	"maps"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/attendify/hub/internal/service"
	"github.com/attendify/platform/errs"
	"github.com/attendify/platform/events"
)

// Store implements service.Store in memory.
type Store struct {
	db *db
	tx bool // inside InTx: the lock is held already
}

var _ service.Store = (*Store)(nil)

type db struct {
	mu sync.Mutex
	d  *data
}

// New returns an empty store.
func New() *Store { return &Store{db: &db{d: newData()}} }

// key2 is a row key of two parts (app and id, mostly).
type key2 struct{ a, b string }

type appRow struct {
	service.App
	eventsVersion int64
}

type collabRow struct {
	role    string
	version int64
	order   int64
}

type revocationRow struct {
	seq int64
	at  time.Time
}

// data is everything the store holds. Rows are values; the slices and
// maps inside them are copied on the way in and out.
type data struct {
	version, tokenSeq, order int64

	outbox        []events.Event
	organizers    map[string]service.Organizer
	signUps       map[string]service.SignUp
	apps          map[string]appRow
	collaborators map[key2]collabRow // app, organizer
	invitations   map[string]service.Invitation
	events        map[key2]service.Event // app, id
	registrations map[key2]bool          // event, member (events ids are unique)
	members       map[key2]service.Member
	codes         map[string]service.SignInCode
	rooms         map[key2]service.Room
	tracks        map[key2]service.Track
	speakers      map[key2]service.Speaker
	sessions      map[key2]service.Session
	revocations   map[key2]revocationRow // app, user
	guesses       []service.Guess
	repairs       map[string]time.Time
	collisions    map[key2]service.EmailCollision // table, other id: what migration 13 recorded
}

func newData() *data {
	return &data{
		organizers: map[string]service.Organizer{}, signUps: map[string]service.SignUp{}, apps: map[string]appRow{},
		collaborators: map[key2]collabRow{}, invitations: map[string]service.Invitation{}, events: map[key2]service.Event{},
		registrations: map[key2]bool{}, members: map[key2]service.Member{}, codes: map[string]service.SignInCode{},
		rooms: map[key2]service.Room{}, tracks: map[key2]service.Track{}, speakers: map[key2]service.Speaker{},
		sessions: map[key2]service.Session{}, revocations: map[key2]revocationRow{}, repairs: map[string]time.Time{},
		collisions: map[key2]service.EmailCollision{},
	}
}

// clone copies d; rows hold no shared mutable parts (see data).
func (d *data) clone() *data {
	c := *d
	c.outbox = slices.Clone(d.outbox)
	c.guesses = slices.Clone(d.guesses)
	c.organizers = maps.Clone(d.organizers)
	c.signUps = maps.Clone(d.signUps)
	c.apps = maps.Clone(d.apps)
	c.collaborators = maps.Clone(d.collaborators)
	c.invitations = maps.Clone(d.invitations)
	c.events = maps.Clone(d.events)
	c.registrations = maps.Clone(d.registrations)
	c.members = maps.Clone(d.members)
	c.codes = maps.Clone(d.codes)
	c.rooms = maps.Clone(d.rooms)
	c.tracks = maps.Clone(d.tracks)
	c.speakers = maps.Clone(d.speakers)
	c.sessions = maps.Clone(d.sessions)
	c.revocations = maps.Clone(d.revocations)
	c.repairs = maps.Clone(d.repairs)
	c.collisions = maps.Clone(d.collisions)
	return &c
}

func (d *data) nextVersion() int64 {
	d.version++
	return d.version
}

func (d *data) nextOrder() int64 {
	d.order++
	return d.order
}

// do runs fn on the data, under the lock unless inside InTx.
func (s *Store) do(fn func(d *data) error) error {
	if !s.tx {
		s.db.mu.Lock()
		defer s.db.mu.Unlock()
	}
	return fn(s.db.d)
}

// InTx implements service.Store: fn runs alone (one lock for the whole
// store), and its writes are undone when it fails.
func (s *Store) InTx(ctx context.Context, fn func(q service.Queries) error) error {
	if s.tx {
		return fn(s) // already inside one
	}
	s.db.mu.Lock()
	defer s.db.mu.Unlock()
	saved := s.db.d.clone()
	if err := fn(&Store{db: s.db, tx: true}); err != nil {
		s.db.d = saved
		return err
	}
	return nil
}

// Outbox returns the events announced so far (for tests).
func (s *Store) Outbox() []events.Event {
	var out []events.Event
	_ = s.do(func(d *data) error {
		out = slices.Clone(d.outbox)
		return nil
	})
	return out
}

// Guesses returns the wrong guesses recorded so far (for tests).
func (s *Store) Guesses() []service.Guess {
	var out []service.Guess
	_ = s.do(func(d *data) error {
		out = slices.Clone(d.guesses)
		return nil
	})
	return out
}

func notFound(what string) error { return errs.New(errs.NotFound, "no such %s", what) }

// ---------------------------------------------------------------------------
// Outbox.

// Announce implements service.Outbox.
func (s *Store) Announce(ctx context.Context, evs ...events.Event) error {
	if !s.tx {
		return errs.New(errs.Internal, "hub memstore: Announce outside a transaction")
	}
	return s.do(func(d *data) error {
		for _, ev := range evs {
			if ev.ID == "" {
				ev.ID = events.NewID()
			}
			if ev.Time.IsZero() {
				ev.Time = time.Now()
			}
			d.outbox = append(d.outbox, ev)
		}
		return nil
	})
}

// NextVersion implements service.Outbox.
func (s *Store) NextVersion(ctx context.Context) (v int64, err error) {
	err = s.do(func(d *data) error {
		v = d.nextVersion()
		return nil
	})
	return v, err
}

// NextVersions implements service.Outbox.
func (s *Store) NextVersions(ctx context.Context, n int) (vs []int64, err error) {
	err = s.do(func(d *data) error {
		for range n {
			vs = append(vs, d.nextVersion())
		}
		return nil
	})
	return vs, err
}

// ---------------------------------------------------------------------------
// Tokens.

// NextTokenSeq implements service.TokenStore.
func (s *Store) NextTokenSeq(ctx context.Context) (seq int64, err error) {
	err = s.do(func(d *data) error {
		d.tokenSeq++
		seq = d.tokenSeq
		return nil
	})
	return seq, err
}

// RevokeOrganizerTokens implements service.TokenStore.
func (s *Store) RevokeOrganizerTokens(ctx context.Context, id string) (seq int64, err error) {
	err = s.do(func(d *data) error {
		o, ok := d.organizers[id]
		if !ok {
			return notFound("organizer")
		}
		d.tokenSeq++
		o.TokensRevoked = d.tokenSeq
		d.organizers[id] = o
		seq = o.TokensRevoked
		return nil
	})
	return seq, err
}

// RevokeTokens implements service.TokenStore.
func (s *Store) RevokeTokens(ctx context.Context, app string, users ...string) (out []service.Revocation, err error) {
	err = s.do(func(d *data) error {
		if _, ok := d.apps[app]; !ok {
			return errs.New(errs.Invalid, "no such app") // a foreign key violation in Postgres
		}
		out = nil
		users = slices.Clone(users)
		slices.Sort(users)
		for _, u := range slices.Compact(users) {
			d.tokenSeq++
			d.revocations[key2{app, u}] = revocationRow{seq: d.tokenSeq, at: time.Now()}
			out = append(out, service.Revocation{App: app, User: u, Seq: d.tokenSeq})
		}
		return nil
	})
	return out, err
}

// Revocations implements service.TokenStore.
func (s *Store) Revocations(ctx context.Context, app string) (out []service.Revocation, err error) {
	err = s.do(func(d *data) error {
		out = d.revocationsOf(app)
		return nil
	})
	return out, err
}

func (d *data) revocationsOf(app string) []service.Revocation {
	var out []service.Revocation
	for k, r := range d.revocations {
		if app == "" || k.a == app {
			out = append(out, service.Revocation{App: k.a, User: k.b, Seq: r.seq})
		}
	}
	for k := range d.collaborators {
		if o := d.organizers[k.b]; o.TokensRevoked > 0 && (app == "" || k.a == app) {
			out = append(out, service.Revocation{App: k.a, User: k.b, Seq: o.TokensRevoked})
		}
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.App != b.App {
			return a.App < b.App
		}
		if a.User != b.User {
			return a.User < b.User
		}
		return a.Seq < b.Seq
	})
	return out
}

// RecordGuess implements service.TokenStore.
func (s *Store) RecordGuess(ctx context.Context, g service.Guess) error {
	return s.do(func(d *data) error {
		if g.At.IsZero() {
			g.At = time.Now()
		}
		d.guesses = append(d.guesses, g)
		return nil
	})
}

// ---------------------------------------------------------------------------
// Upkeep.

// Prune implements service.Upkeep.
func (s *Store) Prune(ctx context.Context, guessesBefore, revocationsBefore time.Time) error {
	return s.do(func(d *data) error {
		d.guesses = slices.DeleteFunc(d.guesses, func(g service.Guess) bool { return g.At.Before(guessesBefore) })
		maps.DeleteFunc(d.revocations, func(_ key2, r revocationRow) bool { return r.at.Before(revocationsBefore) })
		return nil
	})
}

// PruneInvitations implements service.Upkeep.
func (s *Store) PruneInvitations(ctx context.Context, signUpsBefore, invitationsBefore time.Time) error {
	return s.do(func(d *data) error {
		maps.DeleteFunc(d.signUps, func(_ string, su service.SignUp) bool { return su.ExpiresAt.Before(signUpsBefore) })
		maps.DeleteFunc(d.invitations, func(_ string, i service.Invitation) bool {
			if !closedAt(i).Before(invitationsBefore) {
				return false
			}
			d.eraseCollisions("invitations", func(x string) bool { return x == i.ID })
			return true
		})
		return nil
	})
}

// closedAt is when an invitation closed or will close: accepted, revoked
// or expired.
func closedAt(i service.Invitation) time.Time {
	switch {
	case !i.AcceptedAt.IsZero():
		return i.AcceptedAt
	case !i.RevokedAt.IsZero():
		return i.RevokedAt
	}
	return i.ExpiresAt
}

// Analyze implements service.Upkeep: nothing to do in memory.
func (s *Store) Analyze(ctx context.Context) error { return nil }

// ---------------------------------------------------------------------------
// The read model's source.

// ReadModelSnapshot implements service.ReadModelSource.
func (s *Store) ReadModelSnapshot(ctx context.Context, app string) (snap service.Snapshot, err error) {
	err = s.do(func(d *data) error {
		a, ok := d.apps[app]
		if !ok {
			return nil
		}
		snap.App, snap.Found, snap.EventsVersion = a.App, true, a.eventsVersion
		snap.Events = d.eventsOf(app)
		snap.Collaborators = d.collaboratorsOf(app)
		regs := d.registrationsOf(app, nil)
		for _, m := range d.membersOf(app) {
			snap.Members = append(snap.Members, service.MemberState{ID: m.ID, Role: m.Role, Blocked: m.Blocked,
				TicketType: m.TicketType, Version: m.Version, Registered: regs[m.ID]})
		}
		snap.Revocations = d.revocationsOf(app)
		return nil
	})
	return snap, err
}

// Users implements service.ReadModelSource.
func (s *Store) Users(ctx context.Context, app string, ids []string) (out []string, err error) {
	err = s.do(func(d *data) error {
		for _, id := range ids {
			_, member := d.members[key2{app, id}]
			_, collab := d.collaborators[key2{app, id}]
			if (member || collab) && !slices.Contains(out, id) {
				out = append(out, id)
			}
		}
		return nil
	})
	return out, err
}

// AppIDs implements service.ReadModelSource.
func (s *Store) AppIDs(ctx context.Context, after string, limit int) (out []string, err error) {
	err = s.do(func(d *data) error {
		for id := range d.apps {
			if id > after {
				out = append(out, id)
			}
		}
		slices.Sort(out)
		if len(out) > limit {
			out = out[:limit]
		}
		return nil
	})
	return out, err
}

// MarkRepair implements service.ReadModelSource.
func (s *Store) MarkRepair(ctx context.Context, app string) error {
	return s.do(func(d *data) error {
		d.repairs[app] = time.Now()
		return nil
	})
}

// RepairQueue implements service.ReadModelSource.
func (s *Store) RepairQueue(ctx context.Context, limit int) (out []service.Repair, err error) {
	err = s.do(func(d *data) error {
		for app, at := range d.repairs {
			out = append(out, service.Repair{App: app, MarkedAt: at})
		}
		sort.Slice(out, func(i, j int) bool { return out[i].MarkedAt.Before(out[j].MarkedAt) })
		if len(out) > limit {
			out = out[:limit]
		}
		return nil
	})
	return out, err
}

// ClearRepair implements service.ReadModelSource.
func (s *Store) ClearRepair(ctx context.Context, app string, markedAt time.Time) error {
	return s.do(func(d *data) error {
		if at, ok := d.repairs[app]; ok && !at.After(markedAt) {
			delete(d.repairs, app)
		}
		return nil
	})
}

// checks are the rules the Postgres schema checks on rows (a violation is
// errs.Invalid there).
func checkIn(what, v string, allowed ...string) error {
	if !slices.Contains(allowed, v) {
		return errs.New(errs.Invalid, "hub memstore: %s %q violates a check", what, v)
	}
	return nil
}

func checkApp(a service.App) error {
	if err := checkIn("app status", a.Status, "unpublished", "published", "expired"); err != nil {
		return err
	}
	return checkIn("app access", a.Access, "open", "passcode", "invite")
}

func checkEvent(e service.Event) error {
	if err := checkIn("event visibility", e.Visibility, "public", "hidden"); err != nil {
		return err
	}
	if e.End.Before(e.Start) {
		return errs.New(errs.Invalid, "hub memstore: the event ends before it starts")
	}
	return checkIn("event access", e.Access, "open", "code", "listed")
}

func checkSession(x service.Session) error {
	if !x.End.After(x.Start) {
		return errs.New(errs.Invalid, "hub memstore: the session does not end after it starts")
	}
	return nil
}
