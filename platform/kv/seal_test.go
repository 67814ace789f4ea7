package kv_test

import (
	"bytes"
	"context"
	"errors"
	"testing"

	"github.com/attendify/platform/auth"
	"github.com/attendify/platform/errs"
	"github.com/attendify/platform/kv"
)

// rawStore is an adapter whose contexts are "raw:<bucket>/<key>"; it
// records the contexts it is given.
type rawStore struct {
	got  [][]byte
	sibs bool // Get reports siblings
}

func rawCC(bucket, key string) []byte { return []byte("raw:" + bucket + "/" + key) }

func (r *rawStore) Get(_ context.Context, b, k string) (kv.Object, error) {
	if r.sibs {
		return kv.Object{}, errs.Wrap(errs.Conflict, &kv.Siblings{Values: [][]byte{[]byte("a"), []byte("b")}, Context: rawCC(b, k)}, "siblings")
	}
	return kv.Object{Value: []byte("v"), Context: rawCC(b, k)}, nil
}

func (r *rawStore) Put(_ context.Context, b, k string, _, cc []byte) ([]byte, error) {
	r.got = append(r.got, cc)
	return rawCC(b, k), nil
}

func (r *rawStore) Delete(_ context.Context, _, _ string, cc []byte) error {
	r.got = append(r.got, cc)
	return nil
}

func (r *rawStore) Incr(context.Context, string, string, int64) (int64, error) { return 1, nil }
func (r *rawStore) Counter(context.Context, string, string) (int64, error)     { return 1, nil }
func (r *rawStore) SetAdd(context.Context, string, string, ...string) error    { return nil }

func (r *rawStore) SetRemove(_ context.Context, _, _ string, cc []byte, _ ...string) error {
	r.got = append(r.got, cc)
	return nil
}

func (r *rawStore) SetMembers(_ context.Context, b, k string) ([]string, []byte, error) {
	return nil, rawCC(b, k), nil
}

func (r *rawStore) SetContains(context.Context, string, string, string) (bool, error) {
	return false, nil
}

func (r *rawStore) MapUpdate(_ context.Context, _, _ string, cc []byte, _ kv.MapOps) error {
	r.got = append(r.got, cc)
	return nil
}

func (r *rawStore) MapGet(_ context.Context, b, k string) (kv.Map, []byte, error) {
	return kv.Map{}, rawCC(b, k), nil
}

func keys(t *testing.T, s string) auth.ServiceKeys {
	t.Helper()
	var k auth.ServiceKeys
	if err := k.UnmarshalText([]byte(s)); err != nil {
		t.Fatal(err)
	}
	return k
}

var scope = kv.Scope{Adapter: "test", Objects: "objects", Sets: "sets", Maps: "maps"}

const (
	key1 = "k1:MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY"
	key2 = "k2:ZmVkY2JhOTg3NjU0MzIxMGZlZGNiYTk4NzY1NDMyMTA"
)

// The adapter gets back exactly the context it issued, and only that.
func TestSealedRoundTrip(t *testing.T) {
	ctx := t.Context()
	raw := &rawStore{}
	s := kv.Seal(raw, scope, keys(t, key1))
	o, err := s.Get(ctx, "b", "k")
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(o.Context, rawCC("b", "k")) {
		t.Fatal("Get handed out the adapter's raw context")
	}
	next, err := s.Put(ctx, "b", "k", []byte("v"), o.Context)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Delete(ctx, "b", "k", next); err != nil {
		t.Fatal(err)
	}
	_, setCC, _ := s.SetMembers(ctx, "b", "s")
	if err := s.SetRemove(ctx, "b", "s", setCC, "x"); err != nil {
		t.Fatal(err)
	}
	_, mapCC, _ := s.MapGet(ctx, "b", "m")
	if err := s.MapUpdate(ctx, "b", "m", mapCC, kv.MapOps{RemoveFields: []string{"f"}}); err != nil {
		t.Fatal(err)
	}
	// No context stays no context.
	if _, err := s.Put(ctx, "b", "new", []byte("v"), nil); err != nil {
		t.Fatal(err)
	}
	want := [][]byte{rawCC("b", "k"), rawCC("b", "k"), rawCC("b", "s"), rawCC("b", "m"), nil}
	if len(raw.got) != len(want) {
		t.Fatalf("the adapter got %q, want %q", raw.got, want)
	}
	for i := range want {
		if !bytes.Equal(raw.got[i], want[i]) || (want[i] == nil) != (raw.got[i] == nil) {
			t.Errorf("call %d: the adapter got context %q, want %q", i, raw.got[i], want[i])
		}
	}
}

