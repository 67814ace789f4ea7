package memstore

import (
	"context"
	"maps"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/attendify/social/internal/service"
)

// Index is the in-memory stand-in of social's Redis index: it implements
// service.FeedIndex, PostCache, ProfileCache, RateLimiter and
// PendingUploads, with the
// Redis store's rules: readers cache documents only where absent, and
// members' reactions only by a fill no reaction cancelled,
// counters are taken by version from readers and writers alike (a
// writer's counters without a document wait TombstoneTTL for it), a
// dropped post leaves a floor at the changed revision (or a tombstone)
// for TombstoneTTL, and a dropped profile leaves its change's time as a
// floor for as long.
type Index struct {
	mu       sync.Mutex
	now      func() time.Time
	built    map[string]bool
	feeds    map[string]map[string]bool // app + feed -> post ids
	posts    map[string]cacheEntry      // app/post
	mine     map[string]map[string]string
	fills    map[string]fill // app/member -> the fill of their reactions in flight
	fillSeq  int
	profiles map[string]profileEntry                     // app/member
	rates    map[string]time.Time                        // app/action/member -> theoretical arrival time
	pending  map[string]map[string]service.PendingUpload // app/member -> upload id -> upload
}

// cacheEntry is a post's entry: it reads as cached when it holds both a
// document and counters.
type cacheEntry struct {
	doc    *service.Post   // nil: dropped (a floor or a tombstone), or not yet filled
	counts *service.Counts // nil: none
	floor  int64           // a floor's revision generation
	tomb   bool            // a tombstone: refuses every refill
	dead   time.Time       // when the entry expires (zero: never)
}

// fill is a fill of a member's reactions in flight (StartMemberReactions).
type fill struct {
	token string
	dead  time.Time
}

type profileEntry struct {
	p     *service.Profile // nil: a floor
	floor time.Time        // a floor's change time
	dead  time.Time        // when a floor expires
}

// TombstoneTTL is how long an invalidated entry refuses to be re-cached
// (the Redis store's).
const TombstoneTTL = 30 * time.Second

// UnversionedTTL is how long an entry filled with unversioned counters
// lives (the Redis store's).
const UnversionedTTL = 10 * time.Second

var (
	_ service.FeedIndex      = (*Index)(nil)
	_ service.PostCache      = (*Index)(nil)
	_ service.ProfileCache   = (*Index)(nil)
	_ service.RateLimiter    = (*Index)(nil)
	_ service.PendingUploads = (*Index)(nil)
)

// NewIndex returns an empty index (no app built).
func NewIndex() *Index {
	return &Index{
		now: time.Now, built: map[string]bool{}, feeds: map[string]map[string]bool{},
		posts: map[string]cacheEntry{}, mine: map[string]map[string]string{}, fills: map[string]fill{},
		profiles: map[string]profileEntry{}, rates: map[string]time.Time{},
		pending: map[string]map[string]service.PendingUpload{},
	}
}

// Flush forgets everything, as FLUSHALL does to the Redis index.
func (x *Index) Flush() {
	x.mu.Lock()
	defer x.mu.Unlock()
	x.built, x.feeds, x.posts = map[string]bool{}, map[string]map[string]bool{}, map[string]cacheEntry{}
	x.mine, x.profiles, x.rates = map[string]map[string]string{}, map[string]profileEntry{}, map[string]time.Time{}
	x.fills = map[string]fill{}
}

func feedKey(app string, f service.Feed) string { return app + "\x00" + f.Kind + "\x00" + f.ID }

// Rebuild implements service.FeedIndex.
func (x *Index) Rebuild(_ context.Context, app string, load func(add func(service.IndexEntry)) error) error {
	x.mu.Lock()
	defer x.mu.Unlock() // one rebuild at a time; the others find it built
	if x.built[app] {
		return nil
	}
	var entries []service.IndexEntry
	if err := load(func(e service.IndexEntry) { entries = append(entries, e) }); err != nil {
		return err
	}
	for _, e := range entries {
		x.add(e)
	}
	x.built[app] = true
	return nil
}

