// Package postgres is analytics' Postgres adapter: the raw events
// (service.RawEvents, partitioned by day), the rollups (service.Rollups),
// adoption (service.Members) and the periodic jobs' state (service.Jobs).
package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/attendify/analytics/internal/derrors"
	"github.com/attendify/analytics/internal/service"
	"github.com/attendify/platform/errs"
	"github.com/attendify/platform/pg"
)

// Store is analytics' Postgres store.
type Store struct {
	pool *pgxpool.Pool

	mu   sync.Mutex
	days map[time.Time]bool // partitions known to exist
}

var (
	_ service.RawEvents = (*Store)(nil)
	_ service.Rollups   = (*Store)(nil)
	_ service.Members   = (*Store)(nil)
	_ service.Jobs      = (*Store)(nil)
)

// New returns the store on pool (search_path on analytics' schema).
func New(pool *pgxpool.Pool) *Store {
	return &Store{pool: pool, days: map[time.Time]bool{}}
}

const partitionPrefix = "raw_events_"

func partitionName(day time.Time) string { return partitionPrefix + day.Format("20060102") }

// ensureDays creates the partitions of days that this process has not seen
// yet. Two replicas may race to create one: the loser's "already exists"
// is success.
func (s *Store) ensureDays(ctx context.Context, days []time.Time) error {
	for _, d := range days {
		s.mu.Lock()
		known := s.days[d]
		s.mu.Unlock()
		if known {
			continue
		}
		q := fmt.Sprintf(`CREATE TABLE IF NOT EXISTS %s PARTITION OF raw_events FOR VALUES FROM ('%s') TO ('%s')`,
			pg.QuoteIdent(partitionName(d)), d.Format(time.DateOnly), d.AddDate(0, 0, 1).Format(time.DateOnly))
		if _, err := s.pool.Exec(ctx, q); err != nil {
			var pe *pgconn.PgError
			if !errors.As(err, &pe) || (pe.Code != "42P07" && pe.Code != "23505") {
				return fmt.Errorf("create partition %s: %w", partitionName(d), pg.Err(err))
			}
		}
		s.mu.Lock()
		s.days[d] = true
		s.mu.Unlock()
	}
	return nil
}

// noPartition reports Postgres' "no partition of relation found for row".
func noPartition(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == "23514" && strings.Contains(pe.Message, "no partition")
}

func (s *Store) forgetDays(days []time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, d := range days {
		delete(s.days, d)
	}
}

