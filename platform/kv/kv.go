// Package kv is the key-value and data-type port: the per-user and per-object
// state that must always accept writes and merge without coordination (what
// Riak is in the architecture): objects guarded by a causal context, counters,
// sets of strings and maps of registers, counters and sets.
//
// Two adapters implement Store with the same semantics, checked by the
// contract suite in kv/kvtest: kv/pgkv on Postgres (the default) and
// kv/riakkv on Riak KV (used when RIAK_HOSTS is set). Services declare the
// part they consume (Objects, Counters, Sets or Maps) and are handed either.
//
// # Causal contexts
//
// A causal context is an opaque token returned by a read (Get, SetMembers,
// MapGet) and by Put. It stands for "the state I have seen":
//
//   - Objects: Put with a nil context creates the object and fails with
//     errs.Conflict if it exists; Put with a context replaces the object only
//     if nothing was written since that context was issued, otherwise it fails
//     with errs.Conflict. A stale write is never a silent overwrite. Delete
//     with a context is guarded the same way; Delete with a nil context
//     removes whatever is there.
//   - Sets and maps: a removal with a context removes only what the context
//     observed (observed-remove). A member added, or a field updated, after
//     the context was issued survives the removal. A removal with a nil
//     context removes whatever is present when it runs.
//
// Counters, set additions, register writes and counter increments need no
// context: they never conflict.
//
// Contexts travel through clients (phones send them back), so both adapters
// hand out sealed contexts (Sealed): the adapter's own context bound to the
// adapter, the bucket type, the bucket and the key by an HMAC-SHA256 under
// KV_CONTEXT_KEYS. Any other context (made up, altered, cut short, or
// issued for other data) is errs.Invalid before the adapter sees it: a
// context Riak did not issue would make its node crash the connection.
//
// # Removing a map field: what Riak does
//
// The rule for map fields is Riak's, read from riak_dt (the data types of
// Riak KV 2.x and 3.x), not from its documentation's prose:
//
//   - riak_dt_map:apply_ops/4 stores an updated field as one entry under the
//     update's dot; riak_dt_map:ctx_rem_field/4 drops the entries whose dot
//     the context has seen and merges what is left with a tombstone whose
//     clock is what both the context and the replica have seen (the
//     greatest lower bound of the two clocks: the context itself, once the
//     replica has seen everything the context has). So a field not updated
//     since the context is removed, and one updated since stays. With a
//     context, removing a field that is not there is no error (the removal
//     is kept for later if the replica has not yet seen all the context
//     has, and is a no-op otherwise); without one riak_dt refuses it.
//   - A set in a staying field loses, through that tombstone, exactly the
//     members the context saw (riak_dt_orswot keeps a dot per member): the
//     removal is a reset, and only what was added after the context stays.
//     A register keeps its latest write.
//   - A counter (riak_dt_emcntr) keeps one running total per actor, dotted
//     with that actor's latest increment (update/3 replaces the actor's
//     entry), and merging with the tombstone drops only the actors whose
//     latest dot the context saw (merge_right/3). An actor that incremented
//     after the context keeps its whole total, its increments before the
//     context included. riak_dt_map's module comment calls this the
//     "anomaly for embedded counters that does not fully support reset
//     remove".
//
// In Riak the actor of an update is the vnode that coordinated it, picked
// by riak_kv per request among the key's replicas, so for a counter
// incremented both before and after the context, which of the earlier
// increments survive depends on which vnodes coordinated them: all of them,
// some or none, while the later ones always do. That explains what a Riak
// KV 3.2 node did with the contract's former case (increments 5 and 1, a
// read, increments 2 and -4, a removal with the read's context): it kept
// the whole count, 4, in six runs of seven, and only the later increments,
// -2, in the seventh. pgkv is a single actor: such a counter keeps its whole
// count. The contract suite (kv/kvtest) checks exactly this.
//
// # Names
//
// Buckets, keys, set members, map field names and register values are UTF-8
// strings without NUL bytes, within the lengths below; anything else is
// errs.Invalid. Buckets of different kinds are separate namespaces: counter
// "likes"/"p1" and set "likes"/"p1" are two things.
package kv

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/attendify/platform/errs"
)

// Limits on names and values. Riak keeps whole objects in memory and warns
// at 5 MB; small values keep both adapters fast.
const (
	MaxBucketLen = 255     // bytes in a bucket name
	MaxKeyLen    = 1024    // bytes in a key, a set member or a map field name
	MaxValueLen  = 1 << 20 // bytes in an object value or a map register
)

// Object is a stored value and the causal context it was read at.
type Object struct {
	Value   []byte
	Context []byte // opaque; pass it to Put or Delete to write over this version
}

