// Package kvtest is the contract suite of the kv port: every adapter runs it
// against its real backend, so that services see the same semantics
// whichever store serves them.
//
//	func TestContract(t *testing.T) {
//		kvtest.Run(t, func(t *testing.T) kv.Store { return pgkv.New(testkit.Postgres(t, "kvtest", pgkv.Migrations)) })
//	}
//
// Every test writes under buckets of its own (a random prefix), so a store
// shared by several tests, or by several test binaries, is fine.
package kvtest

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/attendify/platform/errs"
	"github.com/attendify/platform/kv"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// Run runs the contract suite. newStore is called once per subtest.
func Run(t *testing.T, newStore func(t *testing.T) kv.Store) {
	t.Run("Objects", func(t *testing.T) { testObjects(t, newStore) })
	t.Run("Counters", func(t *testing.T) { testCounters(t, newStore) })
	t.Run("Sets", func(t *testing.T) { testSets(t, newStore) })
	t.Run("Maps", func(t *testing.T) { testMaps(t, newStore) })
	t.Run("Invalid", func(t *testing.T) { testInvalid(t, newStore) })
	t.Run("Devices", func(t *testing.T) { testDevices(t, newStore) })
}

// env is what one subtest works with: a store, a context and a fresh
// bucket name.
type env struct {
	kv.Store
	ctx    context.Context
	bucket string
}

func setup(t *testing.T, newStore func(t *testing.T) kv.Store) env {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return env{Store: newStore(t), ctx: ctx, bucket: "kvtest-" + hex.EncodeToString(b)}
}

func wantKind(t *testing.T, what string, err error, kind errs.Kind) {
	t.Helper()
	if !errors.Is(err, kind) {
		t.Fatalf("%s: got error %v (kind %v), want kind %v", what, err, errs.KindOf(err), kind)
	}
}