// Insert implements service.RawEvents. The primary key holds the day (the
// table is partitioned by it), and a resent event's day can be the next or
// the one before: its time is corrected by each batch's own clock skew, so
// one sent again around midnight moves across it. The days beside its own
// are checked for its key too, each with an equality on the whole key (one
// index probe a day: a range of days on the key's first column read every
// key of those days, and cut ingest to an eighth); two sends of one event
// racing on two days can still both be stored.
func (s *Store) Insert(ctx context.Context, evs []service.Event) (_ []bool, err error) {
	defer derrors.Wrap(&err, "postgres.Insert(%d events)", len(evs))
	const q = `
		INSERT INTO raw_events (day, app, key, at, source, kind, member, install, event_id, session,
			screen, target_type, target_id, name, duration_ms, photos, props)
		SELECT u.* FROM unnest($1::date[], $2::text[], $3::text[], $4::timestamptz[], $5::text[], $6::text[],
			$7::text[], $8::text[], $9::text[], $10::text[], $11::text[], $12::text[], $13::text[],
			$14::text[], $15::bigint[], $16::int[], $17::jsonb[])
			AS u(day, app, key, at, source, kind, member, install, event_id, session,
				screen, target_type, target_id, name, duration_ms, photos, props)
		WHERE NOT EXISTS (SELECT 1 FROM raw_events r WHERE r.day = u.day - 1 AND r.app = u.app AND r.key = u.key)
			AND NOT EXISTS (SELECT 1 FROM raw_events r WHERE r.day = u.day + 1 AND r.app = u.app AND r.key = u.key)
		ON CONFLICT DO NOTHING
		RETURNING app, key`
	if len(evs) == 0 {
		return nil, nil
	}
	n := len(evs)
	var (
		day                                                    = make([]time.Time, n)
		app, key, source, kind, member, install, eventID, sess = make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
		screen, ttype, tid, name                               = make([]string, n), make([]string, n), make([]string, n), make([]string, n)
		at                                                     = make([]time.Time, n)
		dur                                                    = make([]int64, n)
		photos                                                 = make([]int32, n)
		props                                                  = make([][]byte, n)
	)
	var days []time.Time
	for i, e := range evs {
		day[i] = service.Day(e.At)
		if !slices.Contains(days, day[i]) {
			days = append(days, day[i])
		}
		app[i], key[i], at[i], source[i], kind[i] = e.App, e.Key, e.At, e.Source, e.Kind
		member[i], install[i], eventID[i], sess[i] = e.Member, e.Install, e.EventID, e.Session
		screen[i], ttype[i], tid[i], name[i] = e.Screen, e.TargetType, e.TargetID, e.Name
		dur[i], photos[i] = e.DurationMs, int32(e.Photos)
		if len(e.Props) > 0 {
			b, err := json.Marshal(e.Props)
			if err != nil {
				return nil, errs.Wrap(errs.Invalid, err, "event %s: props", e.Key)
			}
			props[i] = b
		}
	}
	if err := s.ensureDays(ctx, days); err != nil {
		return nil, err
	}
	run := func() (map[[2]string]bool, error) {
		rows, err := s.pool.Query(ctx, q, day, app, key, at, source, kind, member, install, eventID, sess,
			screen, ttype, tid, name, dur, photos, props)
		if err != nil {
			return nil, err
		}
		inserted := map[[2]string]bool{}
		for rows.Next() {
			var a, k string
			if err := rows.Scan(&a, &k); err != nil {
				rows.Close()
				return nil, err
			}
			inserted[[2]string{a, k}] = true
		}
		return inserted, rows.Err()
	}
	inserted, err := run()
	if noPartition(err) {
		// Another replica's retention dropped a day this process had seen:
		// create it again and retry once.
		s.forgetDays(days)
		if err := s.ensureDays(ctx, days); err != nil {
			return nil, err
		}
		inserted, err = run()
	}
	if err != nil {
		return nil, pg.Err(err)
	}
	out := make([]bool, n)
	for i, e := range evs {
		k := [2]string{e.App, e.Key}
		out[i] = inserted[k]
		delete(inserted, k) // a key given twice is new once
	}
	return out, nil
}

// scanBatch is how many events Scan hands over at a time.
const scanBatch = 2000

// Scan implements service.RawEvents: keyset pagination on the primary key
// (day, app, key).
func (s *Store) Scan(ctx context.Context, app string, from, to time.Time, fn func([]service.Event) error) (err error) {
	defer derrors.Wrap(&err, "postgres.Scan(%q, %s, %s)", app, from.Format(time.RFC3339), to.Format(time.RFC3339))
	const q = `
		SELECT app, key, at, source, kind, member, install, event_id, session, screen,
			target_type, target_id, name, duration_ms, photos, props
		FROM raw_events
		WHERE day <= $8::date AND at >= $1::timestamptz AND at < $2::timestamptz
		  AND ($3 = '' OR app = $3)
		  AND (day, app, key) > ($4::date, $5, $6)
		ORDER BY day, app, key
		LIMIT $7`
	lastDay, lastApp, lastKey := service.Day(from), "", ""
	for {
		rows, err := s.pool.Query(ctx, q, from, to, app, lastDay, lastApp, lastKey, scanBatch, service.Day(to))
		if err != nil {
			return pg.Err(err)
		}
		evs, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (service.Event, error) {
			var e service.Event
			var props []byte
			err := r.Scan(&e.App, &e.Key, &e.At, &e.Source, &e.Kind, &e.Member, &e.Install, &e.EventID, &e.Session,
				&e.Screen, &e.TargetType, &e.TargetID, &e.Name, &e.DurationMs, &e.Photos, &props)
			if err == nil && len(props) > 0 {
				err = json.Unmarshal(props, &e.Props)
			}
			e.At = e.At.UTC()
			return e, err
		})
		if err != nil {
			return pg.Err(err)
		}
		if len(evs) == 0 {
			return nil
		}
		if err := fn(evs); err != nil {
			return err
		}
		last := evs[len(evs)-1]
		lastDay, lastApp, lastKey = service.Day(last.At), last.App, last.Key
		if len(evs) < scanBatch {
			return nil
		}
	}
}

