package redisstore

// WithBounds returns s with other bounds than MaxItemsPerDay and
// MaxTopItems, for tests that reach them.
func (s *Store) WithBounds(items, top int) *Store {
	c := *s
	c.maxItems, c.maxTop = items, top
	return &c
}
