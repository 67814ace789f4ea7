// Package pgstore is social's ledger: notifications, reports, blocks and
// profiles in Postgres (schema "social"), the events outbox, and reactions
// with their counters in the key-value port (platform/kv).
//
// # Reactions
//
// A member's reaction to a post is a register of its own, a kv object keyed
// by (app, post, member) whose value is the reaction kind. Changing it is a
// compare-and-set on the object's causal context (create-if-absent for a
// first reaction), so a repeated or concurrent request from the same member
// changes it at most once, and only an actual change moves the counters:
// the post's counters (a kv map per post: a counter per reaction kind and
// "comments") and the member's index (a kv map per member: post ->
// reaction, read in one call to rebuild "my reaction" after Redis is
// flushed). Counting a set of likers would be idempotent too, but reading
// its size costs O(likers) on Riak; a counter costs O(1) to read, and the
// per-(post, member) register is what keeps it exact. The Redis copy of the
// counters is a cache, rebuilt from these maps.
//
// With pgkv every update of a post's counters also adds one to its
// "version" counter, in the same map update: updates of one map queue on
// its row lock, so the version follows commit order, and one read of the
// map gets the counters with their version (service.Counts.Version), which
// the cache compares. Riak's maps give no such order (a read may merge
// some concurrent updates and not others): its counters are Unversioned.
//
// With the Postgres adapter (the default) the kv statements run in the same
// transaction as the outbox and the notifications: a reaction, its counters,
// its event and its notification commit together or not at all. The hot
// post's counter row is written last, so its row lock is held only for the
// commit.
//
// With Riak (RIAK_HOSTS) the kv calls cannot join the transaction. Riak
// checks a compare-and-set by a read before the write, not under a lock:
// two writers holding the same context (a double tap's two first likes,
// on two replicas) would both pass, keep both values as siblings, and both
// count. So a member's change of their reaction to a post holds a Postgres
// advisory lock of (post, member) for its transaction: only the member's
// own concurrent requests wait for each other, never other members. Under
// it, the register is written, then the counters are settled to it
// (settleReaction): a kv map per (post, member) holds what the member's
// reaction has added to the post's counters, and both move by the
// difference from the register's new value. So a change whose counting
// failed after its register was written is counted by the caller's retry,
// and siblings that Riak makes anyway (writes on both sides of a
// partition) are resolved without miscounting; the effects commit after
// the kv writes, so a crash between them loses the event of that change.
//
// # Blocks
//
// With pgkv a blocked member's reactions are out of the counters:
// SettleBlocked moves them out (or back) in the transaction that writes
// (or deletes) the member's row of uncounted_reactions, which React then
// moves instead of the counters. With Riak it does nothing yet.
package pgstore

import (
	"bytes"
	"context"
	"errors"
	"maps"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/attendify/platform/errs"
	"github.com/attendify/platform/events"
	"github.com/attendify/platform/flake"
	"github.com/attendify/platform/kv"
	"github.com/attendify/platform/kv/pgkv"
	"github.com/attendify/platform/pg"
	"github.com/attendify/social/internal/service"
)

// The kv buckets.
const (
	bucketReactions = "social.reactions" // objects: app/post/member -> kind
	bucketPosts     = "social.posts"     // maps: app/post -> counters per kind, "comments"
	bucketMembers   = "social.member_rx" // maps: app/member -> registers post -> kind
	// bucketCounted is used with Riak only (maps: app/post/member -> a
	// counter per kind): what the member's reaction added to the post's
	// counters.
	bucketCounted = "social.counted"
	fieldComments = "comments"
	// fieldVersion counts the changes of a post's counters: every update
	// of the map adds one with its change, under the map's row lock, so
	// with pgkv it follows commit order and a read of the map (one
	// statement) gets counters and version together (Counts.Version).
	// Riak's reads give no such order: there Counts ignores it.
	fieldVersion = "version"
)

// KV is the part of the key-value port the ledger uses.
type KV interface {
	kv.Objects
	kv.Maps
}

// Store is social's ledger: it implements service.ReactionStore,
// ChangeLog, NotificationStore, ReportStore, BlockStore and ProfileStore
// (one Postgres transaction can span several of them).
type Store struct {
	pool *pgxpool.Pool
	// remote is the kv store when it is not Postgres (Riak); nil means pgkv
	// inside the ledger's transactions.
	remote KV
	ids    *flake.Generator
}

