// Package pgkv is the Postgres adapter of the kv port, the default where no
// Riak is configured. It gives the same semantics as Riak's (the contract
// suite in kv/kvtest checks both):
//
//   - Objects carry a version drawn from a sequence; Put with a context is a
//     compare-and-set on that version, so a stale context is errs.Conflict.
//   - Counters are one row each, incremented with INSERT ... ON CONFLICT DO
//     UPDATE SET n = n + delta: concurrent increments never lose an update.
//   - Set members record the transaction that last added them (their dot);
//     a set's causal context is the MVCC snapshot its read ran under, and a
//     removal deletes a member only if its dot is visible in that snapshot:
//     only the adds the reader observed (observed-remove). Adds lock nothing
//     but their own rows, so a hot set takes adds as fast as plain inserts.
//   - Maps keep a per-key clock, a version set by every update under the
//     map's row lock from a sequence (so it follows commit order, is never
//     handed out twice, not even by a transaction that rolled back, and
//     updates of one map never deadlock). Each register, counter and set
//     member records the version of its latest update; a context is the
//     version a read saw, and a removal deletes only what that version
//     covers. A counter is one row, its total: removed whole, or kept whole
//     when incremented after the context, as Riak does with a single actor
//     (see the kv package). A context read inside a caller's transaction
//     (New on a pgx.Tx) covers, for a set, the adds that transaction makes
//     after the read once it has written anything: hand such contexts to no
//     client.
//
// The contexts above are what the adapter works with; Store hands them out
// sealed (kv.Sealed) and refuses any it did not seal for the same data.
//
// Every call is one round trip: a single statement, or for maps a pgx batch,
// which Postgres runs as one implicit transaction.
//
// The tables live in the consuming service's schema: apply Migrations with
// the service's own, e.g. pg.Migrate(ctx, pool, "social", migrations,
// pgkv.Migrations).
package pgkv

import (
	"context"
	"embed"
	"encoding/binary"
	"errors"
	"io/fs"
	"math"
	"regexp"
	"slices"
	"strings"

	"github.com/attendify/platform/auth"
	"github.com/attendify/platform/errs"
	"github.com/attendify/platform/kv"
	"github.com/attendify/platform/pg"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Migrations creates the adapter's tables (kv_*) in a service's schema.
var Migrations = pg.Source{Name: "kv", FS: subFS(migrationFiles, "migrations")}

func subFS(f fs.FS, dir string) fs.FS {
	sub, err := fs.Sub(f, dir)
	if err != nil {
		panic(err) // a constant, valid path: cannot happen
	}
	return sub
}

// DB is what the store runs its statements on: a *pgxpool.Pool, or a pgx.Tx
// to make kv writes part of a service's own transaction.
type DB interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
	SendBatch(ctx context.Context, b *pgx.Batch) pgx.BatchResults
}

// Store implements kv.Store on Postgres. Its causal contexts are sealed
// (kv.Sealed): a context it did not hand out for the same data is
// errs.Invalid.
type Store struct {
	*kv.Sealed
}

var _ kv.Store = (*Store)(nil)

// Scope is where pgkv's contexts are valid (see kv.Scope).
var Scope = kv.Scope{Adapter: "pg", Objects: "kv_objects", Sets: "kv_set_members", Maps: "kv_maps"}

// Option configures a Store.
type Option func(*options)

type options struct {
	keys auth.ServiceKeys
}

// WithContextKeys sets the keys that seal causal contexts
// (KV_CONTEXT_KEYS; kv.DefaultContextKeys when not given).
func WithContextKeys(keys auth.ServiceKeys) Option {
	return func(o *options) { o.keys = keys }
}

// New returns a store on db, whose search_path must reach the tables of
// Migrations.
func New(db DB, opts ...Option) *Store {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	return &Store{Sealed: kv.Seal(&adapter{db: db}, Scope, o.keys)}
}

// adapter is the store with the raw contexts described in the package
// comment; Store seals them.
type adapter struct {
	db DB
}

// Causal contexts start with a kind byte, so that a context of one kind
// handed to another kind of call is refused. Objects and maps follow it with
// a big-endian version, sets with a snapshot in pg_snapshot's text form.
const (
	ctxObject byte = 'o'
	ctxSet    byte = 's'
	ctxMap    byte = 'm'
)

func encodeContext(kind byte, version int64) []byte {
	b := make([]byte, 9)
	b[0] = kind
	binary.BigEndian.PutUint64(b[1:], uint64(version))
	return b
}

