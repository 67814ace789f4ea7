package memstore

import (
	"context"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/attendify/platform/errs"
	"github.com/attendify/sponsored"
	"github.com/attendify/sponsored/internal/service"
	"github.com/attendify/sponsored/placement"
)

// Ledger keeps the counted impressions, clicks, views and leads in memory
// over a Campaigns store, whose budgets, states, time zones and hides it
// reads and whose counts it moves, as pgstore's ledger does in one
// database. It passes storetest.RunLedger, as pgstore does.
type Ledger struct {
	mu          sync.Mutex // taken before campaigns.mu
	campaigns   *Campaigns
	impressions map[string]served // by impression id
	clicks      map[string]served // by impression id
	views       map[string]served // by impression id
	leads       map[string]lead   // by campaign/member
}

// served is a counted impression, click or view.
type served struct {
	app, campaign, member string
	at                    time.Time
	day                   string // in the flight's time zone
	internal, billable    bool
}

// lead is a stored lead and its day in the flight's time zone.
type lead struct {
	service.Lead
	day string
}

// NewLedger returns an empty ledger of the campaigns in c.
func NewLedger(c *Campaigns) *Ledger {
	return &Ledger{campaigns: c, impressions: map[string]served{}, clicks: map[string]served{},
		views: map[string]served{}, leads: map[string]lead{}}
}

var _ service.Ledger = (*Ledger)(nil)

// Count records a batch of an app's stream at once: impressions (new ids
// only; billable while the campaign's counted impressions are below its
// budget, organizers' and staff's never), then clicks and views of
// impressions it holds for the same campaign and member (once per
// impression id, the earliest of the batch), then the campaigns' counts,
// finishing the live ones whose budget is reached. Records of campaigns of
// other apps are ignored. The clicks and views of impressions it does not
// hold come back as Waiting.
func (l *Ledger) Count(_ context.Context, app string, recs []service.Record) (service.Counted, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	m := l.campaigns
	m.mu.Lock()
	defer m.mu.Unlock()
	var moved []string
	for _, r := range recs {
		if r.Kind != placement.RecordImpression {
			continue
		}
		for _, it := range r.Items {
			c, ok := m.byID[it.Campaign]
			if _, known := l.impressions[it.Impression]; !ok || c.App != app || known {
				continue
			}
			bill := !r.Internal && c.Counted < c.Budget
			if bill {
				c.Counted++
				m.byID[c.ID] = c
				moved = append(moved, c.ID)
			}
			l.impressions[it.Impression] = served{app: app, campaign: c.ID, member: r.Member, at: r.At,
				day: dayOf(r.At, c.Flight.TimeZone), internal: r.Internal, billable: bill}
		}
	}
	var out service.Counted
	out.Waiting = append(l.act(app, placement.RecordClick, recs, l.clicks), l.act(app, placement.RecordView, recs, l.views)...)
	slices.Sort(moved)
	for _, id := range slices.Compact(moved) {
		c := m.byID[id]
		if c.Counted < c.Budget || c.State != sponsored.StateLive {
			continue
		}
		m.States = append(m.States, c.ID+":"+c.State+"->"+sponsored.StateFinished)
		c.State, c.Version, c.UpdatedAt = sponsored.StateFinished, c.Version+1, time.Now().UTC()
		m.byID[id] = c
		out.Finished = append(out.Finished, id)
	}
	return out, nil
}

// act records the batch's clicks or views (kind) into table: the earliest
// of each impression the ledger holds for the same app, campaign and
// member, unless table has it. It returns the ids of the records of the
// app's campaigns that name an impression it does not hold. Both locks
// are held.
func (l *Ledger) act(app, kind string, recs []service.Record, table map[string]served) (waiting []string) {
	batch := map[string]served{}
	for _, r := range recs {
		if r.Kind != kind {
			continue
		}
		for _, it := range r.Items {
			imp, ok := l.impressions[it.Impression]
			if c, mine := l.campaigns.byID[it.Campaign]; !ok && mine && c.App == app {
				if len(waiting) == 0 || waiting[len(waiting)-1] != r.ID {
					waiting = append(waiting, r.ID)
				}
				continue
			}
			if !ok || imp.app != app || imp.campaign != it.Campaign || imp.member != r.Member {
				continue
			}
			if prev, ok := batch[it.Impression]; ok && !r.At.Before(prev.at) {
				continue
			}
			zone := l.campaigns.byID[it.Campaign].Flight.TimeZone
			batch[it.Impression] = served{app: app, campaign: it.Campaign, member: r.Member, at: r.At,
				day: dayOf(r.At, zone), internal: imp.internal}
		}
	}
	for id, a := range batch {
		if _, ok := table[id]; !ok {
			table[id] = a
		}
	}
	return waiting
}

// Served reports whether the ledger holds an impression of campaign shown
// to member in app.
func (l *Ledger) Served(_ context.Context, app, campaign, member string) (bool, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, imp := range l.impressions {
		if imp.app == app && imp.campaign == campaign && imp.member == member {
			return true, nil
		}
	}
	return false, nil
}