var (
	_ service.ReactionStore     = (*Store)(nil)
	_ service.ChangeLog         = (*Store)(nil)
	_ service.NotificationStore = (*Store)(nil)
	_ service.ReportStore       = (*Store)(nil)
	_ service.BlockStore        = (*Store)(nil)
	_ service.ProfileStore      = (*Store)(nil)
)

// New returns a ledger on pool (search_path reaching social's schema). With
// remote nil, the kv port is pgkv on the same pool, in the same
// transactions; otherwise remote (Riak).
func New(pool *pgxpool.Pool, remote KV) *Store {
	return &Store{pool: pool, remote: remote, ids: flake.New(0)}
}

func (s *Store) kvRead() KV {
	if s.remote != nil {
		return s.remote
	}
	return pgkv.New(s.pool)
}

func reactionKey(app, post, member string) string { return app + "/" + post + "/" + member }
func postKey(app, post string) string             { return app + "/" + post }
func memberKey(app, member string) string         { return app + "/" + member }

// React implements service.ReactionStore.
func (s *Store) React(ctx context.Context, re service.Reaction, then func(prev string) service.Effects) (service.Reacted, error) {
	app, post, member, kind := re.App, re.Post, re.Member, re.Kind
	if s.remote != nil {
		return s.reactRemote(ctx, app, post, member, kind, then)
	}
	var r service.Reacted
	err := s.inTx(ctx, func(tx pgx.Tx, counts commentCounts) error {
		r = service.Reacted{} // afresh at each attempt
		k := pgkv.New(tx)
		var err error
		r.Prev, r.Changed, err = swap(ctx, k, app, post, member, kind)
		if err != nil || !r.Changed {
			return err
		}
		if err := s.record(ctx, tx, then(r.Prev), counts); err != nil {
			return err
		}
		if r.Uncounted, err = keepUncounted(ctx, tx, app, post, member, kind); err != nil {
			return err
		}
		if r.Uncounted {
			return k.MapUpdate(ctx, bucketMembers, memberKey(app, member), nil, reactionOf(post, kind))
		}
		// Last: the post's counters are the hot row.
		return countReaction(ctx, k, app, post, member, r.Prev, kind)
	})
	return r, err
}

// lockMemberCounts takes, until its transaction ends, the lock that
// orders one member's block settling (SettleBlocked) and the counting of
// their reactions (React): neither reads uncounted_reactions and the
// member's reactions between the other's read and write. $1 is
// memberCountsKey.
const lockMemberCounts = `SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`

func memberCountsKey(app, member string) string { return "social.uncounted/" + memberKey(app, member) }

// keepUncounted, when the member's reactions are uncounted (a block),
// records their change of post to kind in uncounted_reactions instead of
// the counters, and reports whether it did. It reads under the member's
// lock (lockMemberCounts): a block settled before sees this change in the
// member's reactions, one settled after sees the change in its record.
func keepUncounted(ctx context.Context, tx pgx.Tx, app, post, member, kind string) (bool, error) {
	const q = `
		UPDATE uncounted_reactions SET posts = CASE
			WHEN $4::text = '' THEN posts - $3::text
			ELSE jsonb_set(posts, ARRAY[$3::text], to_jsonb($4::text)) END
		WHERE app = $1 AND member = $2`
	// One round trip, two statements: the update reads after the lock.
	b := &pgx.Batch{}
	b.Queue(lockMemberCounts, memberCountsKey(app, member))
	b.Queue(q, app, member, post, kind)
	br := tx.SendBatch(ctx, b)
	defer br.Close()
	if _, err := br.Exec(); err != nil {
		return false, pg.Err(err)
	}
	tag, err := br.Exec()
	if err != nil {
		return false, pg.Err(err)
	}
	return tag.RowsAffected() == 1, pg.Err(br.Close())
}

