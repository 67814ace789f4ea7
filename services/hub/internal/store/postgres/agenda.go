package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/attendify/hub/internal/service"
	"github.com/attendify/platform/errs"
	"github.com/attendify/platform/pg"
)

func nullInt(n int) *int {
	if n == 0 {
		return nil
	}
	return &n
}

// SaveRoom implements service.PlaceStore.
func (s *Store) SaveRoom(ctx context.Context, r service.Room, create bool) (err error) {
	defer errs.Annotate(&err, "store.SaveRoom(%s, %v)", r.ID, create)
	if create {
		const q = `INSERT INTO rooms (id, app_id, event_id, name, capacity) VALUES ($1, $2, $3, $4, $5)`
		_, err := s.db.Exec(ctx, q, r.ID, r.AppID, r.EventID, r.Name, nullInt(r.Capacity))
		return pg.Err(err)
	}
	const q = `UPDATE rooms SET name = $4, capacity = $5 WHERE app_id = $1 AND event_id = $2 AND id = $3`
	tag, err := s.db.Exec(ctx, q, r.AppID, r.EventID, r.ID, r.Name, nullInt(r.Capacity))
	return notFound(tag, err, "room")
}

// Room implements service.PlaceStore.
func (s *Store) Room(ctx context.Context, app, id string) (_ service.Room, err error) {
	defer errs.Annotate(&err, "store.Room(%s, %s)", app, id)
	const q = `SELECT id, app_id, event_id, name, coalesce(capacity, 0) FROM rooms WHERE app_id = $1 AND id = $2`
	var r service.Room
	err = s.db.QueryRow(ctx, q, app, id).Scan(&r.ID, &r.AppID, &r.EventID, &r.Name, &r.Capacity)
	return r, pg.Err(err)
}

// DeleteRoom implements service.PlaceStore; a room in use is errs.Invalid.
func (s *Store) DeleteRoom(ctx context.Context, app, id string) (err error) {
	defer errs.Annotate(&err, "store.DeleteRoom(%s, %s)", app, id)
	tag, err := s.db.Exec(ctx, `DELETE FROM rooms WHERE app_id = $1 AND id = $2`, app, id)
	return notFound(tag, err, "room")
}

