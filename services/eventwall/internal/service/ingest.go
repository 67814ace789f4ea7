package service

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/attendify/eventwall"
	"github.com/attendify/platform/errs"
	"github.com/attendify/platform/runner"
	"github.com/attendify/social"
)

// Ingester follows social's feed of every app that has walls and decides
// about each post revision on each of the app's walls.
//
// Every replica runs one. For each app, one replica at a time follows the
// feed: the one holding the app's lease (a Redis key with a TTL, renewed
// every Interval). Why a lease rather than every replica following and
// deduplicating: the board's writes are idempotent (a decision about a
// revision older than the one applied is ignored, an unchanged item does
// not move the screens' cursor), so duplicates would be harmless, but N
// replicas would read every change N times from CouchDB and write it N
// times to Redis for nothing. When the holder dies its lease expires after
// LeaseTTL and another replica takes over from the feed's checkpoint.
//
// The holder also keeps the app's walls in step with Postgres and hub, and
// so rebuilds what Redis lost: it publishes settings Redis does not have
// yet, loads the moderators' decisions Redis lacks (all of them after a
// loss), and when a wall's rules change (hub's access rules for public
// walls included) or Redis lost its posts, it decides about every post of
// the app again ("refill").
type Ingester struct {
	svc      *Service
	feed     Feed
	leases   Leases
	log      *slog.Logger
	interval time.Duration
	leaseTTL time.Duration

	mu      sync.Mutex
	workers map[string]*appWorker
	// audiences is hub's rule for anonymous readers of each app, as last
	// read (for apps with public walls).
	audiences map[string]*Audience
	kick      chan struct{}
}

// IngesterOptions configure an Ingester.
type IngesterOptions struct {
	Feed   Feed
	Leases Leases
	// Interval is how often the walls and leases are checked (default 2s).
	Interval time.Duration
	// LeaseTTL is how long a lease outlives its holder (default 15s).
	LeaseTTL time.Duration
}

// NewIngester returns an ingester of s's walls.
func (s *Service) NewIngester(o IngesterOptions) *Ingester {
	if o.Interval <= 0 {
		o.Interval = 2 * time.Second
	}
	if o.LeaseTTL <= 0 {
		o.LeaseTTL = 15 * time.Second
	}
	if o.LeaseTTL < 2*o.Interval {
		o.LeaseTTL = 2 * o.Interval
	}
	return &Ingester{
		svc: s, feed: o.Feed, leases: o.Leases, log: s.log,
		interval: o.Interval, leaseTTL: o.LeaseTTL,
		workers: map[string]*appWorker{}, audiences: map[string]*Audience{}, kick: make(chan struct{}, 1),
	}
}

func leaseName(app string) string { return "ingest:" + app }

// Run ingests until ctx ends, then stops the followers and gives the
// leases up.
func (in *Ingester) Run(ctx context.Context) error {
	subDone := make(chan struct{})
	go func() {
		defer close(subDone)
		for ctx.Err() == nil {
			err := in.svc.board.SubscribeWalls(ctx, func(app, member string) {
				if member != "" {
					in.profileChanged(ctx, app, member)
					return
				}
				select {
				case in.kick <- struct{}{}:
				default:
				}
			})
			if ctx.Err() == nil {
				in.log.Warn("wall notifications lost; resubscribing", "error", err)
				sleep(ctx, time.Second)
			}
		}
	}()
	_ = runner.Periodic{
		Name: "wall-ingester", Interval: in.interval, AtStart: true, Wake: in.kick, Log: in.log,
		Run: func(ctx context.Context) error {
			in.tick(ctx) // logs its own failures, per wall
			return nil
		},
	}.Loop(ctx)
	in.stopAll()
	<-subDone
	return nil
}

