package service

import (
	"context"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/attendify/sponsored"
	"github.com/attendify/sponsored/placement"
)

// recentApps remembers the apps whose records the counter reads: those
// with active campaigns, for a day after their last one stopped.
type recentApps struct {
	mu   sync.Mutex
	seen map[string]time.Time
}

func (r *recentApps) add(app string, at time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.seen == nil {
		r.seen = map[string]time.Time{}
	}
	r.seen[app] = at
}

func (r *recentApps) list(now time.Time) []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	for a, at := range r.seen {
		if now.Sub(at) > 24*time.Hour {
			delete(r.seen, a)
		}
	}
	return slices.Sorted(maps.Keys(r.seen))
}

// Publish runs one round of the publisher: it moves campaigns between
// states by time (scheduled to live at the flight's start, live or paused
// to finished at its end, live to finished once the budget is counted),
// then publishes each active app's eligibility and live counters. After a
// Redis loss (the eligibility is missing) it first restores the members'
// caps and hides from Postgres, then publishes, so that no page is served
// from empty caps.
//
// A change (a pause, an update, a budget counted) republishes its app at
// once, maybe while a round that read the campaigns before the change is
// about to publish them: each publication takes a generation before it
// reads, and Redis keeps the newest, so the round's older read is not
// written over the change's (a paused campaign served again until the
// next round).
func (s *Service) Publish(ctx context.Context) error {
	now := s.now()
	gen, err := s.o.Board.Generation(ctx)
	if err != nil {
		return err
	}
	cs, err := s.o.Campaigns.Active(ctx, now.Add(-24*time.Hour))
	if err != nil {
		return err
	}
	byApp := map[string][]Campaign{}
	for _, c := range cs {
		byApp[c.App] = append(byApp[c.App], c)
	}
	var first error
	for _, app := range slices.Sorted(maps.Keys(byApp)) {
		if err := s.publishApp(ctx, app, gen, byApp[app], now); err != nil && first == nil {
			first = err
		}
	}
	return first
}

// PublishApps publishes the eligibility of apps now: the campaigns a round
// would read (every one that may serve, and those that stopped lately).
func (s *Service) PublishApps(ctx context.Context, appIDs ...string) error {
	now := s.now()
	for _, app := range appIDs {
		gen, err := s.o.Board.Generation(ctx)
		if err != nil {
			return err
		}
		cs, err := s.o.Campaigns.ActiveOf(ctx, app, now.Add(-24*time.Hour))
		if err != nil {
			return err
		}
		if err := s.publishApp(ctx, app, gen, cs, now); err != nil {
			return err
		}
	}
	return nil
}

// Apps lists the apps the counter reads.
func (s *Service) Apps() []string { return s.apps.list(s.now()) }

// publishApp publishes app's campaigns cs, read after gen was taken.
func (s *Service) publishApp(ctx context.Context, app string, gen int64, cs []Campaign, now time.Time) error {
	s.apps.add(app, now)
	var serving []Campaign
	var stopped []string
	for _, c := range cs {
		if to := timedState(c, now); to != c.State {
			u, err := s.o.Campaigns.Update(ctx, app, c.ID, now, func(c *Campaign) error {
				c.State = timedState(*c, now) // again, under the lock
				return nil
			})
			if err != nil {
				return err
			}
			c = u
		}
		if c.State == sponsored.StateLive {
			serving = append(serving, c)
		} else {
			stopped = append(stopped, c.ID)
		}
	}
	if len(serving) > 0 {
		published, err := s.o.Board.Published(ctx, app)
		if err != nil {
			return err
		}
		if !published {
			for _, c := range serving {
				ws, err := s.o.Ledger.CapWindows(ctx, c, now)
				if err != nil {
					return err
				}
				if err := s.o.Board.RestoreCaps(ctx, app, ws); err != nil {
					return err
				}
			}
		}
	}
	every, err := s.o.Campaigns.Every(ctx, app)
	if err != nil {
		return err
	}
	if every <= 0 {
		every = s.o.Every
	}
	elig := placement.Eligibility{Version: now.UnixNano(), Every: every}
	live := make([]Live, 0, len(serving))
	for _, c := range serving {
		elig.Campaigns = append(elig.Campaigns, entryOf(c))
		live = append(live, Live{Campaign: c.ID, Budget: c.Budget, Pace: PaceTarget(c, now, s.o.PacingInterval), Counted: c.Counted})
	}
	return s.o.Board.Publish(ctx, app, gen, elig, live, stopped)
}

