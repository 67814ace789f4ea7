package postgres

import (
	"context"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/attendify/hub/internal/service"
	"github.com/attendify/platform/flake"
	"github.com/attendify/platform/pg"
)

// Bulk upserts: the rows are copied (COPY) into a temporary table that
// lives until the transaction ends, matched to existing rows by external
// id, else email, checked for conflicts (row errors), then inserted and
// updated with two set-based statements. A row equal to what is stored is
// not touched (unchanged). The caller rolls back when there are row errors.

// UpsertMembers implements service.Queries.
func (s *Store) UpsertMembers(ctx context.Context, app string, rows []service.Member) (service.BulkCounts, []service.RowError, []service.Upserted[service.Member], error) {
	const create = `
		CREATE TEMP TABLE bulk_members (
			row int, id text, email text, external_id text, name text, company text, title text,
			photo_url text, bio text, links jsonb, role text,
			by_ext text, by_email text, target text
		) ON COMMIT DROP`
	if _, err := s.db.Exec(ctx, create); err != nil {
		return service.BulkCounts{}, nil, nil, pg.Err(err)
	}
	cols := []string{"row", "id", "email", "external_id", "name", "company", "title", "photo_url", "bio", "links", "role"}
	_, err := s.db.CopyFrom(ctx, pgx.Identifier{"bulk_members"}, cols, pgx.CopyFromSlice(len(rows), func(i int) ([]any, error) {
		m := rows[i]
		return []any{i, m.ID, m.Email, nullable(m.ExternalID), m.Name, m.Company, m.Title, m.PhotoURL, m.Bio, links(m.Links), m.Role}, nil
	}))
	if err != nil {
		return service.BulkCounts{}, nil, nil, pg.Err(err)
	}
	// Temporary tables have no statistics until analyzed (autovacuum never
	// sees them): without, the joins below are planned for a handful of rows.
	if _, err := s.db.Exec(ctx, `ANALYZE bulk_members`); err != nil {
		return service.BulkCounts{}, nil, nil, pg.Err(err)
	}
	const match = `
		UPDATE bulk_members b SET by_ext = m.id FROM members m
		WHERE m.app_id = $1 AND b.external_id IS NOT NULL AND m.external_id = b.external_id`
	if _, err := s.db.Exec(ctx, match, app); err != nil {
		return service.BulkCounts{}, nil, nil, pg.Err(err)
	}
	const matchEmail = `
		UPDATE bulk_members b SET by_email = m.id FROM members m
		WHERE m.app_id = $1 AND m.email = b.email`
	if _, err := s.db.Exec(ctx, matchEmail, app); err != nil {
		return service.BulkCounts{}, nil, nil, pg.Err(err)
	}
	const target = `UPDATE bulk_members SET target = coalesce(by_ext, by_email, id)`
	if _, err := s.db.Exec(ctx, target); err != nil {
		return service.BulkCounts{}, nil, nil, pg.Err(err)
	}
	// A row must not point at two different members, nor adopt by email a
	// member known under another external id, nor hit a member another row
	// hits.
	const check = `
		SELECT b.row, 'email', 'belongs to another member than the external id'
		FROM bulk_members b WHERE b.by_ext IS NOT NULL AND b.by_email IS NOT NULL AND b.by_ext <> b.by_email
		UNION ALL
		SELECT b.row, 'email', 'belongs to a member with another external id'
		FROM bulk_members b JOIN members m ON m.id = b.by_email
		WHERE b.by_ext IS NULL AND b.external_id IS NOT NULL AND m.external_id IS NOT NULL
		UNION ALL
		SELECT row, 'external_id', 'matches the same member as another row'
		FROM (SELECT row, row_number() OVER (PARTITION BY target ORDER BY row) AS n FROM bulk_members) d WHERE n > 1
		ORDER BY 1`
	rowErrs, err := s.rowErrors(ctx, check)
	if err != nil || len(rowErrs) > 0 {
		return service.BulkCounts{}, rowErrs, nil, err
	}
	const insert = `
		INSERT INTO members (id, app_id, email, external_id, name, company, title, photo_url, bio, links, role)
		SELECT id, $1, email, external_id, name, company, title, photo_url, bio, links, role
		FROM bulk_members WHERE target = id ORDER BY row
		RETURNING ` + memberCols
	created, err := s.collectMembers(ctx, insert, app)
	if err != nil {
		return service.BulkCounts{}, nil, nil, err
	}
	const update = `
		UPDATE members m SET email = b.email, external_id = coalesce(b.external_id, m.external_id), name = b.name,
			company = b.company, title = b.title, photo_url = b.photo_url, bio = b.bio, links = b.links, role = b.role,
			version = nextval('rm_version'), updated_at = now()
		FROM bulk_members b
		WHERE m.app_id = $1 AND m.id = b.target AND b.target <> b.id
		  AND (m.email, m.external_id, m.name, m.company, m.title, m.photo_url, m.bio, m.links, m.role)
		      IS DISTINCT FROM (b.email, coalesce(b.external_id, m.external_id), b.name, b.company, b.title, b.photo_url, b.bio, b.links, b.role)
		RETURNING m.id, m.app_id, m.email, coalesce(m.external_id, ''), m.name, m.company, m.title, m.photo_url, m.bio,
			m.links, m.role, m.blocked, m.version, m.created_at`
	updated, err := s.collectMembers(ctx, update, app)
	if err != nil {
		return service.BulkCounts{}, nil, nil, err
	}
	ids, err := s.bulkIDs(ctx, `SELECT target FROM bulk_members ORDER BY row`)
	if err != nil {
		return service.BulkCounts{}, nil, nil, err
	}
	counts := service.BulkCounts{Created: len(created), Updated: len(updated), Unchanged: len(rows) - len(created) - len(updated), IDs: ids}
	changed := make([]service.Upserted[service.Member], 0, len(created)+len(updated))
	for _, m := range created {
		changed = append(changed, service.Upserted[service.Member]{Row: m, Created: true})
	}
	for _, m := range updated {
		changed = append(changed, service.Upserted[service.Member]{Row: m})
	}
	return counts, nil, changed, nil
}

