package redisstore

import "time"

// WithBounds returns s with other bounds than MaxItemsPerDay and
// MaxTopItems, for tests that reach them.
func (s *Store) WithBounds(items, top int) *Store {
	c := *s
	c.maxItems, c.maxTop = items, top
	return &c
}

// WithRetention returns s with its keys and dedupe marks kept for d
// instead of Retention (whole seconds), for tests that outlive them.
func (s *Store) WithRetention(d time.Duration) *Store {
	c := *s
	c.retention = d
	return &c
}
