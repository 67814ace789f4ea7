package pgkv_test

import (
	"errors"
	"testing"

	"github.com/attendify/platform/errs"
	"github.com/attendify/platform/kv"
	"github.com/attendify/platform/kv/kvtest"
	"github.com/attendify/platform/kv/pgkv"
	"github.com/attendify/platform/testkit"
	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5"
)

// schema is where the tests apply the migrations, as a service would in its own.
const schema = "kvtest"

// TestContract runs the kv contract suite on one database: every subtest
// works in buckets of its own, as services sharing a schema would.
func TestContract(t *testing.T) {
	store := pgkv.New(testkit.Postgres(t, schema, pgkv.Migrations))
	kvtest.Run(t, func(*testing.T) kv.Store { return store })
}

// The store also runs inside a service's transaction: what it wrote is
// rolled back with the transaction.
func TestInsideTransaction(t *testing.T) {
	pool := testkit.Postgres(t, schema, pgkv.Migrations)
	ctx := testkit.Context(t)
	tx, err := pool.BeginTx(ctx, pgx.TxOptions{})
	if err != nil {
		t.Fatal(err)
	}
	s := pgkv.New(tx)
	if _, err := s.Incr(ctx, "b", "c", 5); err != nil {
		t.Fatal(err)
	}
	if err := s.MapUpdate(ctx, "b", "m", nil, kv.MapOps{SetRegisters: map[string]string{"a": "1"}}); err != nil {
		t.Fatal(err)
	}
	if err := tx.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	s = pgkv.New(pool)
	if n, err := s.Counter(ctx, "b", "c"); err != nil || n != 0 {
		t.Errorf("Counter after rollback = %d, %v; want 0, nil", n, err)
	}
	if m, _, err := s.MapGet(ctx, "b", "m"); err != nil || len(m.Registers) != 0 {
		t.Errorf("MapGet after rollback = %+v, %v; want an empty map", m, err)
	}
}

// Contexts are typed: one issued for a set is refused by an object or a map
// call, and a truncated one is refused everywhere.
func TestMalformedContext(t *testing.T) {
	ctx := testkit.Context(t)
	s := pgkv.New(testkit.Postgres(t, schema, pgkv.Migrations))
	if err := s.SetAdd(ctx, "b", "s", "x"); err != nil {
		t.Fatal(err)
	}
	_, setCC, err := s.SetMembers(ctx, "b", "s")
	if err != nil {
		t.Fatal(err)
	}
	objCC, err := s.Put(ctx, "b", "o", []byte("v"), nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		call func() error
	}{
		{"Put with a set context", func() error { _, err := s.Put(ctx, "b", "o", []byte("w"), setCC); return err }},
		{"Delete with a set context", func() error { return s.Delete(ctx, "b", "o", setCC) }},
		{"SetRemove with an object context", func() error { return s.SetRemove(ctx, "b", "s", objCC, "x") }},
		{"MapUpdate with a set context", func() error {
			return s.MapUpdate(ctx, "b", "m", setCC, kv.MapOps{RemoveFields: []string{"f"}})
		}},
		{"SetRemove with a truncated context", func() error { return s.SetRemove(ctx, "b", "s", setCC[:5], "x") }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.call(); !errors.Is(err, errs.Invalid) {
				t.Errorf("got %v, want kind invalid", err)
			}
		})
	}
	if ok, err := s.SetContains(ctx, "b", "s", "x"); err != nil || !ok {
		t.Errorf("SetContains after refused removals = %v, %v; want true", ok, err)
	}
}

func TestCounterOverflowIsInvalid(t *testing.T) {
	ctx := testkit.Context(t)
	s := pgkv.New(testkit.Postgres(t, schema, pgkv.Migrations))
	if _, err := s.Incr(ctx, "b", "c", 1<<62); err != nil {
		t.Fatal(err)
	}
	_, err := s.Incr(ctx, "b", "c", 1<<62)
	if !errors.Is(err, errs.Invalid) {
		t.Errorf("overflowing Incr: got %v, want kind invalid", err)
	}
}

