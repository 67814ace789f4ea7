// Package testkit gives integration tests their own piece of each real store,
// and cleans it up afterwards:
//
//   - Postgres: a fresh database per test, already migrated, cloned from a
//     template database that is built once per distinct set of migrations;
//     dropped when the test ends.
//   - Redis: a client and a unique key namespace per test; every key in the
//     namespace is deleted when the test ends.
//   - A private Redis server (StartRedisServer) for tests that kill Redis and
//     bring it back empty, which nobody may do to the shared one.
//
// The stores are the ones `make services` starts on loopback, or those named
// by TEST_DATABASE_URL and REDIS_URL. A store that cannot be reached fails
// the test with a message saying so; tests never skip for a missing store.
//
// Tests of several packages run in parallel processes against the same
// servers, so nothing here touches what another test created: no FLUSHDB, no
// dropping of databases it did not create.
package testkit

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// DefaultTimeout bounds the context returned by Context when the test binary
// has no deadline of its own.
const DefaultTimeout = 2 * time.Minute

// Context returns a context that is canceled when the test ends, with a
// deadline a little before the test binary's own (-timeout), or
// DefaultTimeout when there is none, so that a hung store call fails the
// test with a useful error instead of a panic dump. It is canceled before
// t.Cleanup functions run: cleanups use a context of their own.
func Context(t testing.TB) context.Context {
	t.Helper()
	ctx := t.Context()
	deadline := time.Now().Add(DefaultTimeout)
	if d, ok := t.(interface{ Deadline() (time.Time, bool) }); ok {
		if td, ok := d.Deadline(); ok {
			deadline = td.Add(-time.Until(td) / 20) // leave 5% to report
		}
	}
	ctx, cancel := context.WithDeadline(ctx, deadline)
	t.Cleanup(cancel)
	return ctx
}

// WaitLimit bounds Eventually. It is a safety net that turns a hang into a
// failure, far above what any wait needs, not a performance assertion.
const WaitLimit = 30 * time.Second

// Eventually polls cond until it holds: for what background work (event
// consumers, relays, followers, another process) makes true. It fails the
// test, naming what it waited for, after WaitLimit.
func Eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(WaitLimit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up after %v waiting for %s", WaitLimit, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// Run runs run (a worker, relay, consumer or whole service) in the
// background until the returned stop is called or the test ends, whichever
// comes first: either cancels run's context and waits, at most WaitLimit,
// for run to return. stop returns run's error to its caller; when the test
// ends it instead, an error fails the test, named by what.
func Run(t testing.TB, what string, run func(ctx context.Context) error) (stop func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- run(ctx) }()
	var once sync.Once
	var err error
	end := func() error {
		once.Do(func() {
			cancel()
			select {
			case err = <-done:
			case <-time.After(WaitLimit):
				err = fmt.Errorf("%s did not stop within %v", what, WaitLimit)
			}
		})
		return err
	}
	var stopped atomic.Bool // the caller took the error
	t.Cleanup(func() {
		if err := end(); err != nil && !stopped.Load() {
			t.Errorf("%s: %v", what, err)
		}
	})
	return func() error {
		stopped.Store(true)
		return end()
	}
}

// env returns the environment variable key, or def when it is unset or empty.
func env(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}

// randomHex returns n random bytes, hex-encoded: for unique names.
func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
