package screen

import (
	"container/list"
	"context"
	"sync"
)

// cachedPhoto is a photo held in memory.
type cachedPhoto struct {
	contentType string
	etag        string
	body        []byte
}

// photoCache keeps the most recently served photos within a byte budget:
// every screen of a wall asks for the same few photos, so CouchDB is read
// once per photo and replica. Concurrent misses of one photo share a read.
type photoCache struct {
	budget int64

	mu       sync.Mutex
	used     int64
	order    *list.List // of *photoEntry, most recent first
	byKey    map[PhotoRef]*list.Element
	inflight map[PhotoRef]*photoCall
}

type photoEntry struct {
	key   PhotoRef
	photo cachedPhoto
}

type photoCall struct {
	done  chan struct{}
	photo cachedPhoto
	err   error
}

func newPhotoCache(budget int64) *photoCache {
	return &photoCache{budget: budget, order: list.New(), byKey: map[PhotoRef]*list.Element{}, inflight: map[PhotoRef]*photoCall{}}
}

func (c *photoCache) get(ctx context.Context, key PhotoRef, load func(context.Context) (cachedPhoto, error)) (cachedPhoto, error) {
	c.mu.Lock()
	if el, ok := c.byKey[key]; ok {
		c.order.MoveToFront(el)
		p := el.Value.(*photoEntry).photo
		c.mu.Unlock()
		return p, nil
	}
	if call, ok := c.inflight[key]; ok {
		c.mu.Unlock()
		select {
		case <-call.done:
			return call.photo, call.err
		case <-ctx.Done():
			return cachedPhoto{}, ctx.Err()
		}
	}
	call := &photoCall{done: make(chan struct{})}
	c.inflight[key] = call
	c.mu.Unlock()

	// The read outlives the request that started it: others wait for it.
	call.photo, call.err = load(context.WithoutCancel(ctx))
	c.mu.Lock()
	delete(c.inflight, key)
	if call.err == nil {
		c.add(key, call.photo)
	}
	c.mu.Unlock()
	close(call.done)
	return call.photo, call.err
}

// add stores a photo, evicting the least recently used; c.mu is held.
func (c *photoCache) add(key PhotoRef, p cachedPhoto) {
	size := int64(len(p.body))
	if size > c.budget {
		return
	}
	c.byKey[key] = c.order.PushFront(&photoEntry{key: key, photo: p})
	c.used += size
	for c.used > c.budget {
		last := c.order.Back()
		e := last.Value.(*photoEntry)
		c.order.Remove(last)
		delete(c.byKey, e.key)
		c.used -= int64(len(e.photo.body))
	}
}