// Rooms implements service.PlaceStore.
func (s *Store) Rooms(ctx context.Context, app, event string) (_ []service.Room, err error) {
	defer errs.Annotate(&err, "store.Rooms(%s, %s)", app, event)
	const q = `SELECT id, app_id, event_id, name, coalesce(capacity, 0) FROM rooms WHERE app_id = $1 AND event_id = $2 ORDER BY name, id`
	rows, err := s.db.Query(ctx, q, app, event)
	if err != nil {
		return nil, pg.Err(err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (service.Room, error) {
		var x service.Room
		err := r.Scan(&x.ID, &x.AppID, &x.EventID, &x.Name, &x.Capacity)
		return x, err
	})
	return out, pg.Err(err)
}

// SaveTrack implements service.PlaceStore.
func (s *Store) SaveTrack(ctx context.Context, t service.Track, create bool) (err error) {
	defer errs.Annotate(&err, "store.SaveTrack(%s, %v)", t.ID, create)
	if create {
		const q = `INSERT INTO tracks (id, app_id, event_id, name, color) VALUES ($1, $2, $3, $4, $5)`
		_, err := s.db.Exec(ctx, q, t.ID, t.AppID, t.EventID, t.Name, t.Color)
		return pg.Err(err)
	}
	const q = `UPDATE tracks SET name = $4, color = $5 WHERE app_id = $1 AND event_id = $2 AND id = $3`
	tag, err := s.db.Exec(ctx, q, t.AppID, t.EventID, t.ID, t.Name, t.Color)
	return notFound(tag, err, "track")
}

// Track implements service.PlaceStore.
func (s *Store) Track(ctx context.Context, app, id string) (_ service.Track, err error) {
	defer errs.Annotate(&err, "store.Track(%s, %s)", app, id)
	const q = `SELECT id, app_id, event_id, name, color FROM tracks WHERE app_id = $1 AND id = $2`
	var t service.Track
	err = s.db.QueryRow(ctx, q, app, id).Scan(&t.ID, &t.AppID, &t.EventID, &t.Name, &t.Color)
	return t, pg.Err(err)
}

// DeleteTrack implements service.PlaceStore; a track in use is errs.Invalid.
func (s *Store) DeleteTrack(ctx context.Context, app, id string) (err error) {
	defer errs.Annotate(&err, "store.DeleteTrack(%s, %s)", app, id)
	tag, err := s.db.Exec(ctx, `DELETE FROM tracks WHERE app_id = $1 AND id = $2`, app, id)
	return notFound(tag, err, "track")
}

// Tracks implements service.PlaceStore.
func (s *Store) Tracks(ctx context.Context, app, event string) (_ []service.Track, err error) {
	defer errs.Annotate(&err, "store.Tracks(%s, %s)", app, event)
	const q = `SELECT id, app_id, event_id, name, color FROM tracks WHERE app_id = $1 AND event_id = $2 ORDER BY name, id`
	rows, err := s.db.Query(ctx, q, app, event)
	if err != nil {
		return nil, pg.Err(err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (service.Track, error) {
		var x service.Track
		err := r.Scan(&x.ID, &x.AppID, &x.EventID, &x.Name, &x.Color)
		return x, err
	})
	return out, pg.Err(err)
}

// speakerQuery links each speaker to the member of the same email.
const speakerQuery = `
	SELECT s.id, s.app_id, coalesce(s.external_id, ''), coalesce(s.email, ''), s.name, s.company, s.title, s.bio,
		s.photo_url, coalesce(m.id, '')
	FROM speakers s LEFT JOIN members m ON m.app_id = s.app_id AND m.email = s.email`

func scanSpeaker(row pgx.Row) (service.Speaker, error) {
	var x service.Speaker
	err := row.Scan(&x.ID, &x.AppID, &x.ExternalID, &x.Email, &x.Name, &x.Company, &x.Title, &x.Bio, &x.PhotoURL, &x.MemberID)
	return x, pg.Err(err)
}

func speakerConflict(err error) error {
	switch constraint(err) {
	case "speakers_external", "speakers_email":
		return errs.Wrap(errs.Conflict, err, "a speaker of this app has this email or external id already")
	}
	return pg.Err(err)
}

// SaveSpeaker implements service.SpeakerStore.
func (s *Store) SaveSpeaker(ctx context.Context, x service.Speaker, create bool) (_ service.Speaker, err error) {
	defer errs.Annotate(&err, "store.SaveSpeaker(%s, %v)", x.ID, create)
	if create {
		const q = `
			INSERT INTO speakers (id, app_id, external_id, email, name, company, title, bio, photo_url)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`
		if _, err := s.db.Exec(ctx, q, x.ID, x.AppID, nullable(x.ExternalID), nullable(x.Email), x.Name, x.Company, x.Title,
			x.Bio, x.PhotoURL); err != nil {
			return service.Speaker{}, speakerConflict(err)
		}
	} else {
		const q = `
			UPDATE speakers SET external_id = $3, email = $4, name = $5, company = $6, title = $7, bio = $8,
				photo_url = $9, updated_at = now()
			WHERE app_id = $1 AND id = $2`
		tag, err := s.db.Exec(ctx, q, x.AppID, x.ID, nullable(x.ExternalID), nullable(x.Email), x.Name, x.Company, x.Title,
			x.Bio, x.PhotoURL)
		if err != nil {
			return service.Speaker{}, speakerConflict(err)
		}
		if err := notFound(tag, nil, "speaker"); err != nil {
			return service.Speaker{}, err
		}
	}
	return s.Speaker(ctx, x.AppID, x.ID)
}

// Speaker implements service.SpeakerStore.
func (s *Store) Speaker(ctx context.Context, app, id string) (_ service.Speaker, err error) {
	defer errs.Annotate(&err, "store.Speaker(%s, %s)", app, id)
	const q = speakerQuery + ` WHERE s.app_id = $1 AND s.id = $2`
	return scanSpeaker(s.db.QueryRow(ctx, q, app, id))
}

// DeleteSpeaker implements service.SpeakerStore.
func (s *Store) DeleteSpeaker(ctx context.Context, app, id string) (err error) {
	defer errs.Annotate(&err, "store.DeleteSpeaker(%s, %s)", app, id)
	tag, err := s.db.Exec(ctx, `DELETE FROM speakers WHERE app_id = $1 AND id = $2`, app, id)
	return notFound(tag, err, "speaker")
}

// Speakers implements service.SpeakerStore: the given ones (every one when ids
// is nil), by name.
func (s *Store) Speakers(ctx context.Context, app string, ids []string) (_ []service.Speaker, err error) {
	defer errs.Annotate(&err, "store.Speakers(%s, %d ids)", app, len(ids))
	const q = speakerQuery + ` WHERE s.app_id = $1 AND ($2::text[] IS NULL OR s.id = ANY($2)) ORDER BY s.name, s.id`
	rows, err := s.db.Query(ctx, q, app, ids)
	if err != nil {
		return nil, pg.Err(err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (service.Speaker, error) { return scanSpeaker(r) })
	return out, pg.Err(err)
}

// SpeakerEvents implements service.SpeakerStore.
func (s *Store) SpeakerEvents(ctx context.Context, app string) (_ map[string][]string, err error) {
	defer errs.Annotate(&err, "store.SpeakerEvents(%s)", app)
	const q = `
		SELECT DISTINCT ss.speaker_id, x.event_id
		FROM sessions x JOIN session_speakers ss ON ss.session_id = x.id
		WHERE x.app_id = $1 ORDER BY 1, 2`
	rows, err := s.db.Query(ctx, q, app)
	if err != nil {
		return nil, pg.Err(err)
	}
	out := map[string][]string{}
	var speaker, event string
	_, err = pgx.ForEachRow(rows, []any{&speaker, &event}, func() error {
		out[speaker] = append(out[speaker], event)
		return nil
	})
	return out, pg.Err(err)
}

func sessionConflict(err error) error {
	switch constraint(err) {
	case "sessions_room_overlap":
		return errs.Wrap(errs.Conflict, err, "the session overlaps another session in this room")
	case "sessions_external":
		return errs.Wrap(errs.Conflict, err, "a session of this app has this external id already")
	}
	return pg.Err(err)
}

// SaveSession implements service.SessionStore.
func (s *Store) SaveSession(ctx context.Context, x service.Session, create bool) (err error) {
	defer errs.Annotate(&err, "store.SaveSession(%s, %v)", x.ID, create)
	if create {
		const q = `
			INSERT INTO sessions (id, app_id, event_id, external_id, title, description, starts_at, ends_at, room_id, track_id, capacity)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`
		if _, err := s.db.Exec(ctx, q, x.ID, x.AppID, x.EventID, nullable(x.ExternalID), x.Title, x.Description, x.Start, x.End,
			nullable(x.RoomID), nullable(x.TrackID), nullInt(x.Capacity)); err != nil {
			return sessionConflict(err)
		}
	} else {
		const q = `
			UPDATE sessions SET external_id = $3, title = $4, description = $5, starts_at = $6, ends_at = $7,
				room_id = $8, track_id = $9, capacity = $10, updated_at = now()
			WHERE app_id = $1 AND id = $2`
		tag, err := s.db.Exec(ctx, q, x.AppID, x.ID, nullable(x.ExternalID), x.Title, x.Description, x.Start, x.End,
			nullable(x.RoomID), nullable(x.TrackID), nullInt(x.Capacity))
		if err != nil {
			return sessionConflict(err)
		}
		if err := notFound(tag, nil, "session"); err != nil {
			return err
		}
	}
	return s.setSessionSpeakers(ctx, x.ID, x.SpeakerIDs)
}

func (s *Store) setSessionSpeakers(ctx context.Context, session string, speakers []string) error {
	if _, err := s.db.Exec(ctx, `DELETE FROM session_speakers WHERE session_id = $1`, session); err != nil {
		return pg.Err(err)
	}
	if len(speakers) == 0 {
		return nil
	}
	const q = `
		INSERT INTO session_speakers (session_id, speaker_id, position)
		SELECT $1, id, pos FROM unnest($2::text[]) WITH ORDINALITY AS t(id, pos)`
	_, err := s.db.Exec(ctx, q, session, speakers)
	return pg.Err(err)
}

const sessionQuery = `
	SELECT s.id, s.app_id, s.event_id, coalesce(s.external_id, ''), s.title, s.description, s.starts_at, s.ends_at,
		coalesce(s.room_id, ''), coalesce(s.track_id, ''), coalesce(s.capacity, 0),
		coalesce((SELECT array_agg(ss.speaker_id ORDER BY ss.position) FROM session_speakers ss WHERE ss.session_id = s.id), '{}')
	FROM sessions s`

func scanSession(row pgx.Row) (service.Session, error) {
	var x service.Session
	err := row.Scan(&x.ID, &x.AppID, &x.EventID, &x.ExternalID, &x.Title, &x.Description, &x.Start, &x.End,
		&x.RoomID, &x.TrackID, &x.Capacity, &x.SpeakerIDs)
	return x, pg.Err(err)
}

// Session implements service.SessionStore.
func (s *Store) Session(ctx context.Context, app, id string) (_ service.Session, err error) {
	defer errs.Annotate(&err, "store.Session(%s, %s)", app, id)
	const q = sessionQuery + ` WHERE s.app_id = $1 AND s.id = $2`
	return scanSession(s.db.QueryRow(ctx, q, app, id))
}

// DeleteSession implements service.SessionStore.
func (s *Store) DeleteSession(ctx context.Context, app, id string) (err error) {
	defer errs.Annotate(&err, "store.DeleteSession(%s, %s)", app, id)
	tag, err := s.db.Exec(ctx, `DELETE FROM sessions WHERE app_id = $1 AND id = $2`, app, id)
	return notFound(tag, err, "session")
}

// Sessions implements service.SessionStore.
func (s *Store) Sessions(ctx context.Context, app, event, track string, from, to time.Time) (_ []service.Session, err error) {
	defer errs.Annotate(&err, "store.Sessions(%s, %s, %s)", app, event, track)
	const q = sessionQuery + `
		WHERE s.app_id = $1 AND s.event_id = $2
		  AND ($3 = '' OR s.track_id = $3)
		  AND ($4::timestamptz IS NULL OR s.starts_at >= $4)
		  AND ($5::timestamptz IS NULL OR s.starts_at < $5)
		ORDER BY s.starts_at, s.ends_at, s.id`
	var f, t *time.Time
	if !from.IsZero() {
		f, t = &from, &to
	}
	rows, err := s.db.Query(ctx, q, app, event, track, f, t)
	if err != nil {
		return nil, pg.Err(err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (service.Session, error) { return scanSession(r) })
	return out, pg.Err(err)
}
