// Package service is social's domain logic: posts, comments, reactions,
// feeds, notifications and moderation, on plain Go types, over the small
// store interfaces it declares in ports.go (CouchDB documents, the Postgres
// ledger with the key-value port, the Redis index).
package service

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/attendify/hub"
	"github.com/attendify/platform/auth"
	"github.com/attendify/platform/errs"
	"github.com/attendify/platform/events"
	"github.com/attendify/platform/flake"
	"github.com/attendify/platform/gate"
	"github.com/attendify/social"
	"github.com/attendify/sponsored/placement"
)

// Limits are the per-member rate limits.
type Limits struct {
	Post    Limit
	Upload  Limit
	Comment Limit
	React   Limit
	Report  Limit
}

// DefaultLimits are generous for people and tight for scripts.
var DefaultLimits = Limits{
	Post:    Limit{Burst: 5, Per: 30 * time.Second},
	Upload:  Limit{Burst: 12, Per: 10 * time.Second},
	Comment: Limit{Burst: 10, Per: 5 * time.Second},
	React:   Limit{Burst: 60, Per: 500 * time.Millisecond},
	Report:  Limit{Burst: 10, Per: time.Minute},
}

// NoLimits turns rate limiting off (load tests).
var NoLimits = Limits{Post: Limit{Burst: -1}, Upload: Limit{Burst: -1}, Comment: Limit{Burst: -1}, React: Limit{Burst: -1}, Report: Limit{Burst: -1}}

// Options configure a Service.
type Options struct {
	Access Access
	Docs   Docs
	Ledger Ledger
	Index  Index
	Limits Limits
	Log    *slog.Logger
	Now    func() time.Time
	// Decoding bounds the photo decodes running at once; nil means a gate
	// of GOMAXPROCS workers whose queue waits up to 2 s (platform/gate).
	Decoding Gate
	// Placer fills the sponsored slots of the app and event feeds; nil
	// places none.
	Placer Placer
}

// Placer fills a feed page's sponsored slots (sponsored's placement
// package); it never fails a page.
type Placer interface {
	Fill(ctx context.Context, app, event string, v placement.Viewer, organic int) []placement.Slot
}

// Service is social's domain logic.
type Service struct {
	access Access
	docs   Docs
	ledger Ledger
	index  Index
	limits Limits
	log    *slog.Logger
	now    func() time.Time
	ids    *flake.Generator

	decoding Gate // photo decodes, a bounded number at once
	placer   Placer

	// failpoint, when set (tests), is called at the named points of a
	// change; see SetFailpoint.
	failpoint atomic.Pointer[func(point string) error]
}

// New returns a Service.
func New(o Options) *Service {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Log == nil {
		o.Log = slog.Default()
	}
	if o.Limits == (Limits{}) {
		o.Limits = DefaultLimits
	}
	if o.Decoding == nil {
		o.Decoding = NewDecodingGate(nil)
	}
	return &Service{
		access: o.Access, docs: o.Docs, ledger: o.Ledger, index: o.Index,
		limits: o.Limits, log: o.Log, now: o.Now, ids: flake.New(0), decoding: o.Decoding, placer: o.Placer,
	}
}

// Gate runs expensive work a bounded number at a time, refusing it as
// overloaded when too much waits (platform/gate).
type Gate interface {
	Do(ctx context.Context, fn func()) error
}

// NewDecodingGate is the gate of photo decodes: GOMAXPROCS at once (a
// decode is CPU-bound and takes up to MaxPhotoDecodedBytes), twice as many
// waiting, each up to 2 s, its metrics registered with reg when not nil.
func NewDecodingGate(reg prometheus.Registerer) *gate.Gate {
	return gate.New(gate.Options{Name: "image", MaxWait: 2 * time.Second, Registerer: reg})
}

func (s *Service) newID() string { return s.ids.Next().String() }

// SetFailpoint makes f run at the named points of every change of a post
// or comment; when it returns an error, the call stops there with it, as if
// the process had died. The one point is "written": the change is in
// CouchDB, its event not yet recorded. For tests; nil removes it.
func (s *Service) SetFailpoint(f func(point string) error) {
	if f == nil {
		s.failpoint.Store(nil)
		return
	}
	s.failpoint.Store(&f)
}

// dropCached drops the cached post of a post or comment document, to be
// reloaded from the stores after a change recorded late (its cached text
// or counters were not moved).
func (s *Service) dropCached(ctx context.Context, app, docID string) {
	post := PostIDOf(docID)
	if rest, ok := strings.CutPrefix(docID, "comment:"); ok {
		post, _, _ = strings.Cut(rest, ":")
	}
	if err := s.index.DropPost(ctx, app, post); err != nil {
		s.log.Warn("drop cached post", "app", app, "post", post, "error", err)
	}
}

func (s *Service) at(point string) error {
	if f := s.failpoint.Load(); f != nil {
		return (*f)(point)
	}
	return nil
}

