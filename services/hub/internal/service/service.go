package service

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/alexedwards/argon2id"

	"github.com/attendify/hub"
	"github.com/attendify/platform/auth"
	"github.com/attendify/platform/errs"
	"github.com/attendify/platform/events"
	"github.com/attendify/platform/flake"
	"github.com/attendify/platform/gate"
)

// Options configure a Service.
type Options struct {
	Store     Store
	ReadModel ReadModel
	Issuer    TokenIssuer
	Log       *slog.Logger
	// DevMode logs sign-in codes and mailed tokens and lets dev.lastCode
	// and dev.lastToken return them.
	DevMode bool
	// PasswordParams tune argon2id; nil means argon2id.DefaultParams.
	PasswordParams *argon2id.Params
	// Hashing bounds the password and passcode hashes running at once;
	// nil means a gate of GOMAXPROCS workers (platform/gate).
	Hashing Gate
	// Now is the clock; time.Now when nil.
	Now func() time.Time
	// Throttle keeps the counters of the rate limits (required).
	Throttle Throttle
	// Limits bound the methods that send mail; zero fields take
	// DefaultLimits'.
	Limits Limits
}

// Service is hub's domain logic.
type Service struct {
	store  Store
	rm     ReadModel
	issuer TokenIssuer
	log    *slog.Logger
	dev    bool
	params *argon2id.Params
	now    func() time.Time
	ids    *flake.Generator

	hashing  Gate // password and passcode hashes, a bounded number at once
	throttle Throttle
	limits   Limits

	mu         sync.Mutex
	lastCodes  map[string]string // app|email -> code, in dev mode only
	lastTokens map[string]string // kind|app|email -> token, in dev mode only

	analyzeTimer *time.Timer // the vacuum after bulk loads; guarded by mu
	bulkActive   int         // bulk upserts in progress; guarded by mu

	dummyHash string // compared against on unknown emails, to even out timing
}

