package pgstore

import (
	"context"
	"encoding/json"
	"errors"
	"maps"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/attendify/platform/events"
	"github.com/attendify/platform/pg"
	"github.com/attendify/sponsored"
	"github.com/attendify/sponsored/internal/derr"
	"github.com/attendify/sponsored/internal/service"
	"github.com/attendify/sponsored/placement"
)

// counting is a campaign as Count needs it, locked for the transaction.
type counting struct {
	loc     *time.Location
	budget  int64
	counted int64
	state   string
	moved   bool
}

// Count records a batch of an app's stream in one transaction: impressions
// (new ids only; billable while the campaign's counted impressions are
// below its budget, organizers' and staff's never), then clicks and views
// of impressions it knows (once per impression id), then the campaigns'
// counts, finishing those whose budget is reached, and the events in the
// outbox (an impressions event per campaign, a click or view event each).
// Records of campaigns of other apps are ignored. The clicks and views of
// impressions it does not hold come back as Waiting.
func (s *Store) Count(ctx context.Context, app string, recs []service.Record) (_ service.Counted, err error) {
	defer derr.Wrap(&err, "pgstore.Count(%q, %d records)", app, len(recs))
	var ids []string
	for _, r := range recs {
		for _, it := range r.Items {
			ids = append(ids, it.Campaign)
		}
	}
	slices.Sort(ids)
	ids = slices.Compact(ids)
	// First as if no impression of the batch was counted before (the usual
	// case: one lookup of each id, the insert's own); a batch that names
	// one (a replay after a crash before the ack) is counted again with
	// the lookups it needs.
	replay := false
	for {
		out, err := s.count(ctx, app, recs, ids, replay)
		if replay || !errors.Is(err, errCountedBefore) {
			return out, err
		}
		replay = true
	}
}

func (s *Store) count(ctx context.Context, app string, recs []service.Record, ids []string, replay bool) (out service.Counted, err error) {
	err = pg.InTx(ctx, s.pool, pgx.TxOptions{}, func(tx pgx.Tx) error {
		out = service.Counted{}
		camps, err := lockCampaigns(ctx, tx, app, ids)
		if err != nil {
			return err
		}
		evs, err := insertImpressions(ctx, tx, app, recs, camps, replay)
		if err != nil {
			return err
		}
		for _, kind := range []string{placement.RecordClick, placement.RecordView} {
			got, waiting, err := insertActions(ctx, tx, app, kind, recs, camps)
			if err != nil {
				return err
			}
			evs = append(evs, got...)
			out.Waiting = append(out.Waiting, waiting...)
		}
		for _, id := range ids {
			c := camps[id]
			if c == nil || !c.moved {
				continue
			}
			const q = `UPDATE campaigns SET counted = $3,
				state = CASE WHEN $3 >= budget AND state = 'live' THEN 'finished' ELSE state END,
				version = version + CASE WHEN $3 >= budget AND state = 'live' THEN 1 ELSE 0 END,
				updated_at = CASE WHEN $3 >= budget AND state = 'live' THEN now() ELSE updated_at END
				WHERE app_id = $1 AND id = $2 RETURNING state`
			var state string
			if err := tx.QueryRow(ctx, q, app, id, c.counted).Scan(&state); err != nil {
				return pg.Err(err)
			}
			if state != c.state {
				out.Finished = append(out.Finished, id)
				evs = append(evs, event(sponsored.EventCampaignState, app, id, sponsored.CampaignStatePayload{CampaignID: id, From: c.state, To: state, At: time.Now().UTC()}))
			}
		}
		return events.AddToOutbox(ctx, tx, evs...)
	})
	return out, err
}

func lockCampaigns(ctx context.Context, tx pgx.Tx, app string, ids []string) (map[string]*counting, error) {
	const q = `SELECT id, settings->'flight'->>'time_zone', budget, counted, state FROM campaigns
		WHERE app_id = $1 AND id = ANY($2) ORDER BY id FOR UPDATE`
	rows, err := tx.Query(ctx, q, app, ids)
	if err != nil {
		return nil, pg.Err(err)
	}
	defer rows.Close()
	out := map[string]*counting{}
	for rows.Next() {
		var id, zone string
		c := &counting{}
		if err := rows.Scan(&id, &zone, &c.budget, &c.counted, &c.state); err != nil {
			return nil, pg.Err(err)
		}
		if c.loc, err = time.LoadLocation(zone); err != nil {
			c.loc = time.UTC
		}
		out[id] = c
	}
	return out, pg.Err(rows.Err())
}