// SettleBlocked implements service.ReactionStore. In one transaction,
// under the member's lock: a blocked member without a row in
// uncounted_reactions has their reactions (their kv map, post -> kind)
// taken out of the counters and recorded there; an unblocked member with
// a row has those put back and the row deleted; otherwise nothing moves.
// So a repeated block or unblock moves nothing, and a block and an unblock
// at once end as the blocks stand when the last of them settles.
//
// With Riak it does nothing: the counters there cannot move in the
// transaction that writes the record (README, Open points).
func (s *Store) SettleBlocked(ctx context.Context, app, member string) (moved []string, err error) {
	if s.remote != nil {
		return nil, nil
	}
	err = pg.InTx(ctx, s.pool, pgx.TxOptions{}, func(tx pgx.Tx) error {
		moved = nil
		if _, err := tx.Exec(ctx, lockMemberCounts, memberCountsKey(app, member)); err != nil {
			return pg.Err(err)
		}
		const q = `
			SELECT EXISTS (SELECT 1 FROM blocks WHERE app = $1 AND member = $2),
				(SELECT posts FROM uncounted_reactions WHERE app = $1 AND member = $2)`
		var (
			blocked bool
			posts   map[string]string // nil: no row
		)
		if err := tx.QueryRow(ctx, q, app, member).Scan(&blocked, &posts); err != nil {
			return pg.Err(err)
		}
		k := pgkv.New(tx)
		var sign int64
		switch {
		case blocked && posts == nil:
			mine, _, err := k.MapGet(ctx, bucketMembers, memberKey(app, member))
			if err != nil {
				return err
			}
			posts, sign = mine.Registers, -1
			if posts == nil {
				posts = map[string]string{} // a row, even with nothing to uncount
			}
			const q = `INSERT INTO uncounted_reactions (app, member, posts) VALUES ($1, $2, $3)`
			if _, err := tx.Exec(ctx, q, app, member, posts); err != nil {
				return pg.Err(err)
			}
		case !blocked && posts != nil:
			sign = 1
			const q = `DELETE FROM uncounted_reactions WHERE app = $1 AND member = $2`
			if _, err := tx.Exec(ctx, q, app, member); err != nil {
				return pg.Err(err)
			}
		default:
			return nil
		}
		// In the order of the posts: two members' settlings lock the
		// counter rows they share in the same order.
		for _, post := range slices.Sorted(maps.Keys(posts)) {
			ops := kv.MapOps{IncrCounters: map[string]int64{posts[post]: sign, fieldVersion: 1}}
			if err := k.MapUpdate(ctx, bucketPosts, postKey(app, post), nil, ops); err != nil {
				return err
			}
			moved = append(moved, post)
		}
		return nil
	})
	return moved, err
}

// reactRemote is React on a remote kv store (Riak): under the member's
// lock of the post, the register, then the counters settled to it, then
// the effects, in the lock's transaction.
func (s *Store) reactRemote(ctx context.Context, app, post, member, kind string, then func(prev string) service.Effects) (service.Reacted, error) {
	var r service.Reacted
	done := false
	err := s.inTx(ctx, func(tx pgx.Tx, counts commentCounts) error {
		const q = `SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`
		if _, err := tx.Exec(ctx, q, bucketReactions+"/"+reactionKey(app, post, member)); err != nil {
			return pg.Err(err)
		}
		if !done { // the kv writes once, should the transaction be retried
			prev, swapped, err := swap(ctx, s.remote, app, post, member, kind)
			if err != nil {
				return err
			}
			// Unchanged too: a retry counts what a failed call left uncounted.
			moved, err := settleReaction(ctx, s.remote, app, post, member, kind)
			if err != nil {
				return err
			}
			r = service.Reacted{Prev: prev, Changed: swapped && moved, Recounted: swapped != moved}
			done = true
		}
		if !r.Changed {
			return nil
		}
		return s.record(ctx, tx, then(r.Prev), counts)
	})
	return r, err
}