// Objects stores opaque values under a causal context: a write based on a
// stale read is a conflict, never a silent overwrite.
type Objects interface {
	// Get returns the object, or an errs.NotFound error. When concurrent
	// writes both survived (Riak only, see riakkv) and no resolver is set,
	// the error is errs.Conflict and wraps a *Siblings.
	Get(ctx context.Context, bucket, key string) (Object, error)
	// Put creates (nil cc) or replaces (cc from Get or Put) the value and
	// returns the new causal context. A stale cc, or a nil cc for an object
	// that exists, is errs.Conflict. The context is nil when a concurrent
	// write survived beside this one (Riak only): the value is stored, and
	// the next write must Get first, which answers the siblings.
	Put(ctx context.Context, bucket, key string, value, cc []byte) ([]byte, error)
	// Delete removes the object. With a cc it fails with errs.Conflict if the
	// object changed since, and errs.NotFound if it is gone; with a nil cc it
	// removes whatever is there and succeeds even when nothing is.
	Delete(ctx context.Context, bucket, key string, cc []byte) error
}

// Counters are integers that concurrent increments never lose.
type Counters interface {
	// Incr adds delta (possibly negative) and returns the new value.
	Incr(ctx context.Context, bucket, key string, delta int64) (int64, error)
	// Counter returns the value, 0 for a counter never incremented.
	Counter(ctx context.Context, bucket, key string) (int64, error)
}

// Sets are sets of strings with add-wins, observed-remove semantics.
type Sets interface {
	// SetAdd adds members (adding a present member is a no-op that counts
	// as a new add for observed-remove).
	SetAdd(ctx context.Context, bucket, key string, members ...string) error
	// SetRemove removes members as observed by cc (from SetMembers): a member
	// added after cc was issued stays. A nil cc removes them as they are now.
	// Removing an absent member is a no-op.
	SetRemove(ctx context.Context, bucket, key string, cc []byte, members ...string) error
	// SetMembers returns the members in byte order and a causal context for
	// SetRemove. An absent set is empty; its context is never nil.
	SetMembers(ctx context.Context, bucket, key string) (members []string, cc []byte, err error)
	// SetContains reports whether member is in the set.
	SetContains(ctx context.Context, bucket, key, member string) (bool, error)
}

// Maps are maps of named fields, each a register (string, last write wins), a
// counter or a set of strings. A register, a counter and a set may share a
// name: they are different fields.
type Maps interface {
	// MapUpdate applies ops atomically. Removals (RemoveFromSets,
	// RemoveFields) honour cc as SetRemove does: what was updated after cc was
	// issued survives. A nil cc removes what is present now.
	MapUpdate(ctx context.Context, bucket, key string, cc []byte, ops MapOps) error
	// MapGet returns the map and a causal context for MapUpdate. An absent
	// map is empty; its context is never nil.
	MapGet(ctx context.Context, bucket, key string) (Map, []byte, error)
}

// Store is every part of the port; adapters implement it.
type Store interface {
	Objects
	Counters
	Sets
	Maps
}

// Map is the value of a map. Empty sets are not reported: a set field exists
// while it has members.
type Map struct {
	Registers map[string]string
	Counters  map[string]int64
	Sets      map[string][]string // members in byte order
}

// MapOps is one atomic update of a map. A field may appear in one kind of
// operation only: writing and removing the same field, or adding and removing
// the same member, in one MapOps is errs.Invalid.
type MapOps struct {
	SetRegisters   map[string]string   // field -> new value
	IncrCounters   map[string]int64    // field -> delta
	AddToSets      map[string][]string // field -> members to add
	RemoveFromSets map[string][]string // field -> members to remove (observed-remove)
	// RemoveFields removes the register, counter and set of each name, as
	// observed by the context. A field updated after the context was issued
	// stays (an update wins over a concurrent removal): a register with its
	// latest value, a set with the members added after the context, a
	// counter with at least the increments made after the context (see
	// "Removing a map field" in the package comment for the rest).
	RemoveFields []string
}

// Empty reports whether ops does nothing.
func (ops MapOps) Empty() bool {
	return len(ops.SetRegisters) == 0 && len(ops.IncrCounters) == 0 &&
		!anyMembers(ops.AddToSets) && !anyMembers(ops.RemoveFromSets) && len(ops.RemoveFields) == 0
}

func anyMembers(m map[string][]string) bool {
	for _, ms := range m {
		if len(ms) > 0 {
			return true
		}
	}
	return false
}