// errCountedBefore is the first attempt of a batch that names an
// impression already counted.
var errCountedBefore = errors.New("an impression of the batch was counted before")

// insertImpressions inserts the batch's new impressions of known campaigns
// and returns their events (one per campaign). Whether one is billable is
// decided before the insert, under the campaigns' locks, in stream order:
// not internal and its campaign's counted impressions still below the
// budget. So each impression is written once (the billable flag is in an
// index: setting it after the insert wrote every row twice).
//
// Unless replay, it takes every impression of the batch for new (ids
// repeated within the batch aside) and inserts them without a lookup or
// conflict check beyond the primary key's own: an id counted before fails
// the insert with errCountedBefore, and the batch is counted again with
// replay set, which reads the ids counted before and leaves them out.
func insertImpressions(ctx context.Context, tx pgx.Tx, app string, recs []service.Record, camps map[string]*counting, replay bool) ([]events.Event, error) {
	skip := map[string]bool{}
	if replay {
		var all []string
		for _, r := range recs {
			if r.Kind != placement.RecordImpression {
				continue
			}
			for _, it := range r.Items {
				if camps[it.Campaign] != nil {
					all = append(all, it.Impression)
				}
			}
		}
		// Ids counted before (a replayed or re-read record). The
		// campaigns' row locks order every Count that could insert them,
		// so none can appear between this read and the insert.
		rows, err := tx.Query(ctx, `SELECT id FROM impressions WHERE id = ANY($1)`, all)
		if err != nil {
			return nil, pg.Err(err)
		}
		known, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			return nil, pg.Err(err)
		}
		for _, id := range known {
			skip[id] = true
		}
	}
	var id, camp, member, day []string
	var at []time.Time
	var internal, billable []bool
	byCampaign := map[string][]sponsored.ImpressionPayload{}
	for _, r := range recs {
		if r.Kind != placement.RecordImpression {
			continue
		}
		for _, it := range r.Items {
			c := camps[it.Campaign]
			if c == nil || skip[it.Impression] {
				continue // another app's campaign, counted before, or twice in this batch
			}
			skip[it.Impression] = true
			bill := !r.Internal && c.counted < c.budget
			if bill {
				c.counted++
				c.moved = true
			}
			id, camp, member = append(id, it.Impression), append(camp, it.Campaign), append(member, r.Member)
			at, day = append(at, r.At), append(day, r.At.In(c.loc).Format(time.DateOnly))
			internal, billable = append(internal, r.Internal), append(billable, bill)
			byCampaign[it.Campaign] = append(byCampaign[it.Campaign], sponsored.ImpressionPayload{
				ImpressionID: it.Impression, CampaignID: it.Campaign, MemberID: r.Member, At: r.At, Internal: r.Internal, Billable: bill})
		}
	}
	if len(id) == 0 {
		return nil, nil
	}
	const insert = `INSERT INTO impressions (id, app_id, campaign_id, member_id, served_at, day, internal, billable)
		SELECT i, $1, c, m, t, d::date, n, b
		FROM unnest($2::text[], $3::text[], $4::text[], $5::timestamptz[], $6::text[], $7::bool[], $8::bool[]) AS r(i, c, m, t, d, n, b)`
	if !replay {
		if _, err := tx.Exec(ctx, insert, app, id, camp, member, at, day, internal, billable); err != nil {
			if pe := (*pgconn.PgError)(nil); errors.As(err, &pe) && pe.Code == "23505" && pe.TableName == "impressions" {
				return nil, errCountedBefore
			}
			return nil, pg.Err(err)
		}
		return impressionEvents(app, byCampaign), nil
	}
	// ON CONFLICT covers an id that a record names under another campaign
	// (placement never makes one): such an impression is not counted.
	rows, err := tx.Query(ctx, insert+` ON CONFLICT (id) DO NOTHING RETURNING id`, app, id, camp, member, at, day, internal, billable)
	if err != nil {
		return nil, pg.Err(err)
	}
	inserted, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, pg.Err(err)
	}
	if len(inserted) != len(id) {
		in := make(map[string]bool, len(inserted))
		for _, i := range inserted {
			in[i] = true
		}
		for c := range byCampaign {
			byCampaign[c] = slices.DeleteFunc(byCampaign[c], func(p sponsored.ImpressionPayload) bool {
				if !in[p.ImpressionID] && p.Billable {
					camps[c].counted--
				}
				return !in[p.ImpressionID]
			})
		}
	}
	return impressionEvents(app, byCampaign), nil
}