// swap sets the reaction register by compare-and-set and reports the
// previous value and whether it changed.
func swap(ctx context.Context, k KV, app, post, member, kind string) (string, bool, error) {
	key := reactionKey(app, post, member)
	for attempt := 0; attempt < 10; attempt++ {
		obj, err := k.Get(ctx, bucketReactions, key)
		var sib *kv.Siblings
		switch {
		case errors.As(err, &sib):
			// Concurrent writes on Riak: the value every reader resolves
			// them to; writing with the merged context supersedes them all.
			obj = kv.Object{Value: []byte(resolveReaction(sib.Values)), Context: sib.Context}
		case errors.Is(err, errs.NotFound):
			if kind == "" {
				return "", false, nil
			}
			if _, err := k.Put(ctx, bucketReactions, key, []byte(kind), nil); errors.Is(err, errs.Conflict) {
				continue // created concurrently: read it
			} else if err != nil {
				return "", false, err
			}
			return "", true, nil
		case err != nil:
			return "", false, err
		}
		prev := string(obj.Value)
		if prev == kind {
			return prev, false, nil
		}
		if kind == "" {
			err = k.Delete(ctx, bucketReactions, key, obj.Context)
		} else {
			_, err = k.Put(ctx, bucketReactions, key, []byte(kind), obj.Context)
		}
		if errors.Is(err, errs.Conflict) || errors.Is(err, errs.NotFound) {
			continue // changed concurrently: read again
		}
		if err != nil {
			return "", false, err
		}
		return prev, true, nil
	}
	return "", false, errs.New(errs.Conflict, "the reaction changed concurrently; retry")
}

// resolveReaction picks, among the values of a register's siblings, the
// one every reader settles on: the greatest.
func resolveReaction(values [][]byte) string {
	return string(slices.MaxFunc(values, bytes.Compare))
}

// settleReaction moves the member's contribution to the post's counters
// (bucketCounted), and the counters by as much, to kind, the register's
// value; moved reports whether there was anything to move. The member's
// index is written first and the counters last: a failure before the
// contribution moves leaves it for the next call to move, one between the
// contribution and the counters leaves the change uncounted (never counted
// twice).
func settleReaction(ctx context.Context, k KV, app, post, member, kind string) (moved bool, err error) {
	key := reactionKey(app, post, member)
	counted, _, err := k.MapGet(ctx, bucketCounted, key)
	if err != nil {
		return false, err
	}
	delta := map[string]int64{}
	for f, n := range counted.Counters {
		if n != 0 {
			delta[f] = -n
		}
	}
	if kind != "" {
		if delta[kind]++; delta[kind] == 0 {
			delete(delta, kind)
		}
	}
	if len(delta) == 0 {
		return false, nil
	}
	if err := k.MapUpdate(ctx, bucketMembers, memberKey(app, member), nil, reactionOf(post, kind)); err != nil {
		return false, err
	}
	if err := k.MapUpdate(ctx, bucketCounted, key, nil, kv.MapOps{IncrCounters: delta}); err != nil {
		return false, err
	}
	return true, k.MapUpdate(ctx, bucketPosts, postKey(app, post), nil, kv.MapOps{IncrCounters: delta})
}

// reactionOf is the update of a member's reactions map that records kind
// as their reaction to post ("" removes it).
func reactionOf(post, kind string) kv.MapOps {
	if kind == "" {
		return kv.MapOps{RemoveFields: []string{post}}
	}
	return kv.MapOps{SetRegisters: map[string]string{post: kind}}
}

// countReaction moves the counters and the member's index after a change.
func countReaction(ctx context.Context, k KV, app, post, member, prev, kind string) error {
	if err := k.MapUpdate(ctx, bucketMembers, memberKey(app, member), nil, reactionOf(post, kind)); err != nil {
		return err
	}
	incr := map[string]int64{fieldVersion: 1}
	if prev != "" {
		incr[prev]--
	}
	if kind != "" {
		incr[kind]++
	}
	return k.MapUpdate(ctx, bucketPosts, postKey(app, post), nil, kv.MapOps{IncrCounters: incr})
}

// Counts implements service.ReactionStore.
func (s *Store) Counts(ctx context.Context, app, post string) (service.Counts, error) {
	m, _, err := s.kvRead().MapGet(ctx, bucketPosts, postKey(app, post))
	if err != nil {
		return service.Counts{}, err
	}
	c := service.Counts{Reactions: map[string]int64{}, Unversioned: s.remote != nil}
	for f, n := range m.Counters {
		switch {
		case f == fieldComments:
			c.Comments = n
		case f == fieldVersion:
			if s.remote == nil {
				c.Version = n
			}
		case n != 0:
			c.Reactions[f] = n
		}
	}
	return c, nil
}