func (x *Index) add(e service.IndexEntry) {
	for _, f := range e.Feeds() {
		k := feedKey(e.App, f)
		if x.feeds[k] == nil {
			x.feeds[k] = map[string]bool{}
		}
		x.feeds[k][e.ID] = true
	}
}

// Add implements service.FeedIndex.
func (x *Index) Add(_ context.Context, e service.IndexEntry, cached *service.CachedPost) error {
	x.mu.Lock()
	defer x.mu.Unlock()
	x.add(e)
	if cached != nil {
		x.cachePost(e.App, cached, true)
	}
	return nil
}

// Remove implements service.FeedIndex.
func (x *Index) Remove(_ context.Context, e service.IndexEntry) error {
	x.mu.Lock()
	defer x.mu.Unlock()
	for _, f := range e.Feeds() {
		delete(x.feeds[feedKey(e.App, f)], e.ID)
	}
	return nil
}

// Page implements service.FeedIndex.
func (x *Index) Page(_ context.Context, app string, f service.Feed, after string, n int) ([]string, bool, error) {
	x.mu.Lock()
	defer x.mu.Unlock()
	ids := slices.Sorted(maps.Keys(x.feeds[feedKey(app, f)]))
	slices.Reverse(ids)
	out := []string{}
	for _, id := range ids {
		if (after == "" || id < after) && len(out) < n {
			out = append(out, id)
		}
	}
	return out, x.built[app], nil
}

// entry returns the cache entry of a post, nil when there is none (or
// it expired).
func (x *Index) entry(app, post string) *cacheEntry {
	e, ok := x.posts[app+"/"+post]
	if !ok {
		return nil
	}
	if !e.dead.IsZero() && !x.now().Before(e.dead) {
		delete(x.posts, app+"/"+post)
		return nil
	}
	return &e
}

// Items implements service.PostCache.
func (x *Index) Items(_ context.Context, app, member string, ids []string) ([]*service.CachedPost, map[string]string, bool, error) {
	x.mu.Lock()
	defer x.mu.Unlock()
	out := make([]*service.CachedPost, len(ids))
	for i, id := range ids {
		if e := x.entry(app, id); e != nil && e.doc != nil && e.counts != nil {
			out[i] = copyCached(&service.CachedPost{Doc: e.doc, Counts: *e.counts})
		}
	}
	mine := map[string]string{}
	loaded := member == ""
	if m, ok := x.mine[app+"/"+member]; ok && member != "" {
		loaded = true
		for _, id := range ids {
			if k := m[id]; k != "" {
				mine[id] = k
			}
		}
	}
	return out, mine, loaded, nil
}

// copyCached copies a cache entry as Redis would hand it back: the
// post, and counters without zeros.
func copyCached(cp *service.CachedPost) *service.CachedPost {
	doc := *cp.Doc
	c := copyCounts(cp.Counts)
	return &service.CachedPost{Doc: &doc, Counts: *c}
}

func copyCounts(in service.Counts) *service.Counts {
	c := service.Counts{Reactions: map[string]int64{}, Comments: in.Comments, Version: in.Version}
	for k, v := range in.Reactions {
		if v != 0 {
			c.Reactions[k] = v
		}
	}
	return &c
}

// CachePost implements service.PostCache.
func (x *Index) CachePost(_ context.Context, app string, cp *service.CachedPost) error {
	x.mu.Lock()
	defer x.mu.Unlock()
	x.cachePost(app, cp, false)
	return nil
}

// cachePost fills a post's entry (x.mu held): its document where none is
// (or, added, over whatever is there), its counters by version.
func (x *Index) cachePost(app string, cp *service.CachedPost, added bool) {
	e := x.entry(app, cp.Doc.ID)
	if e == nil {
		e = &cacheEntry{}
	}
	if e.tomb && !added {
		return
	}
	unversioned := cp.Counts.Unversioned
	if added || (e.doc == nil && (e.floor == 0 || service.RevGeneration(cp.Doc.Rev) >= e.floor)) {
		doc := *cp.Doc
		e.doc, e.floor, e.tomb = &doc, 0, false
		if !unversioned {
			e.dead = time.Time{}
		}
	}
	if e.counts == nil || (!unversioned && e.counts.Version < cp.Counts.Version) {
		e.counts = copyCounts(cp.Counts)
	}
	if unversioned && e.dead.IsZero() {
		e.dead = x.now().Add(UnversionedTTL)
	}
	x.posts[app+"/"+cp.Doc.ID] = *e
}