// decodeContext returns the version in cc. An empty cc means "everything
// present now" and decodes to math.MaxInt64 when open is true.
func decodeContext(kind byte, cc []byte, open bool) (int64, error) {
	if len(cc) == 0 && open {
		return math.MaxInt64, nil
	}
	if len(cc) != 9 || cc[0] != kind {
		return 0, errs.New(errs.Invalid, "kv: malformed causal context")
	}
	v := int64(binary.BigEndian.Uint64(cc[1:]))
	if v < 0 {
		return 0, errs.New(errs.Invalid, "kv: malformed causal context")
	}
	return v, nil
}

// snapshotRE is pg_snapshot's text form: xmin:xmax:xip,xip,...
var snapshotRE = regexp.MustCompile(`^[0-9]{1,20}:[0-9]{1,20}:([0-9]{1,20}(,[0-9]{1,20})*)?$`)

// decodeSnapshot returns the snapshot in a set context.
func decodeSnapshot(cc []byte) (string, error) {
	if len(cc) < 2 || cc[0] != ctxSet || !snapshotRE.Match(cc[1:]) {
		return "", errs.New(errs.Invalid, "kv: malformed causal context")
	}
	return string(cc[1:]), nil
}

// Get implements kv.Objects.
func (s *adapter) Get(ctx context.Context, bucket, key string) (kv.Object, error) {
	if err := kv.CheckKey(bucket, key); err != nil {
		return kv.Object{}, err
	}
	const q = `SELECT value, version FROM kv_objects WHERE bucket = $1 AND key = $2`
	var o kv.Object
	var version int64
	err := s.db.QueryRow(ctx, q, bucket, key).Scan(&o.Value, &version)
	if errors.Is(err, pgx.ErrNoRows) {
		return kv.Object{}, errs.New(errs.NotFound, "kv: object %s/%s not found", bucket, key)
	}
	if err != nil {
		return kv.Object{}, pg.Err(err)
	}
	o.Context = encodeContext(ctxObject, version)
	return o, nil
}

// Put implements kv.Objects.
func (s *adapter) Put(ctx context.Context, bucket, key string, value, cc []byte) ([]byte, error) {
	if err := kv.CheckKey(bucket, key); err != nil {
		return nil, err
	}
	if err := kv.CheckValue(value); err != nil {
		return nil, err
	}
	if value == nil {
		value = []byte{} // nil would be NULL
	}
	var version int64
	if len(cc) == 0 {
		const q = `
			INSERT INTO kv_objects (bucket, key, value, version)
			VALUES ($1, $2, $3, nextval('kv_object_versions'))
			ON CONFLICT (bucket, key) DO NOTHING
			RETURNING version`
		err := s.db.QueryRow(ctx, q, bucket, key, value).Scan(&version)
		if errors.Is(err, pgx.ErrNoRows) {
			return nil, errs.New(errs.Conflict, "kv: object %s/%s already exists (read it and write with its context)", bucket, key)
		}
		if err != nil {
			return nil, pg.Err(err)
		}
		return encodeContext(ctxObject, version), nil
	}
	old, err := decodeContext(ctxObject, cc, false)
	if err != nil {
		return nil, err
	}
	// Under READ COMMITTED a concurrent writer holding the row makes this
	// statement wait and then re-check version = $4 on the new row: exactly
	// one of two writers with the same context wins.
	const q = `
		UPDATE kv_objects SET value = $3, version = nextval('kv_object_versions')
		WHERE bucket = $1 AND key = $2 AND version = $4
		RETURNING version`
	err = s.db.QueryRow(ctx, q, bucket, key, value, old).Scan(&version)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, errs.New(errs.Conflict, "kv: object %s/%s changed since its context was read", bucket, key)
	}
	if err != nil {
		return nil, pg.Err(err)
	}
	return encodeContext(ctxObject, version), nil
}

// Delete implements kv.Objects.
func (s *adapter) Delete(ctx context.Context, bucket, key string, cc []byte) error {
	if err := kv.CheckKey(bucket, key); err != nil {
		return err
	}
	if len(cc) == 0 {
		const q = `DELETE FROM kv_objects WHERE bucket = $1 AND key = $2`
		_, err := s.db.Exec(ctx, q, bucket, key)
		return pg.Err(err)
	}
	old, err := decodeContext(ctxObject, cc, false)
	if err != nil {
		return err
	}
	// The outer EXISTS sees the row as it was before the statement: it tells
	// a stale context (the row was there) from a missing object.
	const q = `
		WITH d AS (
			DELETE FROM kv_objects WHERE bucket = $1 AND key = $2 AND version = $3
			RETURNING 1
		)
		SELECT EXISTS (SELECT 1 FROM d),
		       EXISTS (SELECT 1 FROM kv_objects WHERE bucket = $1 AND key = $2)`
	var deleted, existed bool
	if err := s.db.QueryRow(ctx, q, bucket, key, old).Scan(&deleted, &existed); err != nil {
		return pg.Err(err)
	}
	switch {
	case deleted:
		return nil
	case existed:
		return errs.New(errs.Conflict, "kv: object %s/%s changed since its context was read", bucket, key)
	default:
		return errs.New(errs.NotFound, "kv: object %s/%s not found", bucket, key)
	}
}

