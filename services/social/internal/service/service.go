// Package service is social's domain logic: posts, comments, reactions,
// feeds, notifications and moderation, on plain Go types, over the small
// store ports it declares in ports.go, one per aggregate (Stores): posts,
// comments and uploads in CouchDB, reactions, changes, notifications,
// reports, blocks and profiles in Postgres with the key-value port, the
// feeds and caches in Redis.
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

// DefaultUploadQuota is social.MaxPendingUploads photos of
// social.MaxPendingUploadBytes in all. It is a bound on storage, not a
// rate: it holds when the rate limits are off.
var DefaultUploadQuota = UploadQuota{Count: social.MaxPendingUploads, Bytes: social.MaxPendingUploadBytes}

// NoLimits turns rate limiting off (load tests).
var NoLimits = Limits{Post: Limit{Burst: -1}, Upload: Limit{Burst: -1}, Comment: Limit{Burst: -1}, React: Limit{Burst: -1}, Report: Limit{Burst: -1}}

// Options configure a Service.
type Options struct {
	Access Access
	Stores Stores
	Limits Limits
	// Uploads bounds each member's pending uploads; zero means
	// DefaultUploadQuota.
	Uploads UploadQuota
	Log     *slog.Logger
	Now     func() time.Time
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
	st     Stores
	limits Limits
	quota  UploadQuota
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
	if o.Uploads == (UploadQuota{}) {
		o.Uploads = DefaultUploadQuota
	}
	if o.Decoding == nil {
		o.Decoding = NewDecodingGate(nil)
	}
	return &Service{
		access: o.Access, st: o.Stores,
		limits: o.Limits, quota: o.Uploads, log: o.Log, now: o.Now, ids: flake.New(0), decoding: o.Decoding, placer: o.Placer,
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
	if err := s.st.Cache.DropPost(ctx, app, post, ""); err != nil {
		s.log.Warn("drop cached post", "app", app, "post", post, "error", err)
	}
}

func (s *Service) at(point string) error {
	if f := s.failpoint.Load(); f != nil {
		return (*f)(point)
	}
	return nil
}

// An announcement keeps the change of a post or comment document from
// going unannounced: the change's event, with its comment count deltas, is
// kept pending (ChangeLog.Intend) before the document is written naming
// it (LastEvent, which the caller sets to the event's id), and the caller
// records it (ChangeLog.Record) after. If the process dies in between,
// SettlePending finds the document naming the event and records it then.
type announcement struct {
	s     *Service
	app   string
	docID string
	// pending is the change announced and not yet dropped.
	pending *PendingEvent
}

// announce keeps ev and its comment count deltas pending; prev is the
// LastEvent of the revision the change replaces.
func (a *announcement) announce(ctx context.Context, prev string, ev events.Event, comments map[string]int64) error {
	p := PendingEvent{App: a.app, DocID: a.docID, Event: ev, Comments: comments}
	recorded, err := a.s.st.Changes.Intend(ctx, p, prev)
	if err != nil {
		return err
	}
	a.pending = &p
	if recorded {
		a.s.dropCached(ctx, a.app, a.docID) // the previous change's counts moved
	}
	return nil
}

// drop drops the change announced, which was not written.
func (a *announcement) drop(ctx context.Context) {
	if a.pending == nil {
		return
	}
	if err := a.s.st.Changes.Settle(ctx, *a.pending, false); err != nil {
		a.s.log.Warn("drop pending change", "app", a.app, "doc", a.docID, "error", err)
	}
	a.pending = nil
}

// written ends the write of the document with its error. A conflict
// means nothing was written: the change is dropped at once. Any other
// error may hide a write that happened: the sweeper decides from the
// document.
func (a *announcement) written(ctx context.Context, err error) error {
	if err != nil {
		if errs.KindOf(err) == errs.Conflict {
			a.drop(ctx)
		}
		return err
	}
	return a.s.at("written")
}

// create writes a new document with create, announcing its creation ev
// and its comment count deltas (see announcement).
func (s *Service) create(ctx context.Context, app, docID string, ev events.Event, comments map[string]int64, create func() error) error {
	a := &announcement{s: s, app: app, docID: docID}
	if err := a.announce(ctx, "", ev, comments); err != nil {
		return err
	}
	return a.written(ctx, create())
}

// errUnchanged is what an update function returns when its rule changes
// nothing: nothing is written.
var errUnchanged = errors.New("unchanged")

// updatePost changes a post by rule, which PostStore.UpdatePost runs on
// the post as stored (again after a conflict): rule changes the post and
// returns the event announcing the change, or a zero event when there is
// nothing to change. The event is announced (see announcement) while the
// post is written naming it; the caller records it. updatePost returns
// the post written and the event, both zero when rule changed nothing.
func (s *Service) updatePost(ctx context.Context, ref PostRef, rule func(*Post) (events.Event, error)) (Post, events.Event, error) {
	a := &announcement{s: s, app: ref.App, docID: PostDocID(ref.ID)}
	var ev events.Event
	doc, err := s.st.Posts.UpdatePost(ctx, ref, func(doc *Post) error {
		a.drop(ctx) // a run before this one conflicted: nothing was written
		prev := doc.LastEvent
		var err error
		if ev, err = rule(doc); err != nil {
			return err
		}
		if ev.ID == "" {
			return errUnchanged
		}
		doc.LastEvent = ev.ID
		return a.announce(ctx, prev, ev, nil)
	})
	if errors.Is(err, errUnchanged) {
		return Post{}, events.Event{}, nil
	}
	if err := a.written(ctx, err); err != nil {
		return Post{}, events.Event{}, err
	}
	return doc, ev, nil
}

// updateComment changes a comment by rule as updatePost changes a post;
// rule also returns the comment count deltas of the change, by post.
func (s *Service) updateComment(ctx context.Context, ref CommentRef, rule func(*Comment) (events.Event, map[string]int64, error)) (Comment, events.Event, error) {
	a := &announcement{s: s, app: ref.App, docID: CommentDocID(ref.Post, ref.ID)}
	var ev events.Event
	doc, err := s.st.Comments.UpdateComment(ctx, ref, func(doc *Comment) error {
		a.drop(ctx) // a run before this one conflicted: nothing was written
		prev := doc.LastEvent
		var comments map[string]int64
		var err error
		if ev, comments, err = rule(doc); err != nil {
			return err
		}
		if ev.ID == "" {
			return errUnchanged
		}
		doc.LastEvent = ev.ID
		return a.announce(ctx, prev, ev, comments)
	})
	if errors.Is(err, errUnchanged) {
		return Comment{}, events.Event{}, nil
	}
	if err := a.written(ctx, err); err != nil {
		return Comment{}, events.Event{}, err
	}
	return doc, ev, nil
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
func (a Actor) mayReadPost(doc *Post) error { return a.mayRead(doc.Event) }

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
	return s.member(ctx, app, action, l, true)
}

// member authorizes a member within the rate limit of action, and not
// blocked in social when checkBlock (writer); a blocked member may still
// take back what they wrote.
func (s *Service) member(ctx context.Context, app, action string, l Limit, checkBlock bool) (Actor, error) {
	a, err := s.actor(ctx, app)
	if err != nil {
		return Actor{}, err
	}
	if a.Member == "" {
		return Actor{}, errs.WithCode(errs.CodeForbidden, "only members write")
	}
	if checkBlock {
		blocked, err := s.st.Blocks.Blocked(ctx, app, a.Member)
		if err != nil {
			return Actor{}, err
		}
		if blocked {
			return Actor{}, errBlocked()
		}
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
	wait, err := s.st.Limiter.Allow(ctx, Bucket{App: a.App, Member: a.Member, Action: action}, l)
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
