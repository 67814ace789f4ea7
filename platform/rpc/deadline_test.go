package rpc

import (
	"context"
	"encoding/json"
	"errors"
	"runtime"
	"testing"
	"time"
)

type ctxKey struct{}

func TestCallContext(t *testing.T) {
	parent := context.WithValue(context.Background(), ctxKey{}, "v")

	t.Run("deadline and values without a timer", func(t *testing.T) {
		d := time.Now().Add(time.Hour)
		c, release := withCallDeadline(parent, d)
		defer release()
		if got, ok := c.Deadline(); !ok || !got.Equal(d) {
			t.Errorf("Deadline = %v, %v", got, ok)
		}
		if c.Value(ctxKey{}) != "v" {
			t.Error("parent value lost")
		}
		if c.inner != nil {
			t.Error("a timer was made without anyone waiting")
		}
	})
	t.Run("expires", func(t *testing.T) {
		c, release := withCallDeadline(parent, time.Now().Add(20*time.Millisecond))
		defer release()
		select {
		case <-c.Done():
		case <-time.After(5 * time.Second):
			t.Fatal("Done never closed")
		}
		if !errors.Is(c.Err(), context.DeadlineExceeded) || !errors.Is(context.Cause(c), context.DeadlineExceeded) {
			t.Errorf("Err = %v, Cause = %v", c.Err(), context.Cause(c))
		}
	})
	t.Run("parent cancellation", func(t *testing.T) {
		p, cancel := context.WithCancel(parent)
		c, release := withCallDeadline(p, time.Now().Add(time.Hour))
		defer release()
		child, stop := context.WithCancel(c) // derived before the parent ends
		defer stop()
		cancel()
		select {
		case <-child.Done():
		case <-time.After(5 * time.Second):
			t.Fatal("derived context not canceled with the parent")
		}
		if !errors.Is(c.Err(), context.Canceled) {
			t.Errorf("Err = %v", c.Err())
		}
	})
	t.Run("parent deadline earlier", func(t *testing.T) {
		p, cancel := context.WithTimeout(parent, time.Minute)
		defer cancel()
		c, release := withCallDeadline(p, time.Now().Add(time.Hour))
		defer release()
		pd, _ := p.Deadline()
		if got, _ := c.Deadline(); !got.Equal(pd) {
			t.Errorf("Deadline = %v, want the parent's %v", got, pd)
		}
	})
	t.Run("release cancels", func(t *testing.T) {
		c, release := withCallDeadline(parent, time.Now().Add(time.Hour))
		done := c.Done()
		release()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			t.Fatal("release did not cancel")
		}
		c2, release2 := withCallDeadline(parent, time.Now().Add(time.Hour))
		release2()
		if c2.Err() == nil {
			t.Error("a context released before use reports no error")
		}
	})
	t.Run("derived contexts start no goroutines", func(t *testing.T) {
		c, release := withCallDeadline(parent, time.Now().Add(time.Hour))
		defer release()
		before := runtime.NumGoroutine()
		var stops []context.CancelFunc
		for range 100 {
			_, stop := context.WithCancel(c)
			stops = append(stops, stop)
		}
		if n := runtime.NumGoroutine() - before; n > 10 {
			t.Errorf("%d goroutines for 100 derived contexts", n)
		}
		for _, s := range stops {
			s()
		}
	})
}

// TestHugeBudgetIsNotAnInstantDeadline: a caller that sends a budget
// far longer than any timeout (a careless client's "no limit": the
// largest int64, or ten trillion milliseconds) gets the method's own
// timeout, not an insufficient_budget refusal: the milliseconds must not
// overflow time.Duration into a deadline in the past.
func TestHugeBudgetIsNotAnInstantDeadline(t *testing.T) {
	s := NewServer(Options{})
	handleRemaining(s)
	for _, budget := range []string{"9223372036854775807", "10000000000000", "9223372036855"} {
		got := post(t, s, `{"jsonrpc":"2.0","method":"remaining","id":1}`, HeaderBudget, budget)
		var r struct {
			Result *int64
			Error  *wireError
		}
		if err := json.Unmarshal([]byte(got.body), &r); err != nil {
			t.Fatalf("budget %s: %v: %s", budget, err, got.body)
		}
		if r.Result == nil || *r.Result < 50_000 || *r.Result > 60_000 {
			t.Errorf("X-Budget-Ms: %s: %d %s; want the method's own timeout of a minute", budget, got.status, got.body)
		}
	}
}