// tick matches the running followers to the walls and leases.
func (in *Ingester) tick(ctx context.Context) {
	all, err := in.svc.walls.AllWalls(ctx)
	if err != nil {
		if ctx.Err() == nil {
			in.log.Warn("list walls", "error", err)
		}
		return
	}
	byApp := map[string][]Wall{}
	for _, w := range all {
		byApp[w.App] = append(byApp[w.App], w)
	}
	in.mu.Lock()
	defer in.mu.Unlock()
	for app, walls := range byApp {
		held, err := in.leases.Acquire(ctx, leaseName(app), in.leaseTTL)
		if err != nil {
			in.log.Warn("lease", "app", app, "error", err)
			// Keep following: the lease outlives a blip of Redis.
			held = in.workers[app] != nil
		}
		w := in.workers[app]
		if !held {
			if w != nil {
				in.log.Info("another replica follows the app now", "app", app)
				w.stop()
				delete(in.workers, app)
			}
			continue
		}
		if slices.ContainsFunc(walls, func(w Wall) bool { return w.Public }) {
			aud, err := in.svc.audience(ctx, app)
			switch {
			case err == nil:
				in.audiences[app] = aud
			case in.audiences[app] != nil:
				// Hub's read model is unavailable (being rebuilt, say):
				// the public walls keep the rule hub gave last.
				in.log.Warn("read hub's access rules; using the last ones", "app", app, "error", err)
			default:
				// Never read: a new follower waits rather than decide
				// without hub's rule. One that follows the app already
				// (its walls were all private until now) goes on with
				// the private walls only: left with the walls it had, it
				// would decide a wall just made public by the organizers'
				// view for as long as hub does not answer. The public
				// ones are decided again once hub answers, as their
				// rules' fingerprint (now with hub's rule) changed.
				if ctx.Err() == nil {
					in.log.Warn("read hub's access rules", "app", app, "error", err)
				}
				if w != nil {
					w.setWalls(slices.DeleteFunc(slices.Clone(walls), func(w Wall) bool { return w.Public }))
				}
				continue
			}
			walls = withAudience(walls, in.audiences[app])
		}
		if w == nil {
			w = in.start(ctx, app)
			in.workers[app] = w
		}
		w.setWalls(walls)
	}
	for app, w := range in.workers {
		if _, ok := byApp[app]; !ok {
			w.stop()
			delete(in.workers, app)
			_ = in.leases.Release(context.WithoutCancel(ctx), leaseName(app))
		}
	}
	for app := range in.audiences {
		if _, ok := byApp[app]; !ok {
			delete(in.audiences, app)
		}
	}
}

func (in *Ingester) stopAll() {
	in.mu.Lock()
	defer in.mu.Unlock()
	for app, w := range in.workers {
		w.stop()
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		_ = in.leases.Release(ctx, leaseName(app))
		cancel()
		delete(in.workers, app)
	}
}

func (in *Ingester) profileChanged(ctx context.Context, app, member string) {
	in.mu.Lock()
	w := in.workers[app]
	in.mu.Unlock()
	if w != nil {
		w.rerender(ctx, member)
	}
}

// appWorker follows one app's feed. Its mutex serialises every decision
// about the app's posts: the follower's, the refills', the re-renders'.
type appWorker struct {
	in     *Ingester
	app    string
	cancel context.CancelFunc
	done   chan struct{}
	update chan []Wall

	mu    sync.Mutex
	walls map[string]Wall
	// audience is hub's rule for anonymous readers that came with the
	// public walls last handed over (nil when there were none).
	audience *Audience
	started  bool
}

func (in *Ingester) start(ctx context.Context, app string) *appWorker {
	wctx, cancel := context.WithCancel(ctx)
	w := &appWorker{in: in, app: app, cancel: cancel, done: make(chan struct{}), update: make(chan []Wall, 1), walls: map[string]Wall{}}
	in.log.Info("following the app's social feed", "app", app)
	go w.run(wctx)
	return w
}

func (w *appWorker) stop() {
	w.cancel()
	<-w.done
}

// setWalls hands the worker the app's current walls (the latest wins).
func (w *appWorker) setWalls(walls []Wall) {
	select {
	case <-w.update:
	default:
	}
	w.update <- walls
}

func (w *appWorker) run(ctx context.Context) {
	defer close(w.done)
	var follow sync.WaitGroup
	defer follow.Wait()
	for {
		select {
		case <-ctx.Done():
			return
		case walls := <-w.update:
			w.sync(ctx, walls)
			if !w.started {
				// The walls are known before the first change is handled:
				// a change handled with no walls would be checkpointed
				// and lost to them.
				w.started = true
				follow.Add(1)
				go func() {
					defer follow.Done()
					if err := w.in.feed.Follow(ctx, w.app, w.handle); err != nil && ctx.Err() == nil {
						w.in.log.Error("follow the social feed", "app", w.app, "error", err)
					}
				}()
			}
		}
	}
}

