// Package postgres is multievent's Postgres adapter: the projection of
// hub's events and agenda (versioned rows and tombstones), its search
// (Postgres full-text search over generated tsvector columns), the
// bookkeeping of the content databases (placements and dirty marks) and
// the calendar links. The tables are in migrations/.
package postgres

import (
	"context"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/attendify/multievent/internal/derr"
	"github.com/attendify/multievent/internal/service"
	"github.com/attendify/platform/pg"
)

// Store is the Postgres adapter. Its pool's search_path must start with
// multievent's schema (pg.Open does this).
type Store struct {
	pool *pgxpool.Pool
}

var (
	_ service.Projection = (*Store)(nil)
	_ service.Searcher   = (*Store)(nil)
	_ service.Links      = (*Store)(nil)
)

// New returns a store on pool.
func New(pool *pgxpool.Pool) *Store { return &Store{pool: pool} }

// db is what queries run on: the pool or a transaction.
type db interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

func (s *Store) inTx(ctx context.Context, fn func(tx pgx.Tx) error) error {
	return pg.InTx(ctx, s.pool, pgx.TxOptions{}, fn)
}

// Apply implements service.Projection.
func (s *Store) Apply(ctx context.Context, c service.Change) (applied bool, err error) {
	defer derr.Wrap(&err, "Apply(%s %q of %q)", c.Kind, c.ID, c.App)
	err = s.inTx(ctx, func(tx pgx.Tx) error {
		applied = false
		if ok, err := appLive(ctx, tx, c.App, c.Version); err != nil || !ok {
			return err
		}
		var err error
		applied, err = apply(ctx, tx, c)
		return err
	})
	return applied, err
}

// appLive records app in apps unless a newer deletion of it is there, and
// reports whether a change of version v may apply. It bumps the app's
// content_seq (ContentVersion) in the change's transaction: whatever the
// change does is visible to a reader of the new seq.
func appLive(ctx context.Context, tx pgx.Tx, app string, v time.Time) (bool, error) {
	const q = `
		INSERT INTO apps (app_id, version) VALUES ($1, $2)
		ON CONFLICT (app_id) DO UPDATE SET version = apps.version, content_seq = apps.content_seq + 1
		RETURNING NOT deleted`
	var ok bool
	err := tx.QueryRow(ctx, q, app, v).Scan(&ok)
	return ok, pg.Err(err)
}

// apply applies one change in tx and marks the documents it touches.
func apply(ctx context.Context, tx pgx.Tx, c service.Change) (bool, error) {
	switch c.Kind {
	case service.KindEvent:
		return applyEvent(ctx, tx, c)
	case service.KindSession:
		return applySession(ctx, tx, c)
	case service.KindSpeaker:
		return applySpeaker(ctx, tx, c)
	case service.KindRoom, service.KindTrack:
		return applyPlace(ctx, tx, c)
	}
	return false, nil
}

// tombstone marks a row of table deleted at version v unless it is newer;
// it reports whether it did.
func tombstone(ctx context.Context, tx db, table, app, id string, v time.Time) (bool, error) {
	q := `INSERT INTO ` + table + ` (app_id, id, version, deleted) VALUES ($1, $2, $3, true)
		ON CONFLICT (app_id, id) DO UPDATE SET deleted = true, version = EXCLUDED.version
		WHERE ` + table + `.version <= EXCLUDED.version`
	tag, err := tx.Exec(ctx, q, app, id, v)
	return tag.RowsAffected() > 0, pg.Err(err)
}

// refreshSpeakerEvents recomputes the event_ids of the speakers among ids:
// the events of their live sessions.
func refreshSpeakerEvents(ctx context.Context, tx db, app string, ids []string) error {
	const q = `
		UPDATE speakers p SET event_ids = coalesce((
			SELECT array_agg(DISTINCT s.event_id ORDER BY s.event_id) FROM sessions s
			WHERE s.app_id = $1 AND NOT s.deleted AND s.speaker_ids @> ARRAY[p.id]), '{}')
		WHERE p.app_id = $1 AND p.id = ANY($2)`
	if len(ids) == 0 {
		return nil
	}
	_, err := tx.Exec(ctx, q, app, ids)
	return pg.Err(err)
}

// markDirty marks documents of app dirty (again).
func markDirty(ctx context.Context, tx db, app string, docIDs []string) error {
	const q = `
		INSERT INTO content_dirty (app_id, doc_id) SELECT DISTINCT $1, d FROM unnest($2::text[]) d
		ON CONFLICT (app_id, doc_id) DO UPDATE SET seq = nextval('content_dirty_seq')`
	if len(docIDs) == 0 {
		return nil
	}
	_, err := tx.Exec(ctx, q, app, docIDs)
	return pg.Err(err)
}