// Validate checks every name and value in ops, and that no field is both
// written and removed (nor a member both added and removed).
func (ops MapOps) Validate() error {
	var fields []errs.FieldError
	bad := func(field, format string, args ...any) {
		fields = append(fields, errs.FieldError{Field: field, Message: fmt.Sprintf(format, args...)})
	}
	for f, v := range ops.SetRegisters {
		if err := checkName(f, MaxKeyLen); err != "" {
			bad("SetRegisters/"+f, "field name %s", err)
		}
		if err := CheckText(v, MaxValueLen); err != "" {
			bad("SetRegisters/"+f, "value %s", err)
		}
	}
	for f := range ops.IncrCounters {
		if err := checkName(f, MaxKeyLen); err != "" {
			bad("IncrCounters/"+f, "field name %s", err)
		}
	}
	for what, sets := range map[string]map[string][]string{"AddToSets": ops.AddToSets, "RemoveFromSets": ops.RemoveFromSets} {
		for f, ms := range sets {
			if err := checkName(f, MaxKeyLen); err != "" {
				bad(what+"/"+f, "field name %s", err)
			}
			for _, m := range ms {
				if err := checkName(m, MaxKeyLen); err != "" {
					bad(what+"/"+f, "member %q %s", m, err)
				}
			}
		}
	}
	removed := map[string]bool{}
	for _, f := range ops.RemoveFields {
		if err := checkName(f, MaxKeyLen); err != "" {
			bad("RemoveFields", "field name %q %s", f, err)
		}
		removed[f] = true
	}
	for f := range removed {
		_, reg := ops.SetRegisters[f]
		_, ctr := ops.IncrCounters[f]
		if reg || ctr || len(ops.AddToSets[f]) > 0 || len(ops.RemoveFromSets[f]) > 0 {
			bad("RemoveFields", "field %q is both updated and removed", f)
		}
	}
	for f, adds := range ops.AddToSets {
		for _, m := range ops.RemoveFromSets[f] {
			if slices.Contains(adds, m) {
				bad("RemoveFromSets/"+f, "member %q is both added and removed", m)
			}
		}
	}
	if len(fields) > 0 {
		slices.SortFunc(fields, func(a, b errs.FieldError) int {
			return strings.Compare(a.Field+a.Message, b.Field+b.Message)
		})
		return errs.InvalidFields("kv: invalid map update", fields...)
	}
	return nil
}

// CheckKey validates a bucket and a key.
func CheckKey(bucket, key string) error {
	if err := checkName(bucket, MaxBucketLen); err != "" {
		return errs.New(errs.Invalid, "kv: bucket %s", err)
	}
	if err := checkName(key, MaxKeyLen); err != "" {
		return errs.New(errs.Invalid, "kv: key %s", err)
	}
	return nil
}

// CheckMembers validates set members.
func CheckMembers(members []string) error {
	for _, m := range members {
		if err := checkName(m, MaxKeyLen); err != "" {
			return errs.New(errs.Invalid, "kv: set member %q %s", m, err)
		}
	}
	return nil
}

// CheckValue validates an object value.
func CheckValue(value []byte) error {
	if len(value) > MaxValueLen {
		return errs.New(errs.Invalid, "kv: value of %d bytes is larger than %d", len(value), MaxValueLen)
	}
	return nil
}

// checkName returns what is wrong with a name, or "".
func checkName(s string, maxLen int) string {
	if s == "" {
		return "is empty"
	}
	return CheckText(s, maxLen)
}

// CheckText returns what is wrong with a text the port keeps (a set
// member, a map field or register value: at most maxLen bytes, no NUL
// byte, valid UTF-8), or "". Callers that check their values ahead of
// the port, one by one, ask it rather than restate its rules.
func CheckText(s string, maxLen int) string {
	switch {
	case len(s) > maxLen:
		return fmt.Sprintf("is longer than %d bytes", maxLen)
	case strings.IndexByte(s, 0) >= 0:
		return "contains a NUL byte"
	case !utf8.ValidString(s):
		return "is not valid UTF-8"
	}
	return ""
}

// Siblings is the cause of the errs.Conflict that Objects.Get returns when
// concurrent writes to an object both survived (possible on Riak, where
// conditional writes are checked without a lock; never on Postgres). Resolve
// it by writing the merged value with Context, which supersedes every
// sibling:
//
//	var sib *kv.Siblings
//	if errors.As(err, &sib) {
//		_, err = store.Put(ctx, bucket, key, merge(sib.Values), sib.Context)
//	}
type Siblings struct {
	Values  [][]byte
	Context []byte
}

func (s *Siblings) Error() string {
	return fmt.Sprintf("kv: %d concurrent versions (siblings) to resolve", len(s.Values))
}

// Resolver merges siblings into one value; see Siblings.
type Resolver func(bucket, key string, siblings [][]byte) ([]byte, error)
