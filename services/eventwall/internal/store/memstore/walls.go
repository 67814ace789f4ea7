// Package memstore is eventwall's stores in memory, for the domain's unit
// tests: Walls stands in for the Postgres adapter (service.WallStore and
// service.Profiles), Board for the Redis one (service.Board and
// screen.Source), Leases for its leases. Each passes the contract suite
// the real adapter passes (internal/store/storetest). A mutex per store
// plays the part of Postgres's transactions and row locks and of Redis's
// scripts. It is not for production: nothing is persisted, and a Board's
// notifications reach only the subscribers of that Board.
package memstore

import (
	"cmp"
	"context"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/attendify/eventwall/internal/service"
	"github.com/attendify/platform/errs"
)

// Walls implements service.WallStore, service.ModerationStore and
// service.Profiles in memory.
type Walls struct {
	mu         sync.Mutex
	walls      map[string]service.Wall                  // by id
	moderation map[string]map[string]service.Moderation // wall -> post -> decision
	authors    map[authorKey]author
}

var (
	_ service.WallStore       = (*Walls)(nil)
	_ service.ModerationStore = (*Walls)(nil)
	_ service.Profiles        = (*Walls)(nil)
)

type authorKey struct{ app, member string }

// author is a row of the authors' profiles: a deleted member's stays,
// empty, so that no older event brings the name back.
type author struct {
	profile service.Profile
	deleted bool
	at      time.Time
}

// NewWalls returns an empty store.
func NewWalls() *Walls {
	return &Walls{walls: map[string]service.Wall{}, moderation: map[string]map[string]service.Moderation{}, authors: map[authorKey]author{}}
}

var errNoWall = errs.New(errs.NotFound, "no such wall")

// stored is w as the store keeps it and reads it back: lists never nil
// and not shared with the caller, the rules' event the wall's, no
// audience (the ingester adds hub's rule).
func stored(w service.Wall) service.Wall {
	clone := func(ss []string) []string {
		if ss == nil {
			return []string{}
		}
		return slices.Clone(ss)
	}
	w.Rules.Hashtags = clone(w.Rules.Hashtags)
	w.Rules.Blocklist = clone(w.Rules.Blocklist)
	w.Rules.AllowList = clone(w.Rules.AllowList)
	w.Rules.BlockedAuthors = clone(w.Rules.BlockedAuthors)
	w.Rules.Event = w.Event
	w.Rules.Audience = nil
	return w
}

// CreateWall implements service.WallStore.
func (s *Walls) CreateWall(_ context.Context, w service.Wall) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.walls[w.ID]; ok {
		return errs.New(errs.Conflict, "wall %s already exists", w.ID)
	}
	if s.tokenTaken(w.Token, w.ID) {
		return errs.New(errs.Conflict, "wall %s: the screen token is taken", w.ID)
	}
	s.walls[w.ID] = stored(w)
	return nil
}

// tokenTaken reports whether a wall other than id has the screen token;
// s.mu is held.
func (s *Walls) tokenTaken(token, id string) bool {
	for _, w := range s.walls {
		if w.Token == token && w.ID != id {
			return true
		}
	}
	return false
}

// Wall implements service.WallStore.
func (s *Walls) Wall(_ context.Context, app, id string) (service.Wall, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	w, ok := s.walls[id]
	if !ok || w.App != app {
		return service.Wall{}, errNoWall
	}
	return stored(w), nil
}

// WallByID implements service.WallStore.
func (s *Walls) WallByID(_ context.Context, id string) (service.Wall, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	w, ok := s.walls[id]
	if !ok {
		return service.Wall{}, errNoWall
	}
	return stored(w), nil
}

// WallByToken implements service.WallStore.
func (s *Walls) WallByToken(_ context.Context, token string) (service.Wall, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, w := range s.walls {
		if w.Token == token {
			return stored(w), nil
		}
	}
	return service.Wall{}, errNoWall
}

// Walls implements service.WallStore: by event, then creation, then id.
func (s *Walls) Walls(_ context.Context, app, event string) ([]service.Wall, error) {
	out := s.list(func(w service.Wall) bool { return w.App == app && (event == "" || w.Event == event) })
	slices.SortFunc(out, func(a, b service.Wall) int {
		return cmp.Or(cmp.Compare(a.Event, b.Event), a.CreatedAt.Compare(b.CreatedAt), cmp.Compare(a.ID, b.ID))
	})
	return out, nil
}

// AllWalls implements service.WallStore: by app, then id.
func (s *Walls) AllWalls(context.Context) ([]service.Wall, error) {
	out := s.list(func(service.Wall) bool { return true })
	slices.SortFunc(out, func(a, b service.Wall) int { return cmp.Or(cmp.Compare(a.App, b.App), cmp.Compare(a.ID, b.ID)) })
	return out, nil
}