func (s *Store) collectMembers(ctx context.Context, q string, args ...any) ([]service.Member, error) {
	rs, err := s.db.Query(ctx, q, args...)
	if err != nil {
		return nil, memberConflict(err)
	}
	out, err := pgx.CollectRows(rs, func(r pgx.CollectableRow) (service.Member, error) { return scanMember(r) })
	if err != nil {
		return nil, memberConflict(err)
	}
	return out, nil
}

func (s *Store) rowErrors(ctx context.Context, q string, args ...any) ([]service.RowError, error) {
	rs, err := s.db.Query(ctx, q, args...)
	if err != nil {
		return nil, pg.Err(err)
	}
	out, err := pgx.CollectRows(rs, func(r pgx.CollectableRow) (service.RowError, error) {
		var e service.RowError
		err := r.Scan(&e.Row, &e.Field, &e.Message)
		return e, err
	})
	return out, pg.Err(err)
}

func (s *Store) bulkIDs(ctx context.Context, q string, args ...any) ([]string, error) {
	rs, err := s.db.Query(ctx, q, args...)
	if err != nil {
		return nil, pg.Err(err)
	}
	out, err := pgx.CollectRows(rs, pgx.RowTo[string])
	return out, pg.Err(err)
}

// UpsertSpeakers implements service.Queries.
func (s *Store) UpsertSpeakers(ctx context.Context, app string, rows []service.Speaker) (service.BulkCounts, []service.RowError, error) {
	const create = `
		CREATE TEMP TABLE bulk_speakers (
			row int, id text, external_id text, email text, name text, company text, title text, bio text, photo_url text,
			by_ext text, by_email text, target text
		) ON COMMIT DROP`
	if _, err := s.db.Exec(ctx, create); err != nil {
		return service.BulkCounts{}, nil, pg.Err(err)
	}
	cols := []string{"row", "id", "external_id", "email", "name", "company", "title", "bio", "photo_url"}
	_, err := s.db.CopyFrom(ctx, pgx.Identifier{"bulk_speakers"}, cols, pgx.CopyFromSlice(len(rows), func(i int) ([]any, error) {
		x := rows[i]
		return []any{i, x.ID, nullable(x.ExternalID), nullable(x.Email), x.Name, x.Company, x.Title, x.Bio, x.PhotoURL}, nil
	}))
	if err != nil {
		return service.BulkCounts{}, nil, pg.Err(err)
	}
	if _, err := s.db.Exec(ctx, `ANALYZE bulk_speakers`); err != nil {
		return service.BulkCounts{}, nil, pg.Err(err)
	}
	const match = `
		UPDATE bulk_speakers b SET by_ext = x.id FROM speakers x
		WHERE x.app_id = $1 AND b.external_id IS NOT NULL AND x.external_id = b.external_id`
	const matchEmail = `
		UPDATE bulk_speakers b SET by_email = x.id FROM speakers x
		WHERE x.app_id = $1 AND b.email IS NOT NULL AND x.email = b.email`
	const target = `UPDATE bulk_speakers SET target = coalesce(by_ext, by_email, id)`
	for _, q := range []string{match, matchEmail, target} {
		args := []any{app}
		if q == target {
			args = nil
		}
		if _, err := s.db.Exec(ctx, q, args...); err != nil {
			return service.BulkCounts{}, nil, pg.Err(err)
		}
	}
	const check = `
		SELECT b.row, 'email', 'belongs to another speaker than the external id'
		FROM bulk_speakers b WHERE b.by_ext IS NOT NULL AND b.by_email IS NOT NULL AND b.by_ext <> b.by_email
		UNION ALL
		SELECT row, 'external_id', 'matches the same speaker as another row'
		FROM (SELECT row, row_number() OVER (PARTITION BY target ORDER BY row) AS n FROM bulk_speakers) d WHERE n > 1
		ORDER BY 1`
	rowErrs, err := s.rowErrors(ctx, check)
	if err != nil || len(rowErrs) > 0 {
		return service.BulkCounts{}, rowErrs, err
	}
	const insert = `
		INSERT INTO speakers (id, app_id, external_id, email, name, company, title, bio, photo_url)
		SELECT id, $1, external_id, email, name, company, title, bio, photo_url FROM bulk_speakers WHERE target = id`
	ins, err := s.db.Exec(ctx, insert, app)
	if err != nil {
		return service.BulkCounts{}, nil, speakerConflict(err)
	}
	const update = `
		UPDATE speakers x SET external_id = coalesce(b.external_id, x.external_id), email = coalesce(b.email, x.email),
			name = b.name, company = b.company, title = b.title, bio = b.bio, photo_url = b.photo_url, updated_at = now()
		FROM bulk_speakers b
		WHERE x.app_id = $1 AND x.id = b.target AND b.target <> b.id
		  AND (x.external_id, x.email, x.name, x.company, x.title, x.bio, x.photo_url)
		      IS DISTINCT FROM (coalesce(b.external_id, x.external_id), coalesce(b.email, x.email), b.name, b.company, b.title, b.bio, b.photo_url)`
	upd, err := s.db.Exec(ctx, update, app)
	if err != nil {
		return service.BulkCounts{}, nil, speakerConflict(err)
	}
	ids, err := s.bulkIDs(ctx, `SELECT target FROM bulk_speakers ORDER BY row`)
	if err != nil {
		return service.BulkCounts{}, nil, err
	}
	c, u := int(ins.RowsAffected()), int(upd.RowsAffected())
	return service.BulkCounts{Created: c, Updated: u, Unchanged: len(rows) - c - u, IDs: ids}, nil, nil
}

