package rpc

import (
	"context"
	"sync"
	"time"
)

// callContext is the context of one call: its parent's values and
// cancellation, plus the call's deadline. Most small calls never wait on
// Done (they compute, or hit a cache), so the timer behind the deadline is
// made only when something asks for Done or Err, or derives a context from
// it. A call that blocks pays what context.WithDeadline costs; one that does
// not skips a timer and two allocations (about 1.7 µs on these machines).
//
// Deadline answers at once, so clients and stores that read the deadline
// (the rpc client's budget header, socket deadlines) see it without a timer.
type callContext struct {
	context.Context // the parent
	deadline        time.Time

	once   sync.Once
	inner  context.Context // context.WithDeadline(parent, deadline), made on demand
	cancel context.CancelFunc
	mu     sync.Mutex
	done   bool // release has run
}

func withCallDeadline(parent context.Context, d time.Time) (*callContext, func()) {
	c := &callContext{Context: parent, deadline: d}
	return c, c.release
}

func (c *callContext) materialize() context.Context {
	c.once.Do(func() {
		c.inner, c.cancel = context.WithDeadline(c.Context, c.deadline)
		c.mu.Lock()
		if c.done {
			c.cancel() // released before anyone asked: behave as canceled
		}
		c.mu.Unlock()
	})
	return c.inner
}

// release ends the call: it stops the timer if one was made.
func (c *callContext) release() {
	c.mu.Lock()
	c.done = true
	cancel := c.cancel
	c.mu.Unlock()
	if cancel != nil {
		cancel()
	}
}

// Deadline implements context.Context without making a timer.
func (c *callContext) Deadline() (time.Time, bool) {
	if pd, ok := c.Context.Deadline(); ok && pd.Before(c.deadline) {
		return pd, true
	}
	return c.deadline, true
}

// Done implements context.Context.
func (c *callContext) Done() <-chan struct{} { return c.materialize().Done() }

// Err implements context.Context.
func (c *callContext) Err() error { return c.materialize().Err() }

// Value implements context.Context. Ordinary values (request id, caller)
// come from the parent without a timer. The context package finds its own
// cancellation state by value under a key of type *int (context.Cause relies
// on it): that lookup must reach the inner context. Were that detail to
// change, derived contexts would still be correct (they register through
// AfterFunc below); only context.Cause would miss the deadline's cause.
func (c *callContext) Value(key any) any {
	if _, internal := key.(*int); internal {
		return c.materialize().Value(key)
	}
	return c.Context.Value(key)
}

// AfterFunc lets contexts derived from this one register with the inner
// context directly (context.propagateCancel looks for this method) instead
// of starting a goroutine each.
func (c *callContext) AfterFunc(f func()) func() bool {
	return context.AfterFunc(c.materialize(), f)
}