// DropPost implements service.PostCache.
func (x *Index) DropPost(_ context.Context, app, post, rev string) error {
	x.mu.Lock()
	defer x.mu.Unlock()
	g := service.RevGeneration(rev)
	e := x.entry(app, post)
	if g > 0 && e != nil && e.doc != nil && service.RevGeneration(e.doc.Rev) >= g {
		return nil
	}
	dropped := cacheEntry{floor: g, tomb: g == 0, dead: x.now().Add(TombstoneTTL)}
	if g > 0 && e != nil {
		dropped.counts = e.counts // the counters stay with the floor
	}
	x.posts[app+"/"+post] = dropped
	return nil
}

// StartMemberReactions implements service.PostCache: a fill lives for
// TombstoneTTL, the Redis store's.
func (x *Index) StartMemberReactions(_ context.Context, app, member string) (string, error) {
	x.mu.Lock()
	defer x.mu.Unlock()
	x.fillSeq++
	token := strconv.Itoa(x.fillSeq)
	if _, ok := x.mine[app+"/"+member]; !ok {
		x.fills[app+"/"+member] = fill{token: token, dead: x.now().Add(TombstoneTTL)}
	}
	return token, nil
}

// CacheMemberReactions implements service.PostCache.
func (x *Index) CacheMemberReactions(_ context.Context, app, member, token string, r map[string]string) error {
	x.mu.Lock()
	defer x.mu.Unlock()
	k := app + "/" + member
	f, ok := x.fills[k]
	if _, cached := x.mine[k]; cached || !ok || f.token != token || !x.now().Before(f.dead) {
		return nil
	}
	delete(x.fills, k)
	x.mine[k] = maps.Clone(r)
	if x.mine[k] == nil {
		x.mine[k] = map[string]string{}
	}
	return nil
}

// ApplyReaction implements service.PostCache.
func (x *Index) ApplyReaction(_ context.Context, r service.Reaction, counts *service.Counts) error {
	x.mu.Lock()
	defer x.mu.Unlock()
	if m, ok := x.mine[r.App+"/"+r.Member]; ok {
		if r.Kind == "" {
			delete(m, r.Post)
		} else {
			m[r.Post] = r.Kind
		}
	} else {
		delete(x.fills, r.App+"/"+r.Member) // a fill in flight may have read before it
	}
	if counts != nil {
		x.setCounts(r.App, r.Post, *counts)
	}
	return nil
}

// SetCounts implements service.PostCache.
func (x *Index) SetCounts(_ context.Context, app, post string, counts service.Counts) error {
	x.mu.Lock()
	defer x.mu.Unlock()
	x.setCounts(app, post, counts)
	return nil
}

// setCounts is SetCounts with x.mu held.
func (x *Index) setCounts(app, post string, counts service.Counts) {
	e := x.entry(app, post)
	if counts.Unversioned {
		if e != nil {
			e.counts = nil
			x.posts[app+"/"+post] = *e
		}
		return
	}
	if e == nil {
		e = &cacheEntry{dead: x.now().Add(TombstoneTTL)} // waits for its document
	}
	if e.counts == nil || e.counts.Version < counts.Version {
		e.counts = copyCounts(counts)
	}
	x.posts[app+"/"+post] = *e
}

// Profiles implements service.ProfileCache.
func (x *Index) Profiles(_ context.Context, app string, members []string) (map[string]service.Profile, error) {
	x.mu.Lock()
	defer x.mu.Unlock()
	out := make(map[string]service.Profile, len(members))
	for _, m := range members {
		if e, ok := x.profiles[app+"/"+m]; ok && e.p != nil {
			out[m] = *e.p
		}
	}
	return out, nil
}

