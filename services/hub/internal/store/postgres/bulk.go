package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/attendify/hub"
	"github.com/attendify/hub/internal/service"
	"github.com/attendify/platform/errs"
	"github.com/attendify/platform/flake"
	"github.com/attendify/platform/pg"
)

// Bulk upserts of speakers and sessions: the rows are copied (COPY) into
// a temporary table that lives until the transaction ends, matched to
// existing rows by external id, else email, checked for conflicts (row
// errors), then inserted and updated with two set-based statements. A row
// equal to what is stored is not touched (unchanged). The caller rolls
// back when there are row errors. Members, far more numerous, are matched
// by the service (MemberKeys) and written with InsertMembers and
// UpdateMembers.

// planEachTime runs a statement of a bulk upsert with a plan made for its
// arguments and the tables as they are, instead of pgx's prepared
// statement, whose plan Postgres caches: planned while an import's first
// batches went in, it would still treat a table of a million members as
// the few thousand rows it had then (a sequential scan per batch where an
// index lookup per row is right).
const planEachTime = pgx.QueryExecModeCacheDescribe

// MemberKeys implements service.MemberBulkStore. It locks the members it
// finds until the transaction ends, in id order (two imports never wait
// for each other in a circle): what the batch then compares and writes is
// the member as it is, not as a change committed since this read left it,
// so that a batch that gives a member a new email sees that it does and
// revokes their tokens. A change in flight is waited for; a member it
// moved off the batch's external id or email is not returned.
func (s *Store) MemberKeys(ctx context.Context, app string, externalIDs, emails []string) (_ []service.MemberKey, err error) {
	defer errs.Annotate(&err, "store.MemberKeys(%s, %d externalIDs, %d emails)", app, len(externalIDs), len(emails))
	const q = `
		SELECT id, email, coalesce(external_id, '') FROM members
		WHERE app_id = $1 AND (external_id = ANY($2) OR email = ANY($3))
		ORDER BY id FOR UPDATE`
	rows, err := s.db.Query(ctx, q, planEachTime, app, externalIDs, emails)
	if err != nil {
		return nil, pg.Err(err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (service.MemberKey, error) {
		var k service.MemberKey
		err := r.Scan(&k.ID, &k.Email, &k.ExternalID)
		return k, err
	})
	return out, pg.Err(err)
}

// NextVersions implements service.Outbox.
func (s *Store) NextVersions(ctx context.Context, n int) (_ []int64, err error) {
	defer errs.Annotate(&err, "store.NextVersions(%v)", n)
	const q = `SELECT nextval('rm_version') FROM generate_series(1, $1)`
	rows, err := s.db.Query(ctx, q, n)
	if err != nil {
		return nil, pg.Err(err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	return out, pg.Err(err)
}

// InsertMembers implements service.MemberBulkStore: one COPY straight into the
// members table (its statement trigger indexes the words of all the rows
// at once, sorted: with 4 MB of work memory, the default, the sort of
// 10,000 members' 40,000 words spills to disk).
func (s *Store) InsertMembers(ctx context.Context, ms []service.Member) (err error) {
	defer errs.Annotate(&err, "store.InsertMembers(%d ms)", len(ms))
	if s.tx != nil {
		if _, err := s.db.Exec(ctx, `SET LOCAL work_mem = '64MB'`); err != nil {
			return pg.Err(err)
		}
	}
	cols := []string{"id", "app_id", "email", "external_id", "name", "company", "title", "phone", "photo_url", "bio", "links",
		"custom", "role", "blocked", "version", "phone_e164", "ticket_type"}
	_, err = s.db.CopyFrom(ctx, pgx.Identifier{"members"}, cols, pgx.CopyFromSlice(len(ms), func(i int) ([]any, error) {
		m := &ms[i]
		return []any{m.ID, m.AppID, m.Email, nullable(m.ExternalID), m.Name, m.Company, m.Title, m.Phone, m.PhotoURL, m.Bio,
			links(m.Links), custom(m.Custom), m.Role, m.Blocked, m.Version, m.PhoneE164, m.TicketType}, nil
	}))
	return memberConflict(err)
}

// mergedMembers is, for each row of bulk_member_rows, the stored member
// (o_ columns) and what it becomes (n_ columns). $1 is the app, $2 true
// for a merge: a row's empty field, missing link label or custom field
// keeps the stored one.
const mergedMembers = `
	SELECT m.id,
		m.email AS o_email, m.external_id AS o_external_id, m.name AS o_name, m.company AS o_company, m.title AS o_title,
		m.phone AS o_phone, m.photo_url AS o_photo_url, m.bio AS o_bio, m.links AS o_links, m.custom AS o_custom, m.role AS o_role,
		m.phone_e164 AS o_phone_e164, m.ticket_type AS o_ticket_type,
		b.email AS n_email, coalesce(b.external_id, m.external_id) AS n_external_id, b.name AS n_name,
		CASE WHEN $2 AND b.company = '' THEN m.company ELSE b.company END AS n_company,
		CASE WHEN $2 AND b.title = '' THEN m.title ELSE b.title END AS n_title,
		CASE WHEN $2 AND b.phone = '' THEN m.phone ELSE b.phone END AS n_phone,
		CASE WHEN $2 AND b.phone = '' THEN m.phone_e164 ELSE b.phone_e164 END AS n_phone_e164,
		CASE WHEN $2 AND b.ticket_type = '' THEN m.ticket_type ELSE b.ticket_type END AS n_ticket_type,
		CASE WHEN $2 AND b.photo_url = '' THEN m.photo_url ELSE b.photo_url END AS n_photo_url,
		CASE WHEN $2 AND b.bio = '' THEN m.bio ELSE b.bio END AS n_bio,
		CASE WHEN NOT $2 THEN b.links
		     WHEN b.links = '[]' THEN m.links
		     ELSE (SELECT coalesce(jsonb_agg(x.l ORDER BY x.o), '[]') FROM jsonb_array_elements(m.links) WITH ORDINALITY AS x(l, o)
		           WHERE NOT EXISTS (SELECT 1 FROM jsonb_array_elements(b.links) g WHERE lower(g->>'label') = lower(x.l->>'label'))) || b.links
		END AS n_links,
		CASE WHEN $2 THEN m.custom || b.custom ELSE b.custom END AS n_custom,
		CASE WHEN b.role = '' THEN m.role ELSE b.role END AS n_role
	FROM bulk_member_rows b JOIN members m ON m.app_id = $1 AND m.id = b.target`

// changedMember says that a merged row differs from the stored member.
const changedMember = `
	(o_email, o_external_id, o_name, o_company, o_title, o_phone, o_photo_url, o_bio, o_links, o_custom, o_role, o_phone_e164, o_ticket_type)
	IS DISTINCT FROM (n_email, n_external_id, n_name, n_company, n_title, n_phone, n_photo_url, n_bio, n_links, n_custom, n_role,
		n_phone_e164, n_ticket_type)`

// UpdateMembers implements service.MemberBulkStore: the rows (ID naming the
// stored member) go into a temporary table, then one UPDATE changes the
// members that differ and returns them; a dry run returns what they would
// become (Version 0) and writes nothing.
func (s *Store) UpdateMembers(ctx context.Context, app string, rows []service.Member, merge, dryRun bool) (_ []service.Member, err error) {
	defer errs.Annotate(&err, "store.UpdateMembers(%s, %d rows, %v, %v)", app, len(rows), merge, dryRun)
	const create = `
		CREATE TEMP TABLE bulk_member_rows (
			target text, email text, external_id text, name text, company text, title text, phone text, photo_url text,
			bio text, links jsonb, custom jsonb, role text, phone_e164 text, ticket_type text
		) ON COMMIT DROP`
	if _, err := s.db.Exec(ctx, create); err != nil {
		return nil, pg.Err(err)
	}
	cols := []string{"target", "email", "external_id", "name", "company", "title", "phone", "photo_url", "bio", "links", "custom", "role",
		"phone_e164", "ticket_type"}
	_, err = s.db.CopyFrom(ctx, pgx.Identifier{"bulk_member_rows"}, cols, pgx.CopyFromSlice(len(rows), func(i int) ([]any, error) {
		m := &rows[i]
		return []any{m.ID, m.Email, nullable(m.ExternalID), m.Name, m.Company, m.Title, m.Phone, m.PhotoURL, m.Bio, links(m.Links),
			custom(m.Custom), m.Role, m.PhoneE164, m.TicketType}, nil
	}))
	if err != nil {
		return nil, pg.Err(err)
	}
	// Without statistics the temporary table is planned as a handful of
	// rows.
	if _, err := s.db.Exec(ctx, `ANALYZE bulk_member_rows`); err != nil {
		return nil, pg.Err(err)
	}
	if dryRun {
		const q = `
			SELECT id, $1, n_email, coalesce(n_external_id, ''), n_name, n_company, n_title, n_photo_url, n_bio, n_links, n_role,
				false, n_phone, n_phone_e164, n_ticket_type, n_custom, 0::bigint, now()
			FROM (` + mergedMembers + `) x WHERE ` + changedMember
		return s.collectMembers(ctx, q, planEachTime, app, merge)
	}
	const q = `
		UPDATE members m SET email = x.n_email, external_id = x.n_external_id, name = x.n_name, company = x.n_company,
			title = x.n_title, phone = x.n_phone, photo_url = x.n_photo_url, bio = x.n_bio, links = x.n_links, custom = x.n_custom,
			phone_e164 = x.n_phone_e164, ticket_type = x.n_ticket_type,
			role = x.n_role, version = nextval('rm_version'), updated_at = now()
		FROM (` + mergedMembers + `) x
		WHERE m.app_id = $1 AND m.id = x.id AND ` + changedMember + `
		RETURNING ` + memberColsM
	return s.collectMembers(ctx, q, planEachTime, app, merge)
}

// RegisterMembers implements service.MemberBulkStore. The members created in the
// transaction cannot be registered yet: their rows are copied; the others
// are inserted unless there.
func (s *Store) RegisterMembers(ctx context.Context, app, event string, created, others []string) (_ []string, err error) {
	defer errs.Annotate(&err, "store.RegisterMembers(%s, %s, %d created, %d others)", app, event, len(created), len(others))
	if len(created) > 0 {
		_, err := s.db.CopyFrom(ctx, pgx.Identifier{"registrations"}, []string{"app_id", "event_id", "member_id"},
			pgx.CopyFromSlice(len(created), func(i int) ([]any, error) { return []any{app, event, created[i]}, nil }))
		if err != nil {
			return nil, pg.Err(err)
		}
	}
	added := created
	if len(others) > 0 {
		more, err := s.Register(ctx, app, event, others)
		if err != nil {
			return nil, err
		}
		added = append(append([]string{}, created...), more...)
	}
	return added, nil
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

// UpsertSpeakers implements service.SpeakerStore.
func (s *Store) UpsertSpeakers(ctx context.Context, app string, rows []service.Speaker) (_ service.BulkCounts, _ []service.RowError, err error) {
	defer errs.Annotate(&err, "store.UpsertSpeakers(%s, %d rows)", app, len(rows))
	const create = `
		CREATE TEMP TABLE bulk_speakers (
			row int, id text, external_id text, email text, name text, company text, title text, bio text, photo_url text,
			by_ext text, by_email text, target text
		) ON COMMIT DROP`
	if _, err := s.db.Exec(ctx, create); err != nil {
		return service.BulkCounts{}, nil, pg.Err(err)
	}
	cols := []string{"row", "id", "external_id", "email", "name", "company", "title", "bio", "photo_url"}
	_, err = s.db.CopyFrom(ctx, pgx.Identifier{"bulk_speakers"}, cols, pgx.CopyFromSlice(len(rows), func(i int) ([]any, error) {
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
		      IS DISTINCT FROM (coalesce(b.external_id, x.external_id), coalesce(b.email, x.email), b.name, b.company, b.title, b.bio, b.photo_url)
		RETURNING x.id`
	updated, err := s.bulkIDs(ctx, update, app)
	if err != nil {
		return service.BulkCounts{}, nil, speakerConflict(err)
	}
	const outcomes = `
		SELECT target, CASE WHEN target = id THEN 'created' WHEN target = ANY($1) THEN 'updated' ELSE 'unchanged' END
		FROM bulk_speakers ORDER BY row`
	counts, err := s.bulkOutcomes(ctx, outcomes, updated)
	if err != nil {
		return service.BulkCounts{}, nil, err
	}
	if c := int(ins.RowsAffected()); c != counts.Created {
		return service.BulkCounts{}, nil, fmt.Errorf("hub store: %d speakers inserted, %d counted", c, counts.Created)
	}
	return counts, nil, nil
}

// bulkOutcomes reads the target id and the outcome (created, updated,
// unchanged) of each row and counts them.
func (s *Store) bulkOutcomes(ctx context.Context, q string, args ...any) (service.BulkCounts, error) {
	rs, err := s.db.Query(ctx, q, args...)
	if err != nil {
		return service.BulkCounts{}, pg.Err(err)
	}
	var c service.BulkCounts
	var id, outcome string
	_, err = pgx.ForEachRow(rs, []any{&id, &outcome}, func() error {
		c.IDs = append(c.IDs, id)
		c.Rows = append(c.Rows, outcome)
		switch outcome {
		case hub.RowCreated:
			c.Created++
		case hub.RowUpdated:
			c.Updated++
		default:
			c.Unchanged++
		}
		return nil
	})
	return c, pg.Err(err)
}

var roomIDs = flake.New(0)

// UpsertSessions implements service.SessionStore.
func (s *Store) UpsertSessions(ctx context.Context, app, event string, rows []service.BulkSession) (_ service.BulkCounts, _ []service.RowError, _ []service.Upserted[service.Session], err error) {
	defer errs.Annotate(&err, "store.UpsertSessions(%s, %s, %d rows)", app, event, len(rows))
	fail := func(err error) (service.BulkCounts, []service.RowError, []service.Upserted[service.Session], error) {
		return service.BulkCounts{}, nil, nil, err
	}
	// Speakers by external id or email.
	speakers, err := s.Speakers(ctx, app, nil)
	if err != nil {
		return fail(err)
	}
	rowErrs := service.LinkSpeakers(rows, speakers)
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
	const outcomes = `
		SELECT target, CASE WHEN existing IS NULL THEN 'created' WHEN target = ANY($1) THEN 'updated' ELSE 'unchanged' END
		FROM bulk_sessions ORDER BY row`
	counts, err := s.bulkOutcomes(ctx, outcomes, updated)
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
	return counts, nil, changed, nil
}