// MemberReactions implements service.ReactionStore.
func (s *Store) MemberReactions(ctx context.Context, app, member string) (map[string]string, error) {
	m, _, err := s.kvRead().MapGet(ctx, bucketMembers, memberKey(app, member))
	if err != nil {
		return nil, err
	}
	if m.Registers == nil {
		return map[string]string{}, nil
	}
	return m.Registers, nil
}

// commentCounts are comment count deltas by app and post, gathered in a
// transaction.
type commentCounts map[string]map[string]int64

func (c commentCounts) add(app string, deltas map[string]int64) {
	for post, d := range deltas {
		if c[app] == nil {
			c[app] = map[string]int64{}
		}
		c[app][post] += d
	}
}

// inTx runs fn in a transaction and applies the comment count deltas fn
// gathers: in the same transaction with pgkv, after the commit with a
// remote kv store (Riak: not atomic with the transaction).
func (s *Store) inTx(ctx context.Context, fn func(tx pgx.Tx, counts commentCounts) error) error {
	var counts commentCounts
	err := pg.InTx(ctx, s.pool, pgx.TxOptions{}, func(tx pgx.Tx) error {
		counts = commentCounts{} // afresh at each attempt
		if err := fn(tx, counts); err != nil {
			return err
		}
		if s.remote != nil {
			return nil
		}
		return applyCounts(ctx, pgkv.New(tx), counts)
	})
	if err != nil || s.remote == nil {
		return err
	}
	return applyCounts(ctx, s.remote, counts)
}

func applyCounts(ctx context.Context, k KV, counts commentCounts) error {
	for app, posts := range counts {
		for post, d := range posts {
			if d == 0 {
				continue
			}
			ops := kv.MapOps{IncrCounters: map[string]int64{fieldComments: d, fieldVersion: 1}}
			if err := k.MapUpdate(ctx, bucketPosts, postKey(app, post), nil, ops); err != nil {
				return err
			}
		}
	}
	return nil
}

// Record implements service.ChangeLog.
func (s *Store) Record(ctx context.Context, eff service.Effects) error {
	return s.inTx(ctx, func(tx pgx.Tx, counts commentCounts) error { return s.record(ctx, tx, eff, counts) })
}

// record adds eff's events to the outbox, settles their pending changes
// (a change another transaction settled already is in the outbox twice:
// consumers are idempotent) and records the notifications.
func (s *Store) record(ctx context.Context, tx pgx.Tx, eff service.Effects, counts commentCounts) error {
	if err := events.AddToOutbox(ctx, tx, eff.Events...); err != nil {
		return err
	}
	var ids []string
	for _, ev := range eff.Events {
		if ev.ID != "" {
			ids = append(ids, ev.ID)
		}
	}
	if _, err := settle(ctx, tx, ids, counts); err != nil {
		return err
	}
	for _, n := range eff.Notifications {
		const q = `
			INSERT INTO notifications (id, app, member, kind, actor, post, comment, reaction, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
			ON CONFLICT DO NOTHING`
		id := n.ID
		if id == "" {
			id = s.ids.Next().String()
		}
		if _, err := tx.Exec(ctx, q, id, n.App, n.Member, n.Kind, n.Actor, n.Post, n.Comment, n.Reaction, n.CreatedAt); err != nil {
			return pg.Err(err)
		}
	}
	counts.add(eff.App, eff.Comments)
	return nil
}

// settle deletes the pending changes of the events ids, adds their comment
// count deltas to counts and returns their events. Only the transaction
// that deletes a row gets it: each pending change is applied once.
func settle(ctx context.Context, tx pgx.Tx, ids []string, counts commentCounts) ([]events.Event, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	const q = `DELETE FROM pending_events WHERE id = ANY($1) RETURNING app, event, comments`
	rows, err := tx.Query(ctx, q, ids)
	if err != nil {
		return nil, pg.Err(err)
	}
	defer rows.Close()
	var evs []events.Event
	for rows.Next() {
		var (
			app    string
			ev     events.Event
			deltas map[string]int64
		)
		if err := rows.Scan(&app, &ev, &deltas); err != nil {
			return nil, pg.Err(err)
		}
		counts.add(app, deltas)
		evs = append(evs, ev)
	}
	return evs, pg.Err(rows.Err())
}

