package memstore

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"sync"

	"github.com/attendify/eventwall"
	"github.com/attendify/eventwall/internal/screen"
	"github.com/attendify/eventwall/internal/service"
	"github.com/attendify/platform/errs"
)

// DefaultMaxChanges is how many entries a wall's change log keeps, as in
// the Redis adapter.
const DefaultMaxChanges = 2000

// Board implements service.Board and screen.Source in memory: each method
// does under the board's lock what the Redis adapter's script does in one
// step. A deleted wall's settings and change log stay for good (Redis
// keeps them a day).
type Board struct {
	mu          sync.Mutex
	walls       map[string]*wallState
	maxChanges  int
	epochs      int
	wallNotes   topic[wallNote]
	changeNotes topic[changeNote]
}

var (
	_ service.Board = (*Board)(nil)
	_ screen.Source = (*Board)(nil)
)

// wallState is what the Redis adapter keeps under a wall's keys.
type wallState struct {
	revs     map[string]int64
	verdicts map[string]string
	marks    map[string]string
	modver   map[string]int64
	items    map[string]string  // shown, with their mark
	entries  map[string][]byte  // service.Entry JSON, shown or waiting
	queue    map[string]float64 // waiting, by creation time
	changes  map[string]uint64  // the change log: post (or screen.ConfigMember) -> sequence
	seq      uint64
	floor    uint64
	epoch    string
	blocked  map[string]bool
	rulesver int64 // the version of the settings whose rules are in force
	loaded   int64 // -1: not loaded
	filled   string
	config   []byte
	cfgver   int64
}

// NewBoard returns an empty board.
func NewBoard() *Board {
	return &Board{walls: map[string]*wallState{}, maxChanges: DefaultMaxChanges}
}

// SetMaxChanges changes the change log's length (tests).
func (b *Board) SetMaxChanges(n int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.maxChanges = n
}

// Flush forgets every wall's state, as a Redis restarted empty does (tests).
func (b *Board) Flush() {
	b.mu.Lock()
	defer b.mu.Unlock()
	clear(b.walls)
}

// wall returns a wall's state, empty when the board has none; b.mu is held.
func (b *Board) wall(id string) *wallState {
	w := b.walls[id]
	if w == nil {
		w = &wallState{
			revs: map[string]int64{}, verdicts: map[string]string{}, marks: map[string]string{}, modver: map[string]int64{},
			items: map[string]string{}, entries: map[string][]byte{}, queue: map[string]float64{}, changes: map[string]uint64{},
			blocked: map[string]bool{}, loaded: -1,
		}
		b.walls[id] = w
	}
	return w
}

// startEpoch gives a wall's change log an epoch unless it has one; b.mu is
// held.
func (b *Board) startEpoch(w *wallState) {
	if w.epoch == "" {
		b.epochs++
		w.epoch = fmt.Sprintf("e%d", b.epochs)
	}
}

// bump appends member to a wall's change log, trims it and announces it;
// b.mu is held.
func (b *Board) bump(id string, w *wallState, member string) {
	w.seq++
	w.changes[member] = w.seq
	if n := len(w.changes); n > b.maxChanges {
		cut := slices.Sorted(maps.Values(w.changes))[n-b.maxChanges-1]
		w.floor = cut
		maps.DeleteFunc(w.changes, func(_ string, seq uint64) bool { return seq <= cut })
	}
	b.changeNotes.publish(changeNote{wall: id, seq: w.seq})
}

