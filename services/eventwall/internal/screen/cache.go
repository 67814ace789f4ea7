package screen

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/attendify/eventwall/internal/service"
	"github.com/attendify/platform/errs"
	"github.com/attendify/platform/gate"
	"github.com/attendify/platform/runner"
)

// Cache keeps the walls screens ask for in memory.
type Cache struct {
	src   Source
	truth Walls
	log   *slog.Logger
	check time.Duration
	idle  time.Duration

	// lookups bounds the token lookups in the truth (Postgres) at once:
	// a token nobody knows costs one, so a flood of made-up tokens costs
	// Postgres at most that many queries at a time, per replica.
	lookups *gate.Gate

	walls   sync.Map // wall id -> *entry
	tokens  sync.Map // screen token -> wall id, as Postgres said
	missing sync.Map // token or wall id -> unix seconds until which it is known not to exist
	nMiss   atomic.Int64
	now     atomic.Int64 // unix seconds, updated by Run: a clock without a syscall
	ctx     context.Context
	cancel  context.CancelFunc
}

// CacheOptions configure a Cache.
type CacheOptions struct {
	// Check is how often the walls in memory are compared with Redis, in
	// case a notification was lost (default 1s).
	Check time.Duration
	// Idle is how long a wall nobody asks for stays in memory (default 10m).
	Idle time.Duration
	// Lookups is how many tokens not in memory are looked up in the truth
	// at once (default 4); 4 times as many wait, up to 250ms, and the
	// others are refused (errs.CodeOverloaded) without a query.
	Lookups int
	// Registerer receives the lookups gate's metrics (gate="wall_token").
	Registerer prometheus.Registerer
	Log        *slog.Logger
}

// entry is one wall in memory; its goroutine refreshes it when woken.
type entry struct {
	id     string
	snap   atomic.Pointer[snapshot]
	used   atomic.Int64
	wake   chan struct{}
	stop   chan struct{}
	loadMu sync.Mutex
}