// An add that was in flight when the context was read (committed after the
// read, whatever its transaction id) is not observed: a removal with that
// context keeps it.
func TestRemoveKeepsAnAddInFlightAtTheRead(t *testing.T) {
	ctx := testkit.Context(t)
	pool := testkit.Postgres(t, schema, pgkv.Migrations)
	s := pgkv.New(pool)
	if err := s.SetAdd(ctx, "b", "s", "old"); err != nil {
		t.Fatal(err)
	}

	tx, err := pool.BeginTx(ctx, pgx.TxOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	if err := pgkv.New(tx).SetAdd(ctx, "b", "s", "inflight", "old"); err != nil {
		t.Fatal(err)
	}
	// A later transaction commits an add before the in-flight one does.
	if err := s.SetAdd(ctx, "b", "s", "committed"); err != nil {
		t.Fatal(err)
	}
	members, cc, err := s.SetMembers(ctx, "b", "s")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"committed", "old"}, members); diff != "" {
		t.Errorf("members while an add is in flight (-want +got):\n%s", diff)
	}
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}

	if err := s.SetRemove(ctx, "b", "s", cc, "inflight", "old", "committed"); err != nil {
		t.Fatal(err)
	}
	// "old" was re-added by the in-flight transaction: that add was not
	// observed either.
	members, _, err = s.SetMembers(ctx, "b", "s")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"inflight", "old"}, members); diff != "" {
		t.Errorf("members after the removal (-want +got):\n%s", diff)
	}
}

// TestMapCounterRemovalKeepsTheWholeCount: pgkv is one actor in riak_dt's
// terms, so a counter incremented after the removal's context keeps its
// whole count, the increments the context saw included; one not incremented
// since is removed. Each counter is one row, however busy.
func TestMapCounterRemovalKeepsTheWholeCount(t *testing.T) {
	pool := testkit.Postgres(t, schema, pgkv.Migrations)
	ctx := testkit.Context(t)
	s := pgkv.New(pool)
	for i := range 100 {
		if err := s.MapUpdate(ctx, "b", "m", nil, kv.MapOps{IncrCounters: map[string]int64{"c": 1, "d": int64(i % 3)}}); err != nil {
			t.Fatal(err)
		}
	}
	_, cc := getMap(t, s, "m")
	if err := s.MapUpdate(ctx, "b", "m", nil, kv.MapOps{IncrCounters: map[string]int64{"c": -4}}); err != nil {
		t.Fatal(err)
	}
	if err := s.MapUpdate(ctx, "b", "m", cc, kv.MapOps{RemoveFields: []string{"c", "d"}}); err != nil {
		t.Fatal(err)
	}
	m, _ := getMap(t, s, "m")
	if diff := cmp.Diff(map[string]int64{"c": 96}, m.Counters); diff != "" {
		t.Errorf("counters after the removal with an old context (-want +got):\n%s", diff)
	}
	var rows int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM kv_map_counters WHERE bucket = 'b' AND key = 'm'`).Scan(&rows); err != nil {
		t.Fatal(err)
	}
	if rows != 1 {
		t.Errorf("%d counter rows after 101 updates and a removal, want 1", rows)
	}
}

func getMap(t *testing.T, s *pgkv.Store, key string) (kv.Map, []byte) {
	t.Helper()
	m, cc, err := s.MapGet(testkit.Context(t), "b", key)
	if err != nil {
		t.Fatal(err)
	}
	return m, cc
}

// A map context read inside a transaction that updated the map and then
// rolled back must not cover the next update of the map: Riak never
// issues a context for an update that did not happen, and a removal with
// it must keep what was written after it (an update wins over a removal
// that did not see it, riak_dt_map:ctx_rem_field/4).
func TestMapContextOfARolledBackTransaction(t *testing.T) {
	pool := testkit.Postgres(t, schema, pgkv.Migrations)
	ctx := testkit.Context(t)
	s := pgkv.New(pool)
	if err := s.MapUpdate(ctx, "b", "m", nil, kv.MapOps{SetRegisters: map[string]string{"a": "1"}}); err != nil {
		t.Fatal(err)
	}
	tx, err := pool.BeginTx(ctx, pgx.TxOptions{})
	if err != nil {
		t.Fatal(err)
	}
	inTx := pgkv.New(tx)
	if err := inTx.MapUpdate(ctx, "b", "m", nil, kv.MapOps{SetRegisters: map[string]string{"b": "2"}}); err != nil {
		t.Fatal(err)
	}
	_, leaked, err := inTx.MapGet(ctx, "b", "m")
	if err != nil {
		t.Fatal(err)
	}
	if err := tx.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	// Written after the rollback: the leaked context never saw c.
	if err := s.MapUpdate(ctx, "b", "m", nil, kv.MapOps{SetRegisters: map[string]string{"c": "3"}}); err != nil {
		t.Fatal(err)
	}
	if err := s.MapUpdate(ctx, "b", "m", leaked, kv.MapOps{RemoveFields: []string{"a", "b", "c"}}); err != nil {
		t.Fatal(err)
	}
	m, _ := getMap(t, s, "m")
	if diff := cmp.Diff(map[string]string{"c": "3"}, m.Registers); diff != "" {
		t.Errorf("registers after a removal with the rolled-back transaction's context (-want +got):\n%s", diff)
	}
}