// Incr implements kv.Counters.
func (s *adapter) Incr(ctx context.Context, bucket, key string, delta int64) (int64, error) {
	if err := kv.CheckKey(bucket, key); err != nil {
		return 0, err
	}
	const q = `
		INSERT INTO kv_counters AS c (bucket, key, n) VALUES ($1, $2, $3)
		ON CONFLICT (bucket, key) DO UPDATE SET n = c.n + EXCLUDED.n
		RETURNING n`
	var n int64
	if err := s.db.QueryRow(ctx, q, bucket, key, delta).Scan(&n); err != nil {
		return 0, pg.Err(err) // overflow (22003) is errs.Invalid
	}
	return n, nil
}

// Counter implements kv.Counters.
func (s *adapter) Counter(ctx context.Context, bucket, key string) (int64, error) {
	if err := kv.CheckKey(bucket, key); err != nil {
		return 0, err
	}
	const q = `SELECT n FROM kv_counters WHERE bucket = $1 AND key = $2`
	var n int64
	err := s.db.QueryRow(ctx, q, bucket, key).Scan(&n)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, nil
	}
	return n, pg.Err(err)
}

// SetAdd implements kv.Sets.
func (s *adapter) SetAdd(ctx context.Context, bucket, key string, members ...string) error {
	if err := kv.CheckKey(bucket, key); err != nil {
		return err
	}
	if err := kv.CheckMembers(members); err != nil {
		return err
	}
	if len(members) == 0 {
		return nil
	}
	// Members are written in byte order, so concurrent adds lock them in one
	// order. A re-add rewrites the dot: the new add is one no earlier
	// context has seen.
	const q = `
		INSERT INTO kv_set_members (bucket, key, member, dot)
		SELECT $1, $2, u.m, pg_current_xact_id() FROM unnest($3::text[]) AS u(m)
		ON CONFLICT (bucket, key, member) DO UPDATE SET dot = EXCLUDED.dot`
	return s.execRetryDeadlock(ctx, q, bucket, key, sortedUnique(members))
}

// SetRemove implements kv.Sets.
func (s *adapter) SetRemove(ctx context.Context, bucket, key string, cc []byte, members ...string) error {
	if err := kv.CheckKey(bucket, key); err != nil {
		return err
	}
	if err := kv.CheckMembers(members); err != nil {
		return err
	}
	var snapshot string
	if len(cc) > 0 {
		var err error
		if snapshot, err = decodeSnapshot(cc); err != nil {
			return err
		}
	}
	if len(members) == 0 {
		return nil
	}
	// A member re-added after the snapshot has a dot it cannot see and
	// stays; a concurrent re-add makes the DELETE wait and re-check the new
	// dot.
	const observed = `
		DELETE FROM kv_set_members
		WHERE bucket = $1 AND key = $2 AND member = ANY($3::text[])
		  AND pg_visible_in_snapshot(dot, $4::pg_snapshot)`
	const all = `DELETE FROM kv_set_members WHERE bucket = $1 AND key = $2 AND member = ANY($3::text[])`
	q, args := all, []any{bucket, key, sortedUnique(members)}
	if snapshot != "" {
		q, args = observed, append(args, snapshot)
	}
	return s.execRetryDeadlock(ctx, q, args...)
}

// execRetryDeadlock runs a set statement, again when Postgres aborted it as
// a deadlock victim: a multi-row DELETE may lock rows in another order than
// a concurrent upsert. Inside a caller's transaction the deadlock is
// returned instead (as errs.Conflict): the transaction is aborted, and
// pg.InTx retries it whole.
func (s *adapter) execRetryDeadlock(ctx context.Context, q string, args ...any) error {
	_, inTx := s.db.(pgx.Tx)
	for attempt := 1; ; attempt++ {
		_, err := s.db.Exec(ctx, q, args...)
		var pgErr *pgconn.PgError
		if inTx || attempt == 3 || !errors.As(err, &pgErr) || pgErr.Code != "40P01" || ctx.Err() != nil {
			return pg.Err(err)
		}
	}
}