func (s *Walls) list(keep func(service.Wall) bool) []service.Wall {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []service.Wall
	for _, w := range s.walls {
		if keep(w) {
			out = append(out, stored(w))
		}
	}
	return out
}

// UpdateWall implements service.WallStore. What change does to the wall's
// identity (id, app, event), its moderation version or its creation time
// is not kept, as in Postgres, whose UPDATE sets the settings only.
func (s *Walls) UpdateWall(_ context.Context, app, id string, change func(*service.Wall) error) (service.Wall, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	old, ok := s.walls[id]
	if !ok || old.App != app {
		return service.Wall{}, errNoWall
	}
	w := stored(old)
	if err := change(&w); err != nil {
		return service.Wall{}, err
	}
	if s.tokenTaken(w.Token, id) {
		return service.Wall{}, errs.New(errs.Conflict, "wall %s: the screen token is taken", id)
	}
	w.Version = old.Version + 1
	w.UpdatedAt = time.Now().UTC().Truncate(time.Microsecond)
	next := stored(w)
	next.ID, next.App, next.Event, next.Rules.Event = old.ID, old.App, old.Event, old.Event
	next.ModerationVersion, next.CreatedAt = old.ModerationVersion, old.CreatedAt
	s.walls[id] = next
	return w, nil
}

// DeleteWall implements service.WallStore; the wall's moderation goes
// with it.
func (s *Walls) DeleteWall(_ context.Context, app, id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if w, ok := s.walls[id]; !ok || w.App != app {
		return errNoWall
	}
	delete(s.walls, id)
	delete(s.moderation, id)
	return nil
}

// Moderate implements service.ModerationStore.
func (s *Walls) Moderate(_ context.Context, ref service.PostRef, change func(*service.Moderation)) (service.Moderation, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	w, ok := s.walls[ref.Wall]
	if !ok || w.App != ref.App {
		return service.Moderation{}, errNoWall
	}
	w.ModerationVersion++
	s.walls[ref.Wall] = w
	posts := s.moderation[ref.Wall]
	if posts == nil {
		posts = map[string]service.Moderation{}
		s.moderation[ref.Wall] = posts
	}
	m, ok := posts[ref.Post]
	if !ok {
		m = service.Moderation{Post: ref.Post}
	}
	change(&m)
	m.Post, m.Version = ref.Post, w.ModerationVersion
	posts[ref.Post] = m
	return m, nil
}

// Moderations implements service.ModerationStore: by post.
func (s *Walls) Moderations(_ context.Context, wall string) (service.Moderations, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	w, ok := s.walls[wall]
	if !ok {
		return service.Moderations{}, errNoWall
	}
	out := service.Moderations{Version: w.ModerationVersion}
	for _, post := range slices.Sorted(maps.Keys(s.moderation[wall])) {
		out.Posts = append(out.Posts, s.moderation[wall][post])
	}
	return out, nil
}

// Profiles implements service.Profiles.
func (s *Walls) Profiles(_ context.Context, app string, members []string) (map[string]service.Profile, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]service.Profile, len(members))
	for _, m := range members {
		if a, ok := s.authors[authorKey{app, m}]; ok && !a.deleted {
			out[m] = a.profile
		}
	}
	return out, nil
}

// SaveProfile implements service.Profiles.
func (s *Walls) SaveProfile(_ context.Context, app, member string, p service.Profile, at time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := authorKey{app, member}
	if a, ok := s.authors[k]; ok && (a.deleted || a.at.After(at)) {
		return nil
	}
	s.authors[k] = author{profile: p, at: at}
	return nil
}

// ResyncProfile implements service.Profiles.
func (s *Walls) ResyncProfile(_ context.Context, app, member string, p service.Profile, at, before time.Time) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := authorKey{app, member}
	a, ok := s.authors[k]
	if ok && (a.deleted || !a.at.Before(before)) {
		return false, nil // a newer or deleted profile stays
	}
	s.authors[k] = author{profile: p, at: at}
	return !ok || a.profile != p, nil
}

// ProfileMembers implements service.Profiles.
func (s *Walls) ProfileMembers(_ context.Context, app string, before time.Time) ([]string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for k, a := range s.authors {
		if k.app == app && !a.deleted && a.at.Before(before) {
			out = append(out, k.member)
		}
	}
	return out, nil
}

// DeleteProfile implements service.Profiles.
func (s *Walls) DeleteProfile(_ context.Context, app, member string, at time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := authorKey{app, member}
	if a, ok := s.authors[k]; ok && a.at.After(at) {
		at = a.at
	}
	s.authors[k] = author{deleted: true, at: at}
	return nil
}