func applyEvent(ctx context.Context, tx pgx.Tx, c service.Change) (bool, error) {
	var ok bool
	var err error
	if c.Deleted {
		if ok, err = tombstone(ctx, tx, "events", c.App, c.ID, c.Version); err != nil || !ok {
			return ok, err
		}
		// The event's sessions, rooms and tracks go with it (hub deletes
		// them without events of their own).
		for _, t := range []string{"sessions", "rooms", "tracks"} {
			q := `UPDATE ` + t + ` SET deleted = true, version = greatest(version, $3)
				WHERE app_id = $1 AND event_id = $2 AND (NOT deleted OR version < $3)`
			if _, err := tx.Exec(ctx, q, c.App, c.ID, c.Version); err != nil {
				return false, pg.Err(err)
			}
		}
	} else {
		const q = `
			INSERT INTO events (app_id, id, name, time_zone, venue, visibility, access, start_utc, end_utc, version)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
			ON CONFLICT (app_id, id) DO UPDATE SET name = EXCLUDED.name, time_zone = EXCLUDED.time_zone,
				venue = EXCLUDED.venue, visibility = EXCLUDED.visibility, access = EXCLUDED.access,
				start_utc = EXCLUDED.start_utc, end_utc = EXCLUDED.end_utc, version = EXCLUDED.version, deleted = false
			WHERE events.version <= EXCLUDED.version`
		e := c.Event
		tag, err := tx.Exec(ctx, q, c.App, c.ID, e.Name, e.TimeZone, e.Venue, e.Visibility, e.Access, e.Start, e.End, c.Version)
		if err != nil || tag.RowsAffected() == 0 {
			return false, pg.Err(err)
		}
	}
	// The event's card, everything it holds, and their speakers: an
	// event's access decides the groups of all of them.
	const touched = `
		SELECT 'event:' || $2::text
		UNION ALL SELECT 'session:' || id FROM sessions WHERE app_id = $1 AND event_id = $2
		UNION ALL SELECT 'room:' || id FROM rooms WHERE app_id = $1 AND event_id = $2
		UNION ALL SELECT 'track:' || id FROM tracks WHERE app_id = $1 AND event_id = $2
		UNION SELECT 'speaker:' || p FROM sessions, unnest(speaker_ids) p WHERE app_id = $1 AND event_id = $2`
	ids, err := collectStrings(tx.Query(ctx, touched, c.App, c.ID))
	if err != nil {
		return false, err
	}
	if c.Deleted {
		var speakers []string
		for _, id := range ids {
			if p, ok := strings.CutPrefix(id, "speaker:"); ok {
				speakers = append(speakers, p)
			}
		}
		if err := refreshSpeakerEvents(ctx, tx, c.App, speakers); err != nil {
			return false, err
		}
	}
	return true, markDirty(ctx, tx, c.App, ids)
}

func applySession(ctx context.Context, tx pgx.Tx, c service.Change) (bool, error) {
	var before []string
	err := tx.QueryRow(ctx, `SELECT speaker_ids FROM sessions WHERE app_id = $1 AND id = $2 FOR UPDATE`, c.App, c.ID).Scan(&before)
	if err != nil && err != pgx.ErrNoRows {
		return false, pg.Err(err)
	}
	var after []string
	if c.Deleted {
		ok, err := tombstone(ctx, tx, "sessions", c.App, c.ID, c.Version)
		if err != nil || !ok {
			return ok, err
		}
	} else {
		const q = `
			INSERT INTO sessions (app_id, id, event_id, title, description, room_id, track_id, start_utc, end_utc,
				capacity, speaker_ids, version)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
			ON CONFLICT (app_id, id) DO UPDATE SET event_id = EXCLUDED.event_id, title = EXCLUDED.title,
				description = EXCLUDED.description, room_id = EXCLUDED.room_id, track_id = EXCLUDED.track_id,
				start_utc = EXCLUDED.start_utc, end_utc = EXCLUDED.end_utc, capacity = EXCLUDED.capacity,
				speaker_ids = EXCLUDED.speaker_ids, version = EXCLUDED.version, deleted = false
			WHERE sessions.version <= EXCLUDED.version`
		x := c.Session
		after = nonNil(x.SpeakerIDs)
		tag, err := tx.Exec(ctx, q, c.App, c.ID, x.EventID, x.Title, x.Description, x.RoomID, x.TrackID, x.Start, x.End,
			x.Capacity, after, c.Version)
		if err != nil || tag.RowsAffected() == 0 {
			return false, pg.Err(err)
		}
	}
	docs := []string{"session:" + c.ID}
	speakers := append(before, after...)
	for _, p := range speakers {
		docs = append(docs, "speaker:"+p)
	}
	if err := refreshSpeakerEvents(ctx, tx, c.App, speakers); err != nil {
		return false, err
	}
	return true, markDirty(ctx, tx, c.App, docs)
}