// impressionEvents is an impressions event per campaign, by campaign id.
func impressionEvents(app string, byCampaign map[string][]sponsored.ImpressionPayload) []events.Event {
	evs := make([]events.Event, 0, len(byCampaign))
	for _, c := range slices.Sorted(maps.Keys(byCampaign)) {
		if len(byCampaign[c]) == 0 {
			continue
		}
		evs = append(evs, event(sponsored.EventImpressions, app, c, sponsored.ImpressionsPayload{CampaignID: c, Impressions: byCampaign[c]}))
	}
	return evs
}

// insertActions inserts the batch's clicks or views of impressions the
// ledger holds for the same campaign and member, once per impression, and
// returns their events; and the ids of the records that name an
// impression it does not hold (of any campaign), in the same statement.
func insertActions(ctx context.Context, tx pgx.Tx, app, kind string, recs []service.Record, camps map[string]*counting) (_ []events.Event, waiting []string, _ error) {
	var imp, camp, member, day []string
	var at []time.Time
	var rec []int32 // the record of each item, by its index in recs
	for n, r := range recs {
		if r.Kind != kind {
			continue
		}
		for _, it := range r.Items {
			c := camps[it.Campaign]
			if c == nil {
				continue
			}
			imp, camp, member = append(imp, it.Impression), append(camp, it.Campaign), append(member, r.Member)
			at, day = append(at, r.At), append(day, r.At.In(c.loc).Format(time.DateOnly))
			rec = append(rec, int32(n))
		}
	}
	if len(imp) == 0 {
		return nil, nil, nil
	}
	table, typ := "clicks", sponsored.EventClick
	if kind == placement.RecordView {
		table, typ = "views", sponsored.EventView
	}
	// The insert's rows (n is null), then the records of unknown
	// impressions: the statement's snapshot holds this transaction's
	// impressions, inserted by an earlier statement.
	q := `WITH r AS (
			SELECT * FROM unnest($2::text[], $3::text[], $4::text[], $5::timestamptz[], $6::text[], $7::int[]) AS r(i, c, m, t, d, n)),
		ins AS (
			INSERT INTO ` + table + ` (impression_id, app_id, campaign_id, member_id, at, day, internal)
			SELECT DISTINCT ON (i.id) i.id, i.app_id, i.campaign_id, i.member_id, r.t, r.d::date, i.internal
			FROM r JOIN impressions i ON i.id = r.i AND i.campaign_id = r.c AND i.member_id = r.m AND i.app_id = $1
			ORDER BY i.id, r.t
			ON CONFLICT (impression_id) DO NOTHING
			RETURNING impression_id, campaign_id, member_id, at, internal)
		SELECT impression_id, campaign_id, member_id, at, internal, NULL::int FROM ins
		UNION ALL
		SELECT DISTINCT '', '', '', now(), false, r.n FROM r WHERE NOT EXISTS (SELECT FROM impressions i WHERE i.id = r.i)`
	rows, err := tx.Query(ctx, q, app, imp, camp, member, at, day, rec)
	if err != nil {
		return nil, nil, pg.Err(err)
	}
	defer rows.Close()
	var evs []events.Event
	for rows.Next() {
		var p sponsored.ImpressionPayload
		var n *int32
		if err := rows.Scan(&p.ImpressionID, &p.CampaignID, &p.MemberID, &p.At, &p.Internal, &n); err != nil {
			return nil, nil, pg.Err(err)
		}
		if n != nil {
			waiting = append(waiting, recs[*n].ID)
			continue
		}
		p.At = p.At.UTC()
		evs = append(evs, event(typ, app, p.CampaignID, p))
	}
	return evs, waiting, pg.Err(rows.Err())
}