// SetMembers implements kv.Sets.
func (s *adapter) SetMembers(ctx context.Context, bucket, key string) ([]string, []byte, error) {
	if err := kv.CheckKey(bucket, key); err != nil {
		return nil, nil, err
	}
	// One statement, one snapshot: the members and the context agree.
	const q = `
		SELECT pg_current_snapshot()::text, ARRAY(
			SELECT member FROM kv_set_members
			WHERE bucket = $1 AND key = $2
			ORDER BY member)`
	var snapshot string
	var members []string
	if err := s.db.QueryRow(ctx, q, bucket, key).Scan(&snapshot, &members); err != nil {
		return nil, nil, pg.Err(err)
	}
	return members, append([]byte{ctxSet}, snapshot...), nil
}

// SetContains implements kv.Sets.
func (s *adapter) SetContains(ctx context.Context, bucket, key, member string) (bool, error) {
	if err := kv.CheckKey(bucket, key); err != nil {
		return false, err
	}
	if err := kv.CheckMembers([]string{member}); err != nil {
		return false, err
	}
	const q = `SELECT EXISTS (SELECT 1 FROM kv_set_members WHERE bucket = $1 AND key = $2 AND member = $3)`
	var ok bool
	err := s.db.QueryRow(ctx, q, bucket, key, member).Scan(&ok)
	return ok, pg.Err(err)
}

// MapUpdate implements kv.Maps.
func (s *adapter) MapUpdate(ctx context.Context, bucket, key string, cc []byte, ops kv.MapOps) error {
	if err := kv.CheckKey(bucket, key); err != nil {
		return err
	}
	if err := ops.Validate(); err != nil {
		return err
	}
	seen, err := decodeContext(ctxMap, cc, true)
	if err != nil {
		return err
	}
	if ops.Empty() {
		return nil
	}

	b := &pgx.Batch{}
	// First, lock the map and take the version that dots this update. The
	// version comes from a sequence, taken once the row is locked (the SET
	// of DO UPDATE runs after the lock), so it grows with commit order
	// within the map and, sequences not being rolled back, no version is
	// ever used twice: a context read inside a caller's transaction that
	// then rolled back covers no later update. GREATEST keeps the versions
	// of a map growing whatever set them before.
	const head = `
		INSERT INTO kv_maps AS m (bucket, key, version) VALUES ($1, $2, nextval('kv_map_versions'))
		ON CONFLICT (bucket, key) DO UPDATE SET version = GREATEST(nextval('kv_map_versions'), m.version + 1)`
	b.Queue(head, bucket, key)

	if len(ops.SetRegisters) > 0 {
		fields, values := sortedPairs(ops.SetRegisters)
		const q = `
			INSERT INTO kv_map_registers (bucket, key, field, value, dot)
			SELECT $1, $2, u.f, u.v, (SELECT version FROM kv_maps WHERE bucket = $1 AND key = $2)
			FROM unnest($3::text[], $4::text[]) AS u(f, v)
			ON CONFLICT (bucket, key, field) DO UPDATE SET value = EXCLUDED.value, dot = EXCLUDED.dot`
		b.Queue(q, bucket, key, fields, values)
	}
	if len(ops.IncrCounters) > 0 {
		// One row per counter: its total, dotted with this update (as
		// riak_dt_emcntr keeps one total per actor and pgkv is one actor).
		fields, deltas := sortedPairs(ops.IncrCounters)
		const q = `
			INSERT INTO kv_map_counters AS c (bucket, key, field, n, dot)
			SELECT $1, $2, u.f, u.n, (SELECT version FROM kv_maps WHERE bucket = $1 AND key = $2)
			FROM unnest($3::text[], $4::bigint[]) AS u(f, n)
			ON CONFLICT (bucket, key, field) DO UPDATE SET n = c.n + EXCLUDED.n, dot = EXCLUDED.dot`
		b.Queue(q, bucket, key, fields, deltas)
	}
	if fields, members := flattenSets(ops.AddToSets); len(fields) > 0 {
		const q = `
			INSERT INTO kv_map_set_members (bucket, key, field, member, dot)
			SELECT $1, $2, u.f, u.m, (SELECT version FROM kv_maps WHERE bucket = $1 AND key = $2)
			FROM unnest($3::text[], $4::text[]) AS u(f, m)
			ON CONFLICT (bucket, key, field, kv_member_key(member)) DO UPDATE SET dot = EXCLUDED.dot`
		b.Queue(q, bucket, key, fields, members)
	}
	if fields, members := flattenSets(ops.RemoveFromSets); len(fields) > 0 {
		const q = `
			DELETE FROM kv_map_set_members m
			USING unnest($3::text[], $4::text[]) AS u(f, m)
			WHERE m.bucket = $1 AND m.key = $2 AND m.field = u.f
			  AND kv_member_key(m.member) = kv_member_key(u.m) AND m.member = u.m AND m.dot <= $5`
		b.Queue(q, bucket, key, fields, members, seen)
	}
	if len(ops.RemoveFields) > 0 {
		const q = `
			WITH r AS (
				DELETE FROM kv_map_registers
				WHERE bucket = $1 AND key = $2 AND field = ANY($3::text[]) AND dot <= $4
			), c AS (
				DELETE FROM kv_map_counters
				WHERE bucket = $1 AND key = $2 AND field = ANY($3::text[]) AND dot <= $4
			)
			DELETE FROM kv_map_set_members
			WHERE bucket = $1 AND key = $2 AND field = ANY($3::text[]) AND dot <= $4`
		b.Queue(q, bucket, key, sortedUnique(ops.RemoveFields), seen)
	}
	return pg.Err(s.db.SendBatch(ctx, b).Close())
}

