package service_test

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/attendify/eventwall"
	"github.com/attendify/eventwall/internal/screen"
	"github.com/attendify/eventwall/internal/service"
	"github.com/attendify/platform/auth"
	"github.com/attendify/platform/errs"
)

// racyBoard is a board on which something happens between an ingester's
// reading of a wall's rules and its write: armed with between, it runs it
// before the next decision about post is applied, then records what the
// board made of each decision about post.
type racyBoard struct {
	service.Board
	post string

	mu       sync.Mutex
	between  func()
	outcomes []string
}

// arm has between run before the next decision about the post, and
// forgets the decisions recorded.
func (b *racyBoard) arm(between func()) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.between, b.outcomes = between, nil
}

func (b *racyBoard) Apply(ctx context.Context, wall string, d service.Decision) (service.Applied, error) {
	if d.Post != b.post {
		return b.Board.Apply(ctx, wall, d)
	}
	b.mu.Lock()
	between := b.between
	b.between = nil
	b.mu.Unlock()
	if between != nil {
		between()
	}
	a, err := b.Board.Apply(ctx, wall, d)
	if err == nil && a.Outcome != "" {
		b.mu.Lock()
		b.outcomes = append(b.outcomes, a.Outcome)
		b.mu.Unlock()
	}
	return a, err
}

// applied is what the board made of the decisions about the post since it
// was armed.
func (b *racyBoard) applied() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return slices.Clone(b.outcomes)
}

// TestUpdateBetweenReadAndWrite: an organizer's wall.update, served by
// another replica, lands after the ingester judged a post by the rules it
// had read and before it wrote the decision: a new post (the follower's
// round), or a post on the wall already (a refill's round, started by an
// earlier change of the rules). Once the update has answered, every
// decision about the post applied is the new rules', and a post they keep
// off never reaches the screens.
func TestUpdateBetweenReadAndWrite(t *testing.T) {
	tests := []struct {
		name    string
		initial func(*service.WallSettings) // the wall's settings at first
		refill  bool                        // the post is on the wall already; an earlier update starts a refill
		update  func(*service.WallSettings) // between the read and the write
		want    string                      // what the new rules make of the post
	}{
		{name: "a blocklisted phrase added", update: func(s *service.WallSettings) { s.Blocklist = []string{"buy now"} }, want: service.Hold},
		{name: "manual mode", update: func(s *service.WallSettings) { s.Mode = eventwall.ModerationManual }, want: service.Hold},
		{name: "a hashtag filter", update: func(s *service.WallSettings) { s.Hashtags = []string{"keynote"} }, want: service.Drop},
		{name: "photos only", update: func(s *service.WallSettings) { s.PhotosOnly = true }, want: service.Drop},
		{name: "moderation off",
			initial: func(s *service.WallSettings) { s.Blocklist = []string{"buy now"} },
			update:  func(s *service.WallSettings) { s.Mode = eventwall.ModerationOff }, want: service.Show},
		// The fake hub's app is not published: a public wall shows
		// nothing of it.
		{name: "made public", update: func(s *service.WallSettings) { s.Public = true }, want: service.Drop},
		{name: "a blocklisted phrase added during a refill", refill: true,
			update: func(s *service.WallSettings) { s.Blocklist = []string{"buy now"} }, want: service.Hold},
		{name: "a hashtag filter during a refill", refill: true,
			update: func(s *service.WallSettings) { s.Hashtags = []string{"keynote"} }, want: service.Drop},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			board := &racyBoard{Board: e.board, post: "p1"}
			// The replica whose ingester follows the app decides on the
			// racy board; another replica serves the update.
			other := e.svc
			e.svc = service.New(service.Options{Walls: e.walls, Moderation: e.walls, Board: board, Profiles: e.walls, Members: e.hub, Access: e.hub})
			ctx := e.as(t, auth.RoleOwner)
			w := e.newWall(t, tt.initial)
			doc := post("p1", "buy now: the slides of the talk #go")
			doc.Hashtags = []string{"go"}

			answered := make(chan service.Wall, 1)
			update := func() {
				u, err := other.UpdateWall(ctx, app, w.ID, 0, tt.update)
				if err != nil {
					t.Errorf("update: %v", err)
				}
				answered <- u
			}
			if tt.refill {
				e.feed.had(doc)
				e.ingest(t)
				e.filledWith(t, w)
				board.arm(update)
				// Hashtags that keep p1 on the wall: every post is
				// decided again, p1 too.
				if _, err := other.UpdateWall(ctx, app, w.ID, 0, func(s *service.WallSettings) { s.Hashtags = []string{"go"} }); err != nil {
					t.Fatal(err)
				}
			} else {
				e.ingest(t)
				e.filledWith(t, w)
				board.arm(update)
				e.feed.put(doc)
			}
			var updated service.Wall
			select {
			case updated = <-answered:
			case <-time.After(5 * time.Second):
				t.Fatal("no decision about p1 within 5s")
			}
			// Every post decided again by the new rules: p1's decision
			// in the race is over too (the worker decides one at a time).
			if updated.Public {
				updated.Rules.Audience = &service.Audience{} // hub's rule
			}
			e.filledWith(t, updated)

			for i, got := range board.applied() {
				if got != tt.want {
					t.Errorf("decision %d about p1 after the update: %s, want %s (the previous rules')", i+1, got, tt.want)
				}
			}
			shown := slices.Contains(e.shown(t, w.ID), "p1")
			held := slices.Contains(e.queue(t, w.ID), "p1")
			if shown != (tt.want == service.Show) || held != (tt.want == service.Hold) {
				t.Errorf("p1 shown %v, held %v; want %s", shown, held, tt.want)
			}
			if tt.want != service.Show && !tt.refill {
				d, err := e.board.Since(ctx, w.ID, 0)
				if err != nil {
					t.Fatal(err)
				}
				if slices.ContainsFunc(d.Changes, func(c screen.Change) bool { return c.Post == "p1" }) {
					t.Error("p1 reached the screens")
				}
			}
		})
	}
}