// CacheProfiles implements service.ProfileCache.
func (x *Index) CacheProfiles(_ context.Context, app string, ps []service.Profile) error {
	x.mu.Lock()
	defer x.mu.Unlock()
	for _, p := range ps {
		key := app + "/" + p.Member
		if e, ok := x.profiles[key]; ok {
			if e.p != nil && !e.p.Version.Before(p.Version) {
				continue // the same version or a newer one
			}
			if e.p == nil && x.now().Before(e.dead) && p.Version.Before(e.floor) {
				continue // read before the change that dropped it
			}
		}
		p.App = app
		x.profiles[key] = profileEntry{p: &p}
	}
	return nil
}

// DropProfile implements service.ProfileCache.
func (x *Index) DropProfile(_ context.Context, app, member string, at time.Time) error {
	x.mu.Lock()
	defer x.mu.Unlock()
	key := app + "/" + member
	if e, ok := x.profiles[key]; ok && ((e.p != nil && !e.p.Version.Before(at)) || (e.p == nil && x.now().Before(e.dead) && !e.floor.Before(at))) {
		return nil // it holds this change or a later one
	}
	x.profiles[key] = profileEntry{floor: at, dead: x.now().Add(TombstoneTTL)}
	return nil
}

// Allow implements service.RateLimiter: the Redis store's GCRA.
func (x *Index) Allow(_ context.Context, b service.Bucket, l service.Limit) (time.Duration, error) {
	x.mu.Lock()
	defer x.mu.Unlock()
	now := x.now()
	key := b.App + "/" + b.Action + "/" + b.Member
	tat, ok := x.rates[key]
	if !ok || tat.Before(now) {
		tat = now
	}
	allowAt := tat.Add(l.Per - time.Duration(l.Burst)*l.Per)
	if now.Before(allowAt) {
		return allowAt.Sub(now).Truncate(time.Millisecond), nil
	}
	x.rates[key] = tat.Add(l.Per)
	return 0, nil
}

// ReservePending implements service.PendingUploads: the Redis store's
// script.
func (x *Index) ReservePending(_ context.Context, p service.PendingUpload, q service.UploadQuota, now time.Time) (service.Reservation, error) {
	x.mu.Lock()
	defer x.mu.Unlock()
	key := p.App + "/" + p.Member
	ups := x.pending[key]
	if ups == nil {
		ups = map[string]service.PendingUpload{}
		x.pending[key] = ups
	}
	var r service.Reservation
	var live []service.PendingUpload
	for id, u := range ups {
		if !u.Expires.After(now) {
			delete(ups, id)
		} else if id != p.ID {
			r.Count++
			r.Bytes += u.Bytes
			live = append(live, u)
		}
	}
	fits := func(count int, bytes int64) bool { return count+1 <= q.Count && bytes+p.Bytes <= q.Bytes }
	if fits(r.Count, r.Bytes) {
		ups[p.ID] = p
		r.Reserved = true
		return r, nil
	}
	slices.SortFunc(live, func(a, b service.PendingUpload) int { return a.Expires.Compare(b.Expires) })
	count, bytes := r.Count, r.Bytes
	for _, u := range live {
		count, bytes = count-1, bytes-u.Bytes
		if p.Bytes <= q.Bytes && q.Count >= 1 && fits(count, bytes) {
			r.Wait = max(u.Expires.Sub(now).Truncate(time.Millisecond), time.Millisecond)
			break
		}
	}
	return r, nil
}

// ReleasePending implements service.PendingUploads.
func (x *Index) ReleasePending(_ context.Context, app, member string, ids []string) error {
	x.mu.Lock()
	defer x.mu.Unlock()
	for _, id := range ids {
		delete(x.pending[app+"/"+member], id)
	}
	return nil
}

// DropPending forgets every pending upload, as a flushed Redis does.
func (x *Index) DropPending() {
	x.mu.Lock()
	defer x.mu.Unlock()
	clear(x.pending)
}