func applySpeaker(ctx context.Context, tx pgx.Tx, c service.Change) (bool, error) {
	docs := []string{"speaker:" + c.ID}
	if c.Deleted {
		ok, err := tombstone(ctx, tx, "speakers", c.App, c.ID, c.Version)
		if err != nil || !ok {
			return ok, err
		}
		// Hub takes a deleted speaker off their sessions without session
		// events.
		const q = `
			UPDATE sessions SET speaker_ids = array_remove(speaker_ids, $2)
			WHERE app_id = $1 AND speaker_ids @> ARRAY[$2::text] RETURNING 'session:' || id`
		ids, err := collectStrings(tx.Query(ctx, q, c.App, c.ID))
		if err != nil {
			return false, err
		}
		docs = append(docs, ids...)
	} else {
		const q = `
			INSERT INTO speakers (app_id, id, name, company, title, bio, photo_url, version)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
			ON CONFLICT (app_id, id) DO UPDATE SET name = EXCLUDED.name, company = EXCLUDED.company,
				title = EXCLUDED.title, bio = EXCLUDED.bio, photo_url = EXCLUDED.photo_url,
				version = EXCLUDED.version, deleted = false
			WHERE speakers.version <= EXCLUDED.version`
		p := c.Speaker
		tag, err := tx.Exec(ctx, q, c.App, c.ID, p.Name, p.Company, p.Title, p.Bio, p.PhotoURL, c.Version)
		if err != nil || tag.RowsAffected() == 0 {
			return false, pg.Err(err)
		}
		// Its sessions may have come first.
		if err := refreshSpeakerEvents(ctx, tx, c.App, []string{c.ID}); err != nil {
			return false, err
		}
	}
	return true, markDirty(ctx, tx, c.App, docs)
}

func applyPlace(ctx context.Context, tx pgx.Tx, c service.Change) (bool, error) {
	table := "rooms"
	if c.Kind == service.KindTrack {
		table = "tracks"
	}
	if c.Deleted {
		ok, err := tombstone(ctx, tx, table, c.App, c.ID, c.Version)
		if err != nil || !ok {
			return ok, err
		}
	} else {
		var tag pgconn.CommandTag
		var err error
		if c.Kind == service.KindRoom {
			const q = `
				INSERT INTO rooms (app_id, id, event_id, name, capacity, version) VALUES ($1, $2, $3, $4, $5, $6)
				ON CONFLICT (app_id, id) DO UPDATE SET event_id = EXCLUDED.event_id, name = EXCLUDED.name,
					capacity = EXCLUDED.capacity, version = EXCLUDED.version, deleted = false
				WHERE rooms.version <= EXCLUDED.version`
			r := c.Room
			tag, err = tx.Exec(ctx, q, c.App, c.ID, r.EventID, r.Name, r.Capacity, c.Version)
		} else {
			const q = `
				INSERT INTO tracks (app_id, id, event_id, name, color, version) VALUES ($1, $2, $3, $4, $5, $6)
				ON CONFLICT (app_id, id) DO UPDATE SET event_id = EXCLUDED.event_id, name = EXCLUDED.name,
					color = EXCLUDED.color, version = EXCLUDED.version, deleted = false
				WHERE tracks.version <= EXCLUDED.version`
			t := c.Track
			tag, err = tx.Exec(ctx, q, c.App, c.ID, t.EventID, t.Name, t.Color, c.Version)
		}
		if err != nil || tag.RowsAffected() == 0 {
			return false, pg.Err(err)
		}
	}
	return true, markDirty(ctx, tx, c.App, []string{string(c.Kind) + ":" + c.ID})
}