// CapWindows returns each member's counted impressions of c: in the
// flight, in the clock hour of now and on the day of now in the flight's
// zone, and the members who hid it; by member.
func (l *Ledger) CapWindows(_ context.Context, c service.Campaign, now time.Time) ([]service.CapWindow, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	hour, day := now.UTC().Truncate(time.Hour), dayOf(now, c.Flight.TimeZone)
	byMember := map[string]*service.CapWindow{}
	window := func(member string) *service.CapWindow {
		w := byMember[member]
		if w == nil {
			w = &service.CapWindow{Member: member, Campaign: c.ID, Hour: placement.HourBucket(now.Unix()), Day: day}
			byMember[member] = w
		}
		return w
	}
	for _, imp := range l.impressions {
		if imp.app != c.App || imp.campaign != c.ID {
			continue
		}
		w := window(imp.member)
		w.FlightCount++
		if !imp.at.Before(hour) {
			w.HourCount++
		}
		if imp.day == day {
			w.DayCount++
		}
	}
	for _, h := range l.campaigns.Hides() {
		if h.App == c.App && h.Campaign == c.ID {
			window(h.Member).Hidden = true
		}
	}
	out := make([]service.CapWindow, 0, len(byMember))
	for _, member := range slices.Sorted(maps.Keys(byMember)) {
		out = append(out, *byMember[member])
	}
	return out, nil
}

// Figures returns c's counts per day (billable impressions and their
// distinct members, clicks, views, leads; organizers' and staff's left
// out) and its distinct reach over the flight.
func (l *Ledger) Figures(_ context.Context, c service.Campaign) (service.Figures, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	days := map[string]*service.DayFigures{}
	day := func(d string) *service.DayFigures {
		f := days[d]
		if f == nil {
			f = &service.DayFigures{Day: d}
			days[d] = f
		}
		return f
	}
	dayReach, reach := map[string]bool{}, map[string]bool{}
	for _, imp := range l.impressions {
		if imp.app != c.App || imp.campaign != c.ID || !imp.billable || imp.internal {
			continue
		}
		f := day(imp.day)
		f.Impressions++
		if !dayReach[imp.day+"/"+imp.member] {
			dayReach[imp.day+"/"+imp.member] = true
			f.Reach++
		}
		reach[imp.member] = true
	}
	counts := func(a served) bool { return a.app == c.App && a.campaign == c.ID && !a.internal }
	for _, a := range l.clicks {
		if counts(a) {
			day(a.day).Clicks++
		}
	}
	for _, a := range l.views {
		if counts(a) {
			day(a.day).Views++
		}
	}
	for _, ld := range l.leads {
		if ld.App == c.App && ld.Campaign == c.ID && !ld.Internal {
			day(ld.day).Leads++
		}
	}
	f := service.Figures{Days: make([]service.DayFigures, 0, len(days)), Reach: int64(len(reach))}
	for _, d := range slices.Sorted(maps.Keys(days)) {
		f.Days = append(f.Days, *days[d])
	}
	return f, nil
}

// AddLead stores a lead of a campaign of its app unless the member sent one
// for the campaign, and returns the stored one; errs.NotFound when there is
// none (the campaign is not the app's).
func (l *Ledger) AddLead(_ context.Context, ld service.Lead) (service.Lead, bool, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	m := l.campaigns
	m.mu.Lock()
	c, ok := m.byID[ld.Campaign]
	m.mu.Unlock()
	k := ld.Campaign + "/" + ld.Member
	stored, had := l.leads[k]
	created := ok && c.App == ld.App && !had
	if created {
		ld.Fields, ld.CreatedAt = maps.Clone(ld.Fields), ld.CreatedAt.UTC()
		stored = lead{Lead: ld, day: dayOf(ld.CreatedAt, c.Flight.TimeZone)}
		l.leads[k] = stored
	} else if !had {
		return service.Lead{}, false, errs.New(errs.NotFound, "lead not found")
	}
	out := stored.Lead
	out.Fields = maps.Clone(out.Fields)
	return out, created, nil
}

// Leads returns a page of a campaign's leads by id (organizers' own
// included, marked Internal).
func (l *Ledger) Leads(_ context.Context, q service.LeadQuery) ([]service.Lead, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := []service.Lead{}
	for _, ld := range l.leads {
		if ld.App == q.App && ld.Campaign == q.Campaign && ld.ID > q.After {
			ld.Fields = maps.Clone(ld.Fields)
			out = append(out, ld.Lead)
		}
	}
	slices.SortFunc(out, func(a, b service.Lead) int { return strings.Compare(a.ID, b.ID) })
	return out[:min(len(out), max(q.Limit, 0))], nil
}

// dayOf is the day of t in zone (UTC when zone is unknown).
func dayOf(t time.Time, zone string) string {
	loc, err := time.LoadLocation(zone)
	if err != nil {
		loc = time.UTC
	}
	return t.In(loc).Format(time.DateOnly)
}
