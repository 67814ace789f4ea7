package service

import (
	"context"
	"strconv"
	"strings"
	"sync"

	"github.com/attendify/hub"
)

// The directory and search read the projection on every call: the app's
// events (both), and the search's hits. Both are cached in the process
// under the app's content version (Projection.ContentVersion), read first
// on every call: a change the projection applied moves the version, so
// the next call after it misses and reads the projection again. Replicas
// each keep their own cache and read the same version from Postgres.
//
// The caches are bounded by emptying them when full: what is hot comes
// back at once.

// DefaultSearchCache is the number of search pages kept when
// Options.SearchCache is zero.
const DefaultSearchCache = 4096

// maxCachedApps bounds the apps whose event lists are kept.
const maxCachedApps = 256

// MaxCachedDirectoryEvents bounds the directories kept (by
// Directory.Key) by the events they hold together (about 200 bytes
// each); the wire forms (rpcapi) follow the same bound.
const MaxCachedDirectoryEvents = 1 << 16

type caches struct {
	mu     sync.Mutex
	events map[string]cachedEvents // app -> its events at a version
	dirs   map[string]Directory    // Directory.Key -> the directory
	// dirEvents counts the events of the directories in dirs.
	dirEvents int
	search    map[string][]Hit // searchKey -> the hits of a page
	// searchMax is the number of pages kept; negative: none.
	searchMax int
}

type cachedEvents struct {
	version int64
	events  []Event // shared by every caller: never written
}

func newCaches(searchMax int) *caches {
	if searchMax == 0 {
		searchMax = DefaultSearchCache
	}
	return &caches{events: map[string]cachedEvents{}, dirs: map[string]Directory{}, search: map[string][]Hit{}, searchMax: searchMax}
}

func (c *caches) directory(key string) (Directory, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	d, ok := c.dirs[key]
	return d, ok
}

func (c *caches) putDirectory(key string, d Directory) {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := len(d.Now) + len(d.Upcoming) + len(d.Past) + 1
	if c.dirEvents+n > MaxCachedDirectoryEvents {
		clear(c.dirs)
		c.dirEvents = 0
	}
	if _, ok := c.dirs[key]; !ok {
		c.dirEvents += n
	}
	c.dirs[key] = d
}

// contentVersion reads app's content version; every cached read of the
// call is keyed by it (read before the content, so that content read
// after it is at least as new).
func (s *Service) contentVersion(ctx context.Context, app string) (int64, error) {
	return s.proj.ContentVersion(ctx, app)
}

// events returns app's live events by start as of version (read before):
// from the cache, or from the projection. The slice is shared: callers
// never write to it.
func (s *Service) events(ctx context.Context, app string, version int64) ([]Event, error) {
	c := s.caches
	c.mu.Lock()
	e, ok := c.events[app]
	c.mu.Unlock()
	if ok && e.version == version {
		return e.events, nil
	}
	evs, err := s.proj.Events(ctx, app)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if cur, ok := c.events[app]; !ok || cur.version <= version {
		if !ok && len(c.events) >= maxCachedApps {
			clear(c.events)
		}
		c.events[app] = cachedEvents{version: version, events: evs}
	}
	return evs, nil
}

// searchKey is what a page of hits depends on: the app's content at
// version, the events whose cards and whose agendas the caller may see
// (one letter per event of evs: h hidden, c card only, o open), the
// folded words and where the page starts.
func searchKey(app string, version int64, evs []Event, st Standing, words []string, after *Hit) string {
	var b strings.Builder
	b.WriteString(app)
	b.WriteByte(0)
	b.WriteString(strconv.FormatInt(version, 10))
	b.WriteByte(0)
	for _, e := range evs {
		switch st.Gate(e.ID) {
		case hub.GateOpen:
			b.WriteByte('o')
		case hub.GateCode, hub.GateListed:
			b.WriteByte('c')
		default:
			b.WriteByte('h')
		}
	}
	for _, w := range words {
		b.WriteByte(0)
		b.WriteString(strings.ToLower(w))
	}
	if after != nil {
		b.WriteByte(1)
		b.WriteString(strconv.FormatFloat(float64(after.Rank), 'g', -1, 32))
		b.WriteByte(0)
		b.WriteString(after.Kind)
		b.WriteByte(0)
		b.WriteString(after.ID)
	}
	return b.String()
}

func (c *caches) searchHits(key string) ([]Hit, bool) {
	if c.searchMax < 0 {
		return nil, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	hits, ok := c.search[key]
	return hits, ok
}

func (c *caches) putSearch(key string, hits []Hit) {
	if c.searchMax < 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.search) >= c.searchMax {
		clear(c.search)
	}
	c.search[key] = hits
}