// DeleteApp implements service.Projection.
func (s *Store) DeleteApp(ctx context.Context, app string, v time.Time) (deleted bool, err error) {
	defer derr.Wrap(&err, "DeleteApp(%q)", app)
	err = s.inTx(ctx, func(tx pgx.Tx) error {
		const q = `
			INSERT INTO apps (app_id, version, deleted) VALUES ($1, $2, true)
			ON CONFLICT (app_id) DO UPDATE SET version = EXCLUDED.version, deleted = true,
				content_seq = apps.content_seq + 1
			WHERE apps.version <= EXCLUDED.version`
		tag, err := tx.Exec(ctx, q, app, v)
		if err != nil {
			return pg.Err(err)
		}
		if deleted = tag.RowsAffected() > 0; !deleted {
			return nil
		}
		for _, t := range []string{"events", "sessions", "speakers", "rooms", "tracks", "content_docs", "content_dirty"} {
			if _, err := tx.Exec(ctx, `DELETE FROM `+t+` WHERE app_id = $1`, app); err != nil {
				return pg.Err(err)
			}
		}
		return nil
	})
	return deleted, err
}

// Apps implements service.Projection.
func (s *Store) Apps(ctx context.Context) (_ []string, err error) {
	defer derr.Wrap(&err, "Apps")
	return collectStrings(s.pool.Query(ctx, `SELECT app_id FROM apps WHERE NOT deleted ORDER BY app_id`))
}

// ContentVersion implements service.Projection: the app's content_seq (0
// for an app the projection never held).
func (s *Store) ContentVersion(ctx context.Context, app string) (_ int64, err error) {
	defer derr.Wrap(&err, "ContentVersion(%q)", app)
	var v int64
	err = s.pool.QueryRow(ctx, `SELECT content_seq FROM apps WHERE app_id = $1`, app).Scan(&v)
	if err == pgx.ErrNoRows {
		return 0, nil
	}
	return v, pg.Err(err)
}

// Events implements service.Projection.
func (s *Store) Events(ctx context.Context, app string) (_ []service.Event, err error) {
	defer derr.Wrap(&err, "Events(%q)", app)
	const q = `
		SELECT id, app_id, name, time_zone, venue, visibility, access, start_utc, end_utc
		FROM events WHERE app_id = $1 AND NOT deleted ORDER BY start_utc, id`
	return collectEvents(s.pool.Query(ctx, q, app))
}