// Apply implements service.Board.
func (b *Board) Apply(_ context.Context, wall string, d service.Decision) (service.Applied, error) {
	entry, err := d.EncodeEntry()
	if err != nil {
		return service.Applied{}, err
	}
	item := string(d.Entry.Item)
	b.mu.Lock()
	defer b.mu.Unlock()
	w := b.wall(wall)
	if w.loaded < 0 {
		return service.Applied{}, service.ErrUnloaded
	}
	if d.Rules > 0 && d.Rules < w.rulesver {
		return service.Applied{}, service.ErrStaleRules
	}
	post, outcome := d.Post, d.Outcome
	if cur, ok := w.revs[post]; ok && d.Rev < cur {
		return service.Applied{}, nil
	}
	b.startEpoch(w)
	w.revs[post] = d.Rev
	if outcome != service.Drop && d.Entry.Author != "" && w.blocked[d.Entry.Author] {
		outcome = service.Drop
	}
	verdict := w.verdicts[post]
	if outcome == service.Hold && verdict == "a:"+d.Entry.Hash {
		outcome = service.Show
	}
	if outcome != service.Drop && verdict == "r" {
		outcome = service.Drop
	}
	shown, isShown := w.items[post]
	if outcome == service.Refresh {
		_, waiting := w.queue[post]
		switch {
		case isShown:
			outcome = service.Show
		case waiting:
			outcome = service.Hold
		default:
			return service.Applied{}, nil
		}
	}
	changed := false
	switch outcome {
	case service.Show:
		if mark, ok := w.marks[post]; ok {
			item = item[:len(item)-1] + `,"mark":"` + mark + `"}`
		}
		w.entries[post] = entry
		delete(w.queue, post)
		if !isShown || shown != item {
			w.items[post] = item
			b.bump(wall, w, post)
			changed = true
		}
	case service.Hold:
		w.entries[post] = entry
		w.queue[post] = float64(d.Entry.Created)
		if isShown {
			delete(w.items, post)
			b.bump(wall, w, post)
			changed = true
		}
	default:
		delete(w.entries, post)
		delete(w.queue, post)
		if isShown {
			delete(w.items, post)
			b.bump(wall, w, post)
			changed = true
		}
	}
	return service.Applied{Outcome: outcome, Changed: changed}, nil
}

// Approve implements service.Board.
func (b *Board) Approve(_ context.Context, wall string, a service.Approval) (service.ApprovalOutcome, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	w := b.wall(wall)
	if w.loaded < 0 {
		return service.ApprovalOutcome{}, service.ErrUnloaded
	}
	if a.Rules < w.rulesver {
		return service.ApprovalOutcome{}, service.ErrStaleRules
	}
	refuse := func(reason string) (service.ApprovalOutcome, error) {
		return service.ApprovalOutcome{Refused: reason}, nil
	}
	raw, ok := w.entries[a.Post]
	if !ok {
		if _, decided := w.revs[a.Post]; decided {
			return refuse(eventwall.RefusedRemoved)
		}
		return service.ApprovalOutcome{}, errs.New(errs.NotFound, "the wall keeps no post %s", a.Post)
	}
	e, err := decodeEntry(wall, a.Post, raw)
	if err != nil {
		return service.ApprovalOutcome{}, err
	}
	switch {
	case a.Rev != 0 && e.Rev != a.Rev:
		return refuse(eventwall.RefusedChanged)
	case w.verdicts[a.Post] == "r":
		return refuse(eventwall.RefusedRemoved)
	case e.Author != "" && w.blocked[e.Author]:
		return refuse(eventwall.RefusedAuthorBlocked)
	case e.RulesID != a.RulesID:
		return refuse(eventwall.RefusedRulesChanged)
	case a.Audience != nil && !a.Audience.MaySee(e.Event):
		return refuse(eventwall.RefusedNotPublic)
	}
	w.verdicts[a.Post] = "a:" + e.Hash
	if _, waiting := w.queue[a.Post]; waiting {
		item := string(e.Item)
		if mark, ok := w.marks[a.Post]; ok {
			item = item[:len(item)-1] + `,"mark":"` + mark + `"}`
		}
		delete(w.queue, a.Post)
		w.items[a.Post] = item
		b.bump(wall, w, a.Post)
	}
	return service.ApprovalOutcome{Rev: e.Rev, Hash: e.Hash}, nil
}

// decodeEntry reads back an entry as the board keeps it.
func decodeEntry(wall, post string, b []byte) (service.Entry, error) {
	var e service.Entry
	if err := json.Unmarshal(b, &e); err != nil {
		return service.Entry{}, fmt.Errorf("decode entry %s of wall %s: %w", post, wall, err)
	}
	return e, nil
}

// Entries implements service.Board.
func (b *Board) Entries(_ context.Context, wall string, posts []string) (map[string]service.Entry, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	w := b.wall(wall)
	out := make(map[string]service.Entry, len(posts))
	for _, p := range posts {
		raw, ok := w.entries[p]
		if !ok {
			continue
		}
		e, err := decodeEntry(wall, p, raw)
		if err != nil {
			return nil, err
		}
		out[p] = e
	}
	return out, nil
}