// Intend implements service.ChangeLog.
func (s *Store) Intend(ctx context.Context, p service.PendingEvent, prev string) (recorded bool, err error) {
	err = s.inTx(ctx, func(tx pgx.Tx, counts commentCounts) error {
		recorded = false
		if prev != "" {
			evs, err := settle(ctx, tx, []string{prev}, counts)
			if err != nil {
				return err
			}
			if err := events.AddToOutbox(ctx, tx, evs...); err != nil {
				return err
			}
			recorded = len(evs) > 0
		}
		comments := p.Comments
		if comments == nil {
			comments = map[string]int64{}
		}
		const q = `INSERT INTO pending_events (id, app, doc_id, event, comments) VALUES ($1, $2, $3, $4, $5)`
		_, err := tx.Exec(ctx, q, p.Event.ID, p.App, p.DocID, p.Event, comments)
		return pg.Err(err)
	})
	return recorded, err
}

// Pending implements service.ChangeLog.
func (s *Store) Pending(ctx context.Context, age time.Duration, limit int) ([]service.PendingEvent, error) {
	const q = `
		SELECT app, doc_id, event, comments FROM pending_events
		WHERE created_at < now() - make_interval(secs => $1)
		ORDER BY created_at LIMIT $2`
	rows, err := s.pool.Query(ctx, q, age.Seconds(), limit)
	if err != nil {
		return nil, pg.Err(err)
	}
	defer rows.Close()
	var out []service.PendingEvent
	for rows.Next() {
		var p service.PendingEvent
		if err := rows.Scan(&p.App, &p.DocID, &p.Event, &p.Comments); err != nil {
			return nil, pg.Err(err)
		}
		out = append(out, p)
	}
	return out, pg.Err(rows.Err())
}

// Settle implements service.ChangeLog.
func (s *Store) Settle(ctx context.Context, p service.PendingEvent, publish bool) error {
	return s.inTx(ctx, func(tx pgx.Tx, counts commentCounts) error {
		dropped := commentCounts{}
		if !publish {
			counts = dropped // a change never written counts nothing
		}
		evs, err := settle(ctx, tx, []string{p.Event.ID}, counts)
		if err != nil || !publish {
			return err
		}
		return events.AddToOutbox(ctx, tx, evs...) // none when settled already
	})
}

// Notifications implements service.NotificationStore.
func (s *Store) Notifications(ctx context.Context, nq service.NotificationQuery) ([]service.Notification, error) {
	app, member := nq.App, nq.Member
	const q = `
		SELECT id, kind, actor, post, comment, reaction, created_at, read_at
		FROM notifications
		WHERE app = $1 AND member = $2 AND ($3 = '' OR id < $3) AND (NOT $4 OR read_at IS NULL)
		ORDER BY id DESC
		LIMIT $5`
	rows, err := s.pool.Query(ctx, q, app, member, nq.Before, nq.UnreadOnly, nq.Limit)
	if err != nil {
		return nil, pg.Err(err)
	}
	defer rows.Close()
	var out []service.Notification
	for rows.Next() {
		n := service.Notification{App: app, Member: member}
		if err := rows.Scan(&n.ID, &n.Kind, &n.Actor, &n.Post, &n.Comment, &n.Reaction, &n.CreatedAt, &n.ReadAt); err != nil {
			return nil, pg.Err(err)
		}
		out = append(out, n)
	}
	return out, pg.Err(rows.Err())
}

// MarkRead implements service.NotificationStore.
func (s *Store) MarkRead(ctx context.Context, app, member string, ids []string, all bool) error {
	const q = `
		UPDATE notifications SET read_at = now()
		WHERE app = $1 AND member = $2 AND read_at IS NULL AND ($3 OR id = ANY($4))`
	if ids == nil {
		ids = []string{}
	}
	_, err := s.pool.Exec(ctx, q, app, member, all, ids)
	return pg.Err(err)
}

