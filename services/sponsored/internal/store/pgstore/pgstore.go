// Package pgstore is sponsored's Postgres adapter: campaigns (the truth of
// states and budgets), the counted impressions, clicks and views
// (deduplicated by impression id, with the budget's hard stop), leads and
// hides, and the outbox of sponsored's events.
package pgstore

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/attendify/platform/errs"
	"github.com/attendify/platform/events"
	"github.com/attendify/platform/pg"
	"github.com/attendify/sponsored"
	"github.com/attendify/sponsored/internal/derr"
	"github.com/attendify/sponsored/internal/service"
)

// Store is the Postgres adapter.
type Store struct {
	pool *pgxpool.Pool
}

// New returns a Store on pool (schema sponsored first in its search_path).
func New(pool *pgxpool.Pool) *Store { return &Store{pool: pool} }

var (
	_ service.Campaigns = (*Store)(nil)
	_ service.Ledger    = (*Store)(nil)
)

// settingsDoc is how Settings are stored (column settings).
type settingsDoc struct {
	Name    string            `json:"name"`
	Sponsor sponsorDoc        `json:"sponsor"`
	Text    string            `json:"text"`
	Photos  []string          `json:"photos"`
	CTA     ctaDoc            `json:"cta"`
	Flight  flightDoc         `json:"flight"`
	Events  []string          `json:"events"`
	Roles   []string          `json:"member_roles"`
	Tickets []string          `json:"ticket_types"`
	Weight  int               `json:"weight"`
	Pacing  string            `json:"pacing"`
	Caps    [3]int            `json:"caps"` // per hour, day, flight
	Extra   map[string]string `json:"extra,omitempty"`
}

type sponsorDoc struct {
	Name string `json:"name"`
	Logo string `json:"logo"`
}

type ctaDoc struct {
	Kind    string     `json:"kind"`
	Label   string     `json:"label"`
	URL     string     `json:"url"`
	Fields  []fieldDoc `json:"fields"`
	Consent string     `json:"consent"`
}

type fieldDoc struct {
	Name     string `json:"name"`
	Label    string `json:"label"`
	Kind     string `json:"kind"`
	Required bool   `json:"required"`
}

type flightDoc struct {
	Start string `json:"start"`
	End   string `json:"end"`
	Zone  string `json:"time_zone"`
}

func docOf(s service.Settings) settingsDoc {
	d := settingsDoc{
		Name: s.Name, Sponsor: sponsorDoc{s.Sponsor.Name, s.Sponsor.LogoURL}, Text: s.Creative.Text, Photos: s.Creative.Photos,
		CTA:    ctaDoc{Kind: s.Creative.CTA.Kind, Label: s.Creative.CTA.Label, URL: s.Creative.CTA.URL, Consent: s.Creative.CTA.Consent},
		Flight: flightDoc{s.Flight.Start, s.Flight.End, s.Flight.TimeZone},
		Events: s.Targeting.Events, Roles: s.Targeting.MemberRoles, Tickets: s.Targeting.TicketTypes,
		Weight: s.Weight, Pacing: s.Pacing, Caps: [3]int{s.Caps.PerHour, s.Caps.PerDay, s.Caps.PerFlight},
	}
	for _, f := range s.Creative.CTA.Fields {
		d.CTA.Fields = append(d.CTA.Fields, fieldDoc(f))
	}
	return d
}

func (d settingsDoc) settings(budget int64) service.Settings {
	s := service.Settings{
		Name: d.Name, Sponsor: service.Sponsor{Name: d.Sponsor.Name, LogoURL: d.Sponsor.Logo},
		Creative:  service.Creative{Text: d.Text, Photos: d.Photos, CTA: service.CTA{Kind: d.CTA.Kind, Label: d.CTA.Label, URL: d.CTA.URL, Consent: d.CTA.Consent}},
		Flight:    service.Flight{Start: d.Flight.Start, End: d.Flight.End, TimeZone: d.Flight.Zone},
		Targeting: service.Targeting{Events: d.Events, MemberRoles: d.Roles, TicketTypes: d.Tickets},
		Weight:    d.Weight, Budget: budget, Pacing: d.Pacing,
		Caps: service.Caps{PerHour: d.Caps[0], PerDay: d.Caps[1], PerFlight: d.Caps[2]},
	}
	for _, f := range d.CTA.Fields {
		s.Creative.CTA.Fields = append(s.Creative.CTA.Fields, service.LeadField(f))
	}
	return s
}

const campaignCols = `id, app_id, settings, state, start_at, end_at, budget, counted, report_nonce, version, created_at, updated_at`