// write writes a change of a document without losing its event ev: the
// change (ev and its comment count deltas) is kept pending (Ledger.Intend)
// before write runs, and the caller records it (Ledger.Record) after. If
// the process dies in between, SettlePending finds the document naming ev
// (LastEvent, which the caller sets to ev.ID) and records it then. prev is
// the LastEvent of the revision the change replaces. A conflict means
// nothing was written: the pending change is dropped at once.
func (s *Service) write(ctx context.Context, app, docID, prev string, ev events.Event, comments map[string]int64, write func() error) error {
	p := PendingEvent{App: app, DocID: docID, Event: ev, Comments: comments}
	recorded, err := s.ledger.Intend(ctx, p, prev)
	if err != nil {
		return err
	}
	if recorded {
		s.dropCached(ctx, app, docID) // the previous change's counts moved
	}
	if err := write(); err != nil {
		// Any other error may hide a write that happened: the sweeper
		// decides from the document.
		if errs.KindOf(err) == errs.Conflict {
			if err := s.ledger.Settle(ctx, p, false); err != nil {
				s.log.Warn("drop pending change", "app", app, "doc", docID, "error", err)
			}
		}
		return err
	}
	return s.at("written")
}

func (s *Service) clock() time.Time { return s.now().UTC().Truncate(time.Millisecond) }

// Actor is an authorized caller in an app.
type Actor struct {
	App       string
	Member    string
	Moderator bool // moderator, admin or owner
	Service   bool // a service call without a user
	// events says which of the app's events the caller may read.
	events hub.EventAccess
}

// mayRead checks that the actor may read (and so write in) event, by
// hub's rule (hub.EventAccess.Event): registered members of a "code" or
// "listed" event, organizers and services. Posts without an event are
// the whole app's.
func (a Actor) mayRead(event string) error {
	if event == "" {
		return nil
	}
	return a.events.Event(event)
}

// mayReadPost checks that the actor may read a post: that of its event.
func (a Actor) mayReadPost(doc *social.PostDoc) error { return a.mayRead(doc.Event) }

// actor authorizes the caller of ctx in app against hub's read model.
func (s *Service) actor(ctx context.Context, app string) (Actor, error) {
	c := auth.CallerFrom(ctx)
	ea, err := s.access.AuthorizeEvents(ctx, c, app)
	if err != nil {
		return Actor{}, err
	}
	if c.Kind == auth.CallerService && c.User == "" {
		return Actor{App: app, Service: true, Moderator: true, events: ea}, nil
	}
	return Actor{App: app, Member: c.User, Moderator: isModerator(ea.Role), events: ea}, nil
}

func isModerator(role string) bool {
	return role == auth.RoleModerator || role == auth.RoleAdmin || role == auth.RoleOwner
}

// moderator authorizes a moderator (or a service) in app.
func (s *Service) moderator(ctx context.Context, app string) (Actor, error) {
	a, err := s.actor(ctx, app)
	if err != nil {
		return Actor{}, err
	}
	if !a.Moderator {
		return Actor{}, errs.WithCode(errs.CodeForbidden, "moderators only")
	}
	return a, nil
}

// writer authorizes a member who may write: not blocked in social, within
// the rate limit of action.
func (s *Service) writer(ctx context.Context, app, action string, l Limit) (Actor, error) {
	a, err := s.actor(ctx, app)
	if err != nil {
		return Actor{}, err
	}
	if a.Member == "" {
		return Actor{}, errs.WithCode(errs.CodeForbidden, "only members write")
	}
	blocked, err := s.ledger.Blocked(ctx, app, a.Member)
	if err != nil {
		return Actor{}, err
	}
	if blocked {
		return Actor{}, errs.WithCode(errs.CodeForbidden, "you are blocked from posting in this app")
	}
	if err := s.allow(ctx, a, action, l); err != nil {
		return Actor{}, err
	}
	return a, nil
}

func (s *Service) allow(ctx context.Context, a Actor, action string, l Limit) error {
	if l.Burst <= 0 {
		return nil
	}
	wait, err := s.index.Allow(ctx, a.App, a.Member, action, l)
	if err != nil {
		return err
	}
	if wait > 0 {
		return &errs.Error{Code: errs.CodeRateLimited, Msg: "too many " + action + "s; retry later", RetryAfter: wait}
	}
	return nil
}

// event builds an event with a JSON payload.
func event(typ, app, subject string, payload any) events.Event {
	b, _ := json.Marshal(payload) // payloads are plain structs: cannot fail
	return events.Event{ID: events.NewID(), Type: typ, App: app, Subject: subject, Time: time.Now(), Data: b}
}

func notFound(what string) error { return errs.New(errs.NotFound, "%s not found", what) }

// isNotFound reports whether err is errs.NotFound.
func isNotFound(err error) bool { return errors.Is(err, errs.NotFound) }

// dedupe returns ss without duplicates or empty strings, in first order.
func dedupe(ss []string) []string {
	out := make([]string, 0, len(ss))
	for _, s := range ss {
		if s != "" && !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}

// membershipOK reports whether user is a member of app (any role, not
// blocked in hub).
func (s *Service) membershipOK(ctx context.Context, app, user string) (hub.Membership, bool, error) {
	m, err := s.access.Membership(ctx, app, user)
	if isNotFound(err) {
		return hub.Membership{}, false, nil
	}
	if err != nil {
		return hub.Membership{}, false, err
	}
	return m, !m.Blocked, nil
}