// Pseudonymize implements service.RawEvents.
func (s *Store) Pseudonymize(ctx context.Context, app string, e service.Erasure) (_ int64, err error) {
	defer derrors.Wrap(&err, "postgres.Pseudonymize(%q, %q)", app, e.Member)
	const q = `UPDATE raw_events SET member = $3 WHERE app = $1 AND member = $2`
	tag, err := s.pool.Exec(ctx, q, app, e.Member, e.Pseudonym)
	if err != nil {
		return 0, pg.Err(err)
	}
	return tag.RowsAffected(), nil
}

// DropBefore implements service.RawEvents: it drops the partitions of the
// days before day.
func (s *Store) DropBefore(ctx context.Context, day time.Time) (_ []time.Time, err error) {
	defer derrors.Wrap(&err, "postgres.DropBefore(%s)", day.Format(time.DateOnly))
	const q = `
		SELECT c.relname FROM pg_inherits i
		JOIN pg_class c ON c.oid = i.inhrelid
		JOIN pg_class p ON p.oid = i.inhparent
		JOIN pg_namespace n ON n.oid = p.relnamespace
		WHERE p.relname = 'raw_events' AND n.nspname = current_schema()`
	rows, err := s.pool.Query(ctx, q)
	if err != nil {
		return nil, pg.Err(err)
	}
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, pg.Err(err)
	}
	var dropped []time.Time
	for _, name := range names {
		d, err := time.Parse("20060102", strings.TrimPrefix(name, partitionPrefix))
		if err != nil || !d.Before(day) {
			continue
		}
		if _, err := s.pool.Exec(ctx, "DROP TABLE IF EXISTS "+pg.QuoteIdent(name)); err != nil {
			return dropped, pg.Err(err)
		}
		s.mu.Lock()
		delete(s.days, d)
		s.mu.Unlock()
		dropped = append(dropped, d)
	}
	slices.SortFunc(dropped, time.Time.Compare)
	return dropped, nil
}

// Put implements service.Rollups.
func (s *Store) Put(ctx context.Context, rows []service.Row, items map[service.DayRef][]service.ItemCount) (err error) {
	defer derrors.Wrap(&err, "postgres.Put(%d rows, %d days of items)", len(rows), len(items))
	const qRow = `
		INSERT INTO rollups (app, scope, level, start, counts, members, installs)
		VALUES ($1, $2, $3, $4, $5, $6, $7)
		ON CONFLICT (app, scope, level, start) DO UPDATE
		SET counts = EXCLUDED.counts, members = EXCLUDED.members, installs = EXCLUDED.installs, folded_at = now()
		WHERE (rollups.counts, rollups.members, rollups.installs) IS DISTINCT FROM (EXCLUDED.counts, EXCLUDED.members, EXCLUDED.installs)`
	const qDelItems = `DELETE FROM rollup_items WHERE app = $1 AND day = $2`
	const qItems = `
		INSERT INTO rollup_items (app, day, kind, item, n)
		SELECT $1, $2, * FROM unnest($3::text[], $4::text[], $5::bigint[])`
	return pg.InTx(ctx, s.pool, pgx.TxOptions{}, func(tx pgx.Tx) error {
		b := &pgx.Batch{}
		for _, r := range rows {
			counts, err := json.Marshal(nonZero(r.Counts))
			if err != nil {
				return err
			}
			b.Queue(qRow, r.App, r.Scope, string(r.Level), r.Start, counts, r.Members, r.Installs)
		}
		for ref, its := range items {
			b.Queue(qDelItems, ref.App, ref.Day)
			kinds, ids, ns := make([]string, len(its)), make([]string, len(its)), make([]int64, len(its))
			for i, it := range its {
				kinds[i], ids[i], ns[i] = it.Kind, it.ID, it.N
			}
			b.Queue(qItems, ref.App, ref.Day, kinds, ids, ns)
		}
		return pg.Err(tx.SendBatch(ctx, b).Close())
	})
}

