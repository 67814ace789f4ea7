package postgres

import (
	"context"
	"errors"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/attendify/hub/internal/service"
	"github.com/attendify/platform/errs"
	"github.com/attendify/platform/pg"
)

// ReadModelSnapshot implements service.ReadModelSource. Outside a transaction it
// opens a repeatable-read one, so that every part is of one moment.
func (s *Store) ReadModelSnapshot(ctx context.Context, app string) (_ service.Snapshot, err error) {
	defer errs.Annotate(&err, "store.ReadModelSnapshot(%s)", app)
	if s.tx == nil {
		var snap service.Snapshot
		err := pg.InTx(ctx, s.pool, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
			var err error
			snap, err = (&Store{pool: s.pool, db: tx, tx: tx}).ReadModelSnapshot(ctx, app)
			return err
		})
		return snap, err
	}
	var snap service.Snapshot
	a, err := s.App(ctx, app, false)
	if errors.Is(err, errs.NotFound) {
		return snap, nil
	}
	if err != nil {
		return snap, err
	}
	snap.App, snap.Found = a, true
	if err := s.db.QueryRow(ctx, `SELECT events_version FROM apps WHERE id = $1`, app).Scan(&snap.EventsVersion); err != nil {
		return snap, pg.Err(err)
	}
	if snap.Events, err = s.Events(ctx, app); err != nil {
		return snap, err
	}
	if snap.Collaborators, err = s.Collaborators(ctx, app); err != nil {
		return snap, err
	}
	const q = `SELECT id, role, blocked, ticket_type, version FROM members WHERE app_id = $1`
	rows, err := s.db.Query(ctx, q, app)
	if err != nil {
		return snap, pg.Err(err)
	}
	snap.Members, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (service.MemberState, error) {
		var m service.MemberState
		err := r.Scan(&m.ID, &m.Role, &m.Blocked, &m.TicketType, &m.Version)
		return m, err
	})
	if err != nil {
		return snap, pg.Err(err)
	}
	const regs = `SELECT member_id, array_agg(event_id ORDER BY event_id) FROM registrations WHERE app_id = $1 GROUP BY member_id`
	rows, err = s.db.Query(ctx, regs, app)
	if err != nil {
		return snap, pg.Err(err)
	}
	byMember := map[string][]string{}
	var member string
	var events []string
	if _, err := pgx.ForEachRow(rows, []any{&member, &events}, func() error {
		byMember[member] = slices.Clone(events) // not the scan buffer
		return nil
	}); err != nil {
		return snap, pg.Err(err)
	}
	for i := range snap.Members {
		snap.Members[i].Registered = byMember[snap.Members[i].ID]
	}
	snap.Revocations, err = s.Revocations(ctx, app)
	return snap, err
}

// AppIDs implements service.ReadModelSource.
func (s *Store) AppIDs(ctx context.Context, after string, limit int) (_ []string, err error) {
	defer errs.Annotate(&err, "store.AppIDs(%s, %v)", after, limit)
	const q = `SELECT id FROM apps WHERE id > $1 ORDER BY id LIMIT $2`
	rows, err := s.db.Query(ctx, q, after, limit)
	if err != nil {
		return nil, pg.Err(err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowTo[string])
	return out, pg.Err(err)
}

// MarkRepair implements service.ReadModelSource.
func (s *Store) MarkRepair(ctx context.Context, app string) (err error) {
	defer errs.Annotate(&err, "store.MarkRepair(%s)", app)
	const q = `INSERT INTO rm_repair (app_id) VALUES ($1) ON CONFLICT (app_id) DO UPDATE SET marked_at = now()`
	_, err = s.db.Exec(ctx, q, app)
	return pg.Err(err)
}

// RepairQueue implements service.ReadModelSource.
func (s *Store) RepairQueue(ctx context.Context, limit int) (_ []service.Repair, err error) {
	defer errs.Annotate(&err, "store.RepairQueue(%v)", limit)
	const q = `SELECT app_id, marked_at FROM rm_repair ORDER BY marked_at LIMIT $1`
	rows, err := s.db.Query(ctx, q, limit)
	if err != nil {
		return nil, pg.Err(err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (service.Repair, error) {
		var x service.Repair
		err := r.Scan(&x.App, &x.MarkedAt)
		return x, err
	})
	return out, pg.Err(err)
}

// ClearRepair implements service.ReadModelSource.
func (s *Store) ClearRepair(ctx context.Context, app string, markedAt time.Time) (err error) {
	defer errs.Annotate(&err, "store.ClearRepair(%s)", app)
	_, err = s.db.Exec(ctx, `DELETE FROM rm_repair WHERE app_id = $1 AND marked_at <= $2`, app, markedAt)
	return pg.Err(err)
}

// Analyze implements service.Upkeep. It vacuums as well, which sets the
// visibility map that the directory's index-only scans need.
func (s *Store) Analyze(ctx context.Context) (err error) {
	defer errs.Annotate(&err, "store.Analyze()")
	if s.tx != nil {
		_, err := s.db.Exec(ctx, `ANALYZE members, member_words`)
		return pg.Err(err)
	}
	_, err = s.db.Exec(ctx, `VACUUM (ANALYZE) members, member_words`)
	return pg.Err(err)
}

// Users implements service.ReadModelSource.
func (s *Store) Users(ctx context.Context, app string, ids []string) (_ []string, err error) {
	defer errs.Annotate(&err, "store.Users(%s, %d ids)", app, len(ids))
	const q = `
		SELECT id FROM members WHERE app_id = $1 AND id = ANY($2)
		UNION
		SELECT organizer_id FROM collaborators WHERE app_id = $1 AND organizer_id = ANY($2)`
	rows, err := s.db.Query(ctx, q, app, ids)
	if err != nil {
		return nil, pg.Err(err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowTo[string])
	return out, pg.Err(err)
}