// NewCache returns a cache on src, asking truth for what src lacks. Run
// must be running for walls to be refreshed.
func NewCache(src Source, truth Walls, o CacheOptions) *Cache {
	if o.Check <= 0 {
		o.Check = time.Second
	}
	if o.Idle <= 0 {
		o.Idle = 10 * time.Minute
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.Lookups <= 0 {
		o.Lookups = 4
	}
	lookups := gate.New(gate.Options{Name: "wall_token", Workers: o.Lookups, Queue: 4 * o.Lookups, MaxWait: 250 * time.Millisecond,
		RetryAfter: 2 * time.Second, Registerer: o.Registerer})
	ctx, cancel := context.WithCancel(context.Background())
	c := &Cache{src: src, truth: truth, log: o.Log, check: o.Check, idle: o.Idle, lookups: lookups, ctx: ctx, cancel: cancel}
	c.now.Store(time.Now().Unix())
	return c
}

// maxMissing bounds the negative cache (tokens and ids that do not exist).
const maxMissing = 10000

// validID reports whether id may be a wall id or a screen token (flake ids,
// base64url), so that anything else is refused before it costs a store call.
func validID(id string) bool {
	if len(id) == 0 || len(id) > 64 {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// knownMissing reports whether id was found not to exist a moment ago.
func (c *Cache) knownMissing(id string) bool {
	until, ok := c.missing.Load(id)
	if !ok {
		return false
	}
	if c.now.Load() < until.(int64) {
		return true
	}
	if c.missing.CompareAndDelete(id, until) {
		c.nMiss.Add(-1)
	}
	return false
}

// remember notes for a few seconds that id does not exist.
func (c *Cache) remember(id string) {
	if c.nMiss.Load() >= maxMissing {
		return
	}
	if _, dup := c.missing.LoadOrStore(id, c.now.Load()+5); !dup {
		c.nMiss.Add(1)
	}
}

// Open returns the current snapshot of the wall whose screen token is
// token: screens know a wall by its token only, never by its id. Errors:
// errs.NotFound when no wall has that token (a rotated token included),
// errs.CodeOverloaded when too many unknown tokens are being looked up,
// errs.Unavailable.
func (c *Cache) Open(ctx context.Context, token string) (*snapshot, error) {
	if v, ok := c.tokens.Load(token); ok {
		s, err := c.Get(ctx, v.(string))
		switch {
		case err == nil && s.tokenOK(token):
			return s, nil
		case err != nil && !errors.Is(err, errs.NotFound):
			return nil, err
		}
		// Rotated or deleted: ask the truth again.
		c.tokens.CompareAndDelete(token, v)
	}
	if !validID(token) || c.knownMissing(token) {
		return nil, errs.New(errs.NotFound, "no such wall")
	}
	var id string
	var err error
	if gerr := c.lookups.Do(ctx, func() { id, err = c.truth.WallOfToken(ctx, token) }); gerr != nil {
		return nil, gerr
	}
	if err != nil {
		if errors.Is(err, errs.NotFound) {
			c.remember(token)
		}
		return nil, err
	}
	s, err := c.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	if !s.tokenOK(token) {
		// The token is newer than the settings in memory: they are on
		// their way (the screen asks again).
		if v, ok := c.walls.Load(id); ok {
			v.(*entry).poke()
		}
		return nil, errs.New(errs.NotFound, "no such wall")
	}
	c.tokens.Store(token, id)
	return s, nil
}

// Get returns the current snapshot of a wall, loading it on first use.
// Errors: errs.NotFound for a wall that does not exist (or whose settings
// the store lost and the truth does not have), errs.Unavailable.
func (c *Cache) Get(ctx context.Context, id string) (*snapshot, error) {
	if v, ok := c.walls.Load(id); ok {
		e := v.(*entry)
		if s := e.snap.Load(); s != nil {
			e.used.Store(c.now.Load())
			return s, nil
		}
	}
	return c.load(ctx, id)
}

func (c *Cache) load(ctx context.Context, id string) (*snapshot, error) {
	if !validID(id) || c.knownMissing(id) {
		return nil, errs.New(errs.NotFound, "no such wall")
	}
	v, _ := c.walls.LoadOrStore(id, &entry{id: id, wake: make(chan struct{}, 1), stop: make(chan struct{})})
	e := v.(*entry)
	e.loadMu.Lock()
	defer e.loadMu.Unlock()
	if s := e.snap.Load(); s != nil {
		return s, nil
	}
	s, err := c.fetch(ctx, id)
	if err != nil {
		c.walls.CompareAndDelete(id, e)
		if errors.Is(err, errs.NotFound) {
			c.remember(id)
		}
		return nil, err
	}
	e.used.Store(c.now.Load())
	e.snap.Store(s)
	go c.follow(e) // the first snapshot of this entry: its refresher starts
	return s, nil
}

// fetch reads a wall's whole state, asking for its settings to be
// published again when the store lost them.
func (c *Cache) fetch(ctx context.Context, id string) (*snapshot, error) {
	for attempt := 0; ; attempt++ {
		st, err := c.src.Load(ctx, id)
		if err != nil {
			return nil, err
		}
		if st.Config != nil {
			var rec service.ScreenRecord
			if err := json.Unmarshal(st.Config, &rec); err != nil {
				return nil, fmt.Errorf("decode settings of wall %s: %w", id, err)
			}
			return newSnapshot(id, st, rec), nil
		}
		if attempt > 0 || c.truth == nil {
			return nil, errs.New(errs.NotFound, "no such wall")
		}
		if err := c.truth.Republish(ctx, id); err != nil {
			return nil, err
		}
	}
}

// follow refreshes a wall whenever it is woken, until it is evicted.
func (c *Cache) follow(e *entry) {
	for {
		select {
		case <-e.stop:
			return
		case <-e.wake:
		}
		ctx, cancel := context.WithTimeout(c.ctx, 10*time.Second)
		if err := c.refresh(ctx, e); err != nil && c.ctx.Err() == nil {
			c.log.Warn("refresh wall", "wall", e.id, "error", err)
		}
		cancel()
	}
}

func (e *entry) poke() {
	select {
	case e.wake <- struct{}{}:
	default:
	}
}

// refresh brings a wall's snapshot up to the store's state.
func (c *Cache) refresh(ctx context.Context, e *entry) error {
	old := e.snap.Load()
	d, err := c.src.Since(ctx, e.id, old.head)
	if err != nil {
		return err
	}
	var next *snapshot
	switch {
	case d.Epoch != old.epoch || d.Head < old.head || d.Floor > old.head:
		// Another incarnation of the log (Redis lost it), or trimmed past
		// us: read it all.
		s, err := c.fetch(ctx, e.id)
		if err != nil {
			return err
		}
		next = s
	case d.Head == old.head:
		return nil
	default:
		rec := old.rec
		if d.Config != nil {
			if err := json.Unmarshal(d.Config, &rec); err != nil {
				return fmt.Errorf("decode settings of wall %s: %w", e.id, err)
			}
		}
		next = old.next(d, rec)
	}
	e.snap.Store(next)
	close(old.changed)
	return nil
}

// Run keeps the walls in memory fresh until ctx ends: it follows the
// change notifications and, every Check, compares each wall's head with
// the store's and evicts the walls nobody asked for in Idle.
func (c *Cache) Run(ctx context.Context) error {
	defer c.cancel()
	go func() {
		for ctx.Err() == nil {
			err := c.src.SubscribeChanges(ctx, func(wall string, seq uint64) {
				if v, ok := c.walls.Load(wall); ok {
					e := v.(*entry)
					if s := e.snap.Load(); s != nil && seq != s.head {
						e.poke()
					}
				}
			})
			if ctx.Err() == nil {
				c.log.Warn("change notifications lost; resubscribing (walls are checked every second meanwhile)", "error", err)
				t := time.NewTimer(time.Second)
				select {
				case <-ctx.Done():
				case <-t.C:
				}
			}
		}
	}()
	check := runner.Periodic{Name: "screen-check", Interval: c.check, Log: c.log, Run: func(ctx context.Context) error {
		c.now.Store(time.Now().Unix())
		c.sweep(ctx)
		return nil
	}}
	err := check.Loop(ctx)
	c.walls.Range(func(k, v any) bool {
		close(v.(*entry).stop)
		c.walls.Delete(k)
		return true
	})
	return err
}

// sweep evicts idle walls and wakes those behind the store.
func (c *Cache) sweep(ctx context.Context) {
	now := c.now.Load()
	idle := int64(c.idle / time.Second)
	var ids []string
	entries := map[string]*entry{}
	c.walls.Range(func(k, v any) bool {
		e := v.(*entry)
		if e.snap.Load() == nil {
			return true
		}
		if now-e.used.Load() > idle {
			c.walls.Delete(k)
			close(e.stop)
			c.tokens.Range(func(token, id any) bool {
				if id == k {
					c.tokens.Delete(token)
				}
				return true
			})
			return true
		}
		ids = append(ids, e.id)
		entries[e.id] = e
		return true
	})
	c.missing.Range(func(k, v any) bool {
		if v.(int64) <= now && c.missing.CompareAndDelete(k, v) {
			c.nMiss.Add(-1)
		}
		return true
	})
	if len(ids) == 0 {
		return
	}
	cctx, cancel := context.WithTimeout(ctx, c.check)
	defer cancel()
	heads, err := c.src.Heads(cctx, ids)
	if err != nil {
		if ctx.Err() == nil {
			c.log.Warn("check walls' heads", "error", err)
		}
		return
	}
	for id, h := range heads {
		e := entries[id]
		if s := e.snap.Load(); s != nil && (h.Seq != s.head || h.Epoch != s.epoch) {
			e.poke()
		}
	}
}