// sync publishes settings Redis lacks, loads the moderators' decisions it
// lacks and re-decides the walls whose rules changed or whose posts Redis
// lost.
func (w *appWorker) sync(ctx context.Context, walls []Wall) {
	w.mu.Lock()
	defer w.mu.Unlock()
	next := make(map[string]Wall, len(walls))
	w.audience = nil
	for _, wall := range walls {
		next[wall.ID] = wall
		if wall.Public {
			w.audience = wall.Rules.Audience
		}
	}
	w.walls = next
	board := w.in.svc.board
	for _, wall := range walls {
		st, err := board.State(ctx, wall.ID)
		if err != nil {
			w.in.log.Warn("read wall state", "wall", wall.ID, "error", err)
			continue
		}
		if st.Settings < wall.Version {
			if err := w.in.svc.Publish(ctx, wall); err != nil {
				w.in.log.Warn("publish wall settings", "wall", wall.ID, "error", err)
			}
		}
		if st.Moderation < wall.ModerationVersion {
			if err := w.in.svc.Restore(ctx, wall.ID); err != nil {
				w.in.log.Warn("load the wall's moderation", "wall", wall.ID, "error", err)
				continue
			}
		}
		want := wall.Rules.Fingerprint()
		if st.Fingerprint == want {
			continue
		}
		start := time.Now()
		n, err := w.refill(ctx, wall)
		if err != nil {
			if ctx.Err() == nil && !errors.Is(err, errWallLeft) {
				w.in.log.Warn("refill wall", "wall", wall.ID, "error", err)
			}
			continue
		}
		if err := board.SetFilled(ctx, wall.ID, want); err != nil {
			w.in.log.Warn("mark wall filled", "wall", wall.ID, "error", err)
			continue
		}
		w.in.log.Info("decided every post of the app for a wall", "wall", wall.ID, "posts", n, "took", time.Since(start))
	}
}

// refill decides about every post of the app on one wall. w.mu is held.
func (w *appWorker) refill(ctx context.Context, wall Wall) (int, error) {
	n := 0
	authors := map[string]Profile{} // read once per author
	walls := []Wall{wall}           // decide reads it again when its rules change meanwhile
	err := w.in.feed.EachPost(ctx, w.app, func(doc *social.PostDoc) error {
		n++
		if err := w.decide(ctx, walls, doc, authors); err != nil {
			return err
		}
		if _, ok := w.walls[wall.ID]; !ok {
			return errWallLeft
		}
		return nil
	})
	return n, err
}

// errWallLeft stops a refill of a wall the worker no longer decides about
// (see reread).
var errWallLeft = errors.New("the wall left the worker")