// AllEntries implements service.Board.
func (b *Board) AllEntries(_ context.Context, wall string) ([]service.Entry, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	w := b.wall(wall)
	out := make([]service.Entry, 0, len(w.entries))
	for p, raw := range w.entries {
		e, err := decodeEntry(wall, p, raw)
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, nil
}

// Queue implements service.Board: by creation time, then post id (the
// order of a Redis sorted set).
func (b *Board) Queue(_ context.Context, wall string, offset, limit int) ([]service.Entry, int64, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	w := b.wall(wall)
	posts := slices.SortedFunc(maps.Keys(w.queue), func(x, y string) int {
		return cmp.Or(cmp.Compare(w.queue[x], w.queue[y]), cmp.Compare(x, y))
	})
	page := posts[min(offset, len(posts)):min(offset+limit, len(posts))]
	out := make([]service.Entry, 0, len(page))
	for _, p := range page {
		e, err := decodeEntry(wall, p, w.entries[p])
		if err != nil {
			return nil, 0, err
		}
		out = append(out, e)
	}
	return out, int64(len(posts)), nil
}

// Shown implements service.Board.
func (b *Board) Shown(_ context.Context, wall, post string) (bool, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	_, ok := b.wall(wall).items[post]
	return ok, nil
}

// merge writes one post's verdict and mark unless the board has them from
// a later version; b.mu is held.
func merge(w *wallState, m service.Moderation) {
	if m.Version <= w.modver[m.Post] {
		return
	}
	set := func(kv map[string]string, v string) {
		if v == "" {
			delete(kv, m.Post)
		} else {
			kv[m.Post] = v
		}
	}
	set(w.verdicts, m.Verdict)
	set(w.marks, m.Mark)
	w.modver[m.Post] = m.Version
}

// SetModeration implements service.Board. The wall's loaded version moves
// with it only when it is the next one.
func (b *Board) SetModeration(_ context.Context, wall string, m service.Moderation) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	w := b.wall(wall)
	merge(w, m)
	if w.loaded >= 0 && w.loaded == m.Version-1 {
		w.loaded = m.Version
	}
	return nil
}

// Restore implements service.Board.
func (b *Board) Restore(_ context.Context, wall string, m service.Moderations, version int64, blocked []string) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	w := b.wall(wall)
	setRules(w, version, blocked)
	for _, p := range m.Posts {
		merge(w, p)
	}
	w.loaded = max(w.loaded, m.Version)
	return nil
}

// setRules puts a version of a wall's rules in force, with its blocked
// authors, unless the board has a newer one; b.mu is held.
func setRules(w *wallState, version int64, blocked []string) {
	if version <= w.rulesver {
		return
	}
	w.blocked = map[string]bool{}
	for _, a := range blocked {
		w.blocked[a] = true
	}
	w.rulesver = version
}

// SetRules implements service.Board.
func (b *Board) SetRules(_ context.Context, wall string, version int64, blocked []string) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	setRules(b.wall(wall), version, blocked)
	return nil
}