// Served reports whether the ledger holds an impression of campaign shown
// to member (one index lookup).
func (s *Store) Served(ctx context.Context, app, campaign, member string) (_ bool, err error) {
	defer derr.Wrap(&err, "pgstore.Served(%q, %q, %q)", app, campaign, member)
	const q = `SELECT EXISTS (SELECT FROM impressions WHERE campaign_id = $1 AND member_id = $2 AND app_id = $3)`
	var ok bool
	err = s.pool.QueryRow(ctx, q, campaign, member, app).Scan(&ok)
	return ok, pg.Err(err)
}

// CapWindows returns each member's counted impressions of c: in the flight,
// in the clock hour of now and on the day of now in the flight's zone, and
// the members who hid it.
func (s *Store) CapWindows(ctx context.Context, c service.Campaign, now time.Time) (_ []service.CapWindow, err error) {
	defer derr.Wrap(&err, "pgstore.CapWindows(%q, %q)", c.App, c.ID)
	loc, lerr := time.LoadLocation(c.Flight.TimeZone)
	if lerr != nil {
		loc = time.UTC
	}
	hour := now.UTC().Truncate(time.Hour)
	day := now.In(loc).Format(time.DateOnly)
	const q = `
		SELECT member_id, sum(flight)::int, sum(hour)::int, sum(today)::int, bool_or(hidden) FROM (
			SELECT member_id, count(*) AS flight,
				count(*) FILTER (WHERE served_at >= $3) AS hour,
				count(*) FILTER (WHERE day = $4::date) AS today, false AS hidden
			FROM impressions WHERE app_id = $1 AND campaign_id = $2 GROUP BY member_id
			UNION ALL
			SELECT member_id, 0, 0, 0, true FROM hides WHERE app_id = $1 AND campaign_id = $2
		) w GROUP BY member_id ORDER BY member_id`
	rows, err := s.pool.Query(ctx, q, c.App, c.ID, hour, day)
	if err != nil {
		return nil, pg.Err(err)
	}
	hb := placement.HourBucket(now.Unix())
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (service.CapWindow, error) {
		w := service.CapWindow{Campaign: c.ID, Hour: hb, Day: day}
		err := r.Scan(&w.Member, &w.FlightCount, &w.HourCount, &w.DayCount, &w.Hidden)
		return w, err
	})
	return out, pg.Err(err)
}

// Figures returns c's counts per day (billable impressions and their
// distinct members, clicks, views, leads; organizers' and staff's left
// out) and its distinct reach over the flight.
func (s *Store) Figures(ctx context.Context, c service.Campaign) (_ service.Figures, err error) {
	defer derr.Wrap(&err, "pgstore.Figures(%q, %q)", c.App, c.ID)
	const q = `
		WITH imp AS (
			SELECT day, count(*) AS n, count(DISTINCT member_id) AS reach FROM impressions
			WHERE campaign_id = $1 AND app_id = $2 AND billable AND NOT internal GROUP BY day),
		clk AS (SELECT day, count(*) AS n FROM clicks WHERE campaign_id = $1 AND app_id = $2 AND NOT internal GROUP BY day),
		vw AS (SELECT day, count(*) AS n FROM views WHERE campaign_id = $1 AND app_id = $2 AND NOT internal GROUP BY day),
		ld AS (SELECT day, count(*) AS n FROM leads WHERE campaign_id = $1 AND app_id = $2 AND NOT internal GROUP BY day),
		days AS (SELECT day FROM imp UNION SELECT day FROM clk UNION SELECT day FROM vw UNION SELECT day FROM ld)
		SELECT days.day::text, coalesce(imp.n, 0), coalesce(imp.reach, 0), coalesce(clk.n, 0), coalesce(vw.n, 0), coalesce(ld.n, 0)
		FROM days LEFT JOIN imp USING (day) LEFT JOIN clk USING (day) LEFT JOIN vw USING (day) LEFT JOIN ld USING (day)
		ORDER BY days.day`
	rows, err := s.pool.Query(ctx, q, c.ID, c.App)
	if err != nil {
		return service.Figures{}, pg.Err(err)
	}
	days, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (service.DayFigures, error) {
		var d service.DayFigures
		err := r.Scan(&d.Day, &d.Impressions, &d.Reach, &d.Clicks, &d.Views, &d.Leads)
		return d, err
	})
	if err != nil {
		return service.Figures{}, pg.Err(err)
	}
	f := service.Figures{Days: days}
	const reach = `SELECT count(DISTINCT member_id) FROM impressions WHERE campaign_id = $1 AND app_id = $2 AND billable AND NOT internal`
	if err := s.pool.QueryRow(ctx, reach, c.ID, c.App).Scan(&f.Reach); err != nil {
		return service.Figures{}, pg.Err(err)
	}
	return f, nil
}

