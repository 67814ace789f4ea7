package postgres

import (
	"context"
	"hash/fnv"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/attendify/hub/internal/service"
	"github.com/attendify/platform/errs"
	"github.com/attendify/platform/pg"
)

const eventCols = `id, app_id, name, time_zone, starts_at, ends_at, venue, visibility, access, code`

func scanEvent(row pgx.Row, extra ...any) (service.Event, error) {
	var e service.Event
	dst := append([]any{&e.ID, &e.AppID, &e.Name, &e.TimeZone, &e.Start, &e.End, &e.Venue, &e.Visibility, &e.Access, &e.Code}, extra...)
	err := row.Scan(dst...)
	return e, pg.Err(err)
}

// CreateEvent implements service.EventStore.
func (s *Store) CreateEvent(ctx context.Context, e service.Event) (err error) {
	defer errs.Annotate(&err, "store.CreateEvent(%s)", e.ID)
	const q = `
		INSERT INTO events (id, app_id, name, time_zone, starts_at, ends_at, venue, visibility, access, code)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`
	_, err = s.db.Exec(ctx, q, e.ID, e.AppID, e.Name, e.TimeZone, e.Start, e.End, e.Venue, e.Visibility, e.Access, e.Code)
	return pg.Err(err)
}

// Event implements service.EventStore.
func (s *Store) Event(ctx context.Context, app, id string, lock bool) (_ service.Event, err error) {
	defer errs.Annotate(&err, "store.Event(%s, %s, %v)", app, id, lock)
	q := `SELECT ` + eventCols + ` FROM events WHERE app_id = $1 AND id = $2` + s.forUpdate(lock)
	return scanEvent(s.db.QueryRow(ctx, q, app, id))
}

// EventFor implements service.EventStore: the event and whether member is
// registered to it, in one round trip.
func (s *Store) EventFor(ctx context.Context, app, id, member string) (_ service.Event, _ bool, err error) {
	defer errs.Annotate(&err, "store.EventFor(%s, %s, %s)", app, id, member)
	const q = `
		SELECT ` + eventCols + `, EXISTS (SELECT 1 FROM registrations r WHERE r.event_id = e.id AND r.member_id = $3)
		FROM events e WHERE app_id = $1 AND id = $2`
	var registered bool
	e, err := scanEvent(s.db.QueryRow(ctx, q, app, id, member), &registered)
	return e, registered, err
}

// UpdateEvent implements service.EventStore. When the time zone changes,
// the sessions keep their wall-clock times.
func (s *Store) UpdateEvent(ctx context.Context, app, id string, update func(e *service.Event) error) (service.Event, error) {
	e, err := s.Event(ctx, app, id, true)
	if err != nil {
		return service.Event{}, err
	}
	oldTimeZone := e.TimeZone
	if err := update(&e); err != nil {
		return service.Event{}, err
	}
	e.AppID, e.ID = app, id
	if err := s.writeEvent(ctx, e, oldTimeZone); err != nil {
		return service.Event{}, err
	}
	return e, nil
}

// writeEvent writes an event read by UpdateEvent.
func (s *Store) writeEvent(ctx context.Context, e service.Event, oldTimeZone string) (err error) {
	defer errs.Annotate(&err, "store.UpdateEvent(%s, %s)", e.ID, oldTimeZone)
	const q = `
		UPDATE events SET name = $3, time_zone = $4, starts_at = $5, ends_at = $6, venue = $7,
			visibility = $8, access = $9, code = $10, updated_at = now()
		WHERE app_id = $1 AND id = $2`
	tag, err := s.db.Exec(ctx, q, e.AppID, e.ID, e.Name, e.TimeZone, e.Start, e.End, e.Venue, e.Visibility, e.Access, e.Code)
	if err := notFound(tag, err, "event"); err != nil || oldTimeZone == e.TimeZone {
		return err
	}
	const shift = `
		UPDATE sessions SET starts_at = (starts_at AT TIME ZONE $3) AT TIME ZONE $4,
			ends_at = (ends_at AT TIME ZONE $3) AT TIME ZONE $4, updated_at = now()
		WHERE app_id = $1 AND event_id = $2`
	_, err = s.db.Exec(ctx, shift, e.AppID, e.ID, oldTimeZone, e.TimeZone)
	return pg.Err(err)
}