func nonZero(m map[string]int64) map[string]int64 {
	out := make(map[string]int64, len(m))
	for k, v := range m {
		if v != 0 {
			out[k] = v
		}
	}
	return out
}

// Get implements service.Rollups.
func (s *Store) Get(ctx context.Context, app, scope string, level service.Level, from, to time.Time) (_ []service.Row, err error) {
	defer derrors.Wrap(&err, "postgres.Get(%q, %q, %s)", app, scope, level)
	const q = `
		SELECT start, counts, members, installs FROM rollups
		WHERE app = $1 AND scope = $2 AND level = $3 AND start >= $4 AND start < $5
		ORDER BY start`
	rows, err := s.pool.Query(ctx, q, app, scope, string(level), from, to)
	if err != nil {
		return nil, pg.Err(err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (service.Row, error) {
		row := service.Row{App: app, BucketRef: service.BucketRef{Scope: scope, Level: level}}
		var counts []byte
		err := r.Scan(&row.Start, &counts, &row.Members, &row.Installs)
		if err == nil {
			err = json.Unmarshal(counts, &row.Counts)
		}
		row.Start = row.Start.UTC()
		return row, err
	})
	return out, pg.Err(err)
}

// Items implements service.Rollups.
func (s *Store) Items(ctx context.Context, app string, kinds []string, days []time.Time) (_ []service.ItemCount, err error) {
	defer derrors.Wrap(&err, "postgres.Items(%q, %v, %d days)", app, kinds, len(days))
	const q = `
		SELECT kind, item, sum(n)::bigint FROM rollup_items
		WHERE app = $1 AND kind = ANY($2) AND day = ANY($3::date[])
		GROUP BY kind, item`
	if len(days) == 0 {
		return nil, nil
	}
	rows, err := s.pool.Query(ctx, q, app, kinds, days)
	if err != nil {
		return nil, pg.Err(err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (service.ItemCount, error) {
		var it service.ItemCount
		return it, r.Scan(&it.Kind, &it.ID, &it.N)
	})
	return out, pg.Err(err)
}

// Joined implements service.Members.
func (s *Store) Joined(ctx context.Context, app string, j service.Joining) (err error) {
	defer derrors.Wrap(&err, "postgres.Joined(%q, %q)", app, j.Member)
	const q = `
		INSERT INTO members (app, member, name, joined_at) VALUES ($1, $2, $3, $4)
		ON CONFLICT (app, member) DO UPDATE
		SET joined_at = LEAST(members.joined_at, EXCLUDED.joined_at),
			name = CASE WHEN EXCLUDED.name = '' THEN members.name ELSE EXCLUDED.name END`
	_, err = s.pool.Exec(ctx, q, app, j.Member, j.Name, j.At)
	return pg.Err(err)
}

// Names implements service.Members.
func (s *Store) Names(ctx context.Context, app string, members []string) (_ map[string]string, err error) {
	defer derrors.Wrap(&err, "postgres.Names(%q, %d members)", app, len(members))
	const q = `SELECT member, name FROM members WHERE app = $1 AND member = ANY($2) AND name <> ''`
	out := map[string]string{}
	if len(members) == 0 {
		return out, nil
	}
	rows, err := s.pool.Query(ctx, q, app, members)
	if err != nil {
		return nil, pg.Err(err)
	}
	defer rows.Close()
	for rows.Next() {
		var m, n string
		if err := rows.Scan(&m, &n); err != nil {
			return nil, pg.Err(err)
		}
		out[m] = n
	}
	return out, pg.Err(rows.Err())
}

// Opened implements service.Members.
func (s *Store) Opened(ctx context.Context, app string, opened map[string]time.Time) (err error) {
	defer derrors.Wrap(&err, "postgres.Opened(%q, %d members)", app, len(opened))
	const q = `
		INSERT INTO members (app, member, first_opened_at)
		SELECT $1, * FROM unnest($2::text[], $3::timestamptz[]) ORDER BY 1
		ON CONFLICT (app, member) DO UPDATE SET first_opened_at = EXCLUDED.first_opened_at
		WHERE members.first_opened_at IS NULL OR members.first_opened_at > EXCLUDED.first_opened_at`
	if len(opened) == 0 {
		return nil
	}
	ms := make([]string, 0, len(opened))
	for m := range opened {
		ms = append(ms, m)
	}
	slices.Sort(ms) // a fixed lock order: no deadlock between two batches
	ts := make([]time.Time, len(ms))
	for i, m := range ms {
		ts[i] = opened[m]
	}
	_, err = s.pool.Exec(ctx, q, app, ms, ts)
	return pg.Err(err)
}

// Adoption implements service.Members.
func (s *Store) Adoption(ctx context.Context, app string, days []time.Time) (_, _ []int64, err error) {
	defer derrors.Wrap(&err, "postgres.Adoption(%q, %d days)", app, len(days))
	const q = `
		SELECT d,
			count(*) FILTER (WHERE COALESCE(m.joined_at, m.first_opened_at) < d + interval '1 day'),
			count(*) FILTER (WHERE m.first_opened_at < d + interval '1 day')
		FROM unnest($2::timestamptz[]) AS d
		LEFT JOIN members m ON m.app = $1
		GROUP BY d ORDER BY d`
	rows, err := s.pool.Query(ctx, q, app, days)
	if err != nil {
		return nil, nil, pg.Err(err)
	}
	defer rows.Close()
	reg, opened := make([]int64, 0, len(days)), make([]int64, 0, len(days))
	for rows.Next() {
		var d time.Time
		var r, o int64
		if err := rows.Scan(&d, &r, &o); err != nil {
			return nil, nil, pg.Err(err)
		}
		reg, opened = append(reg, r), append(opened, o)
	}
	return reg, opened, pg.Err(rows.Err())
}

// Forget implements service.Members.
func (s *Store) Forget(ctx context.Context, app, member string) (err error) {
	defer derrors.Wrap(&err, "postgres.Forget(%q, %q)", app, member)
	const q = `DELETE FROM members WHERE app = $1 AND member = $2`
	_, err = s.pool.Exec(ctx, q, app, member)
	return pg.Err(err)
}

// IDs implements service.Members.
func (s *Store) IDs(ctx context.Context, app string) (ids []string, err error) {
	defer derrors.Wrap(&err, "postgres.IDs(%q)", app)
	rows, err := s.pool.Query(ctx, `SELECT member FROM members WHERE app = $1 ORDER BY member`, app)
	if err != nil {
		return nil, pg.Err(err)
	}
	ids, err = pgx.CollectRows(rows, pgx.RowTo[string])
	return ids, pg.Err(err)
}

// Update implements service.Jobs: the job's row is locked FOR UPDATE SKIP
// LOCKED, so a replica that finds it held gives up at once.
func (s *Store) Update(ctx context.Context, job string, fn func(*service.JobState) error) (err error) {
	defer derrors.Wrap(&err, "postgres.Update(%q)", job)
	const qEnsure = `INSERT INTO jobs (name) VALUES ($1) ON CONFLICT DO NOTHING`
	const qLock = `SELECT last_run, runs, done FROM jobs WHERE name = $1 FOR UPDATE SKIP LOCKED`
	const qSave = `UPDATE jobs SET last_run = $2, runs = $3, done = $4 WHERE name = $1`
	if _, err := s.pool.Exec(ctx, qEnsure, job); err != nil {
		return pg.Err(err)
	}
	return pg.InTx(ctx, s.pool, pgx.TxOptions{}, func(tx pgx.Tx) error {
		var st service.JobState
		var last *time.Time
		err := tx.QueryRow(ctx, qLock, job).Scan(&last, &st.Runs, &st.Done)
		if errors.Is(err, pgx.ErrNoRows) {
			return errs.New(errs.Conflict, "job %s is running in another replica", job)
		}
		if err != nil {
			return pg.Err(err)
		}
		if last != nil {
			st.LastRun = last.UTC()
		}
		if err := fn(&st); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, qSave, job, st.LastRun, st.Runs, st.Done)
		return pg.Err(err)
	})
}