// Unsettled implements service.ReactionStore.
func (s *Store) Unsettled(ctx context.Context, limit int) ([]service.MemberRef, error) {
	if s.remote != nil {
		return nil, nil
	}
	const q = `
		(SELECT DISTINCT b.app, b.member FROM blocks b
		 WHERE NOT EXISTS (SELECT 1 FROM uncounted_reactions u WHERE u.app = b.app AND u.member = b.member))
		UNION
		(SELECT u.app, u.member FROM uncounted_reactions u
		 WHERE NOT EXISTS (SELECT 1 FROM blocks b WHERE b.app = u.app AND b.member = u.member))
		LIMIT $1`
	rows, err := s.pool.Query(ctx, q, limit)
	if err != nil {
		return nil, pg.Err(err)
	}
	refs, err := pgx.CollectRows(rows, pgx.RowToStructByPos[service.MemberRef])
	return refs, pg.Err(err)
}

// AddReport implements service.ReportStore. One statement decides between
// the three cases under the row's lock (ON CONFLICT DO UPDATE locks the
// conflicting row and evaluates its WHERE on the latest version), so two
// reports at once, or a report racing a moderator's resolution, never
// lose the open report: a new report is inserted; a resolved one takes the
// new id, reason, note and time and opens again (the new id puts it at the
// end of the queue, whose pages are keyed by id); an open one is left as
// it is.
func (s *Store) AddReport(ctx context.Context, r service.Report) error {
	const q = `
		INSERT INTO reports (id, app, post, reporter, reason, note, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7)
		ON CONFLICT (app, post, reporter) DO UPDATE SET
			id = excluded.id, reason = excluded.reason, note = excluded.note,
			created_at = excluded.created_at, resolved_at = NULL, resolved_by = NULL
		WHERE reports.resolved_at IS NOT NULL`
	_, err := s.pool.Exec(ctx, q, r.ID, r.App, r.Post, r.Reporter, r.Reason, r.Note, r.CreatedAt)
	return pg.Err(err)
}

// OpenReports implements service.ReportStore.
func (s *Store) OpenReports(ctx context.Context, app, after string, limit int) ([]service.Report, error) {
	const q = `
		SELECT id, post, reporter, reason, note, created_at FROM reports
		WHERE app = $1 AND resolved_at IS NULL AND id > $2
		ORDER BY id LIMIT $3`
	rows, err := s.pool.Query(ctx, q, app, after, limit)
	if err != nil {
		return nil, pg.Err(err)
	}
	defer rows.Close()
	var out []service.Report
	for rows.Next() {
		r := service.Report{App: app}
		if err := rows.Scan(&r.ID, &r.Post, &r.Reporter, &r.Reason, &r.Note, &r.CreatedAt); err != nil {
			return nil, pg.Err(err)
		}
		out = append(out, r)
	}
	return out, pg.Err(rows.Err())
}

// ResolveReports implements service.ReportStore.
func (s *Store) ResolveReports(ctx context.Context, app string, posts []string, by string) error {
	if len(posts) == 0 {
		return nil
	}
	const q = `
		UPDATE reports SET resolved_at = now(), resolved_by = $3
		WHERE app = $1 AND post = ANY($2) AND resolved_at IS NULL`
	_, err := s.pool.Exec(ctx, q, app, posts, by)
	return pg.Err(err)
}

// SetBlock implements service.BlockStore.
func (s *Store) SetBlock(ctx context.Context, b service.BlockRecord, on bool) (bool, error) {
	var blocked bool
	err := pg.InTx(ctx, s.pool, pgx.TxOptions{}, func(tx pgx.Tx) error {
		if on {
			const q = `
				INSERT INTO blocks (app, member, source, blocked_by, reason, blocked_at)
				VALUES ($1, $2, $3, $4, $5, $6)
				ON CONFLICT (app, member, source) DO NOTHING`
			if _, err := tx.Exec(ctx, q, b.App, b.Member, b.Source, b.By, b.Reason, b.At); err != nil {
				return pg.Err(err)
			}
		} else {
			const q = `DELETE FROM blocks WHERE app = $1 AND member = $2 AND source = $3`
			if _, err := tx.Exec(ctx, q, b.App, b.Member, b.Source); err != nil {
				return pg.Err(err)
			}
		}
		const q = `SELECT EXISTS (SELECT 1 FROM blocks WHERE app = $1 AND member = $2)`
		return pg.Err(tx.QueryRow(ctx, q, b.App, b.Member).Scan(&blocked))
	})
	return blocked, err
}