// DeleteEvent implements service.EventStore.
func (s *Store) DeleteEvent(ctx context.Context, app, id string) (err error) {
	defer errs.Annotate(&err, "store.DeleteEvent(%s, %s)", app, id)
	const q = `DELETE FROM events WHERE app_id = $1 AND id = $2`
	tag, err := s.db.Exec(ctx, q, app, id)
	return notFound(tag, err, "event")
}

// Events implements service.EventStore.
func (s *Store) Events(ctx context.Context, app string) (_ []service.Event, err error) {
	defer errs.Annotate(&err, "store.Events(%s)", app)
	const q = `SELECT ` + eventCols + ` FROM events WHERE app_id = $1 ORDER BY starts_at, id`
	rows, err := s.db.Query(ctx, q, app)
	if err != nil {
		return nil, pg.Err(err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (service.Event, error) { return scanEvent(r) })
	return out, pg.Err(err)
}

// TouchEvents implements service.EventStore.
func (s *Store) TouchEvents(ctx context.Context, app string) (_ int64, err error) {
	defer errs.Annotate(&err, "store.TouchEvents(%s)", app)
	const q = `UPDATE apps SET events_version = nextval('rm_version') WHERE id = $1 RETURNING events_version`
	var v int64
	err = s.db.QueryRow(ctx, q, app).Scan(&v)
	return v, pg.Err(err)
}

// Register implements service.RegistrationStore; it returns the members that were
// not registered yet.
func (s *Store) Register(ctx context.Context, app, event string, members []string) (_ []string, err error) {
	defer errs.Annotate(&err, "store.Register(%s, %s, %d members)", app, event, len(members))
	const q = `
		INSERT INTO registrations (app_id, event_id, member_id)
		SELECT $1, $2, unnest($3::text[])
		ON CONFLICT DO NOTHING
		RETURNING member_id`
	rows, err := s.db.Query(ctx, q, planEachTime, app, event, members)
	if err != nil {
		return nil, pg.Err(err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowTo[string])
	return out, pg.Err(err)
}

// Unregister implements service.RegistrationStore.
func (s *Store) Unregister(ctx context.Context, app, event string, members []string) (_ []string, err error) {
	defer errs.Annotate(&err, "store.Unregister(%s, %s, %d members)", app, event, len(members))
	const q = `
		DELETE FROM registrations WHERE app_id = $1 AND event_id = $2 AND member_id = ANY($3)
		RETURNING member_id`
	rows, err := s.db.Query(ctx, q, app, event, members)
	if err != nil {
		return nil, pg.Err(err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowTo[string])
	return out, pg.Err(err)
}

// RegisteredEvents implements service.RegistrationStore.
func (s *Store) RegisteredEvents(ctx context.Context, app, member string) (_ map[string]bool, err error) {
	defer errs.Annotate(&err, "store.RegisteredEvents(%s, %s)", app, member)
	const q = `SELECT event_id FROM registrations WHERE app_id = $1 AND member_id = $2`
	rows, err := s.db.Query(ctx, q, app, member)
	if err != nil {
		return nil, pg.Err(err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
	out := make(map[string]bool, len(ids))
	for _, id := range ids {
		out[id] = true
	}
	return out, pg.Err(err)
}

// Registrations implements service.RegistrationStore.
func (s *Store) Registrations(ctx context.Context, app string, members []string) (_ map[string][]string, err error) {
	defer errs.Annotate(&err, "store.Registrations(%s, %d members)", app, len(members))
	const q = `
		SELECT member_id, array_agg(event_id ORDER BY event_id) FROM registrations
		WHERE app_id = $1 AND member_id = ANY($2) GROUP BY member_id`
	out := map[string][]string{}
	if len(members) == 0 {
		return out, nil
	}
	rows, err := s.db.Query(ctx, q, app, members)
	if err != nil {
		return nil, pg.Err(err)
	}
	var member string
	var events []string
	_, err = pgx.ForEachRow(rows, []any{&member, &events}, func() error {
		out[member] = slices.Clone(events) // not the scan buffer
		return nil
	})
	return out, pg.Err(err)
}

// TouchMembers implements service.RegistrationStore. The rows are locked in id order
// before their versions move, so that two such calls cannot deadlock on
// each other; the registrations
// are read after the locks, so they include every committed change.
func (s *Store) TouchMembers(ctx context.Context, app string, members []string) (_ []service.MemberState, err error) {
	defer errs.Annotate(&err, "store.TouchMembers(%s, %d members)", app, len(members))
	if len(members) == 0 {
		return nil, nil
	}
	const q = `
		UPDATE members m SET version = nextval('rm_version')
		FROM (SELECT id FROM members WHERE app_id = $1 AND id = ANY($2) ORDER BY id FOR NO KEY UPDATE) l
		WHERE m.app_id = $1 AND m.id = l.id
		RETURNING m.id, m.role, m.blocked, m.ticket_type, m.version`
	rows, err := s.db.Query(ctx, q, app, members)
	if err != nil {
		return nil, pg.Err(err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (service.MemberState, error) {
		var m service.MemberState
		err := r.Scan(&m.ID, &m.Role, &m.Blocked, &m.TicketType, &m.Version)
		return m, err
	})
	if err != nil {
		return nil, pg.Err(err)
	}
	regs, err := s.Registrations(ctx, app, members)
	if err != nil {
		return nil, err
	}
	for i := range out {
		out[i].Registered = regs[out[i].ID]
	}
	return out, nil
}

const memberCols = `id, app_id, email, coalesce(external_id, ''), name, company, title, photo_url, bio, links, role, blocked,
	phone, phone_e164, ticket_type, custom, version, created_at`

// memberColsM is memberCols of the table aliased m.
const memberColsM = `m.id, m.app_id, m.email, coalesce(m.external_id, ''), m.name, m.company, m.title, m.photo_url, m.bio, m.links,
	m.role, m.blocked, m.phone, m.phone_e164, m.ticket_type, m.custom, m.version, m.created_at`

func scanMember(row pgx.Row, extra ...any) (service.Member, error) {
	var m service.Member
	dst := append([]any{&m.ID, &m.AppID, &m.Email, &m.ExternalID, &m.Name, &m.Company, &m.Title, &m.PhotoURL, &m.Bio,
		&m.Links, &m.Role, &m.Blocked, &m.Phone, &m.PhoneE164, &m.TicketType, &m.Custom, &m.Version, &m.CreatedAt}, extra...)
	err := row.Scan(dst...)
	if m.Links == nil {
		m.Links = []service.Link{}
	}
	if m.Custom == nil {
		m.Custom = map[string]string{}
	}
	return m, pg.Err(err)
}

// custom is a member's custom fields as stored (never SQL NULL).
func custom(c map[string]string) map[string]string {
	if c == nil {
		return map[string]string{}
	}
	return c
}

func memberConflict(err error) error {
	switch constraint(err) {
	case "members_app_id_email_key":
		return errs.Wrap(errs.Conflict, err, "a member of this app has this email already")
	case "members_external":
		return errs.Wrap(errs.Conflict, err, "a member of this app has this external id already")
	}
	return pg.Err(err)
}

func links(l []service.Link) []service.Link {
	if l == nil {
		return []service.Link{}
	}
	return l
}

// CreateMember implements service.MemberStore.
func (s *Store) CreateMember(ctx context.Context, m service.Member) (_ service.Member, err error) {
	defer errs.Annotate(&err, "store.CreateMember(%s)", m.ID)
	const q = `
		INSERT INTO members (id, app_id, email, external_id, name, company, title, photo_url, bio, links, role, blocked, phone, custom,
			phone_e164, ticket_type)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)
		RETURNING ` + memberCols
	m, err = scanMember(s.db.QueryRow(ctx, q, m.ID, m.AppID, m.Email, nullable(m.ExternalID), m.Name, m.Company, m.Title,
		m.PhotoURL, m.Bio, links(m.Links), m.Role, m.Blocked, m.Phone, custom(m.Custom), m.PhoneE164, m.TicketType))
	if err != nil {
		return m, memberConflict(err)
	}
	return m, nil
}

// Member implements service.MemberStore.
func (s *Store) Member(ctx context.Context, app, id string, lock bool) (_ service.Member, err error) {
	defer errs.Annotate(&err, "store.Member(%s, %s, %v)", app, id, lock)
	q := `SELECT ` + memberCols + ` FROM members WHERE app_id = $1 AND id = $2` + s.forUpdate(lock)
	return scanMember(s.db.QueryRow(ctx, q, app, id))
}

// MemberByEmail implements service.MemberStore: under a share lock, so
// that a sign-in waits for a change of the member being committed (a new
// email, a block) and then reads the member as changed.
func (s *Store) MemberByEmail(ctx context.Context, app, email string) (_ service.Member, err error) {
	defer errs.Annotate(&err, "store.MemberByEmail(%s, %s)", app, email)
	const q = `SELECT ` + memberCols + ` FROM members WHERE app_id = $1 AND email = $2 FOR SHARE`
	return scanMember(s.db.QueryRow(ctx, q, app, email))
}

// UpdateMember implements service.MemberStore.
func (s *Store) UpdateMember(ctx context.Context, app, id string, update func(m *service.Member) error) (service.Member, error) {
	m, err := s.Member(ctx, app, id, true)
	if err != nil {
		return service.Member{}, err
	}
	if err := update(&m); err != nil {
		return service.Member{}, err
	}
	m.AppID, m.ID = app, id
	return s.writeMember(ctx, m)
}

// writeMember writes a member read by UpdateMember.
func (s *Store) writeMember(ctx context.Context, m service.Member) (_ service.Member, err error) {
	defer errs.Annotate(&err, "store.UpdateMember(%s)", m.ID)
	const q = `
		UPDATE members SET email = $3, external_id = $4, name = $5, company = $6, title = $7, photo_url = $8,
			bio = $9, links = $10, role = $11, blocked = $12, phone = $13, custom = $14, phone_e164 = $15, ticket_type = $16,
			version = nextval('rm_version'), updated_at = now()
		WHERE app_id = $1 AND id = $2
		RETURNING ` + memberCols
	out, err := scanMember(s.db.QueryRow(ctx, q, m.AppID, m.ID, m.Email, nullable(m.ExternalID), m.Name, m.Company, m.Title,
		m.PhotoURL, m.Bio, links(m.Links), m.Role, m.Blocked, m.Phone, custom(m.Custom), m.PhoneE164, m.TicketType))
	if err != nil {
		return out, memberConflict(err)
	}
	return out, nil
}

// DeleteMember implements service.MemberStore.
func (s *Store) DeleteMember(ctx context.Context, app, id string) (err error) {
	defer errs.Annotate(&err, "store.DeleteMember(%s, %s)", app, id)
	const q = `DELETE FROM members WHERE app_id = $1 AND id = $2 RETURNING email`
	var email string
	if err := s.db.QueryRow(ctx, q, app, id).Scan(&email); err != nil {
		return pg.Err(err)
	}
	const codes = `DELETE FROM sign_in_codes WHERE app_id = $1 AND email = $2`
	if _, err := s.db.Exec(ctx, codes, app, email); err != nil {
		return pg.Err(err)
	}
	const unlink = `UPDATE speakers SET email = NULL, updated_at = now() WHERE app_id = $1 AND email = $2`
	_, err = s.db.Exec(ctx, unlink, app, email)
	return pg.Err(err)
}

// searchScan bounds the first phase of a search with words: how many
// members, in name order from the cursor, it looks at.
const searchScan = 1000

// SearchMembers implements service.MemberStore: word-prefix matches on the
// folded name and company, keyset-paginated by folded name and id; it
// returns up to Limit+1 rows so that the caller knows whether there is a
// next page.
//
// A search with words runs in up to two phases. The first scans the next
// searchScan members in name order (an index-only scan of
// members_directory_cover, which holds the folded words) and keeps the
// matches: a full page whenever the words match more than a few percent of
// the members, as short prefixes do. Otherwise the words are selective and
// the second phase takes every match from member_words (a range scan of
// (app_id, word) per word, intersected by hash), sorts them and reads the
// page's members.
func (s *Store) SearchMembers(ctx context.Context, f service.MemberFilter) (_ []service.MemberHit, err error) {
	defer errs.Annotate(&err, "store.SearchMembers()")
	if len(f.Words) == 0 {
		return s.searchMembers(ctx, f, false)
	}
	hits, err := s.searchMembers(ctx, f, false)
	if err != nil || len(hits) > f.Limit {
		return hits, err
	}
	return s.searchMembers(ctx, f, true)
}

// searchMembers runs one phase of a search: the bounded name-order scan
// (byWord false) or the word index (byWord true).
func (s *Store) searchMembers(ctx context.Context, f service.MemberFilter, byWord bool) ([]service.MemberHit, error) {
	var where strings.Builder
	args := []any{f.AppID}
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	// x is the relation the filters read and id its member id column.
	x, id := "d", "d.id"
	if byWord {
		x, id = "w", "w.member_id"
	}
	cursor := ""
	if f.AfterID != "" {
		cursor = ` AND (` + x + `.sort_name, ` + id + `) > (` + arg(f.AfterName) + `, ` + arg(f.AfterID) + `)`
	}
	if !f.IncludeBlocked {
		where.WriteString(` AND NOT ` + x + `.blocked`)
	}
	if f.Role != "" {
		where.WriteString(` AND ` + x + `.role = ` + arg(f.Role))
	}
	if f.EventID != "" {
		where.WriteString(` AND EXISTS (SELECT 1 FROM registrations r WHERE r.app_id = $1 AND r.event_id = ` + arg(f.EventID) +
			` AND r.member_id = ` + id + `)`)
	}
	if f.TicketType != "" {
		// A semi-join the planner may run from members_ticket_type (the
		// members of that ticket type) or probe per candidate.
		where.WriteString(` AND ` + id + ` IN (SELECT t.id FROM members t WHERE t.app_id = $1 AND t.ticket_type <> ''` +
			` AND lower(t.ticket_type) = lower(` + arg(f.TicketType) + `))`)
	}
	// folded is a query word as the index holds words: an uncorrelated
	// subquery, computed once (an InitPlan) whatever plan is chosen; a
	// generic plan might otherwise fold it again for every row it filters.
	folded := func(word string) string { return `(SELECT replace(fold(` + arg(word) + `), ' ', ''))` }
	var q string
	switch {
	case !byWord:
		for _, w := range f.Words {
			where.WriteString(` AND d.search LIKE '% ' || ` + folded(w) + ` || '%'`)
		}
		limit := `LIMIT ` + arg(f.Limit+1)
		scan := ``
		if len(f.Words) > 0 {
			scan = ` LIMIT ` + arg(searchScan)
		}
		q = `SELECT ` + memberColsM + `, d.sort_name FROM (
				SELECT d.id, d.sort_name, d.search, d.blocked, d.role FROM members d
				WHERE d.app_id = $1` + cursor + ` ORDER BY d.sort_name, d.id` + scan + `
			) d JOIN members m ON m.id = d.id
			WHERE true` + where.String() + ` ORDER BY d.sort_name, d.id ` + limit
	default:
		// Each further word is a set of its own, joined by hash: checking
		// it per candidate costs an index probe per candidate instead.
		var more, semi strings.Builder
		for i, w := range f.Words[1:] {
			p := folded(w)
			name := "w" + strconv.Itoa(i+2)
			more.WriteString(`, ` + name + ` AS MATERIALIZED (SELECT member_id FROM member_words WHERE app_id = $1 AND word >= ` + p +
				` AND word < ` + p + ` || chr(1114111))`)
			semi.WriteString(` AND member_id IN (SELECT member_id FROM ` + name + `)`)
		}
		p := folded(f.Words[0])
		q = `WITH w1 AS MATERIALIZED (
				SELECT w.sort_name, w.member_id FROM member_words w
				WHERE w.app_id = $1 AND w.word >= ` + p + ` AND w.word < ` + p + ` || chr(1114111)` + cursor + where.String() + `
			)` + more.String() + `, page AS (
				SELECT sort_name, member_id FROM w1 WHERE true` + semi.String() + `
				GROUP BY sort_name, member_id
				ORDER BY sort_name, member_id LIMIT ` + arg(f.Limit+1) + `
			)
			SELECT ` + memberColsM + `, p.sort_name FROM page p JOIN members m ON m.id = p.member_id AND m.app_id = $1
			ORDER BY p.sort_name, p.member_id`
	}
	rows, err := s.db.Query(ctx, q, args...)
	if err != nil {
		return nil, pg.Err(err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (service.MemberHit, error) {
		var h service.MemberHit
		m, err := scanMember(r, &h.SortName)
		h.Member = m
		return h, err
	})
	return out, pg.Err(err)
}

// AddCode implements service.SignInCodeStore. The code is created at c.CreatedAt,
// on the service's clock as the rate limits are.
func (s *Store) AddCode(ctx context.Context, c service.SignInCode) (err error) {
	defer errs.Annotate(&err, "store.AddCode(%s)", c.ID)
	const q = `INSERT INTO sign_in_codes (id, app_id, email, code_hash, expires_at, created_at) VALUES ($1, $2, $3, $4, $5, $6)`
	_, err = s.db.Exec(ctx, q, c.ID, c.AppID, c.Email, c.CodeHash, c.ExpiresAt, c.CreatedAt)
	return pg.Err(err)
}

// codesLockKey is the advisory lock key that serializes the sign-in code
// requests of one email in one app.
func codesLockKey(app, email string) int64 {
	h := fnv.New64a()
	h.Write([]byte("attendify/hub.sign_in_codes\x00" + app + "\x00" + email))
	return int64(h.Sum64())
}

// CodesSince implements service.SignInCodeStore. Inside InTx it first takes a
// transaction-level advisory lock on (app, email), held until the commit:
// the requests of one email count and add their codes one at a time, so
// that parallel requests cannot all pass the rate limits.
func (s *Store) CodesSince(ctx context.Context, app, email string, t time.Time) (_ int, _ time.Time, err error) {
	defer errs.Annotate(&err, "store.CodesSince(%s, %s)", app, email)
	if s.tx != nil {
		const lock = `SELECT pg_advisory_xact_lock($1)`
		if _, err := s.db.Exec(ctx, lock, codesLockKey(app, email)); err != nil {
			return 0, time.Time{}, pg.Err(err)
		}
	}
	const q = `
		SELECT count(*), coalesce(max(created_at), 'epoch') FROM sign_in_codes
		WHERE app_id = $1 AND email = $2 AND created_at >= $3`
	var n int
	var last time.Time
	err = s.db.QueryRow(ctx, q, app, email, t).Scan(&n, &last)
	return n, last, pg.Err(err)
}

// UpdateLiveCode implements service.SignInCodeStore.
func (s *Store) UpdateLiveCode(ctx context.Context, app, email string, now time.Time, update func(c *service.SignInCode) error) (out service.SignInCode, err error) {
	err = s.inTx(ctx, func(s *Store) error {
		out, err = s.updateLiveCode(ctx, app, email, now, update)
		return err
	})
	return out, err
}

func (s *Store) updateLiveCode(ctx context.Context, app, email string, now time.Time, update func(c *service.SignInCode) error) (service.SignInCode, error) {
	c, err := s.lockLiveCode(ctx, app, email, now)
	if err != nil {
		return service.SignInCode{}, err
	}
	changed := c
	if err := update(&changed); err != nil {
		return service.SignInCode{}, err
	}
	c.Attempts, c.Used = changed.Attempts, changed.Used
	return c, s.writeCode(ctx, c)
}

// lockLiveCode reads the live code of email for UpdateLiveCode.
func (s *Store) lockLiveCode(ctx context.Context, app, email string, now time.Time) (_ service.SignInCode, err error) {
	defer errs.Annotate(&err, "store.UpdateLiveCode(%s, %s)", app, email)
	const q = `
		SELECT id, app_id, email, code_hash, attempts, expires_at, created_at FROM sign_in_codes
		WHERE app_id = $1 AND email = $2 AND used_at IS NULL AND expires_at > $3
		ORDER BY created_at DESC LIMIT 1 FOR UPDATE`
	var c service.SignInCode
	err = s.db.QueryRow(ctx, q, app, email, now).Scan(&c.ID, &c.AppID, &c.Email, &c.CodeHash, &c.Attempts, &c.ExpiresAt, &c.CreatedAt)
	return c, pg.Err(err)
}

// writeCode writes the attempts of a code read by UpdateLiveCode and
// whether it is used.
func (s *Store) writeCode(ctx context.Context, c service.SignInCode) (err error) {
	defer errs.Annotate(&err, "store.UpdateLiveCode(%s, %s)", c.AppID, c.Email)
	const q = `UPDATE sign_in_codes SET attempts = $2, used_at = CASE WHEN $3 THEN now() END WHERE id = $1`
	_, err = s.db.Exec(ctx, q, c.ID, c.Attempts, c.Used)
	return pg.Err(err)
}