var roomIDs = flake.New(0)

// UpsertSessions implements service.Queries.
func (s *Store) UpsertSessions(ctx context.Context, app, event string, rows []service.BulkSession) (service.BulkCounts, []service.RowError, []service.Upserted[service.Session], error) {
	fail := func(err error) (service.BulkCounts, []service.RowError, []service.Upserted[service.Session], error) {
		return service.BulkCounts{}, nil, nil, err
	}
	// Speakers by external id or email.
	speakers, err := s.Speakers(ctx, app, nil)
	if err != nil {
		return fail(err)
	}
	byKey := map[string]string{}
	for _, sp := range speakers {
		if sp.ExternalID != "" {
			byKey[sp.ExternalID] = sp.ID
		}
		if sp.Email != "" {
			byKey[sp.Email] = sp.ID
		}
	}
	var rowErrs []service.RowError
	for i := range rows {
		ids := make([]string, 0, len(rows[i].Speakers))
		for _, k := range rows[i].Speakers {
			id, ok := byKey[k]
			if !ok {
				id, ok = byKey[strings.ToLower(strings.TrimSpace(k))]
			}
			if !ok {
				rowErrs = append(rowErrs, service.RowError{Row: i, Field: "speakers", Message: fmt.Sprintf("no speaker %q", k)})
				continue
			}
			ids = append(ids, id)
		}
		rows[i].SpeakerIDs = ids
	}
	if len(rowErrs) > 0 {
		return service.BulkCounts{}, rowErrs, nil, nil
	}
	// Rooms and tracks by name, created when missing.
	for _, kind := range []string{"rooms", "tracks"} {
		names := map[string]bool{}
		var ids, list []string
		for _, r := range rows {
			n := r.RoomName
			if kind == "tracks" {
				n = r.TrackName
			}
			if n != "" && !names[n] {
				names[n] = true
				list = append(list, n)
				ids = append(ids, roomIDs.Next().String())
			}
		}
		if len(list) == 0 {
			continue
		}
		q := `INSERT INTO ` + kind + ` (id, app_id, event_id, name)
			SELECT id, $1, $2, name FROM unnest($3::text[], $4::text[]) AS t(id, name)
			ON CONFLICT (event_id, name) DO NOTHING`
		if _, err := s.db.Exec(ctx, q, app, event, ids, list); err != nil {
			return fail(pg.Err(err))
		}
	}
	const create = `
		CREATE TEMP TABLE bulk_sessions (
			row int, id text, external_id text, title text, description text, starts_at timestamptz, ends_at timestamptz,
			room text, track text, capacity int, speaker_ids text[],
			room_id text, track_id text, existing text, existing_event text, target text
		) ON COMMIT DROP`
	if _, err := s.db.Exec(ctx, create); err != nil {
		return fail(pg.Err(err))
	}
	cols := []string{"row", "id", "external_id", "title", "description", "starts_at", "ends_at", "room", "track", "capacity", "speaker_ids"}
	_, err = s.db.CopyFrom(ctx, pgx.Identifier{"bulk_sessions"}, cols, pgx.CopyFromSlice(len(rows), func(i int) ([]any, error) {
		x := rows[i]
		return []any{i, x.ID, x.ExternalID, x.Title, x.Description, x.Start, x.End, x.RoomName, x.TrackName,
			nullInt(x.Capacity), x.SpeakerIDs}, nil
	}))
	if err != nil {
		return fail(pg.Err(err))
	}
	if _, err := s.db.Exec(ctx, `ANALYZE bulk_sessions`); err != nil {
		return fail(pg.Err(err))
	}
	const resolve = `
		UPDATE bulk_sessions b SET
			room_id = (SELECT id FROM rooms r WHERE r.app_id = $1 AND r.event_id = $2 AND r.name = b.room),
			track_id = (SELECT id FROM tracks t WHERE t.app_id = $1 AND t.event_id = $2 AND t.name = b.track),
			existing = x.id, existing_event = x.event_id
		FROM (SELECT b2.row, s.id, s.event_id FROM bulk_sessions b2
		      LEFT JOIN sessions s ON s.app_id = $1 AND s.external_id = b2.external_id) x
		WHERE x.row = b.row`
	if _, err := s.db.Exec(ctx, resolve, app, event); err != nil {
		return fail(pg.Err(err))
	}
	if _, err := s.db.Exec(ctx, `UPDATE bulk_sessions SET target = coalesce(existing, id)`); err != nil {
		return fail(pg.Err(err))
	}
	const check = `
		SELECT b.row, 'external_id', 'is a session of another event'
		FROM bulk_sessions b WHERE b.existing_event IS NOT NULL AND b.existing_event <> $1
		UNION ALL
		SELECT b.row, 'room', 'overlaps row ' || o.row || ' in the same room'
		FROM bulk_sessions b JOIN bulk_sessions o ON o.room_id = b.room_id AND o.row < b.row
		 AND tstzrange(o.starts_at, o.ends_at) && tstzrange(b.starts_at, b.ends_at)
		UNION ALL
		SELECT b.row, 'room', 'overlaps the session "' || s.title || '" in the same room'
		FROM bulk_sessions b JOIN sessions s ON s.app_id = $2 AND s.room_id = b.room_id AND s.id <> b.target
		 AND tstzrange(s.starts_at, s.ends_at) && tstzrange(b.starts_at, b.ends_at)
		WHERE NOT EXISTS (SELECT 1 FROM bulk_sessions o WHERE o.target = s.id)
		ORDER BY 1`
	rowErrs, err = s.rowErrors(ctx, check, event, app)
	if err != nil || len(rowErrs) > 0 {
		return service.BulkCounts{}, rowErrs, nil, err
	}
	// Updates first (they may free a room slot), then inserts.
	const update = `
		UPDATE sessions s SET title = b.title, description = b.description, starts_at = b.starts_at, ends_at = b.ends_at,
			room_id = b.room_id, track_id = b.track_id, capacity = b.capacity, updated_at = now()
		FROM bulk_sessions b
		WHERE s.app_id = $1 AND s.id = b.existing
		  AND ((s.title, s.description, s.starts_at, s.ends_at, s.room_id, s.track_id, s.capacity)
		       IS DISTINCT FROM (b.title, b.description, b.starts_at, b.ends_at, b.room_id, b.track_id, b.capacity)
		    OR coalesce((SELECT array_agg(ss.speaker_id ORDER BY ss.position) FROM session_speakers ss WHERE ss.session_id = s.id), '{}')
		       IS DISTINCT FROM b.speaker_ids)
		RETURNING s.id`
	updated, err := s.bulkIDs(ctx, update, app)
	if err != nil {
		return fail(sessionConflict(err))
	}
	const insert = `
		INSERT INTO sessions (id, app_id, event_id, external_id, title, description, starts_at, ends_at, room_id, track_id, capacity)
		SELECT id, $1, $2, external_id, title, description, starts_at, ends_at, room_id, track_id, capacity
		FROM bulk_sessions WHERE existing IS NULL
		RETURNING id`
	created, err := s.bulkIDs(ctx, insert, app, event)
	if err != nil {
		return fail(sessionConflict(err))
	}
	changedIDs := append(append([]string{}, created...), updated...)
	if _, err := s.db.Exec(ctx, `DELETE FROM session_speakers WHERE session_id = ANY($1)`, changedIDs); err != nil {
		return fail(pg.Err(err))
	}
	const speakersQ = `
		INSERT INTO session_speakers (session_id, speaker_id, position)
		SELECT b.target, sp.id, sp.pos
		FROM bulk_sessions b, unnest(b.speaker_ids) WITH ORDINALITY AS sp(id, pos)
		WHERE b.target = ANY($1)`
	if _, err := s.db.Exec(ctx, speakersQ, changedIDs); err != nil {
		return fail(pg.Err(err))
	}
	ids, err := s.bulkIDs(ctx, `SELECT target FROM bulk_sessions ORDER BY row`)
	if err != nil {
		return fail(err)
	}
	isNew := map[string]bool{}
	for _, id := range created {
		isNew[id] = true
	}
	changed := make([]service.Upserted[service.Session], 0, len(changedIDs))
	if len(changedIDs) > 0 {
		const q = sessionQuery + ` WHERE s.app_id = $1 AND s.id = ANY($2) ORDER BY s.starts_at, s.id`
		rs, err := s.db.Query(ctx, q, app, changedIDs)
		if err != nil {
			return fail(pg.Err(err))
		}
		xs, err := pgx.CollectRows(rs, func(r pgx.CollectableRow) (service.Session, error) { return scanSession(r) })
		if err != nil {
			return fail(pg.Err(err))
		}
		for _, x := range xs {
			changed = append(changed, service.Upserted[service.Session]{Row: x, Created: isNew[x.ID]})
		}
	}
	return service.BulkCounts{Created: len(created), Updated: len(updated), Unchanged: len(rows) - len(created) - len(updated), IDs: ids},
		nil, changed, nil
}