func scanCampaign(row pgx.Row) (service.Campaign, error) {
	var c service.Campaign
	var raw []byte
	err := row.Scan(&c.ID, &c.App, &raw, &c.State, &c.Start, &c.End, &c.Budget, &c.Counted, &c.ReportNonce, &c.Version, &c.CreatedAt, &c.UpdatedAt)
	if err != nil {
		return c, err
	}
	var d settingsDoc
	if err := json.Unmarshal(raw, &d); err != nil {
		return c, err
	}
	c.Settings = d.settings(c.Budget)
	c.Start, c.End, c.CreatedAt, c.UpdatedAt = c.Start.UTC(), c.End.UTC(), c.CreatedAt.UTC(), c.UpdatedAt.UTC()
	return c, nil
}

// Create stores a new campaign.
func (s *Store) Create(ctx context.Context, c service.Campaign) (err error) {
	defer derr.Wrap(&err, "pgstore.Create(%q, %q)", c.App, c.ID)
	const q = `INSERT INTO campaigns (` + campaignCols + `) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`
	doc, err := json.Marshal(docOf(c.Settings))
	if err != nil {
		return err
	}
	_, err = s.pool.Exec(ctx, q, c.ID, c.App, doc, c.State, c.Start, c.End, c.Budget, c.Counted, c.ReportNonce, c.Version, c.CreatedAt, c.UpdatedAt)
	return pg.Err(err)
}