// A context the store did not seal for that very data is errs.Invalid,
// and the adapter never sees it.
func TestSealedRefuses(t *testing.T) {
	ctx := t.Context()
	raw := &rawStore{}
	s := kv.Seal(raw, scope, keys(t, key1))
	o, _ := s.Get(ctx, "b", "k")
	_, setCC, _ := s.SetMembers(ctx, "b", "k")
	other, _ := s.Get(ctx, "b", "other")
	otherBucket, _ := s.Get(ctx, "c", "k")
	flipped := bytes.Clone(o.Context)
	flipped[len(flipped)/2] ^= 1
	riakScope := scope
	riakScope.Adapter = "riak"
	fromRiak, _ := kv.Seal(&rawStore{}, riakScope, keys(t, key1)).Get(ctx, "b", "k")
	otherType := scope
	otherType.Objects = "objects2"
	fromOtherType, _ := kv.Seal(&rawStore{}, otherType, keys(t, key1)).Get(ctx, "b", "k")
	fromOtherKey, _ := kv.Seal(&rawStore{}, scope, keys(t, key2)).Get(ctx, "b", "k")

	for name, cc := range map[string][]byte{
		"garbage":                 []byte("not a context"),
		"a raw Riak-like context": []byte("\x83k\x00\x03abc"),
		"the adapter's own raw":   rawCC("b", "k"),
		"another key's":           other.Context,
		"another bucket's":        otherBucket.Context,
		"a set's":                 setCC,
		"truncated":               o.Context[:len(o.Context)-1],
		"cut to the header":       o.Context[:3],
		"one bit flipped":         flipped,
		"another adapter's":       fromRiak.Context,
		"another bucket type's":   fromOtherType.Context,
		"sealed with another key": fromOtherKey.Context,
	} {
		t.Run(name, func(t *testing.T) {
			_, err := s.Put(ctx, "b", "k", []byte("w"), cc)
			if !errors.Is(err, errs.Invalid) {
				t.Errorf("Put = %v, want kind invalid", err)
			}
			if err := s.Delete(ctx, "b", "k", cc); !errors.Is(err, errs.Invalid) {
				t.Errorf("Delete = %v, want kind invalid", err)
			}
			if err := s.SetRemove(ctx, "b", "k", cc, "x"); !errors.Is(err, errs.Invalid) && name != "a set's" {
				t.Errorf("SetRemove = %v, want kind invalid", err)
			}
			if err := s.MapUpdate(ctx, "b", "k", cc, kv.MapOps{RemoveFields: []string{"f"}}); !errors.Is(err, errs.Invalid) {
				t.Errorf("MapUpdate = %v, want kind invalid", err)
			}
		})
	}
	// Only the set context, given to SetRemove, went through.
	if len(raw.got) != 1 || !bytes.Equal(raw.got[0], rawCC("b", "k")) {
		t.Errorf("the adapter saw contexts %q, want only the set's own", raw.got)
	}
}

// Keys rotate: a context sealed with an old key opens while that key is
// listed after the new one, and not once it is dropped.
func TestSealedKeyRotation(t *testing.T) {
	ctx := t.Context()
	o, _ := kv.Seal(&rawStore{}, scope, keys(t, key1)).Get(ctx, "b", "k")
	rotated := kv.Seal(&rawStore{}, scope, keys(t, key2+","+key1))
	if _, err := rotated.Put(ctx, "b", "k", []byte("v"), o.Context); err != nil {
		t.Errorf("Put with a context of the old key, still listed: %v", err)
	}
	n, _ := rotated.Get(ctx, "b", "k")
	if bytes.Equal(n.Context, o.Context) {
		t.Error("after rotation contexts are still sealed with the old key")
	}
	dropped := kv.Seal(&rawStore{}, scope, keys(t, key2))
	if _, err := dropped.Put(ctx, "b", "k", []byte("v"), o.Context); !errors.Is(err, errs.Invalid) {
		t.Errorf("Put with a context of a dropped key = %v, want kind invalid", err)
	}
	if _, err := dropped.Put(ctx, "b", "k", []byte("v"), n.Context); err != nil {
		t.Errorf("Put with a context of the new key: %v", err)
	}
}

// The contexts of siblings are sealed too: resolving them works through
// the sealed store.
func TestSealedSiblings(t *testing.T) {
	ctx := t.Context()
	raw := &rawStore{sibs: true}
	s := kv.Seal(raw, scope, nil) // the development key
	_, err := s.Get(ctx, "b", "k")
	var sib *kv.Siblings
	if !errors.As(err, &sib) {
		t.Fatalf("Get = %v, want siblings", err)
	}
	if bytes.Equal(sib.Context, rawCC("b", "k")) {
		t.Fatal("the siblings' context is the adapter's raw one")
	}
	if _, err := s.Put(ctx, "b", "k", []byte("merged"), sib.Context); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(raw.got[0], rawCC("b", "k")) {
		t.Errorf("the adapter got %q", raw.got[0])
	}
}

// BenchmarkSealed is the cost of sealing a context on a read and opening
// it on the next write (a Riak map context is a few hundred bytes).
func BenchmarkSealed(b *testing.B) {
	ctx := b.Context()
	raw := &rawStore{}
	s := kv.Seal(raw, scope, nil)
	for b.Loop() {
		_, cc, _ := s.MapGet(ctx, "social.posts", "01J9ZK3/01J9ZK4")
		if err := s.MapUpdate(ctx, "social.posts", "01J9ZK3/01J9ZK4", cc, kv.MapOps{}); err != nil {
			b.Fatal(err)
		}
		raw.got = raw.got[:0]
	}
}