func collectEvents(rows pgx.Rows, err error) ([]service.Event, error) {
	if err != nil {
		return nil, pg.Err(err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (service.Event, error) {
		var e service.Event
		err := r.Scan(&e.ID, &e.AppID, &e.Name, &e.TimeZone, &e.Venue, &e.Visibility, &e.Access, &e.Start, &e.End)
		e.Start, e.End = e.Start.UTC(), e.End.UTC()
		return e, err
	})
	return out, pg.Err(err)
}

// sessionColumns are the columns scanSession reads, of sessions s.
const sessionColumns = `s.id, s.app_id, s.event_id, s.title, s.description, s.room_id, s.track_id, s.start_utc, s.end_utc,
	s.capacity, s.speaker_ids`

func collectSessions(rows pgx.Rows, err error) ([]service.Session, error) {
	if err != nil {
		return nil, pg.Err(err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (service.Session, error) {
		var x service.Session
		err := r.Scan(&x.ID, &x.AppID, &x.EventID, &x.Title, &x.Description, &x.RoomID, &x.TrackID, &x.Start, &x.End,
			&x.Capacity, &x.SpeakerIDs)
		x.Start, x.End = x.Start.UTC(), x.End.UTC()
		return x, err
	})
	return out, pg.Err(err)
}

// Sessions implements service.Projection.
func (s *Store) Sessions(ctx context.Context, app string, ids []string) (_ []service.Session, err error) {
	defer derr.Wrap(&err, "Sessions(%q, %d ids)", app, len(ids))
	const q = `
		SELECT ` + sessionColumns + `
		FROM sessions s JOIN events e ON e.app_id = s.app_id AND e.id = s.event_id AND NOT e.deleted
		WHERE s.app_id = $1 AND s.id = ANY($2) AND NOT s.deleted ORDER BY s.start_utc, s.id`
	return collectSessions(s.pool.Query(ctx, q, app, ids))
}

// Content implements service.Projection.
func (s *Store) Content(ctx context.Context, app string, docIDs []string) (_ service.ContentState, err error) {
	defer derr.Wrap(&err, "Content(%q, %d docs)", app, len(docIDs))
	ids := map[service.Kind][]string{}
	for _, d := range docIDs {
		if k, id, ok := strings.Cut(d, ":"); ok {
			ids[service.Kind(k)] = append(ids[service.Kind(k)], id)
		}
	}
	st := service.ContentState{Events: map[string]service.Event{}, Sessions: map[string]service.Session{},
		Speakers: map[string]service.Speaker{}, Rooms: map[string]service.Room{}, Tracks: map[string]service.Track{},
		SpeakerEvents: map[string][]string{}}
	eventIDs := append([]string(nil), ids[service.KindEvent]...)
	if len(ids[service.KindSession]) > 0 {
		const q = `SELECT ` + sessionColumns + ` FROM sessions s WHERE s.app_id = $1 AND s.id = ANY($2) AND NOT s.deleted`
		xs, err := collectSessions(s.pool.Query(ctx, q, app, ids[service.KindSession]))
		if err != nil {
			return st, err
		}
		for _, x := range xs {
			st.Sessions[x.ID] = x
			eventIDs = append(eventIDs, x.EventID)
		}
	}
	for _, k := range []service.Kind{service.KindRoom, service.KindTrack} {
		if len(ids[k]) == 0 {
			continue
		}
		q := `SELECT id, event_id, name, capacity, '' FROM rooms WHERE app_id = $1 AND id = ANY($2) AND NOT deleted`
		if k == service.KindTrack {
			q = `SELECT id, event_id, name, 0, color FROM tracks WHERE app_id = $1 AND id = ANY($2) AND NOT deleted`
		}
		rows, err := s.pool.Query(ctx, q, app, ids[k])
		if err != nil {
			return st, pg.Err(err)
		}
		var id, event, name, color string
		var capacity int
		_, err = pgx.ForEachRow(rows, []any{&id, &event, &name, &capacity, &color}, func() error {
			if k == service.KindRoom {
				st.Rooms[id] = service.Room{ID: id, AppID: app, EventID: event, Name: name, Capacity: capacity}
			} else {
				st.Tracks[id] = service.Track{ID: id, AppID: app, EventID: event, Name: name, Color: color}
			}
			eventIDs = append(eventIDs, event)
			return nil
		})
		if err != nil {
			return st, pg.Err(err)
		}
	}
	if sp := ids[service.KindSpeaker]; len(sp) > 0 {
		const q = `SELECT id, name, company, title, bio, photo_url FROM speakers WHERE app_id = $1 AND id = ANY($2) AND NOT deleted`
		rows, err := s.pool.Query(ctx, q, app, sp)
		if err != nil {
			return st, pg.Err(err)
		}
		var p service.Speaker
		_, err = pgx.ForEachRow(rows, []any{&p.ID, &p.Name, &p.Company, &p.Title, &p.Bio, &p.PhotoURL}, func() error {
			p.AppID = app
			st.Speakers[p.ID] = p
			return nil
		})
		if err != nil {
			return st, pg.Err(err)
		}
		// The events each speaker speaks at that are not deleted: live,
		// or not projected yet (a session may come before its event).
		const qe = `
			SELECT DISTINCT p, s.event_id
			FROM sessions s LEFT JOIN events e ON e.app_id = s.app_id AND e.id = s.event_id,
				unnest(s.speaker_ids) p
			WHERE s.app_id = $1 AND NOT s.deleted AND s.speaker_ids && $2 AND p = ANY($2)
				AND (e.id IS NULL OR NOT e.deleted)
			ORDER BY 1, 2`
		rows, err = s.pool.Query(ctx, qe, app, sp)
		if err != nil {
			return st, pg.Err(err)
		}
		var speaker, event string
		_, err = pgx.ForEachRow(rows, []any{&speaker, &event}, func() error {
			st.SpeakerEvents[speaker] = append(st.SpeakerEvents[speaker], event)
			eventIDs = append(eventIDs, event)
			return nil
		})
		if err != nil {
			return st, pg.Err(err)
		}
	}
	if len(eventIDs) > 0 {
		const q = `
			SELECT id, app_id, name, time_zone, venue, visibility, access, start_utc, end_utc
			FROM events WHERE app_id = $1 AND id = ANY($2) AND NOT deleted`
		evs, err := collectEvents(s.pool.Query(ctx, q, app, eventIDs))
		if err != nil {
			return st, err
		}
		for _, e := range evs {
			st.Events[e.ID] = e
		}
	}
	return st, nil
}

func collectStrings(rows pgx.Rows, err error) ([]string, error) {
	if err != nil {
		return nil, pg.Err(err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowTo[string])
	return out, pg.Err(err)
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