// failingRules is a board that cannot put rules in force (Redis failing).
type failingRules struct{ service.Board }

func (failingRules) SetRules(context.Context, string, int64, []string) error {
	return errs.New(errs.Unavailable, "redis is down")
}

// TestUpdateFailsWhenRulesAreNotInForce: wall.update answers success only
// once the new rules are in force; when the board cannot be told, the
// caller gets the error (the settings are saved, and sent again they are
// put in force).
func TestUpdateFailsWhenRulesAreNotInForce(t *testing.T) {
	e := newEnv(t)
	ctx := e.as(t, auth.RoleOwner)
	w := e.newWall(t, nil)
	down := service.New(service.Options{Walls: e.walls, Moderation: e.walls, Board: failingRules{e.board}, Profiles: e.walls, Members: e.hub, Access: e.hub})
	blocklist := func(s *service.WallSettings) { s.Blocklist = []string{"spoiler"} }
	if _, err := down.UpdateWall(ctx, app, w.ID, 0, blocklist); !errors.Is(err, errs.Unavailable) {
		t.Errorf("update while the board cannot take the rules: %v, want unavailable", err)
	}
	if got, err := e.walls.WallByID(ctx, w.ID); err != nil || !slices.Equal(got.Rules.Blocklist, []string{"spoiler"}) {
		t.Errorf("stored blocklist %v %v, want the update saved", got.Rules.Blocklist, err)
	}
	u, err := e.svc.UpdateWall(ctx, app, w.ID, 0, blocklist)
	if err != nil {
		t.Fatalf("the update sent again: %v", err)
	}
	stale := service.Decision{Post: "p1", Rev: 1, Outcome: service.Show, Rules: u.Version - 1,
		Entry: service.Entry{Post: "p1", Rev: 1, Item: []byte(`{"id":"p1"}`)}}
	if err := e.svc.Restore(ctx, w.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := e.board.Apply(ctx, w.ID, stale); !errors.Is(err, service.ErrStaleRules) {
		t.Errorf("a decision by the rules before the update sent again: %v, want ErrStaleRules", err)
	}
}

// stepBoard is a board that runs before(i) before its i-th call (from 0)
// of the methods an update uses, counting them in calls.
type stepBoard struct {
	service.Board
	before func(i int)
	calls  int
}

func (b *stepBoard) step() {
	b.before(b.calls)
	b.calls++
}

func (b *stepBoard) SetRules(ctx context.Context, wall string, version int64, blocked []string) error {
	b.step()
	return b.Board.SetRules(ctx, wall, version, blocked)
}

func (b *stepBoard) State(ctx context.Context, wall string) (service.BoardState, error) {
	b.step()
	return b.Board.State(ctx, wall)
}

func (b *stepBoard) AllEntries(ctx context.Context, wall string) ([]service.Entry, error) {
	b.step()
	return b.Board.AllEntries(ctx, wall)
}

func (b *stepBoard) Apply(ctx context.Context, wall string, d service.Decision) (service.Applied, error) {
	b.step()
	return b.Board.Apply(ctx, wall, d)
}

func (b *stepBoard) PublishConfig(ctx context.Context, rec service.ScreenRecord) error {
	b.step()
	return b.Board.PublishConfig(ctx, rec)
}

// TestMadePublicWithADecisionInFlight: a private wall made public takes
// the organizers' view off its screens before screens without the key are
// let in. A decision made by the private rules (an ingester's, on another
// replica, judged before the update) lands at any step of the update: it
// never stays on the wall the update opened.
func TestMadePublicWithADecisionInFlight(t *testing.T) {
	// setup makes a private wall showing p1, and the decision about p2
	// an ingester made by its rules.
	setup := func(t *testing.T) (*env, service.Wall, service.Decision) {
		e := newEnv(t)
		ctx := e.as(t, "service")
		w := e.newWall(t, func(s *service.WallSettings) { s.Mode = eventwall.ModerationOff })
		if err := e.svc.Restore(ctx, w.ID); err != nil {
			t.Fatal(err)
		}
		decide := func(id string) service.Decision {
			d, err := service.NewDecision(w, post(id, "organizers only"), service.Profile{})
			if err != nil {
				t.Fatal(err)
			}
			return d
		}
		if _, err := e.board.Apply(ctx, w.ID, decide("p1")); err != nil {
			t.Fatal(err)
		}
		return e, w, decide("p2")
	}
	makePublic := func(s *service.WallSettings) { s.Public = true }

	e, w, _ := setup(t)
	counted := &stepBoard{Board: e.board, before: func(int) {}}
	svc := service.New(service.Options{Walls: e.walls, Moderation: e.walls, Board: counted, Profiles: e.walls, Members: e.hub, Access: e.hub})
	if _, err := svc.UpdateWall(e.as(t, auth.RoleOwner), app, w.ID, 0, makePublic); err != nil {
		t.Fatal(err)
	}
	if counted.calls < 4 {
		t.Fatalf("the update made %d calls to the board", counted.calls)
	}
	for step := range counted.calls {
		e, w, inFlight := setup(t)
		ctx := e.as(t, auth.RoleOwner)
		board := &stepBoard{Board: e.board, before: func(i int) {
			if i == step {
				// Refused once the new rules are in force: fine.
				_, _ = e.board.Apply(ctx, w.ID, inFlight)
			}
		}}
		svc := service.New(service.Options{Walls: e.walls, Moderation: e.walls, Board: board, Profiles: e.walls, Members: e.hub, Access: e.hub})
		if _, err := svc.UpdateWall(ctx, app, w.ID, 0, makePublic); err != nil {
			t.Fatal(err)
		}
		if got := e.shown(t, w.ID); len(got) != 0 {
			t.Errorf("the decision by the private rules landing before board call %d: the public wall shows %v", step, got)
		}
	}
}