// Blocked implements service.BlockStore.
func (s *Store) Blocked(ctx context.Context, app, member string) (bool, error) {
	const q = `SELECT EXISTS (SELECT 1 FROM blocks WHERE app = $1 AND member = $2)`
	var b bool
	err := s.pool.QueryRow(ctx, q, app, member).Scan(&b)
	return b, pg.Err(err)
}

// BlockedAmong implements service.BlockStore.
func (s *Store) BlockedAmong(ctx context.Context, app string, members []string) (map[string]bool, error) {
	out := map[string]bool{}
	if len(members) == 0 {
		return out, nil
	}
	const q = `SELECT DISTINCT member FROM blocks WHERE app = $1 AND member = ANY($2)`
	rows, err := s.pool.Query(ctx, q, app, members)
	if err != nil {
		return nil, pg.Err(err)
	}
	defer rows.Close()
	for rows.Next() {
		var m string
		if err := rows.Scan(&m); err != nil {
			return nil, pg.Err(err)
		}
		out[m] = true
	}
	return out, pg.Err(rows.Err())
}

// Profiles implements service.ProfileStore.
func (s *Store) Profiles(ctx context.Context, app string, members []string) (map[string]service.Profile, error) {
	const q = `
		SELECT member, name, company, title, photo_url, deleted, updated_at FROM profiles
		WHERE app = $1 AND member = ANY($2)`
	rows, err := s.pool.Query(ctx, q, app, members)
	if err != nil {
		return nil, pg.Err(err)
	}
	defer rows.Close()
	out := map[string]service.Profile{}
	for rows.Next() {
		p := service.Profile{App: app}
		if err := rows.Scan(&p.Member, &p.Name, &p.Company, &p.Title, &p.PhotoURL, &p.Deleted, &p.Version); err != nil {
			return nil, pg.Err(err)
		}
		out[p.Member] = p
	}
	return out, pg.Err(rows.Err())
}

// SaveProfile implements service.ProfileStore.
func (s *Store) SaveProfile(ctx context.Context, p service.Profile, at time.Time) error {
	const q = `
		INSERT INTO profiles (app, member, name, company, title, photo_url, deleted, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
		ON CONFLICT (app, member) DO UPDATE SET
			name = excluded.name, company = excluded.company, title = excluded.title,
			photo_url = excluded.photo_url, deleted = excluded.deleted, updated_at = excluded.updated_at
		WHERE profiles.updated_at <= excluded.updated_at AND NOT profiles.deleted`
	_, err := s.pool.Exec(ctx, q, p.App, p.Member, p.Name, p.Company, p.Title, p.PhotoURL, p.Deleted, at)
	return pg.Err(err)
}

// ResyncProfile implements service.ProfileStore.
func (s *Store) ResyncProfile(ctx context.Context, p service.Profile, at, before time.Time) error {
	const q = `
		INSERT INTO profiles (app, member, name, company, title, photo_url, deleted, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, false, $7)
		ON CONFLICT (app, member) DO UPDATE SET
			name = excluded.name, company = excluded.company, title = excluded.title,
			photo_url = excluded.photo_url, updated_at = excluded.updated_at
		WHERE profiles.updated_at < $8 AND NOT profiles.deleted`
	_, err := s.pool.Exec(ctx, q, p.App, p.Member, p.Name, p.Company, p.Title, p.PhotoURL, at, before)
	return pg.Err(err)
}

// ProfileMembers implements service.ProfileStore.
func (s *Store) ProfileMembers(ctx context.Context, app string, before time.Time) ([]string, error) {
	const q = `SELECT member FROM profiles WHERE app = $1 AND NOT deleted AND updated_at < $2`
	rows, err := s.pool.Query(ctx, q, app, before)
	if err != nil {
		return nil, pg.Err(err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowTo[string])
	return out, pg.Err(err)
}

// ForgetMember implements service.ProfileStore.
func (s *Store) ForgetMember(ctx context.Context, app, member string) error {
	return pg.InTx(ctx, s.pool, pgx.TxOptions{}, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `DELETE FROM notifications WHERE app = $1 AND (member = $2 OR actor = $2)`, app, member); err != nil {
			return pg.Err(err)
		}
		_, err := tx.Exec(ctx, `DELETE FROM reports WHERE app = $1 AND reporter = $2`, app, member)
		return pg.Err(err)
	})
}
