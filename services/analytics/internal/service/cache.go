package service

import (
	"context"
	"sync"
	"time"
)

// rowsCache keeps the rollup rows of recent queries, each with the app's
// fold generation it was read under. Rollup rows change only when a fold
// writes them, and every fold gives the app a new generation (Live.Folded)
// before it clears the waiting marks, so rows cached under the generation a
// query reads (after the marks) are still what Postgres holds; buckets
// still waiting come from the live state anyway. Entries also expire after
// rowsTTL, and the cache holds at most rowsMax of them.
type rowsCache struct {
	mu      sync.Mutex
	entries map[rowsKey]rowsEntry
	now     func() time.Time
}

type rowsKey struct {
	app, scope string
	level      Level
	from, to   time.Time
}

type rowsEntry struct {
	gen  string
	rows []Row
	at   time.Time
}

const (
	rowsTTL = time.Minute
	rowsMax = 4096
)

// get returns the rows of k, from the cache when they were read under gen
// (not empty: an app never folded has no generation), else from load.
func (c *rowsCache) get(ctx context.Context, k rowsKey, gen string,
	load func(ctx context.Context, app, scope string, level Level, from, to time.Time) ([]Row, error)) ([]Row, error) {
	now := c.now()
	if gen != "" {
		c.mu.Lock()
		e, ok := c.entries[k]
		c.mu.Unlock()
		if ok && e.gen == gen && now.Sub(e.at) < rowsTTL {
			return e.rows, nil
		}
	}
	rows, err := load(ctx, k.app, k.scope, k.level, k.from, k.to)
	if err != nil || gen == "" {
		return rows, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.entries) >= rowsMax {
		for old, e := range c.entries { // drop the expired, or else any
			if now.Sub(e.at) >= rowsTTL || len(c.entries) >= rowsMax {
				delete(c.entries, old)
			}
			if len(c.entries) < rowsMax/2 {
				break
			}
		}
	}
	c.entries[k] = rowsEntry{gen: gen, rows: rows, at: now}
	return rows, nil
}
