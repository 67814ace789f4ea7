package postgres

import (
	"context"
	"encoding/json"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/attendify/multievent/internal/derr"
	"github.com/attendify/multievent/internal/service"
	"github.com/attendify/platform/pg"
)

// Snapshot implements service.Projection: the app's rows are upserted
// with version v (rows newer than v stay), those not in snap are deleted
// unless newer than v, and every document of the app is marked dirty, in
// one transaction.
func (s *Store) Snapshot(ctx context.Context, app string, v time.Time, snap service.AppSnapshot) (err error) {
	defer derr.Wrap(&err, "Snapshot(%q)", app)
	return s.inTx(ctx, func(tx pgx.Tx) error {
		if ok, err := appLive(ctx, tx, app, v); err != nil || !ok {
			return err
		}
		ids := map[string][]string{}
		for _, e := range snap.Events {
			ids["events"] = append(ids["events"], e.ID)
			if _, err := applyEvent(ctx, tx, service.Change{Kind: service.KindEvent, App: app, ID: e.ID, Version: v, Event: e}); err != nil {
				return err
			}
		}
		if err := upsertSessions(ctx, tx, app, v, snap.Sessions); err != nil {
			return err
		}
		for _, x := range snap.Sessions {
			ids["sessions"] = append(ids["sessions"], x.ID)
		}
		for _, p := range snap.Speakers {
			ids["speakers"] = append(ids["speakers"], p.ID)
			if _, err := applySpeaker(ctx, tx, service.Change{Kind: service.KindSpeaker, App: app, ID: p.ID, Version: v, Speaker: p}); err != nil {
				return err
			}
		}
		for _, r := range snap.Rooms {
			ids["rooms"] = append(ids["rooms"], r.ID)
			if _, err := applyPlace(ctx, tx, service.Change{Kind: service.KindRoom, App: app, ID: r.ID, Version: v, Room: r}); err != nil {
				return err
			}
		}
		for _, t := range snap.Tracks {
			ids["tracks"] = append(ids["tracks"], t.ID)
			if _, err := applyPlace(ctx, tx, service.Change{Kind: service.KindTrack, App: app, ID: t.ID, Version: v, Track: t}); err != nil {
				return err
			}
		}
		// What hub no longer has: deleted, unless changed after v.
		for _, t := range []string{"events", "sessions", "speakers", "rooms", "tracks"} {
			q := `UPDATE ` + t + ` SET deleted = true, version = $3
				WHERE app_id = $1 AND NOT deleted AND version < $3 AND NOT (id = ANY($2))`
			if _, err := tx.Exec(ctx, q, app, nonNil(ids[t]), v); err != nil {
				return pg.Err(err)
			}
		}
		const speakers = `
			UPDATE speakers p SET event_ids = coalesce(x.events, '{}')
			FROM speakers q LEFT JOIN (
				SELECT sp, array_agg(DISTINCT s.event_id ORDER BY s.event_id) AS events
				FROM sessions s, unnest(s.speaker_ids) sp WHERE s.app_id = $1 AND NOT s.deleted GROUP BY sp) x ON x.sp = q.id
			WHERE q.app_id = $1 AND p.app_id = q.app_id AND p.id = q.id`
		if _, err := tx.Exec(ctx, speakers, app); err != nil {
			return pg.Err(err)
		}
		return markAllDirty(ctx, tx, app)
	})
}

// upsertSessions writes many sessions at version v in one statement
// (speaker lists travel as JSON arrays: Postgres arrays cannot be ragged).
func upsertSessions(ctx context.Context, tx pgx.Tx, app string, v time.Time, xs []service.Session) error {
	const q = `
		INSERT INTO sessions (app_id, id, event_id, title, description, room_id, track_id, start_utc, end_utc,
			capacity, speaker_ids, version)
		SELECT $1, x.id, x.event_id, x.title, x.description, x.room_id, x.track_id, x.start_utc, x.end_utc, x.capacity,
			ARRAY(SELECT jsonb_array_elements_text(x.speakers)), $2
		FROM unnest($3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::timestamptz[],
			$10::timestamptz[], $11::int[], $12::jsonb[])
			AS x(id, event_id, title, description, room_id, track_id, start_utc, end_utc, capacity, speakers)
		ON CONFLICT (app_id, id) DO UPDATE SET event_id = EXCLUDED.event_id, title = EXCLUDED.title,
			description = EXCLUDED.description, room_id = EXCLUDED.room_id, track_id = EXCLUDED.track_id,
			start_utc = EXCLUDED.start_utc, end_utc = EXCLUDED.end_utc, capacity = EXCLUDED.capacity,
			speaker_ids = EXCLUDED.speaker_ids, version = EXCLUDED.version, deleted = false
		WHERE sessions.version <= EXCLUDED.version`
	if len(xs) == 0 {
		return nil
	}
	n := len(xs)
	id, event, title, desc, room, track := make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	start, end := make([]time.Time, n), make([]time.Time, n)
	capacity := make([]int32, n)
	speakers := make([]string, n)
	for i, x := range xs {
		id[i], event[i], title[i], desc[i], room[i], track[i] = x.ID, x.EventID, x.Title, x.Description, x.RoomID, x.TrackID
		start[i], end[i], capacity[i] = x.Start, x.End, int32(x.Capacity)
		b, _ := json.Marshal(nonNil(x.SpeakerIDs))
		speakers[i] = string(b)
	}
	_, err := tx.Exec(ctx, q, app, v, id, event, title, desc, room, track, start, end, capacity, speakers)
	return pg.Err(err)
}