// MapGet implements kv.Maps.
func (s *adapter) MapGet(ctx context.Context, bucket, key string) (kv.Map, []byte, error) {
	if err := kv.CheckKey(bucket, key); err != nil {
		return kv.Map{}, nil, err
	}
	const q = `
		SELECT m.version, r.fields, r.vals, c.fields, c.ns, s.fields, s.members
		FROM kv_maps m
		CROSS JOIN LATERAL (
			SELECT array_agg(field ORDER BY field) AS fields, array_agg(value ORDER BY field) AS vals
			FROM kv_map_registers WHERE bucket = m.bucket AND key = m.key
		) r
		CROSS JOIN LATERAL (
			SELECT array_agg(field ORDER BY field) AS fields, array_agg(n ORDER BY field) AS ns
			FROM kv_map_counters WHERE bucket = m.bucket AND key = m.key
		) c
		CROSS JOIN LATERAL (
			SELECT array_agg(field ORDER BY field, member) AS fields,
			       array_agg(member ORDER BY field, member) AS members
			FROM kv_map_set_members WHERE bucket = m.bucket AND key = m.key
		) s
		WHERE m.bucket = $1 AND m.key = $2`
	var (
		version                int64
		regFields, regValues   []string
		ctrFields              []string
		ctrValues              []int64
		setFields, setsMembers []string
	)
	err := s.db.QueryRow(ctx, q, bucket, key).Scan(&version,
		&regFields, &regValues, &ctrFields, &ctrValues, &setFields, &setsMembers)
	if errors.Is(err, pgx.ErrNoRows) {
		return emptyMap(), encodeContext(ctxMap, 0), nil
	}
	if err != nil {
		return kv.Map{}, nil, pg.Err(err)
	}
	m := emptyMap()
	for i, f := range regFields {
		m.Registers[f] = regValues[i]
	}
	for i, f := range ctrFields {
		m.Counters[f] = ctrValues[i]
	}
	for i, f := range setFields {
		m.Sets[f] = append(m.Sets[f], setsMembers[i])
	}
	return m, encodeContext(ctxMap, version), nil
}

func emptyMap() kv.Map {
	return kv.Map{Registers: map[string]string{}, Counters: map[string]int64{}, Sets: map[string][]string{}}
}

// sortedUnique returns the distinct strings of ss in byte order (the order
// of the COLLATE "C" indexes): a statement may not upsert one row twice, and
// locking rows in one order avoids deadlocks.
func sortedUnique(ss []string) []string {
	out := slices.Clone(ss)
	slices.Sort(out)
	return slices.Compact(out)
}

// sortedPairs returns m's keys in byte order and the matching values.
func sortedPairs[V any](m map[string]V) ([]string, []V) {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	vals := make([]V, len(keys))
	for i, k := range keys {
		vals[i] = m[k]
	}
	return keys, vals
}

// flattenSets returns the distinct (field, member) pairs of sets, sorted.
func flattenSets(sets map[string][]string) (fields, members []string) {
	type pair struct{ f, m string }
	var pairs []pair
	for f, ms := range sets {
		for _, m := range ms {
			pairs = append(pairs, pair{f, m})
		}
	}
	slices.SortFunc(pairs, func(a, b pair) int {
		if c := strings.Compare(a.f, b.f); c != 0 {
			return c
		}
		return strings.Compare(a.m, b.m)
	})
	pairs = slices.Compact(pairs)
	for _, p := range pairs {
		fields = append(fields, p.f)
		members = append(members, p.m)
	}
	return fields, members
}