// timedState is the state time moves c to at now.
func timedState(c Campaign, now time.Time) string {
	switch c.State {
	case sponsored.StateScheduled:
		if !now.Before(c.Start) {
			if now.Before(c.End) && c.Counted < c.Budget {
				return sponsored.StateLive
			}
			return sponsored.StateFinished
		}
	case sponsored.StateLive:
		if !now.Before(c.End) || c.Counted >= c.Budget {
			return sponsored.StateFinished
		}
	case sponsored.StatePaused:
		if !now.Before(c.End) {
			return sponsored.StateFinished
		}
	}
	return c.State
}

func entryOf(c Campaign) placement.Entry {
	fields := make([]sponsored.LeadField, len(c.Creative.CTA.Fields))
	for i, f := range c.Creative.CTA.Fields {
		fields[i] = sponsored.LeadField{Name: f.Name, Label: f.Label, Kind: f.Kind, Required: f.Required}
	}
	return placement.Entry{
		ID: c.ID, Weight: c.Weight, TimeZone: c.Flight.TimeZone, End: c.End,
		Targeting: sponsored.Targeting{Events: c.Targeting.Events, MemberRoles: c.Targeting.MemberRoles, TicketTypes: c.Targeting.TicketTypes},
		Caps:      sponsored.Caps{PerHour: c.Caps.PerHour, PerDay: c.Caps.PerDay, PerFlight: c.Caps.PerFlight},
		Sponsor:   sponsored.Sponsor{Name: c.Sponsor.Name, LogoURL: c.Sponsor.LogoURL},
		Text:      c.Creative.Text, Photos: c.Creative.Photos,
		// The link's URL stays here: clicks go through sponsored's redirect.
		CTA: sponsored.CTA{Kind: c.Creative.CTA.Kind, Label: c.Creative.CTA.Label, Fields: fields, Consent: c.Creative.CTA.Consent},
	}
}

// CountBatch is the most records CountApp counts in one transaction. A
// batch costs about as much, besides its impressions, as 250 of them
// (round trips, the campaigns' locks and counts, an event per campaign,
// the commit): 1,024 counted a busy feed's 200 ms of records in one batch
// where 256 took three, for a third less CPU an impression in Postgres
// and in sponsored (BenchmarkCount in internal/store/pgstore).
const CountBatch = 1024

// WaitGrace is how long the counter leaves unacknowledged a click or view
// whose impression the ledger does not hold. That impression is most
// likely still in the stream, in a batch a counter read and did not count
// (it died, or its count failed), while newer records were counted: such
// a batch is handed on by XAUTOCLAIM after SPONSORED_CLAIM_IDLE (30 s),
// and the click left pending with it is claimed again with it or after
// it, and counted then. Past ten claim times the impression is not coming
// (the stream was lost with Redis, or the id was made up): the record is
// dropped, so that such records do not pile up in the stream.
// SPONSORED_CLAIM_IDLE must stay well below it.
const WaitGrace = 5 * time.Minute

// CountApp counts one batch of app's records; it returns how many it read.
// Every record is acknowledged but the clicks and views whose impression
// is not counted yet, younger than WaitGrace: those stay pending, and come
// back after the claim time.
func (s *Service) CountApp(ctx context.Context, app string) (int, error) {
	recs, err := s.o.Inbox.Read(ctx, app, CountBatch)
	if err != nil || len(recs) == 0 {
		return 0, err
	}
	counted, err := s.o.Ledger.Count(ctx, app, recs)
	if err != nil {
		return 0, err
	}
	waiting := make(map[string]bool, len(counted.Waiting))
	for _, id := range counted.Waiting {
		waiting[id] = true
	}
	now, dropped := s.now(), 0
	ids := make([]string, 0, len(recs))
	for _, r := range recs {
		if waiting[r.ID] {
			if now.Sub(r.At) < WaitGrace {
				continue
			}
			dropped++
		}
		ids = append(ids, r.ID)
	}
	if dropped > 0 {
		s.o.Log.Warn("clicks or views of impressions never counted dropped", "app", app, "records", dropped, "after", WaitGrace)
	}
	if err := s.o.Inbox.Ack(ctx, app, ids); err != nil {
		return 0, err
	}
	if len(counted.Finished) > 0 {
		s.republish(ctx, app)
	}
	return len(recs), nil
}

// CountAll counts the records of every recent app (again at once while an
// app has more): one round of the "counter" periodic job. An app whose
// count fails is logged and the others are counted.
func (s *Service) CountAll(ctx context.Context) error {
	for _, app := range s.Apps() {
		for ctx.Err() == nil {
			n, err := s.CountApp(ctx, app)
			if err != nil {
				if ctx.Err() == nil {
					s.o.Log.Warn("count records", "app", app, "error", err)
				}
				break
			}
			if n < CountBatch {
				break
			}
		}
	}
	return nil
}