func must(t *testing.T, what string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

func testObjects(t *testing.T, newStore func(t *testing.T) kv.Store) {
	t.Run("get absent is NotFound", func(t *testing.T) {
		e := setup(t, newStore)
		_, err := e.Get(e.ctx, e.bucket, "nobody")
		wantKind(t, "Get", err, errs.NotFound)
	})

	t.Run("create, read, replace with the context", func(t *testing.T) {
		e := setup(t, newStore)
		cc1, err := e.Put(e.ctx, e.bucket, "k", []byte("v1"), nil)
		must(t, "Put create", err)
		if len(cc1) == 0 {
			t.Fatal("Put returned an empty context")
		}
		got, err := e.Get(e.ctx, e.bucket, "k")
		must(t, "Get", err)
		if diff := cmp.Diff("v1", string(got.Value)); diff != "" {
			t.Errorf("Get value (-want +got):\n%s", diff)
		}
		cc2, err := e.Put(e.ctx, e.bucket, "k", []byte("v2"), got.Context)
		must(t, "Put with the read context", err)
		if bytes.Equal(cc2, got.Context) {
			t.Error("Put returned the context it was given; want a new one")
		}
		// The context returned by Put is current too.
		_, err = e.Put(e.ctx, e.bucket, "k", []byte("v3"), cc2)
		must(t, "Put with the context of the previous Put", err)
		got, err = e.Get(e.ctx, e.bucket, "k")
		must(t, "Get", err)
		if diff := cmp.Diff("v3", string(got.Value)); diff != "" {
			t.Errorf("Get value (-want +got):\n%s", diff)
		}
	})

	t.Run("create over an existing object is Conflict", func(t *testing.T) {
		e := setup(t, newStore)
		_, err := e.Put(e.ctx, e.bucket, "k", []byte("first"), nil)
		must(t, "Put", err)
		_, err = e.Put(e.ctx, e.bucket, "k", []byte("second"), nil)
		wantKind(t, "second create", err, errs.Conflict)
		got, err := e.Get(e.ctx, e.bucket, "k")
		must(t, "Get", err)
		if diff := cmp.Diff("first", string(got.Value)); diff != "" {
			t.Errorf("value after refused create (-want +got):\n%s", diff)
		}
	})

	t.Run("two writers with the same context: the second is Conflict", func(t *testing.T) {
		e := setup(t, newStore)
		_, err := e.Put(e.ctx, e.bucket, "k", []byte("base"), nil)
		must(t, "Put", err)
		read, err := e.Get(e.ctx, e.bucket, "k")
		must(t, "Get", err)
		_, err = e.Put(e.ctx, e.bucket, "k", []byte("alice"), read.Context)
		must(t, "first writer", err)
		_, err = e.Put(e.ctx, e.bucket, "k", []byte("bob"), read.Context)
		wantKind(t, "second writer with the same context", err, errs.Conflict)
		got, err := e.Get(e.ctx, e.bucket, "k")
		must(t, "Get", err)
		if diff := cmp.Diff("alice", string(got.Value)); diff != "" {
			t.Errorf("value (-want +got):\n%s", diff)
		}
	})

	t.Run("concurrent writers with the same context: no write is lost silently", func(t *testing.T) {
		e := setup(t, newStore)
		_, err := e.Put(e.ctx, e.bucket, "k", []byte("base"), nil)
		must(t, "Put", err)
		read, err := e.Get(e.ctx, e.bucket, "k")
		must(t, "Get", err)

		const writers = 8
		errsOf := make([]error, writers)
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := range writers {
			wg.Go(func() {
				<-start
				_, errsOf[i] = e.Put(e.ctx, e.bucket, "k", fmt.Appendf(nil, "w%d", i), read.Context)
			})
		}
		close(start)
		wg.Wait()

		// What a reader sees now: one value, or (Riak, when conditional
		// writes raced) the siblings to resolve.
		var visible [][]byte
		got, err := e.Get(e.ctx, e.bucket, "k")
		var sib *kv.Siblings
		switch {
		case err == nil:
			visible = [][]byte{got.Value}
		case errors.As(err, &sib):
			wantKind(t, "Get with siblings", err, errs.Conflict)
			visible = sib.Values
		default:
			t.Fatalf("Get: %v", err)
		}
		won := 0
		for i, err := range errsOf {
			v := fmt.Appendf(nil, "w%d", i)
			switch {
			case err == nil:
				won++
				if !slices.ContainsFunc(visible, func(b []byte) bool { return bytes.Equal(b, v) }) {
					t.Errorf("writer %d succeeded but its value is not visible (visible: %q)", i, visible)
				}
			case !errors.Is(err, errs.Conflict):
				t.Errorf("writer %d: %v, want success or conflict", i, err)
			}
		}
		if won == 0 {
			t.Error("no writer succeeded")
		}
	})

	t.Run("delete honours the context", func(t *testing.T) {
		e := setup(t, newStore)
		cc1, err := e.Put(e.ctx, e.bucket, "k", []byte("v1"), nil)
		must(t, "Put", err)
		cc2, err := e.Put(e.ctx, e.bucket, "k", []byte("v2"), cc1)
		must(t, "Put", err)
		wantKind(t, "Delete with a stale context", e.Delete(e.ctx, e.bucket, "k", cc1), errs.Conflict)
		if _, err := e.Get(e.ctx, e.bucket, "k"); err != nil {
			t.Fatalf("Get after refused delete: %v", err)
		}
		must(t, "Delete with the current context", e.Delete(e.ctx, e.bucket, "k", cc2))
		_, err = e.Get(e.ctx, e.bucket, "k")
		wantKind(t, "Get after delete", err, errs.NotFound)
		wantKind(t, "Delete with a context of a deleted object", e.Delete(e.ctx, e.bucket, "k", cc2), errs.NotFound)
	})

	t.Run("delete without a context is unconditional and idempotent", func(t *testing.T) {
		e := setup(t, newStore)
		_, err := e.Put(e.ctx, e.bucket, "k", []byte("v"), nil)
		must(t, "Put", err)
		must(t, "Delete", e.Delete(e.ctx, e.bucket, "k", nil))
		must(t, "Delete again", e.Delete(e.ctx, e.bucket, "k", nil))
		_, err = e.Get(e.ctx, e.bucket, "k")
		wantKind(t, "Get after delete", err, errs.NotFound)
	})

	t.Run("a context does not survive delete and re-create", func(t *testing.T) {
		// Riak: if_not_modified finds a tombstone or the new object's
		// clock, never the old one ("notfound", "modified").
		e := setup(t, newStore)
		old, err := e.Put(e.ctx, e.bucket, "k", []byte("v1"), nil)
		must(t, "Put", err)
		must(t, "Delete", e.Delete(e.ctx, e.bucket, "k", old))
		_, err = e.Put(e.ctx, e.bucket, "k", []byte("stale"), old)
		wantKind(t, "Put with the deleted incarnation's context, nothing there", err, errs.Conflict)
		_, err = e.Put(e.ctx, e.bucket, "k", []byte("v2"), nil)
		must(t, "re-create", err)
		_, err = e.Put(e.ctx, e.bucket, "k", []byte("stale"), old)
		wantKind(t, "Put with the context of the deleted incarnation", err, errs.Conflict)
		wantKind(t, "Delete with the deleted incarnation's context", e.Delete(e.ctx, e.bucket, "k", old), errs.Conflict)
		got, err := e.Get(e.ctx, e.bucket, "k")
		must(t, "Get", err)
		if string(got.Value) != "v2" {
			t.Errorf("value = %q, want %q", got.Value, "v2")
		}
	})

	t.Run("values round-trip byte for byte", func(t *testing.T) {
		e := setup(t, newStore)
		for _, tc := range []struct {
			name  string
			value []byte
		}{
			{"empty", []byte{}},
			{"binary", []byte{0, 1, 2, 0xff, 0xfe, 0}},
			{"text", []byte("héllo, wörld")},
			{"max size", bytes.Repeat([]byte("x"), kv.MaxValueLen)},
		} {
			t.Run(tc.name, func(t *testing.T) {
				_, err := e.Put(e.ctx, e.bucket, tc.name, tc.value, nil)
				must(t, "Put", err)
				got, err := e.Get(e.ctx, e.bucket, tc.name)
				must(t, "Get", err)
				if !bytes.Equal(got.Value, tc.value) {
					t.Errorf("Get returned %d bytes, want the %d put", len(got.Value), len(tc.value))
				}
			})
		}
	})

	t.Run("a context not issued for the object is Invalid and changes nothing", func(t *testing.T) {
		e := setup(t, newStore)
		cc, err := e.Put(e.ctx, e.bucket, "k", []byte("kept"), nil)
		must(t, "Put", err)
		otherKey, err := e.Put(e.ctx, e.bucket, "other", []byte("x"), nil)
		must(t, "Put other key", err)
		otherBucket, err := e.Put(e.ctx, e.bucket+"-b", "k", []byte("x"), nil)
		must(t, "Put other bucket", err)
		must(t, "SetAdd", e.SetAdd(e.ctx, e.bucket, "k", "m"))
		_, setCC := members(t, e, "k")
		for name, bad := range badContexts(cc, map[string][]byte{
			"another key's": otherKey, "another bucket's": otherBucket, "a set's": setCC,
		}) {
			_, err := e.Put(e.ctx, e.bucket, "k", []byte("overwritten"), bad)
			wantKind(t, "Put with "+name+" context", err, errs.Invalid)
			wantKind(t, "Delete with "+name+" context", e.Delete(e.ctx, e.bucket, "k", bad), errs.Invalid)
		}
		// The store is not poisoned: the right context still works.
		got, err := e.Get(e.ctx, e.bucket, "k")
		must(t, "Get after the refused calls", err)
		if string(got.Value) != "kept" {
			t.Errorf("value after the refused calls = %q, want %q", got.Value, "kept")
		}
		_, err = e.Put(e.ctx, e.bucket, "k", []byte("next"), cc)
		must(t, "Put with the right context after the refused ones", err)
	})

	t.Run("buckets and keys are separate", func(t *testing.T) {
		e := setup(t, newStore)
		_, err := e.Put(e.ctx, e.bucket, "a", []byte("1"), nil)
		must(t, "Put", err)
		_, err = e.Put(e.ctx, e.bucket+"-other", "a", []byte("2"), nil)
		must(t, "Put in another bucket", err)
		_, err = e.Get(e.ctx, e.bucket, "b")
		wantKind(t, "Get another key", err, errs.NotFound)
		got, err := e.Get(e.ctx, e.bucket, "a")
		must(t, "Get", err)
		if diff := cmp.Diff("1", string(got.Value)); diff != "" {
			t.Errorf("value (-want +got):\n%s", diff)
		}
	})
}

func testCounters(t *testing.T, newStore func(t *testing.T) kv.Store) {
	t.Run("absent counter is zero", func(t *testing.T) {
		e := setup(t, newStore)
		n, err := e.Counter(e.ctx, e.bucket, "c")
		must(t, "Counter", err)
		if n != 0 {
			t.Errorf("Counter = %d, want 0", n)
		}
	})

	t.Run("increments and decrements", func(t *testing.T) {
		e := setup(t, newStore)
		for i, step := range []struct{ delta, want int64 }{
			{1, 1}, {41, 42}, {-50, -8}, {0, -8}, {8, 0},
		} {
			n, err := e.Incr(e.ctx, e.bucket, "c", step.delta)
			must(t, "Incr", err)
			if n != step.want {
				t.Errorf("step %d: Incr(%d) = %d, want %d", i, step.delta, n, step.want)
			}
		}
		n, err := e.Counter(e.ctx, e.bucket, "c")
		must(t, "Counter", err)
		if n != 0 {
			t.Errorf("Counter = %d, want 0", n)
		}
	})

	t.Run("concurrent increments sum exactly", func(t *testing.T) {
		e := setup(t, newStore)
		const workers, each = 16, 25
		var wg sync.WaitGroup
		failures := make(chan error, workers*each)
		for w := range workers {
			wg.Go(func() {
				for range each {
					if _, err := e.Incr(e.ctx, e.bucket, "hot", int64(w+1)); err != nil {
						failures <- err
						return
					}
				}
			})
		}
		wg.Wait()
		close(failures)
		for err := range failures {
			t.Fatalf("Incr: %v", err)
		}
		want := int64(each * workers * (workers + 1) / 2)
		n, err := e.Counter(e.ctx, e.bucket, "hot")
		must(t, "Counter", err)
		if n != want {
			t.Errorf("Counter after concurrent increments = %d, want %d", n, want)
		}
	})

	t.Run("counters are separate per key", func(t *testing.T) {
		e := setup(t, newStore)
		_, err := e.Incr(e.ctx, e.bucket, "a", 5)
		must(t, "Incr", err)
		n, err := e.Counter(e.ctx, e.bucket, "b")
		must(t, "Counter", err)
		if n != 0 {
			t.Errorf("Counter of another key = %d, want 0", n)
		}
	})
}

func members(t *testing.T, e env, key string) ([]string, []byte) {
	t.Helper()
	ms, cc, err := e.SetMembers(e.ctx, e.bucket, key)
	must(t, "SetMembers", err)
	if len(cc) == 0 {
		t.Fatal("SetMembers returned an empty context")
	}
	return ms, cc
}

func wantMembers(t *testing.T, e env, key string, want ...string) {
	t.Helper()
	got, _ := members(t, e, key)
	if diff := cmp.Diff(want, got, cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("members of %s (-want +got):\n%s", key, diff)
	}
}

func testSets(t *testing.T, newStore func(t *testing.T) kv.Store) {
	t.Run("absent set is empty with a context", func(t *testing.T) {
		e := setup(t, newStore)
		wantMembers(t, e, "s")
		ok, err := e.SetContains(e.ctx, e.bucket, "s", "x")
		must(t, "SetContains", err)
		if ok {
			t.Error("SetContains on an absent set = true")
		}
	})

	t.Run("add, members in byte order, contains", func(t *testing.T) {
		e := setup(t, newStore)
		must(t, "SetAdd", e.SetAdd(e.ctx, e.bucket, "s", "b", "a", "Z", "é", "b"))
		must(t, "SetAdd again", e.SetAdd(e.ctx, e.bucket, "s", "a", "c"))
		must(t, "SetAdd nothing", e.SetAdd(e.ctx, e.bucket, "s"))
		wantMembers(t, e, "s", "Z", "a", "b", "c", "é")
		for _, tc := range []struct {
			member string
			want   bool
		}{{"a", true}, {"é", true}, {"A", false}, {"d", false}} {
			got, err := e.SetContains(e.ctx, e.bucket, "s", tc.member)
			must(t, "SetContains", err)
			if got != tc.want {
				t.Errorf("SetContains(%q) = %v, want %v", tc.member, got, tc.want)
			}
		}
	})

	t.Run("remove with the current context", func(t *testing.T) {
		e := setup(t, newStore)
		must(t, "SetAdd", e.SetAdd(e.ctx, e.bucket, "s", "a", "b", "c"))
		_, cc := members(t, e, "s")
		must(t, "SetRemove", e.SetRemove(e.ctx, e.bucket, "s", cc, "a", "c", "never-there"))
		wantMembers(t, e, "s", "b")
	})

	t.Run("remove without a context removes what is there", func(t *testing.T) {
		e := setup(t, newStore)
		must(t, "SetAdd", e.SetAdd(e.ctx, e.bucket, "s", "a", "b"))
		must(t, "SetRemove", e.SetRemove(e.ctx, e.bucket, "s", nil, "a", "never-there"))
		wantMembers(t, e, "s", "b")
		must(t, "SetRemove on an absent set", e.SetRemove(e.ctx, e.bucket, "absent", nil, "x"))
	})

	t.Run("remove with an old context keeps a member re-added after it", func(t *testing.T) {
		e := setup(t, newStore)
		must(t, "SetAdd", e.SetAdd(e.ctx, e.bucket, "s", "keep", "gone", "readded"))
		_, old := members(t, e, "s")
		// After the context was read: a re-add and a brand new member.
		must(t, "SetAdd after the read", e.SetAdd(e.ctx, e.bucket, "s", "readded", "new"))
		must(t, "SetRemove with the old context", e.SetRemove(e.ctx, e.bucket, "s", old, "gone", "readded", "new"))
		wantMembers(t, e, "s", "keep", "new", "readded")
	})

	t.Run("the context of an absent set observes nothing", func(t *testing.T) {
		e := setup(t, newStore)
		_, old := members(t, e, "s")
		must(t, "SetAdd", e.SetAdd(e.ctx, e.bucket, "s", "x"))
		must(t, "SetRemove with the empty set's context", e.SetRemove(e.ctx, e.bucket, "s", old, "x"))
		wantMembers(t, e, "s", "x")
	})

	t.Run("a context not issued for the set is Invalid and removes nothing", func(t *testing.T) {
		e := setup(t, newStore)
		must(t, "SetAdd", e.SetAdd(e.ctx, e.bucket, "s", "a", "b"))
		must(t, "SetAdd other", e.SetAdd(e.ctx, e.bucket, "other", "a"))
		_, cc := members(t, e, "s")
		_, otherKey := members(t, e, "other")
		objCC, err := e.Put(e.ctx, e.bucket, "s", []byte("v"), nil)
		must(t, "Put", err)
		_, mapCC := mapGet(t, e, "s")
		for name, bad := range badContexts(cc, map[string][]byte{
			"another key's": otherKey, "an object's": objCC, "a map's": mapCC,
		}) {
			wantKind(t, "SetRemove with "+name+" context", e.SetRemove(e.ctx, e.bucket, "s", bad, "a"), errs.Invalid)
		}
		wantMembers(t, e, "s", "a", "b")
		must(t, "SetRemove with the right context", e.SetRemove(e.ctx, e.bucket, "s", cc, "a"))
		wantMembers(t, e, "s", "b")
	})

	t.Run("concurrent adds all land", func(t *testing.T) {
		e := setup(t, newStore)
		const workers, each = 8, 10
		var want []string
		var wg sync.WaitGroup
		failures := make(chan error, workers)
		for w := range workers {
			var ms []string
			for i := range each {
				ms = append(ms, fmt.Sprintf("m%02d-%02d", w, i))
			}
			want = append(want, ms...)
			wg.Go(func() {
				for _, m := range ms {
					if err := e.SetAdd(e.ctx, e.bucket, "s", m); err != nil {
						failures <- err
						return
					}
				}
			})
		}
		wg.Wait()
		close(failures)
		for err := range failures {
			t.Fatalf("SetAdd: %v", err)
		}
		slices.Sort(want)
		wantMembers(t, e, "s", want...)
	})

	t.Run("concurrent adds and removes of the same members", func(t *testing.T) {
		// Adds and context removals of overlapping members race; whatever
		// the interleaving, every call succeeds (no deadlock, no conflict)
		// and a member added after the last removal's context is present.
		e := setup(t, newStore)
		ms := []string{"a", "b", "c", "d", "e", "f"}
		must(t, "SetAdd", e.SetAdd(e.ctx, e.bucket, "s", ms...))
		var wg sync.WaitGroup
		failures := make(chan error, 8)
		for w := range 4 {
			wg.Go(func() {
				for i := range 10 {
					rev := slices.Clone(ms)
					if (w+i)%2 == 0 {
						slices.Reverse(rev)
					}
					if err := e.SetAdd(e.ctx, e.bucket, "s", rev...); err != nil {
						failures <- err
						return
					}
				}
			})
			wg.Go(func() {
				for range 10 {
					_, cc, err := e.SetMembers(e.ctx, e.bucket, "s")
					if err == nil {
						err = e.SetRemove(e.ctx, e.bucket, "s", cc, ms...)
					}
					if err != nil {
						failures <- err
						return
					}
				}
			})
		}
		wg.Wait()
		close(failures)
		for err := range failures {
			t.Fatalf("concurrent add/remove: %v", err)
		}
		must(t, "final SetAdd", e.SetAdd(e.ctx, e.bucket, "s", "a"))
		got, _ := members(t, e, "s")
		if !slices.Contains(got, "a") {
			t.Errorf("members %q lack the last added member", got)
		}
	})
}

func mapGet(t *testing.T, e env, key string) (kv.Map, []byte) {
	t.Helper()
	m, cc, err := e.MapGet(e.ctx, e.bucket, key)
	must(t, "MapGet", err)
	if len(cc) == 0 {
		t.Fatal("MapGet returned an empty context")
	}
	return m, cc
}

func wantMap(t *testing.T, e env, key string, want kv.Map) {
	t.Helper()
	got, _ := mapGet(t, e, key)
	if diff := cmp.Diff(want, got, cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("map %s (-want +got):\n%s", key, diff)
	}
}

func testMaps(t *testing.T, newStore func(t *testing.T) kv.Store) {
	t.Run("absent map is empty with a context", func(t *testing.T) {
		e := setup(t, newStore)
		wantMap(t, e, "m", kv.Map{})
	})

	t.Run("round trip of registers, counters and sets", func(t *testing.T) {
		e := setup(t, newStore)
		must(t, "MapUpdate", e.MapUpdate(e.ctx, e.bucket, "m", nil, kv.MapOps{
			SetRegisters: map[string]string{"name": "Ada", "city": "London", "empty": ""},
			IncrCounters: map[string]int64{"visits": 3, "score": -2},
			AddToSets:    map[string][]string{"tags": {"b", "a"}, "talks": {"t1"}},
		}))
		must(t, "MapUpdate", e.MapUpdate(e.ctx, e.bucket, "m", nil, kv.MapOps{
			SetRegisters: map[string]string{"city": "Paris"},
			IncrCounters: map[string]int64{"visits": 4},
			AddToSets:    map[string][]string{"tags": {"c", "a"}},
		}))
		wantMap(t, e, "m", kv.Map{
			Registers: map[string]string{"name": "Ada", "city": "Paris", "empty": ""},
			Counters:  map[string]int64{"visits": 7, "score": -2},
			Sets:      map[string][]string{"tags": {"a", "b", "c"}, "talks": {"t1"}},
		})
	})

	t.Run("a register, a counter and a set may share a name", func(t *testing.T) {
		e := setup(t, newStore)
		must(t, "MapUpdate", e.MapUpdate(e.ctx, e.bucket, "m", nil, kv.MapOps{
			SetRegisters: map[string]string{"x": "text"},
			IncrCounters: map[string]int64{"x": 1},
			AddToSets:    map[string][]string{"x": {"m"}},
		}))
		wantMap(t, e, "m", kv.Map{
			Registers: map[string]string{"x": "text"},
			Counters:  map[string]int64{"x": 1},
			Sets:      map[string][]string{"x": {"m"}},
		})
		_, cc := mapGet(t, e, "m")
		must(t, "remove field x", e.MapUpdate(e.ctx, e.bucket, "m", cc, kv.MapOps{RemoveFields: []string{"x"}}))
		wantMap(t, e, "m", kv.Map{})
	})

	t.Run("removals with the current context", func(t *testing.T) {
		e := setup(t, newStore)
		must(t, "MapUpdate", e.MapUpdate(e.ctx, e.bucket, "m", nil, kv.MapOps{
			SetRegisters: map[string]string{"a": "1", "b": "2"},
			IncrCounters: map[string]int64{"n": 5},
			AddToSets:    map[string][]string{"s": {"x", "y"}, "t": {"z"}},
		}))
		_, cc := mapGet(t, e, "m")
		must(t, "MapUpdate removals", e.MapUpdate(e.ctx, e.bucket, "m", cc, kv.MapOps{
			RemoveFields:   []string{"a", "n", "t", "never-there"},
			RemoveFromSets: map[string][]string{"s": {"x", "never-there"}},
		}))
		wantMap(t, e, "m", kv.Map{
			Registers: map[string]string{"b": "2"},
			Sets:      map[string][]string{"s": {"y"}},
		})
	})

	t.Run("removals without a context remove what is there", func(t *testing.T) {
		e := setup(t, newStore)
		must(t, "MapUpdate", e.MapUpdate(e.ctx, e.bucket, "m", nil, kv.MapOps{
			SetRegisters: map[string]string{"a": "1", "b": "2"},
			AddToSets:    map[string][]string{"s": {"x", "y"}},
		}))
		must(t, "MapUpdate removals", e.MapUpdate(e.ctx, e.bucket, "m", nil, kv.MapOps{
			RemoveFields:   []string{"a", "never-there"},
			RemoveFromSets: map[string][]string{"s": {"x"}},
		}))
		wantMap(t, e, "m", kv.Map{
			Registers: map[string]string{"b": "2"},
			Sets:      map[string][]string{"s": {"y"}},
		})
	})

	t.Run("removals with an old context keep what was updated after it", func(t *testing.T) {
		e := setup(t, newStore)
		must(t, "MapUpdate", e.MapUpdate(e.ctx, e.bucket, "m", nil, kv.MapOps{
			SetRegisters: map[string]string{"seen": "1", "rewritten": "old"},
			AddToSets:    map[string][]string{"s": {"seen", "readded"}, "whole": {"w"}},
		}))
		_, old := mapGet(t, e, "m")
		must(t, "MapUpdate after the read", e.MapUpdate(e.ctx, e.bucket, "m", nil, kv.MapOps{
			SetRegisters: map[string]string{"rewritten": "new"},
			AddToSets:    map[string][]string{"s": {"readded", "new"}, "whole": {"w2"}},
		}))
		must(t, "removals with the old context", e.MapUpdate(e.ctx, e.bucket, "m", old, kv.MapOps{
			RemoveFields:   []string{"seen", "rewritten", "whole"},
			RemoveFromSets: map[string][]string{"s": {"seen", "readded", "new"}},
		}))
		wantMap(t, e, "m", kv.Map{
			Registers: map[string]string{"rewritten": "new"},
			Sets:      map[string][]string{"s": {"new", "readded"}, "whole": {"w2"}},
		})
	})

	t.Run("removing a counter not updated since the context removes it", func(t *testing.T) {
		e := setup(t, newStore)
		must(t, "MapUpdate", e.MapUpdate(e.ctx, e.bucket, "m", nil, kv.MapOps{IncrCounters: map[string]int64{"c": 5, "kept": 1}}))
		must(t, "MapUpdate", e.MapUpdate(e.ctx, e.bucket, "m", nil, kv.MapOps{IncrCounters: map[string]int64{"c": -2}}))
		_, cc := mapGet(t, e, "m")
		// Updates of other fields after the read do not save c.
		must(t, "another field after the read", e.MapUpdate(e.ctx, e.bucket, "m", nil, kv.MapOps{
			IncrCounters: map[string]int64{"kept": 1}, SetRegisters: map[string]string{"r": "x"},
		}))
		must(t, "removal with the context", e.MapUpdate(e.ctx, e.bucket, "m", cc, kv.MapOps{RemoveFields: []string{"c"}}))
		wantMap(t, e, "m", kv.Map{Counters: map[string]int64{"kept": 2}, Registers: map[string]string{"r": "x"}})
	})

	t.Run("removing a counter updated after the context keeps it with those updates", func(t *testing.T) {
		// riak_dt's embedded counter keeps one running total per actor (the
		// vnode that coordinated the update): the removal drops the totals
		// of the actors the context saw last, and keeps whole the totals of
		// those that updated the counter after it, older increments
		// included. Which actors coordinated which update is Riak's choice,
		// so of the increments the context saw, any part may survive; those
		// made after it always do. (pgkv is one actor: all of them survive.)
		e := setup(t, newStore)
		seen := []int64{5, 1}
		after := []int64{2, -4}
		for _, d := range seen {
			must(t, "increment before the read", e.MapUpdate(e.ctx, e.bucket, "m", nil, kv.MapOps{IncrCounters: map[string]int64{"c": d}}))
		}
		must(t, "MapUpdate", e.MapUpdate(e.ctx, e.bucket, "m", nil, kv.MapOps{IncrCounters: map[string]int64{"gone": 3}}))
		_, old := mapGet(t, e, "m")
		for _, d := range after {
			must(t, "increment after the read", e.MapUpdate(e.ctx, e.bucket, "m", nil, kv.MapOps{IncrCounters: map[string]int64{"c": d}}))
		}
		must(t, "removals with the old context", e.MapUpdate(e.ctx, e.bucket, "m", old, kv.MapOps{RemoveFields: []string{"c", "gone"}}))
		got, _ := mapGet(t, e, "m")
		n, ok := got.Counters["c"]
		if !ok {
			t.Fatalf("counter c was removed although updated after the context (map %+v)", got)
		}
		if want := afterCounterRemoval(seen, after); !slices.Contains(want, n) {
			t.Errorf("counter c after the removal = %d, want one of %v (the increments after the context, and any part of those before)", n, want)
		}
		if _, ok := got.Counters["gone"]; ok || len(got.Counters) != 1 {
			t.Errorf("counters after the removal = %v, want only c", got.Counters)
		}
		// Removed once more, with a context that has seen everything.
		_, now := mapGet(t, e, "m")
		must(t, "removal with the current context", e.MapUpdate(e.ctx, e.bucket, "m", now, kv.MapOps{RemoveFields: []string{"c"}}))
		wantMap(t, e, "m", kv.Map{})
	})

	t.Run("a context not issued for the map is Invalid and removes nothing", func(t *testing.T) {
		e := setup(t, newStore)
		start := kv.MapOps{SetRegisters: map[string]string{"r": "1"}, AddToSets: map[string][]string{"s": {"x"}}}
		must(t, "MapUpdate", e.MapUpdate(e.ctx, e.bucket, "m", nil, start))
		must(t, "MapUpdate other", e.MapUpdate(e.ctx, e.bucket, "other", nil, start))
		_, cc := mapGet(t, e, "m")
		_, otherKey := mapGet(t, e, "other")
		must(t, "SetAdd", e.SetAdd(e.ctx, e.bucket, "m", "x"))
		_, setCC := members(t, e, "m")
		remove := kv.MapOps{RemoveFields: []string{"r"}, RemoveFromSets: map[string][]string{"s": {"x"}}}
		for name, bad := range badContexts(cc, map[string][]byte{"another key's": otherKey, "a set's": setCC}) {
			wantKind(t, "MapUpdate with "+name+" context", e.MapUpdate(e.ctx, e.bucket, "m", bad, remove), errs.Invalid)
		}
		want := kv.Map{Registers: map[string]string{"r": "1"}, Sets: map[string][]string{"s": {"x"}}}
		wantMap(t, e, "m", want)
		must(t, "MapUpdate with the right context", e.MapUpdate(e.ctx, e.bucket, "m", cc, remove))
		wantMap(t, e, "m", kv.Map{})
	})

	t.Run("concurrent counter increments in a map sum exactly", func(t *testing.T) {
		e := setup(t, newStore)
		const workers, each = 8, 10
		var wg sync.WaitGroup
		failures := make(chan error, workers)
		for range workers {
			wg.Go(func() {
				for range each {
					err := e.MapUpdate(e.ctx, e.bucket, "m", nil, kv.MapOps{IncrCounters: map[string]int64{"n": 1, "m": 2}})
					if err != nil {
						failures <- err
						return
					}
				}
			})
		}
		wg.Wait()
		close(failures)
		for err := range failures {
			t.Fatalf("MapUpdate: %v", err)
		}
		wantMap(t, e, "m", kv.Map{Counters: map[string]int64{"n": workers * each, "m": 2 * workers * each}})
	})

	t.Run("an update that writes and removes one field is Invalid", func(t *testing.T) {
		e := setup(t, newStore)
		for _, ops := range []kv.MapOps{
			{SetRegisters: map[string]string{"a": "1"}, RemoveFields: []string{"a"}},
			{IncrCounters: map[string]int64{"a": 1}, RemoveFields: []string{"a"}},
			{AddToSets: map[string][]string{"a": {"x"}}, RemoveFields: []string{"a"}},
			{AddToSets: map[string][]string{"a": {"x"}}, RemoveFromSets: map[string][]string{"a": {"x"}}},
		} {
			wantKind(t, fmt.Sprintf("MapUpdate(%+v)", ops), e.MapUpdate(e.ctx, e.bucket, "m", nil, ops), errs.Invalid)
		}
		wantMap(t, e, "m", kv.Map{})
	})
}

// badContexts returns contexts the store must refuse for the data whose
// context is good: made-up bytes, good cut short or with one byte changed
// (at its start, middle and end), and the others given (contexts of other
// data).
func badContexts(good []byte, others map[string][]byte) map[string][]byte {
	out := map[string][]byte{
		"a made-up":             []byte("not a context"),
		"an Erlang-term-like":   []byte("\x83k\x00\x03abc"),
		"a truncated":           good[:len(good)-1],
		"a half":                good[:len(good)/2],
		"an extended":           append(bytes.Clone(good), 0),
		"a first-byte-altered":  flip(good, 0),
		"a middle-byte-altered": flip(good, len(good)/2),
		"a last-byte-altered":   flip(good, len(good)-1),
	}
	for name, cc := range others {
		out[name] = cc
	}
	return out
}

func flip(b []byte, i int) []byte {
	out := bytes.Clone(b)
	out[i] ^= 0x20
	return out
}

// afterCounterRemoval returns the values a map counter may have after a
// removal with a context that saw the increments seen, when the increments
// after were made after that context: riak_dt keeps every increment made
// after the context and, of the ones before, those of the actors that
// incremented again (any subset, from the client's side). Sorted, distinct.
func afterCounterRemoval(seen, after []int64) []int64 {
	var base int64
	for _, d := range after {
		base += d
	}
	sums := []int64{base}
	for _, d := range seen {
		for _, s := range sums {
			sums = append(sums, s+d)
		}
	}
	slices.Sort(sums)
	return slices.Compact(sums)
}

func testInvalid(t *testing.T, newStore func(t *testing.T) kv.Store) {
	e := setup(t, newStore)
	long := func(n int) string { return strings.Repeat("k", n) }
	for _, tc := range []struct {
		name        string
		bucket, key string
	}{
		{"empty bucket", "", "k"},
		{"empty key", e.bucket, ""},
		{"NUL in key", e.bucket, "a\x00b"},
		{"NUL in bucket", "b\x00", "k"},
		{"invalid UTF-8 key", e.bucket, "\xff\xfe"},
		{"key too long", e.bucket, long(kv.MaxKeyLen + 1)},
		{"bucket too long", long(kv.MaxBucketLen + 1), "k"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			calls := map[string]error{}
			_, calls["Get"] = e.Get(e.ctx, tc.bucket, tc.key)
			_, calls["Put"] = e.Put(e.ctx, tc.bucket, tc.key, []byte("v"), nil)
			calls["Delete"] = e.Delete(e.ctx, tc.bucket, tc.key, nil)
			_, calls["Incr"] = e.Incr(e.ctx, tc.bucket, tc.key, 1)
			_, calls["Counter"] = e.Counter(e.ctx, tc.bucket, tc.key)
			calls["SetAdd"] = e.SetAdd(e.ctx, tc.bucket, tc.key, "m")
			calls["SetRemove"] = e.SetRemove(e.ctx, tc.bucket, tc.key, nil, "m")
			_, _, calls["SetMembers"] = e.SetMembers(e.ctx, tc.bucket, tc.key)
			_, calls["SetContains"] = e.SetContains(e.ctx, tc.bucket, tc.key, "m")
			calls["MapUpdate"] = e.MapUpdate(e.ctx, tc.bucket, tc.key, nil, kv.MapOps{IncrCounters: map[string]int64{"n": 1}})
			_, _, calls["MapGet"] = e.MapGet(e.ctx, tc.bucket, tc.key)
			for call, err := range calls {
				wantKind(t, call, err, errs.Invalid)
			}
		})
	}

	t.Run("bad members, fields and values", func(t *testing.T) {
		calls := map[string]error{}
		_, calls["Put too large"] = e.Put(e.ctx, e.bucket, "k", make([]byte, kv.MaxValueLen+1), nil)
		calls["SetAdd empty member"] = e.SetAdd(e.ctx, e.bucket, "s", "ok", "")
		calls["SetAdd NUL member"] = e.SetAdd(e.ctx, e.bucket, "s", "a\x00")
		calls["SetRemove long member"] = e.SetRemove(e.ctx, e.bucket, "s", nil, long(kv.MaxKeyLen+1))
		_, calls["SetContains invalid member"] = e.SetContains(e.ctx, e.bucket, "s", "\xff")
		calls["MapUpdate empty field"] = e.MapUpdate(e.ctx, e.bucket, "m", nil, kv.MapOps{SetRegisters: map[string]string{"": "v"}})
		calls["MapUpdate NUL register"] = e.MapUpdate(e.ctx, e.bucket, "m", nil, kv.MapOps{SetRegisters: map[string]string{"f": "a\x00"}})
		calls["MapUpdate empty member"] = e.MapUpdate(e.ctx, e.bucket, "m", nil, kv.MapOps{AddToSets: map[string][]string{"f": {""}}})
		for call, err := range calls {
			wantKind(t, call, err, errs.Invalid)
		}
		wantMembers(t, e, "s")
		wantMap(t, e, "m", kv.Map{})
	})
}