// Get reads a campaign of app.
func (s *Store) Get(ctx context.Context, app, id string) (_ service.Campaign, err error) {
	defer derr.Wrap(&err, "pgstore.Get(%q, %q)", app, id)
	const q = `SELECT ` + campaignCols + ` FROM campaigns WHERE app_id = $1 AND id = $2`
	c, err := scanCampaign(s.pool.QueryRow(ctx, q, app, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return c, errs.New(errs.NotFound, "campaign not found")
	}
	return c, pg.Err(err)
}

// List returns a page of app's campaigns newest first, after the campaign
// the cursor ends at: its (created_at, id) as stored, whatever its state
// now.
func (s *Store) List(ctx context.Context, q service.CampaignQuery) (_ service.CampaignPage, err error) {
	defer derr.Wrap(&err, "pgstore.List(%q, %q, %q)", q.App, q.State, q.Cursor)
	after, err := service.CampaignAfter(q)
	if err != nil {
		return service.CampaignPage{}, err
	}
	// A cursor naming no campaign of the app compares as NULL: no rows.
	const sel = `SELECT ` + campaignCols + ` FROM campaigns
		WHERE app_id = $1 AND (state = $2 OR ($2 = '' AND state <> 'archived'))
		  AND ($3 = '' OR (created_at, id) < (SELECT a.created_at, a.id FROM campaigns a WHERE a.app_id = $1 AND a.id = $3))
		ORDER BY created_at DESC, id DESC LIMIT $4`
	cs, err := s.campaigns(ctx, sel, q.App, q.State, after, q.Limit+1)
	if err != nil {
		return service.CampaignPage{}, err
	}
	if len(cs) == 0 && after != "" {
		const known = `SELECT EXISTS (SELECT 1 FROM campaigns WHERE app_id = $1 AND id = $2)`
		var ok bool
		if err := s.pool.QueryRow(ctx, known, q.App, after).Scan(&ok); err != nil {
			return service.CampaignPage{}, pg.Err(err)
		}
		if !ok {
			return service.CampaignPage{}, service.BadCampaignCursor()
		}
	}
	page := service.CampaignPage{Campaigns: cs}
	if len(cs) > q.Limit {
		page.Campaigns = cs[:q.Limit]
		page.Next = service.CampaignCursor(q, page.Campaigns[q.Limit-1].ID)
	}
	return page, nil
}

// Active lists the scheduled, live and paused campaigns, and those that
// changed since since.
func (s *Store) Active(ctx context.Context, since time.Time) (_ []service.Campaign, err error) {
	defer derr.Wrap(&err, "pgstore.Active(%s)", since.Format(time.RFC3339))
	const q = `SELECT ` + campaignCols + ` FROM campaigns
		WHERE state IN ('scheduled', 'live', 'paused')
		   OR (state IN ('finished', 'archived') AND updated_at >= $1)
		ORDER BY app_id, id`
	return s.campaigns(ctx, q, since)
}

// ActiveOf lists app's scheduled, live and paused campaigns, and those
// that changed since since: all of them, as the publisher needs.
func (s *Store) ActiveOf(ctx context.Context, app string, since time.Time) (_ []service.Campaign, err error) {
	defer derr.Wrap(&err, "pgstore.ActiveOf(%q, %s)", app, since.Format(time.RFC3339))
	const q = `SELECT ` + campaignCols + ` FROM campaigns
		WHERE app_id = $1 AND (state IN ('scheduled', 'live', 'paused')
		   OR (state IN ('finished', 'archived') AND updated_at >= $2))
		ORDER BY id`
	return s.campaigns(ctx, q, app, since)
}

func (s *Store) campaigns(ctx context.Context, q string, args ...any) ([]service.Campaign, error) {
	rows, err := s.pool.Query(ctx, q, args...)
	if err != nil {
		return nil, pg.Err(err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (service.Campaign, error) { return scanCampaign(r) })
	return out, pg.Err(err)
}

// Update changes a campaign under a row lock, with a new version; a state
// change goes to the outbox in the same transaction.
func (s *Store) Update(ctx context.Context, app, id string, now time.Time, change func(*service.Campaign) error) (_ service.Campaign, err error) {
	defer derr.Wrap(&err, "pgstore.Update(%q, %q)", app, id)
	var out service.Campaign
	err = pg.InTx(ctx, s.pool, pgx.TxOptions{}, func(tx pgx.Tx) error {
		const sel = `SELECT ` + campaignCols + ` FROM campaigns WHERE app_id = $1 AND id = $2 FOR UPDATE`
		c, err := scanCampaign(tx.QueryRow(ctx, sel, app, id))
		if errors.Is(err, pgx.ErrNoRows) {
			return errs.New(errs.NotFound, "campaign not found")
		}
		if err != nil {
			return pg.Err(err)
		}
		before := c
		if err := change(&c); err != nil {
			return err
		}
		c.Version = before.Version + 1
		c.UpdatedAt = now
		doc, err := json.Marshal(docOf(c.Settings))
		if err != nil {
			return err
		}
		const upd = `UPDATE campaigns SET settings = $3, state = $4, start_at = $5, end_at = $6, budget = $7,
			report_nonce = $8, version = $9, updated_at = $10 WHERE app_id = $1 AND id = $2`
		if _, err := tx.Exec(ctx, upd, app, id, doc, c.State, c.Start, c.End, c.Budget, c.ReportNonce, c.Version, c.UpdatedAt); err != nil {
			return pg.Err(err)
		}
		if c.State != before.State {
			if err := events.AddToOutbox(ctx, tx, stateEvent(c, before.State, now)); err != nil {
				return err
			}
		}
		out = c
		return nil
	})
	return out, err
}

func stateEvent(c service.Campaign, from string, now time.Time) events.Event {
	return event(sponsored.EventCampaignState, c.App, c.ID, sponsored.CampaignStatePayload{CampaignID: c.ID, From: from, To: c.State, At: now})
}

func event(typ, app, subject string, payload any) events.Event {
	b, _ := json.Marshal(payload) // plain structs: cannot fail
	return events.Event{Type: typ, App: app, Subject: subject, Data: b}
}

// Hide records a member's hide of a campaign (the first reason stays).
func (s *Store) Hide(ctx context.Context, h service.Hidden) (err error) {
	defer derr.Wrap(&err, "pgstore.Hide(%q, %q, %q)", h.App, h.Campaign, h.Member)
	const q = `INSERT INTO hides (campaign_id, member_id, app_id, reason, hidden_at) VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT DO NOTHING`
	_, err = s.pool.Exec(ctx, q, h.Campaign, h.Member, h.App, h.Reason, h.At)
	return pg.Err(err)
}

// Every is app's organic posts per sponsored slot, 0 when unset.
func (s *Store) Every(ctx context.Context, app string) (_ int, err error) {
	defer derr.Wrap(&err, "pgstore.Every(%q)", app)
	const q = `SELECT every FROM app_settings WHERE app_id = $1`
	var n int
	err = s.pool.QueryRow(ctx, q, app).Scan(&n)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, nil
	}
	return n, pg.Err(err)
}

// SetEvery sets app's organic posts per sponsored slot.
func (s *Store) SetEvery(ctx context.Context, app string, every int, now time.Time) (err error) {
	defer derr.Wrap(&err, "pgstore.SetEvery(%q, %d)", app, every)
	const q = `INSERT INTO app_settings (app_id, every, updated_at) VALUES ($1, $2, $3)
		ON CONFLICT (app_id) DO UPDATE SET every = excluded.every, updated_at = excluded.updated_at`
	_, err = s.pool.Exec(ctx, q, app, every, now)
	return pg.Err(err)
}
