package kvtest

// Offline devices: what Riak's data types do when two phones of one member
// edit the same set or map while offline and then sync with the causal
// contexts they last saw, whatever order their writes arrive in; phone
// retries; contexts of later states; names at the limits; many writers on
// one key.
//
// The rules, from riak_dt (Riak KV 2.x and 3.x):
//
//   - riak_dt_orswot: an add gives the member a fresh dot (add_elem/3
//     replaces the member's dots with the new one); a removal with a
//     context drops only the member's dots the context has seen
//     (remove_elem/3 with a context, "observed remove"), so an add that
//     arrives after the read the context came from survives a removal
//     however late the removal arrives: the add wins.
//   - riak_dt_map: an update of a field stores it under the update's dot;
//     a removal with a context drops the field's entries whose dot the
//     context has seen (ctx_rem_field/4): an update that the context did
//     not see survives (the update wins).

import (
	"crypto/rand"
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/attendify/platform/kv"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func testDevices(t *testing.T, newStore func(t *testing.T) kv.Store) {
	// Both arrival orders of the two devices' writes.
	for _, order := range []string{"A then B", "B then A"} {
		t.Run("set: two devices offline, "+order, func(t *testing.T) {
			e := setup(t, newStore)
			must(t, "SetAdd", e.SetAdd(e.ctx, e.bucket, "s", "keep", "y", "z"))
			_, ccA := members(t, e, "s") // device A's last sync
			_, ccB := members(t, e, "s") // device B's last sync
			// Offline: A adds x and removes z; B removes y and re-adds z.
			a := func() {
				must(t, "A adds x", e.SetAdd(e.ctx, e.bucket, "s", "x"))
				must(t, "A removes z", e.SetRemove(e.ctx, e.bucket, "s", ccA, "z"))
			}
			b := func() {
				must(t, "B removes y", e.SetRemove(e.ctx, e.bucket, "s", ccB, "y"))
				must(t, "B re-adds z", e.SetAdd(e.ctx, e.bucket, "s", "z"))
			}
			inOrder(order, a, b)
			// z: B's re-add is a dot A's context never saw (add wins).
			wantMembers(t, e, "s", "keep", "x", "z")

			// The phones retry their whole syncs (their answers were
			// lost): nothing changes.
			a()
			b()
			wantMembers(t, e, "s", "keep", "x", "z")
		})

		t.Run("map: two devices offline, "+order, func(t *testing.T) {
			e := setup(t, newStore)
			must(t, "MapUpdate", e.MapUpdate(e.ctx, e.bucket, "m", nil, kv.MapOps{
				SetRegisters: map[string]string{"s1": "old", "s2": "two", "s3": "three"},
				AddToSets:    map[string][]string{"tags": {"t1", "t2"}},
			}))
			_, ccA := mapGet(t, e, "m")
			_, ccB := mapGet(t, e, "m")
			// Offline: A rewrites note s1 and tags t3; B removes notes s1
			// and s2 (it saw s1 as "old") and untags t1 and t3 (t3 unseen).
			a := func() {
				must(t, "A writes s1", e.MapUpdate(e.ctx, e.bucket, "m", ccA, kv.MapOps{
					SetRegisters: map[string]string{"s1": "new"},
					AddToSets:    map[string][]string{"tags": {"t3"}},
				}))
			}
			b := func() {
				must(t, "B removes s1 and s2", e.MapUpdate(e.ctx, e.bucket, "m", ccB, kv.MapOps{
					RemoveFields:   []string{"s1", "s2"},
					RemoveFromSets: map[string][]string{"tags": {"t1", "t3"}},
				}))
			}
			inOrder(order, a, b)
			want := kv.Map{
				Registers: map[string]string{"s1": "new", "s3": "three"},
				Sets:      map[string][]string{"tags": {"t2", "t3"}},
			}
			wantMap(t, e, "m", want)
			// A retry of B's sync after A's: its context still has not
			// seen A's write.
			b()
			wantMap(t, e, "m", want)
		})
	}

	t.Run("set: a retried removal does not remove a later re-add", func(t *testing.T) {
		e := setup(t, newStore)
		must(t, "SetAdd", e.SetAdd(e.ctx, e.bucket, "s", "m"))
		_, cc := members(t, e, "s")
		must(t, "SetRemove", e.SetRemove(e.ctx, e.bucket, "s", cc, "m"))
		must(t, "re-add by another device", e.SetAdd(e.ctx, e.bucket, "s", "m"))
		must(t, "the first removal retried", e.SetRemove(e.ctx, e.bucket, "s", cc, "m"))
		wantMembers(t, e, "s", "m")
	})

	t.Run("set and map: a context of a later state removes what it saw", func(t *testing.T) {
		e := setup(t, newStore)
		must(t, "SetAdd", e.SetAdd(e.ctx, e.bucket, "s", "a"))
		must(t, "MapUpdate", e.MapUpdate(e.ctx, e.bucket, "m", nil, kv.MapOps{SetRegisters: map[string]string{"a": "1"}}))
		_, early := members(t, e, "s")
		_, earlyMap := mapGet(t, e, "m")
		must(t, "SetAdd", e.SetAdd(e.ctx, e.bucket, "s", "b"))
		must(t, "MapUpdate", e.MapUpdate(e.ctx, e.bucket, "m", nil, kv.MapOps{SetRegisters: map[string]string{"b": "2"}}))
		_, later := members(t, e, "s")
		_, laterMap := mapGet(t, e, "m")
		// The early context's removal of b keeps it; the later one's
		// takes it, and the early one's of a after it is a no-op.
		must(t, "SetRemove b, early context", e.SetRemove(e.ctx, e.bucket, "s", early, "b"))
		must(t, "MapUpdate remove b, early context", e.MapUpdate(e.ctx, e.bucket, "m", earlyMap, kv.MapOps{RemoveFields: []string{"b"}}))
		wantMembers(t, e, "s", "a", "b")
		wantMap(t, e, "m", kv.Map{Registers: map[string]string{"a": "1", "b": "2"}})
		must(t, "SetRemove a b, later context", e.SetRemove(e.ctx, e.bucket, "s", later, "a", "b"))
		must(t, "MapUpdate remove a b, later context", e.MapUpdate(e.ctx, e.bucket, "m", laterMap, kv.MapOps{RemoveFields: []string{"a", "b"}}))
		must(t, "SetRemove a, early context", e.SetRemove(e.ctx, e.bucket, "s", early, "a"))
		must(t, "MapUpdate remove a, early context", e.MapUpdate(e.ctx, e.bucket, "m", earlyMap, kv.MapOps{RemoveFields: []string{"a"}}))
		wantMembers(t, e, "s")
		wantMap(t, e, "m", kv.Map{})
	})

	t.Run("names and values at the limits", func(t *testing.T) {
		// Random letters: Postgres compresses repetitive index entries, so
		// "kkk..." would not show what a real, incompressible name costs.
		e := setup(t, newStore)
		bucket := e.bucket + "-" + randomText(kv.MaxBucketLen-len(e.bucket)-1)
		key, field, member := randomText(kv.MaxKeyLen), randomText(kv.MaxKeyLen), randomText(kv.MaxKeyLen)
		value := randomText(kv.MaxValueLen)

		_, err := e.Put(e.ctx, bucket, key, []byte(value), nil)
		must(t, "Put", err)
		got, err := e.Get(e.ctx, bucket, key)
		must(t, "Get", err)
		if string(got.Value) != value {
			t.Errorf("Get returned %d bytes, want the %d put", len(got.Value), len(value))
		}
		_, err = e.Incr(e.ctx, bucket, key, 1)
		must(t, "Incr", err)

		must(t, "SetAdd", e.SetAdd(e.ctx, bucket, key, member))
		ms, cc, err := e.SetMembers(e.ctx, bucket, key)
		must(t, "SetMembers", err)
		if diff := cmp.Diff([]string{member}, ms); diff != "" {
			t.Errorf("members (-want +got):\n%s", diff)
		}
		must(t, "SetRemove", e.SetRemove(e.ctx, bucket, key, cc, member))

		must(t, "MapUpdate", e.MapUpdate(e.ctx, bucket, key, nil, kv.MapOps{
			SetRegisters: map[string]string{field: value},
			IncrCounters: map[string]int64{field: 1},
			AddToSets:    map[string][]string{field: {member}},
		}))
		m, mcc, err := e.MapGet(e.ctx, bucket, key)
		must(t, "MapGet", err)
		if m.Registers[field] != value || m.Counters[field] != 1 || !slices.Equal(m.Sets[field], []string{member}) {
			t.Errorf("map at the limits: %d registers (value of %d bytes), counters %v, %d sets",
				len(m.Registers), len(m.Registers[field]), len(m.Counters), len(m.Sets))
		}
		must(t, "MapUpdate removals", e.MapUpdate(e.ctx, bucket, key, mcc, kv.MapOps{
			RemoveFromSets: map[string][]string{field: {member}},
		}))
		must(t, "MapUpdate field removal", e.MapUpdate(e.ctx, bucket, key, mcc, kv.MapOps{RemoveFields: []string{field}}))
		m, _, err = e.MapGet(e.ctx, bucket, key)
		must(t, "MapGet", err)
		if diff := cmp.Diff(kv.Map{}, m, cmpopts.EquateEmpty()); diff != "" {
			t.Errorf("map after the removals (-want +got):\n%s", diff)
		}
	})

	t.Run("many writers on one set: no add lost, no removal undone", func(t *testing.T) {
		// Each worker adds its own members one by one, checks each is
		// there, and removes every other one with the context of a read
		// made after its add, while the others do the same and hammer a
		// shared member.
		e := setup(t, newStore)
		const workers, each = 8, 12
		var wg sync.WaitGroup
		failures := make(chan error, workers*each*4)
		kept := make([][]string, workers)
		for w := range workers {
			wg.Go(func() {
				for i := range each {
					m := fmt.Sprintf("w%02d-%02d", w, i)
					if err := e.SetAdd(e.ctx, e.bucket, "s", m, "shared"); err != nil {
						failures <- err
						return
					}
					ms, cc, err := e.SetMembers(e.ctx, e.bucket, "s")
					if err != nil {
						failures <- err
						return
					}
					if !slices.Contains(ms, m) {
						failures <- fmt.Errorf("member %s missing right after its add", m)
					}
					if i%2 == 1 {
						kept[w] = append(kept[w], m)
						continue
					}
					if err := e.SetRemove(e.ctx, e.bucket, "s", cc, m, "shared"); err != nil {
						failures <- err
						return
					}
					if ok, err := e.SetContains(e.ctx, e.bucket, "s", m); err != nil || ok {
						failures <- fmt.Errorf("member %s after its removal: present %v, error %v", m, ok, err)
					}
				}
			})
		}
		wg.Wait()
		close(failures)
		for err := range failures {
			t.Error(err)
		}
		got, _ := members(t, e, "s")
		got = slices.DeleteFunc(got, func(m string) bool { return m == "shared" })
		want := slices.Concat(kept...)
		slices.Sort(want)
		if diff := cmp.Diff(want, got, cmpopts.EquateEmpty()); diff != "" {
			t.Errorf("members after the workers (-want +got):\n%s", diff)
		}
	})
}

// randomText returns n random ASCII letters: valid UTF-8 without NUL that
// does not compress.
func randomText(n int) string {
	const letters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	b := make([]byte, n)
	_, _ = rand.Read(b)
	for i := range b {
		b[i] = letters[int(b[i])%len(letters)]
	}
	return string(b)
}

// inOrder runs the two devices' writes in the order named: "A then B", or
// B then A.
func inOrder(order string, a, b func()) {
	if order == "A then B" {
		a()
		b()
		return
	}
	b()
	a()
}