// handle is the follower's handler: one change of the app's database.
func (w *appWorker) handle(ctx context.Context, doc *social.PostDoc) error {
	if doc == nil {
		return nil
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	walls := make([]Wall, 0, len(w.walls))
	for _, wall := range w.walls {
		walls = append(walls, wall)
	}
	return w.decide(ctx, walls, doc, nil)
}

// decide decides about one post document on walls; authors, when not nil,
// keeps the profiles read for the next documents. w.mu is held.
//
// The board refuses a decision made with rules older than the wall's in
// force (ErrStaleRules: a wall.update, on any replica, since the walls
// were read): decide then reads the wall again, in walls and w.walls too,
// and decides by its new rules. So no post reaches a wall by rules an
// update replaced, whichever round or replica ingests it.
func (w *appWorker) decide(ctx context.Context, walls []Wall, doc *social.PostDoc, authors map[string]Profile) error {
	if len(walls) == 0 || doc.Type != social.DocPost || PostID(doc.ID) == "" {
		return nil
	}
	var author Profile
	if doc.Author != "" {
		var known bool
		if author, known = authors[doc.Author]; !known {
			var err error
			if author, err = w.in.svc.profile(ctx, w.app, doc.Author); err != nil {
				return err
			}
			if authors != nil {
				authors[doc.Author] = author
			}
		}
	}
	for i := range walls {
		for reads := 0; ; reads++ {
			wall := walls[i]
			d, err := NewDecision(wall, doc, author)
			if err != nil {
				return fmt.Errorf("decide about %s on wall %s: %w", doc.ID, wall.ID, err)
			}
			_, err = w.in.svc.apply(ctx, wall.ID, d)
			if !errors.Is(err, ErrStaleRules) || reads == maxRulesReads {
				if err != nil {
					return fmt.Errorf("apply decision about %s on wall %s: %w", doc.ID, wall.ID, err)
				}
				break
			}
			fresh, ok, err := w.reread(ctx, wall.ID)
			if err != nil {
				return fmt.Errorf("read wall %s again: %w", wall.ID, err)
			}
			if !ok {
				break
			}
			walls[i] = fresh
		}
	}
	return nil
}

// maxRulesReads bounds how often decide reads a wall again for one post
// while its rules keep changing; past it the post fails, and the follower
// delivers it again a little later.
const maxRulesReads = 3

// reread reads a wall's current settings into w.walls after the board
// refused a decision made with the ones the worker had. ok is false when
// the post is not to be decided on the wall now: the wall is gone, or it
// became public and the worker has no rule of hub's for anonymous readers
// (the ingester hands the wall over again with hub's rule, and the
// changed fingerprint has every post decided again). w.mu is held.
func (w *appWorker) reread(ctx context.Context, id string) (Wall, bool, error) {
	wall, err := w.in.svc.walls.WallByID(ctx, id)
	switch {
	case errors.Is(err, errs.NotFound):
		delete(w.walls, id)
		return Wall{}, false, nil
	case err != nil:
		return Wall{}, false, err
	}
	if wall.Public {
		if w.audience == nil {
			delete(w.walls, id)
			return Wall{}, false, nil
		}
		wall.Rules.Audience = w.audience
	}
	w.walls[id] = wall
	return wall, true, nil
}

// rerender refreshes the author's posts on the app's walls after their
// profile changed (a post that arrived before its author's profile shows
// the name from then on).
func (w *appWorker) rerender(ctx context.Context, member string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	ps, err := w.in.svc.profiles.Profiles(ctx, w.app, []string{member})
	if err != nil {
		w.in.log.Warn("read profile", "member", member, "error", err)
		return
	}
	p := ps[member]
	for _, wall := range w.walls {
		entries, err := w.in.svc.board.AllEntries(ctx, wall.ID)
		if err != nil {
			w.in.log.Warn("read wall entries", "wall", wall.ID, "error", err)
			continue
		}
		for _, e := range entries {
			if e.Author != member {
				continue
			}
			var it eventwall.Item
			if err := json.Unmarshal(e.Item, &it); err != nil {
				continue
			}
			if it.Author == p.Name && it.AuthorPhoto == p.PhotoURL {
				continue
			}
			it.Author, it.AuthorPhoto = p.Name, p.PhotoURL
			if p.Name == "" {
				it.AuthorPhoto = ""
			}
			b, err := json.Marshal(it)
			if err != nil {
				continue
			}
			e.Item = b
			if _, err := w.in.svc.apply(ctx, wall.ID, Decision{Post: e.Post, Rev: e.Rev, Outcome: Refresh, Entry: e}); err != nil {
				w.in.log.Warn("re-render post", "wall", wall.ID, "post", e.Post, "error", err)
			}
		}
	}
}

// withAudience returns walls with aud, hub's rule for anonymous readers,
// in the rules of the public ones.
func withAudience(walls []Wall, aud *Audience) []Wall {
	out := make([]Wall, len(walls))
	for i, w := range walls {
		if w.Public {
			w.Rules.Audience = aud
		}
		out[i] = w
	}
	return out
}

// audience is what a reader who is not signed in may see of app, by hub's
// own rule (hub.ReadModel.AnonymousAccess): nothing of an app that does
// not exist or is not published, otherwise its app-wide posts and those of
// the events the rule lets anyone read.
func (s *Service) audience(ctx context.Context, app string) (*Audience, error) {
	acc, err := s.access.AnonymousAccess(ctx, app)
	switch {
	case errors.Is(err, errs.NotFound), errors.Is(err, errs.Forbidden):
		return &Audience{}, nil
	case err != nil:
		return nil, err
	}
	evs, err := s.access.Events(ctx, app)
	switch {
	case errors.Is(err, errs.NotFound):
		evs = nil // no event list: the app has no events
	case err != nil:
		return nil, err
	}
	aud := &Audience{App: true, Events: []string{}}
	for _, e := range evs {
		if acc.MaySee(e.ID) {
			aud.Events = append(aud.Events, e.ID)
		}
	}
	slices.Sort(aud.Events)
	return aud, nil
}

func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}
