package pgstore_test

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/attendify/platform/errs"
	"github.com/attendify/platform/kv"
	"github.com/attendify/platform/kv/pgkv"
	"github.com/attendify/platform/pg"
	"github.com/attendify/platform/testkit"
	"github.com/attendify/social/internal/service"
	"github.com/attendify/social/internal/store/pgstore"
	"github.com/attendify/social/migrations"
)

// riakObjects is kv.Objects as Riak (riakkv, allow_mult) behaves, in
// memory: a write's condition (if_none_match for a create, if_not_modified
// for a context) is checked by a read before the write, not under a lock,
// so writers holding the same context can all pass, and their values are
// then kept side by side as siblings, which Get reports as errs.Conflict
// wrapping a *kv.Siblings. Each value is a dot (a number from a clock); a
// context is the highest dot its reader saw, and a write supersedes the
// siblings its context saw.
type riakObjects struct {
	mu    sync.Mutex
	clock uint64
	objs  map[string][]dot
	// between runs between a write's check and the write (nil: nothing).
	between func()
	// siblings counts the writes that left siblings.
	siblings atomic.Int64
}

type dot struct {
	n     uint64
	value []byte
}

func newRiakObjects() *riakObjects { return &riakObjects{objs: map[string][]dot{}} }

func encodeDot(n uint64) []byte { return binary.BigEndian.AppendUint64(nil, n) }

func decodeDot(cc []byte) uint64 {
	if len(cc) != 8 {
		return 0
	}
	return binary.BigEndian.Uint64(cc)
}

func seen(ds []dot) uint64 {
	var n uint64
	for _, d := range ds {
		n = max(n, d.n)
	}
	return n
}

func (r *riakObjects) Get(_ context.Context, bucket, key string) (kv.Object, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	ds := r.objs[bucket+"/"+key]
	switch len(ds) {
	case 0:
		return kv.Object{}, errs.New(errs.NotFound, "not found")
	case 1:
		return kv.Object{Value: ds[0].value, Context: encodeDot(ds[0].n)}, nil
	}
	sib := &kv.Siblings{Context: encodeDot(seen(ds))}
	for _, d := range ds {
		sib.Values = append(sib.Values, d.value)
	}
	return kv.Object{}, errs.Wrap(errs.Conflict, sib, "siblings")
}

// check checks a write's condition, as Riak does before writing.
func (r *riakObjects) check(k string, cc []byte) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	ds := r.objs[k]
	switch {
	case len(cc) == 0 && len(ds) > 0:
		return errs.New(errs.Conflict, "match_found")
	case len(cc) > 0 && (len(ds) == 0 || seen(ds) != decodeDot(cc)):
		return errs.New(errs.Conflict, "modified")
	}
	return nil
}