// New returns a Service.
func New(o Options) *Service {
	s := &Service{
		store: o.Store, rm: o.ReadModel, issuer: o.Issuer, log: o.Log, dev: o.DevMode,
		params: o.PasswordParams, hashing: o.Hashing, now: o.Now, ids: flake.New(0), lastCodes: map[string]string{},
		lastTokens: map[string]string{},
		throttle:   o.Throttle, limits: o.Limits.withDefaults(),
	}
	if s.hashing == nil {
		s.hashing = gate.New(gate.Options{Name: "password"})
	}
	if s.throttle == nil {
		panic("hub service: Options.Throttle is required")
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.params == nil {
		s.params = argon2id.DefaultParams
	}
	if s.now == nil {
		s.now = time.Now
	}
	s.dummyHash, _ = argon2id.CreateHash("not a real password", s.params)
	return s
}

func (s *Service) newID() string { return s.ids.Next().String() }

// Gate runs expensive work a bounded number at a time, refusing it as
// overloaded when too much waits (platform/gate).
type Gate interface {
	Do(ctx context.Context, fn func()) error
}

// hashPassword hashes a password or passcode with argon2id (64 MiB and a
// CPU for a while each) through the hashing gate.
func (s *Service) hashPassword(ctx context.Context, password string) (hash string, err error) {
	if gerr := s.hashing.Do(ctx, func() { hash, err = argon2id.CreateHash(password, s.params) }); gerr != nil {
		return "", gerr
	}
	return hash, err
}

// checkPassword compares a password or passcode with its argon2id hash
// through the hashing gate.
func (s *Service) checkPassword(ctx context.Context, password, hash string) (ok bool, err error) {
	if gerr := s.hashing.Do(ctx, func() { ok, err = argon2id.ComparePasswordAndHash(password, hash) }); gerr != nil {
		return false, gerr
	}
	return ok, err
}

// ---------------------------------------------------------------------------
// Who is calling, and the permission matrix.

// ActorKind says what kind of caller an Actor is.
type ActorKind uint8

// The actor kinds.
const (
	ActorService ActorKind = iota + 1
	ActorOrganizer
	ActorMember
)

// Actor is the caller of an app-scoped method as hub knows them now (the
// role from Postgres, not from the token, so that a revoked role takes
// effect at once).
type Actor struct {
	Kind ActorKind
	ID   string // organizer or member id
	Role string // collaborator role, for organizers
	// Member is the calling member's profile, for members.
	Member Member
	App    App
}

// Organizer reports whether the actor is an organizer or a service:
// someone who sees the organizer's view of the app.
func (a Actor) Organizer() bool { return a.Kind == ActorService || a.Kind == ActorOrganizer }

// matrixRole is the actor's column in the matrix ("" for members).
func (a Actor) matrixRole() string {
	switch a.Kind {
	case ActorService:
		return hub.RoleService
	case ActorOrganizer:
		return a.Role
	}
	return ""
}

// accessPorts are the ports actor reads: the app with the caller's
// revocation mark, and the caller as a collaborator or a member.
type accessPorts interface {
	AppStore
	CollaboratorStore
	MemberStore
}

// actor finds who is calling about app. The rpc layer has checked the
// coarse level (a token of this app, or a service); here the caller's
// current standing is read from Postgres, their token's revocation
// included.
func (s *Service) actor(ctx context.Context, q accessPorts, app string) (Actor, error) {
	c := auth.CallerFrom(ctx)
	a, revoked, err := q.AppFor(ctx, app, c.User)
	if errors.Is(err, errs.NotFound) {
		return Actor{}, errs.New(errs.NotFound, "no such app")
	}
	if err != nil {
		return Actor{}, err
	}
	switch {
	case c.Kind == auth.CallerService:
		return Actor{Kind: ActorService, App: a}, nil
	case c.User == "" || c.App != app:
		return Actor{}, errs.WithCode(errs.CodeForbidden, "this method needs a token of the app")
	}
	if err := hub.CheckTokenSeq(c.TokenSeq, revoked); err != nil {
		return Actor{}, err
	}
	switch {
	case auth.IsOrganizerRole(c.Role):
		col, err := q.Collaborator(ctx, app, c.User, false)
		if errors.Is(err, errs.NotFound) {
			return Actor{}, errs.WithCode(errs.CodeForbidden, "you are no longer a collaborator of this app")
		}
		if err != nil {
			return Actor{}, err
		}
		return Actor{Kind: ActorOrganizer, ID: c.User, Role: col.Role, App: a}, nil
	case c.Role == auth.RoleAttendee:
		m, err := q.Member(ctx, app, c.User, false)
		if errors.Is(err, errs.NotFound) {
			return Actor{}, errs.WithCode(errs.CodeForbidden, "not a member of this app")
		}
		if err != nil {
			return Actor{}, err
		}
		if m.Blocked {
			return Actor{}, errs.WithCode(errs.CodeForbidden, "this member is blocked")
		}
		if a.Status != hub.StatusPublished && a.Status != hub.StatusExpired {
			return Actor{}, errs.WithCode(errs.CodeForbidden, "this app is not published")
		}
		return Actor{Kind: ActorMember, ID: m.ID, Member: m, App: a}, nil
	}
	return Actor{}, errs.WithCode(errs.CodeForbidden, "unknown role")
}

// authorize finds the actor and checks the matrix for action.
func (s *Service) authorize(ctx context.Context, q accessPorts, app string, action hub.Action) (Actor, error) {
	a, err := s.actor(ctx, q, app)
	if err != nil {
		return Actor{}, err
	}
	if !hub.Allowed(a.matrixRole(), action) {
		return Actor{}, errs.WithCode(errs.CodeForbidden, "your role may not %s", hub.ActionNames[action])
	}
	return a, nil
}

// ---------------------------------------------------------------------------
// Events and the read model.

// event builds an outbox event with a JSON payload.
func event(typ, app, subject string, payload any) events.Event {
	b, err := json.Marshal(payload)
	if err != nil {
		panic("hub: event payload: " + err.Error()) // plain structs only
	}
	return events.Event{Type: typ, App: app, Subject: subject, Data: b}
}

// rmFailed handles a read-model write that failed after the commit: the
// app is queued for repair (the worker rewrites it from Postgres).
func (s *Service) rmFailed(ctx context.Context, app string, err error) {
	if err == nil {
		return
	}
	s.log.WarnContext(ctx, "read model write failed; app queued for repair", "app", app, "error", err)
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if err := s.store.MarkRepair(ctx, app); err != nil {
		s.log.ErrorContext(ctx, "cannot queue the app for read-model repair", "app", app, "error", err)
	}
}

// eventList is an app's event list as of a transaction, for the read model.
type eventList struct {
	app     string
	version int64
	events  []Event
}

// touchEvents bumps the app's event-list version and reads the list, in
// the transaction that changed an event.
func touchEvents(ctx context.Context, q EventStore, app string) (eventList, error) {
	v, err := q.TouchEvents(ctx, app)
	if err != nil {
		return eventList{}, err
	}
	evs, err := q.Events(ctx, app)
	return eventList{app: app, version: v, events: evs}, err
}

// putEvents writes an event list after its transaction committed.
func (s *Service) putEvents(ctx context.Context, l eventList) {
	s.rmFailed(ctx, l.app, s.rm.PutEvents(ctx, l.app, l.version, l.events))
}

// putMembers writes member states after their transaction committed.
func (s *Service) putMembers(ctx context.Context, app string, ms []MemberState) {
	if len(ms) > 0 {
		s.rmFailed(ctx, app, s.rm.PutMembers(ctx, app, ms))
	}
}

// memberState is what the read model keeps of m, registered to events.
func memberState(m Member, events []string) MemberState {
	return MemberState{ID: m.ID, Role: m.Role, Blocked: m.Blocked, TicketType: m.TicketType, Version: m.Version, Registered: events}
}

// AnalyzeAfter is the number of rows a bulk upsert must write for hub to
// refresh the member tables' statistics and visibility map soon: the
// directory's queries plan badly on tables that grew by much since the last
// ANALYZE, and autovacuum may take minutes to notice.
const AnalyzeAfter = 1000

// AnalyzeQuiet is how long after the last large bulk upsert, with none in
// progress, the member tables are vacuumed: an import sends many batches
// in a row (the importer keeps two at hub at once), and a vacuum of the
// whole tables beside each would slow the next.
const AnalyzeQuiet = 3 * time.Second

// bulkBegin counts a bulk upsert in progress until the returned function
// is called.
func (s *Service) bulkBegin() func() {
	s.mu.Lock()
	s.bulkActive++
	s.mu.Unlock()
	return func() {
		s.mu.Lock()
		s.bulkActive--
		s.mu.Unlock()
	}
}

// analyzeSoon vacuums and analyzes the member tables once AnalyzeQuiet
// passed since the last call with no bulk upsert in progress.
func (s *Service) analyzeSoon(ctx context.Context) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.analyzeTimer != nil {
		s.analyzeTimer.Reset(AnalyzeQuiet)
		return
	}
	s.analyzeTimer = time.AfterFunc(AnalyzeQuiet, func() {
		s.mu.Lock()
		busy := s.bulkActive > 0
		if busy {
			s.analyzeTimer.Reset(AnalyzeQuiet)
		}
		s.mu.Unlock()
		if busy {
			return
		}
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Minute)
		defer cancel()
		if err := s.store.Analyze(ctx); err != nil {
			s.log.WarnContext(ctx, "vacuum after a bulk load failed", "error", err)
		}
	})
}

// taken reports whether a store's err is a conflict with data that exists
// (a duplicate name, email, slug), which the caller should hear about in
// its own words; a conflict of concurrent transactions
// (errs.ErrConcurrentChange) is not, and must keep its cause so that the
// transaction runs again.
func taken(err error) bool {
	return errors.Is(err, errs.Conflict) && !errors.Is(err, errs.ErrConcurrentChange)
}