// PublishConfig implements service.Board.
func (b *Board) PublishConfig(_ context.Context, rec service.ScreenRecord) error {
	raw, err := json.Marshal(rec)
	if err != nil {
		return err
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	w := b.wall(rec.Wall)
	if rec.Version <= w.cfgver {
		return nil
	}
	w.config, w.cfgver = raw, rec.Version
	b.startEpoch(w)
	b.bump(rec.Wall, w, screen.ConfigMember)
	return nil
}

// RemoveWall implements service.Board.
func (b *Board) RemoveWall(_ context.Context, rec service.ScreenRecord) error {
	raw, err := json.Marshal(rec)
	if err != nil {
		return err
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	w := b.wall(rec.Wall)
	for post := range w.items {
		b.bump(rec.Wall, w, post)
	}
	w.config, w.cfgver = raw, rec.Version
	b.startEpoch(w)
	b.bump(rec.Wall, w, screen.ConfigMember)
	// Only the settings and the change log stay.
	*w = wallState{
		revs: map[string]int64{}, verdicts: map[string]string{}, marks: map[string]string{}, modver: map[string]int64{},
		items: map[string]string{}, entries: map[string][]byte{}, queue: map[string]float64{}, blocked: map[string]bool{},
		changes: w.changes, seq: w.seq, floor: w.floor, epoch: w.epoch, config: w.config, cfgver: w.cfgver, loaded: -1,
	}
	return nil
}

// State implements service.Board.
func (b *Board) State(_ context.Context, wall string) (service.BoardState, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	w := b.wall(wall)
	st := service.BoardState{Fingerprint: w.filled, Settings: w.cfgver, Moderation: w.loaded}
	var rec service.ScreenRecord
	if json.Unmarshal(w.config, &rec) == nil {
		st.Public = rec.Public && !rec.Gone
	}
	return st, nil
}

// SetFilled implements service.Board.
func (b *Board) SetFilled(_ context.Context, wall, fingerprint string) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.wall(wall).filled = fingerprint
	return nil
}

// NotifyWalls implements service.Board.
func (b *Board) NotifyWalls(_ context.Context, app, member string) error {
	b.wallNotes.publish(wallNote{app: app, member: member})
	return nil
}

// SubscribeWalls implements service.Board.
func (b *Board) SubscribeWalls(ctx context.Context, fn func(app, member string)) error {
	return b.wallNotes.subscribe(ctx, func(n wallNote) { fn(n.app, n.member) })
}

// Load implements screen.Source.
func (b *Board) Load(_ context.Context, wall string) (screen.State, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	w := b.wall(wall)
	st := screen.State{Epoch: w.epoch, Head: w.seq, Floor: w.floor, Config: slices.Clone(w.config),
		Items: make(map[string][]byte, len(w.items)), Seqs: maps.Clone(w.changes)}
	for p, it := range w.items {
		st.Items[p] = []byte(it)
	}
	return st, nil
}

// Since implements screen.Source.
func (b *Board) Since(_ context.Context, wall string, seq uint64) (screen.Delta, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	w := b.wall(wall)
	d := screen.Delta{Epoch: w.epoch, Head: w.seq, Floor: w.floor}
	members := slices.SortedFunc(maps.Keys(w.changes), func(x, y string) int { return cmp.Compare(w.changes[x], w.changes[y]) })
	for _, m := range members {
		s := w.changes[m]
		switch {
		case s <= seq:
		case m == screen.ConfigMember:
			d.Config, d.ConfigSeq = slices.Clone(w.config), s
		default:
			c := screen.Change{Post: m, Seq: s}
			if it, ok := w.items[m]; ok {
				c.Item = []byte(it)
			}
			d.Changes = append(d.Changes, c)
		}
	}
	return d, nil
}

// Heads implements screen.Source.
func (b *Board) Heads(_ context.Context, walls []string) (map[string]screen.Head, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	out := make(map[string]screen.Head, len(walls))
	for _, id := range walls {
		w := b.wall(id)
		out[id] = screen.Head{Epoch: w.epoch, Seq: w.seq}
	}
	return out, nil
}

// SubscribeChanges implements screen.Source.
func (b *Board) SubscribeChanges(ctx context.Context, fn func(wall string, seq uint64)) error {
	return b.changeNotes.subscribe(ctx, func(n changeNote) { fn(n.wall, n.seq) })
}

// wallNote is a notification that an app's walls (or an author's profile)
// changed.
type wallNote struct{ app, member string }

// changeNote is a notification that a wall's change log moved.
type changeNote struct {
	wall string
	seq  uint64
}

// subscriberBuffer is how many notifications a subscriber may be behind;
// further ones are lost to it, as a slow Redis subscriber's are.
const subscriberBuffer = 1024

// topic is a pub/sub channel in memory.
type topic[T any] struct {
	mu   sync.Mutex
	subs map[chan T]struct{}
}

// publish sends n to every subscriber.
func (t *topic[T]) publish(n T) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for ch := range t.subs {
		select {
		case ch <- n:
		default:
		}
	}
}

// subscribe calls fn with each notification until ctx ends; it is
// subscribed when it is called.
func (t *topic[T]) subscribe(ctx context.Context, fn func(T)) error {
	ch := make(chan T, subscriberBuffer)
	t.mu.Lock()
	if t.subs == nil {
		t.subs = map[chan T]struct{}{}
	}
	t.subs[ch] = struct{}{}
	t.mu.Unlock()
	defer func() {
		t.mu.Lock()
		delete(t.subs, ch)
		t.mu.Unlock()
	}()
	for {
		select {
		case <-ctx.Done():
			return nil
		case n := <-ch:
			fn(n)
		}
	}
}