// write supersedes the siblings cc saw and adds value (nil: a delete).
func (r *riakObjects) write(k string, value, cc []byte) []byte {
	if r.between != nil {
		r.between()
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	var kept []dot
	for _, d := range r.objs[k] {
		if d.n > decodeDot(cc) {
			kept = append(kept, d) // written concurrently: a sibling
		}
	}
	if value != nil {
		r.clock++
		kept = append(kept, dot{n: r.clock, value: value})
	}
	if len(kept) > 1 {
		r.siblings.Add(1)
	}
	r.objs[k] = kept
	return encodeDot(seen(kept))
}

func (r *riakObjects) Put(_ context.Context, bucket, key string, value, cc []byte) ([]byte, error) {
	k := bucket + "/" + key
	if err := r.check(k, cc); err != nil {
		return nil, err
	}
	return r.write(k, append([]byte{}, value...), cc), nil
}

func (r *riakObjects) Delete(_ context.Context, bucket, key string, cc []byte) error {
	k := bucket + "/" + key
	if len(cc) == 0 {
		r.mu.Lock()
		delete(r.objs, k)
		r.mu.Unlock()
		return nil
	}
	r.mu.Lock()
	gone := len(r.objs[k]) == 0
	r.mu.Unlock()
	if gone {
		return errs.New(errs.NotFound, "not found")
	}
	if err := r.check(k, cc); err != nil {
		return err
	}
	r.write(k, nil, cc)
	return nil
}

// riakKV is the ledger's remote kv store on Riak's terms: objects from
// riakObjects, data types (which merge concurrent updates, as Riak's do)
// from pgkv outside any transaction. failCounted makes that many of the
// next updates of a member's counted contribution fail, as a node lost
// mid-change would.
type riakKV struct {
	*riakObjects
	kv.Maps
	failCounted atomic.Int32
}

func (k *riakKV) MapUpdate(ctx context.Context, bucket, key string, cc []byte, ops kv.MapOps) error {
	if bucket == "social.counted" && k.failCounted.Add(-1) >= 0 {
		return errs.New(errs.Unavailable, "riak: no node reachable")
	}
	return k.Maps.MapUpdate(ctx, bucket, key, cc, ops)
}

// newRiakStore returns a ledger whose kv store is riakKV. Its data types
// use a pool of their own, as Riak's connections are not the ledger's: a
// reaction holds a ledger connection (its lock) during its kv calls.
func newRiakStore(t *testing.T) (*pgstore.Store, *riakKV) {
	t.Helper()
	url := testkit.PostgresURL(t, migrations.Schema, migrations.All...)
	open := func() *pgxpool.Pool {
		pool, err := pg.Open(testkit.Context(t), pg.Config{URL: url, MaxConns: 8}, migrations.Schema)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(pool.Close)
		return pool
	}
	k := &riakKV{riakObjects: newRiakObjects(), Maps: pgkv.New(open())}
	return pgstore.New(open(), k), k
}

// barrier makes the next n calls wait for each other: n writers that have
// all passed their check then write together.
func barrier(n int) func() {
	var wg sync.WaitGroup
	wg.Add(n)
	var calls atomic.Int32
	return func() {
		if calls.Add(1) > int32(n) {
			return
		}
		wg.Done()
		wg.Wait()
	}
}

// TestRiakFakeRaces: the stand-in for Riak fails as Riak does: two
// creates of one object at once both pass, and leave siblings.
func TestRiakFakeRaces(t *testing.T) {
	r := newRiakObjects()
	ctx := testkit.Context(t)
	r.between = barrier(2)
	var wg sync.WaitGroup
	for _, v := range []string{"like", "love"} {
		wg.Go(func() {
			if _, err := r.Put(ctx, "b", "k", []byte(v), nil); err != nil {
				t.Errorf("put %s: %v", v, err)
			}
		})
	}
	wg.Wait()
	var sib *kv.Siblings
	if _, err := r.Get(ctx, "b", "k"); !errors.As(err, &sib) || len(sib.Values) != 2 {
		t.Fatalf("get: %v, want two siblings", err)
	}
	if _, err := r.Put(ctx, "b", "k", []byte("wow"), sib.Context); err != nil {
		t.Fatal(err)
	}
	if o, err := r.Get(ctx, "b", "k"); err != nil || string(o.Value) != "wow" {
		t.Errorf("after a write with the merged context: %q %v", o.Value, err)
	}
}

// TestRiakOneMemberReactsConcurrently: on Riak, one member's reaction sent
// 16 times at once, each with a window between the register's check and
// its write (where TestRiakFakeRaces shows writes race), counts once and
// is reported changed once; likewise 8 likes and 8 loves at once count one
// reaction, the one "my reaction" shows.
func TestRiakOneMemberReactsConcurrently(t *testing.T) {
	for _, kinds := range [][]string{{"like"}, {"like", "love"}} {
		t.Run(fmt.Sprint(kinds), func(t *testing.T) {
			s, k := newRiakStore(t)
			ctx := testkit.Context(t)
			k.between = func() { time.Sleep(time.Millisecond) }
			var changes atomic.Int32
			var wg sync.WaitGroup
			for i := range 16 {
				wg.Go(func() {
					r, err := s.React(ctx, service.Reaction{App: "app1", Post: "p1", Member: "ada", Kind: kinds[i%len(kinds)]}, noEffects)
					if err != nil {
						t.Errorf("react: %v", err)
					}
					if r.Changed {
						changes.Add(1)
					}
					if r.Recounted {
						t.Errorf("recounted: %+v", r)
					}
				})
			}
			wg.Wait()
			if n := changes.Load(); n == 0 || len(kinds) == 1 && n != 1 {
				t.Errorf("%d changes reported", n)
			}
			if k.siblings.Load() != 0 {
				t.Errorf("%d writes left siblings", k.siblings.Load())
			}
			mine, err := s.MemberReactions(ctx, "app1", "ada")
			if err != nil {
				t.Fatal(err)
			}
			got, err := s.Counts(ctx, "app1", "p1")
			if err != nil {
				t.Fatal(err)
			}
			want := service.Counts{Reactions: map[string]int64{mine["p1"]: 1}, Unversioned: true}
			if diff := cmp.Diff(want, got); diff != "" || mine["p1"] == "" {
				t.Errorf("counts (-want +got):\n%s (my reaction %q)", diff, mine["p1"])
			}
		})
	}
}

// TestRiakSiblingsResolved: siblings Riak made anyway (writes on both
// sides of a partition) are resolved by the next change, which counts
// from what was counted, not from the sibling it keeps.
func TestRiakSiblingsResolved(t *testing.T) {
	s, k := newRiakStore(t)
	ctx := testkit.Context(t)
	if _, err := s.React(ctx, service.Reaction{App: "app1", Post: "p1", Member: "ada", Kind: "like"}, noEffects); err != nil {
		t.Fatal(err)
	}
	// A write that did not see the like: love beside it.
	k.mu.Lock()
	k.clock++
	key := "social.reactions/" + "app1/p1/ada"
	k.objs[key] = append(k.objs[key], dot{n: k.clock, value: []byte("love")})
	k.mu.Unlock()
	counts := func() map[string]int64 {
		t.Helper()
		c, err := s.Counts(ctx, "app1", "p1")
		if err != nil {
			t.Fatal(err)
		}
		return c.Reactions
	}
	for _, kind := range []string{"clap", ""} {
		r, err := s.React(ctx, service.Reaction{App: "app1", Post: "p1", Member: "ada", Kind: kind}, noEffects)
		if err != nil || !r.Changed || r.Prev != "love" && kind == "clap" {
			t.Errorf("react %q: %+v %v", kind, r, err)
		}
		want := map[string]int64{}
		if kind != "" {
			want[kind] = 1
		}
		if diff := cmp.Diff(want, counts()); diff != "" {
			t.Errorf("after %q (-want +got):\n%s", kind, diff)
		}
	}
}

// TestRiakReactionsConcurrent: TestReactionsConcurrent's 64 members, each
// double-tapping and some changing their mind, on Riak's terms: exact
// counts and indexes.
func TestRiakReactionsConcurrent(t *testing.T) {
	s, k := newRiakStore(t)
	ctx := testkit.Context(t)
	k.between = func() { time.Sleep(time.Millisecond) } // a window for racing writes
	var wg sync.WaitGroup
	for i := range 64 {
		wg.Go(func() {
			m := fmt.Sprintf("m%02d", i)
			kinds := reactionTaps(i)
			// Each member's double tap races: both pass the check.
			for j := 0; j < len(kinds); j += 2 {
				var tap sync.WaitGroup
				for _, kind := range kinds[j : j+2] {
					tap.Go(func() {
						if _, err := s.React(ctx, service.Reaction{App: "app1", Post: "p1", Member: m, Kind: kind}, noEffects); err != nil {
							t.Errorf("%s reacts %q: %v", m, kind, err)
						}
					})
				}
				tap.Wait()
			}
		})
	}
	wg.Wait()
	if k.siblings.Load() != 0 {
		t.Errorf("%d writes left siblings", k.siblings.Load())
	}
	checkReactionTaps(t, s)
}

// TestRiakReactionCountedAfterAFailure: on Riak the register is written
// before the counters, in separate calls; when counting fails after the
// register changed, the caller's retry (which finds the register changed
// already) counts the change, once, and reports the recount.
func TestRiakReactionCountedAfterAFailure(t *testing.T) {
	s, k := newRiakStore(t)
	ctx := testkit.Context(t)
	steps := []struct {
		kind string
		want map[string]int64
	}{
		{"like", map[string]int64{"like": 1}},
		{"love", map[string]int64{"love": 1}},
		{"", map[string]int64{}},
	}
	for _, st := range steps {
		k.failCounted.Store(1)
		if _, err := s.React(ctx, service.Reaction{App: "app1", Post: "p1", Member: "ada", Kind: st.kind}, noEffects); errs.KindOf(err) != errs.Unavailable {
			t.Fatalf("react %q through the failure: %v, want unavailable", st.kind, err)
		}
		r, err := s.React(ctx, service.Reaction{App: "app1", Post: "p1", Member: "ada", Kind: st.kind}, noEffects)
		if err != nil || r.Changed || !r.Recounted {
			t.Fatalf("retry %q: %+v %v; want a recount, no change", st.kind, r, err)
		}
		if r, err := s.React(ctx, service.Reaction{App: "app1", Post: "p1", Member: "ada", Kind: st.kind}, noEffects); err != nil || r.Changed || r.Recounted {
			t.Fatalf("again %q: %+v %v; want nothing done", st.kind, r, err)
		}
		got, err := s.Counts(ctx, "app1", "p1")
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(service.Counts{Reactions: st.want, Unversioned: true}, got); diff != "" { // Riak keeps no version
			t.Errorf("after %q (-want +got):\n%s", st.kind, diff)
		}
		mine, err := s.MemberReactions(ctx, "app1", "ada")
		if err != nil || mine["p1"] != st.kind {
			t.Errorf("after %q, my reaction %q, %v", st.kind, mine["p1"], err)
		}
	}
}