// AddLead stores a lead unless the member sent one for the campaign, and
// announces it (EventLead) in the same transaction.
func (s *Store) AddLead(ctx context.Context, l service.Lead) (_ service.Lead, created bool, err error) {
	defer derr.Wrap(&err, "pgstore.AddLead(%q, %q, %q)", l.App, l.Campaign, l.Member)
	fields, err := json.Marshal(l.Fields)
	if err != nil {
		return l, false, err
	}
	var out service.Lead
	err = pg.InTx(ctx, s.pool, pgx.TxOptions{}, func(tx pgx.Tx) error {
		const q = `INSERT INTO leads (id, app_id, campaign_id, member_id, impression_id, fields, consent, internal, created_at, day)
			SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, ($9 AT TIME ZONE coalesce(c.settings->'flight'->>'time_zone', 'UTC'))::date
			FROM campaigns c WHERE c.id = $3 AND c.app_id = $2
			ON CONFLICT (campaign_id, member_id) DO NOTHING`
		tag, err := tx.Exec(ctx, q, l.ID, l.App, l.Campaign, l.Member, l.Impression, fields, l.Consent, l.Internal, l.CreatedAt)
		if err != nil {
			return pg.Err(err)
		}
		created = tag.RowsAffected() == 1
		if created {
			if err := events.AddToOutbox(ctx, tx, event(sponsored.EventLead, l.App, l.Campaign, sponsored.LeadPayload{
				LeadID: l.ID, ImpressionID: l.Impression, CampaignID: l.Campaign, MemberID: l.Member, At: l.CreatedAt, Internal: l.Internal})); err != nil {
				return err
			}
		}
		const sel = `SELECT ` + leadCols + ` FROM leads WHERE campaign_id = $1 AND member_id = $2`
		out, err = scanLead(tx.QueryRow(ctx, sel, l.Campaign, l.Member))
		return pg.Err(err)
	})
	return out, created, err
}

const leadCols = `id, app_id, campaign_id, member_id, impression_id, fields, consent, internal, created_at`

func scanLead(row pgx.Row) (service.Lead, error) {
	var l service.Lead
	var raw []byte
	if err := row.Scan(&l.ID, &l.App, &l.Campaign, &l.Member, &l.Impression, &raw, &l.Consent, &l.Internal, &l.CreatedAt); err != nil {
		return l, err
	}
	l.CreatedAt = l.CreatedAt.UTC()
	return l, json.Unmarshal(raw, &l.Fields)
}

// Leads returns a page of a campaign's leads by id (organizers' own
// included, marked Internal).
func (s *Store) Leads(ctx context.Context, q service.LeadQuery) (_ []service.Lead, err error) {
	defer derr.Wrap(&err, "pgstore.Leads(%q, %q, %q)", q.App, q.Campaign, q.After)
	const sel = `SELECT ` + leadCols + ` FROM leads WHERE app_id = $1 AND campaign_id = $2 AND id > $3 ORDER BY id LIMIT $4`
	rows, err := s.pool.Query(ctx, sel, q.App, q.Campaign, q.After, q.Limit)
	if err != nil {
		return nil, pg.Err(err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (service.Lead, error) { return scanLead(r) })
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	return out, pg.Err(err)
}