// MarkAllDirty implements service.Projection.
func (s *Store) MarkAllDirty(ctx context.Context, app string) (err error) {
	defer derr.Wrap(&err, "MarkAllDirty(%q)", app)
	return markAllDirty(ctx, s.pool, app)
}

func markAllDirty(ctx context.Context, tx db, app string) error {
	const q = `
		INSERT INTO content_dirty (app_id, doc_id)
		SELECT $1, d FROM (
			SELECT 'event:' || id FROM events WHERE app_id = $1
			UNION SELECT 'session:' || id FROM sessions WHERE app_id = $1
			UNION SELECT 'speaker:' || id FROM speakers WHERE app_id = $1
			UNION SELECT 'room:' || id FROM rooms WHERE app_id = $1
			UNION SELECT 'track:' || id FROM tracks WHERE app_id = $1
			UNION SELECT doc_id FROM content_docs WHERE app_id = $1) AS docs(d)
		ON CONFLICT (app_id, doc_id) DO UPDATE SET seq = nextval('content_dirty_seq')`
	_, err := tx.Exec(ctx, q, app)
	return pg.Err(err)
}

// ReplacePlacements implements service.Projection.
func (s *Store) ReplacePlacements(ctx context.Context, app string, ps []service.Placement) (err error) {
	defer derr.Wrap(&err, "ReplacePlacements(%q, %d)", app, len(ps))
	return s.inTx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `DELETE FROM content_docs WHERE app_id = $1`, app); err != nil {
			return pg.Err(err)
		}
		return insertPlacements(ctx, tx, app, ps)
	})
}

func insertPlacements(ctx context.Context, tx pgx.Tx, app string, ps []service.Placement) error {
	const q = `
		INSERT INTO content_docs (app_id, doc_id, grp, rev, hash)
		SELECT $1, d, g, r, h FROM unnest($2::text[], $3::text[], $4::text[], $5::text[]) AS x(d, g, r, h)
		ON CONFLICT (app_id, doc_id, grp) DO UPDATE SET rev = EXCLUDED.rev, hash = EXCLUDED.hash`
	if len(ps) == 0 {
		return nil
	}
	docs, groups, revs, hashes := make([]string, len(ps)), make([]string, len(ps)), make([]string, len(ps)), make([]string, len(ps))
	for i, p := range ps {
		docs[i], groups[i], revs[i], hashes[i] = p.DocID, p.Group, p.Rev, p.Hash
	}
	_, err := tx.Exec(ctx, q, app, docs, groups, revs, hashes)
	return pg.Err(err)
}

// Settle implements service.Projection: a transaction holding an advisory
// lock of the app (pg_advisory_xact_lock), so that the writers of one app,
// in every replica, take turns.
func (s *Store) Settle(ctx context.Context, app string, limit int, fn func(dirty []string, placed []service.Placement) ([]service.Placement, error)) (n int, err error) {
	defer derr.Wrap(&err, "Settle(%q)", app)
	err = s.inTx(ctx, func(tx pgx.Tx) error {
		n = 0
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtextextended('multievent.content:' || $1, 0))`, app); err != nil {
			return pg.Err(err)
		}
		rows, err := tx.Query(ctx, `SELECT doc_id, seq FROM content_dirty WHERE app_id = $1 ORDER BY seq LIMIT $2`, app, limit)
		if err != nil {
			return pg.Err(err)
		}
		var dirty []string
		var maxSeq int64
		var doc string
		var seq int64
		if _, err := pgx.ForEachRow(rows, []any{&doc, &seq}, func() error {
			dirty = append(dirty, doc)
			maxSeq = max(maxSeq, seq)
			return nil
		}); err != nil {
			return pg.Err(err)
		}
		if n = len(dirty); n == 0 {
			return nil
		}
		rows, err = tx.Query(ctx, `SELECT doc_id, grp, rev, hash FROM content_docs WHERE app_id = $1 AND doc_id = ANY($2)`, app, dirty)
		if err != nil {
			return pg.Err(err)
		}
		placed, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (service.Placement, error) {
			var p service.Placement
			err := r.Scan(&p.DocID, &p.Group, &p.Rev, &p.Hash)
			return p, err
		})
		if err != nil {
			return pg.Err(err)
		}
		ps, err := fn(dirty, placed)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM content_docs WHERE app_id = $1 AND doc_id = ANY($2)`, app, dirty); err != nil {
			return pg.Err(err)
		}
		if err := insertPlacements(ctx, tx, app, ps); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `DELETE FROM content_dirty WHERE app_id = $1 AND doc_id = ANY($2) AND seq <= $3`, app, dirty, maxSeq)
		return pg.Err(err)
	})
	return n, err
}

// DirtyApps implements service.Projection.
func (s *Store) DirtyApps(ctx context.Context, limit int) (_ []string, err error) {
	defer derr.Wrap(&err, "DirtyApps")
	return collectStrings(s.pool.Query(ctx, `SELECT DISTINCT app_id FROM content_dirty ORDER BY app_id LIMIT $1`, limit))
}
