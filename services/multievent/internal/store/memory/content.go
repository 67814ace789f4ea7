package memory

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/attendify/multievent/internal/service"
	"github.com/attendify/platform/errs"
)

// Content fakes the content databases: documents with CouchDB's revision
// rule (a write names the current revision, "" for a document that does
// not exist or was deleted; anything else is errs.Conflict).
type Content struct {
	mu  sync.Mutex
	dbs map[service.GroupDB]map[string]*doc // id -> doc
}

type doc struct {
	rev     string
	body    []byte
	deleted bool
}

var _ service.Content = (*Content)(nil)

// NewContent returns empty content databases.
func NewContent() *Content { return &Content{dbs: map[service.GroupDB]map[string]*doc{}} }

// Write implements service.Content.
func (c *Content) Write(_ context.Context, g service.GroupDB, docs []service.ContentDoc) ([]service.WriteResult, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	db := c.dbs[g]
	if db == nil {
		db = map[string]*doc{}
		c.dbs[g] = db
	}
	out := make([]service.WriteResult, len(docs))
	for i, d := range docs {
		cur := db[d.ID]
		curRev := ""
		if cur != nil && !cur.deleted {
			curRev = cur.rev
		}
		if d.Rev != curRev {
			out[i] = service.WriteResult{ID: d.ID, Err: errs.New(errs.Conflict, "document update conflict")}
			continue
		}
		n := 1
		if cur != nil {
			n, _ = strconv.Atoi(strings.SplitN(cur.rev, "-", 2)[0])
			n++
		}
		sum := sha256.Sum256(append([]byte(fmt.Sprint(d.Deleted)), d.Body...))
		rev := fmt.Sprintf("%d-%s", n, hex.EncodeToString(sum[:8]))
		db[d.ID] = &doc{rev: rev, body: slices.Clone(d.Body), deleted: d.Deleted}
		out[i] = service.WriteResult{ID: d.ID, Rev: rev}
	}
	return out, nil
}

// Rev implements service.Content.
func (c *Content) Rev(_ context.Context, ref service.DocRef) (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	d := c.dbs[ref.GroupDB][ref.ID]
	if d == nil || d.deleted {
		return "", nil
	}
	return d.rev, nil
}

// Placed implements service.Content.
func (c *Content) Placed(_ context.Context, app string) ([]service.Placement, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []service.Placement
	for k, db := range c.dbs {
		if k.App != app {
			continue
		}
		for id, d := range db {
			if d.deleted {
				continue
			}
			var h struct {
				H string `json:"h"`
			}
			_ = json.Unmarshal(d.body, &h)
			out = append(out, service.Placement{DocID: id, Group: k.Group, Rev: d.rev, Hash: h.H})
		}
	}
	return out, nil
}

// Compact implements service.Content: the fake keeps no earlier
// revisions.
func (c *Content) Compact(context.Context, service.GroupDB) error { return nil }

// Drop implements service.Content.
func (c *Content) Drop(_ context.Context, app string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	for k := range c.dbs {
		if k.App == app {
			delete(c.dbs, k)
		}
	}
	return nil
}

// DBName implements service.Content.
func (c *Content) DBName(g service.GroupDB) (string, error) {
	return "mem$" + g.App + "-" + g.Group, nil
}

// Docs returns the live documents of a group's database by id (for
// tests).
func (c *Content) Docs(app, group string) map[string][]byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := map[string][]byte{}
	for id, d := range c.dbs[service.GroupDB{App: app, Group: group}] {
		if !d.deleted {
			out[id] = slices.Clone(d.body)
		}
	}
	return out
}

// Groups lists the groups of app that have a database (for tests).
func (c *Content) Groups(app string) []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []string
	for k := range c.dbs {
		if k.App == app {
			out = append(out, k.Group)
		}
	}
	slices.Sort(out)
	return out
}
