// Package placement fills the sponsored slots of a feed page: the part of
// sponsored that runs inside social's feed path, so that social never
// calls sponsored. It reads the app's Eligibility that sponsored publishes
// to Redis (cached a second per process), picks candidates by targeting and
// weighted rotation, and charges the member's frequency caps, the
// campaign's served count and the impression records in one Redis round
// trip (a Lua script on keys of one slot), so that caps and budgets hold
// under any concurrency. A page gets at most one sponsored item per Every
// organic posts, never first, never the same campaign twice. When Redis
// fails the page gets no sponsored items: Fill never fails a feed.
package placement

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/attendify/hub"
	"github.com/attendify/platform/auth"
	"github.com/attendify/sponsored"
)

// Config is placement's configuration in the consuming service (social),
// from the environment.
type Config struct {
	// Enabled turns placement on.
	Enabled bool `env:"SPONSORED_PLACEMENT" envDefault:"true"`
	// LinkKeys sign the click links; sponsored must have the same.
	LinkKeys auth.ServiceKeys `env:"SPONSORED_LINK_KEYS" envDefault:"dev:Q2hhbmdlIG1lOiBzcG9uc29yZWQgbGlua3MgZGV2IGtleQ"`
	// PublicURL is sponsored's address as phones reach it (click links).
	PublicURL string `env:"SPONSORED_PUBLIC_URL" envDefault:"http://127.0.0.1:8084"`
	// Timeout bounds placement's Redis work for one page.
	Timeout time.Duration `env:"SPONSORED_PLACEMENT_TIMEOUT" envDefault:"100ms"`
	// CacheTTL is how long a process keeps an app's eligibility.
	CacheTTL time.Duration `env:"SPONSORED_ELIGIBILITY_TTL" envDefault:"1s"`
}

// MaxCandidates bounds the campaigns one page's script considers.
const MaxCandidates = 16

// Options are what New needs besides Config.
type Options struct {
	Redis     redis.UniversalClient
	Namespace string
	Log       *slog.Logger
	// Now is the clock (tests move it); default time.Now.
	Now func() time.Time
}

// Placer fills sponsored slots. It is safe for concurrent use.
type Placer struct {
	cfg    Config
	rdb    redis.UniversalClient
	keys   Keys
	signer *Signer
	log    *slog.Logger
	now    func() time.Time
	base   string

	cache  sync.Map // app -> *cached: read lock-free on every page
	cached atomic.Int64
	zones  sync.Map // time zone name -> *zoneDay
}

type cached struct {
	elig *Eligibility // nil: nothing may serve
	at   time.Time
}

// New returns a Placer.
func New(cfg Config, o Options) (*Placer, error) {
	signer, err := NewSigner(cfg.LinkKeys)
	if err != nil {
		return nil, err
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Log == nil {
		o.Log = slog.Default()
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 100 * time.Millisecond
	}
	return &Placer{
		cfg: cfg, rdb: o.Redis, keys: NewKeys(o.Namespace), signer: signer, log: o.Log, now: o.Now,
		base: strings.TrimRight(cfg.PublicURL, "/"),
	}, nil
}

// Viewer is who reads the feed, as targeting and reports need it.
type Viewer struct {
	Member string
	// Internal marks organizers and staff: they see sponsored items, their
	// caps are charged, but they spend no budget and reports leave them out.
	Internal   bool
	Organizer  bool
	MemberRole string
	// TicketType is the member's ticket type in hub ("" when none); a
	// campaign's ticket types match it in any case, as hub's filter does.
	TicketType string
	// Registered lists the events the member is registered to, sorted.
	Registered []string
}

// ViewerOf is the viewer of a hub membership.
func ViewerOf(m hub.Membership) Viewer {
	return Viewer{
		Member: m.User, Organizer: m.Organizer(), MemberRole: m.MemberRole,
		Internal:   m.Organizer() || m.MemberRole == hub.MemberStaff,
		TicketType: m.TicketType, Registered: m.Registered,
	}
}

// Slot is one sponsored item of a page, to insert after the organic item
// of index After.
type Slot struct {
	After int
	Card  sponsored.Card
}

// Fill returns the sponsored items of a page of organic posts of a feed
// (event is the event whose feed it is, or empty), for viewer in app. It
// never fails: on any error it logs and returns none.
func (p *Placer) Fill(ctx context.Context, app, event string, v Viewer, organic int) []Slot {
	if p == nil || !p.cfg.Enabled || v.Member == "" || organic <= 0 {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, p.cfg.Timeout)
	defer cancel()
	slots, err := p.fill(ctx, app, event, v, organic)
	if err != nil {
		p.log.Warn("sponsored placement skipped", "app", app, "error", err)
		return nil
	}
	return slots
}

func (p *Placer) fill(ctx context.Context, app, event string, v Viewer, organic int) ([]Slot, error) {
	elig, err := p.eligibility(ctx, app)
	if err != nil || elig == nil {
		return nil, err
	}
	every := elig.Every
	if every <= 0 {
		every = sponsored.DefaultEvery
	}
	want := organic / every
	if want == 0 {
		return nil, nil
	}
	now := p.now()
	cands := p.candidates(elig, event, v, now)
	if len(cands) == 0 {
		return nil, nil
	}
	internal := "0"
	if v.Internal {
		internal = "1"
	}
	ttl := time.Hour
	args := make([]any, 0, 7+6*len(cands))
	args = append(args, v.Member, HourBucket(now.Unix()), internal, want, now.UnixMilli(), 0, len(cands))
	for _, e := range cands {
		if d := e.End.Sub(now) + 48*time.Hour; d > ttl {
			ttl = d
		}
		args = append(args, e.ID, p.day(e.TimeZone, now), e.Caps.PerHour, e.Caps.PerDay, e.Caps.PerFlight, NewSecret())
	}
	args[5] = int64(ttl / time.Second)
	keys := []string{p.keys.Live(app), p.keys.Member(app, v.Member), p.keys.Records(app)}
	res, err := chargeScript.Run(ctx, p.rdb, keys, args...).StringSlice()
	if err != nil {
		return nil, err
	}
	byID := make(map[string]*Entry, len(cands))
	for _, e := range cands {
		byID[e.ID] = e
	}
	slots := make([]Slot, 0, len(res)/2)
	for i := 0; i+1 < len(res); i += 2 {
		e := byID[res[i]]
		if e == nil {
			return nil, errors.New("placement: the cap script took an unknown campaign")
		}
		slots = append(slots, Slot{After: every*(len(slots)+1) - 1, Card: p.card(app, e, res[i+1], v.Member, now)})
	}
	return slots, nil
}

// candidates are the entries that may serve to v now, in weighted random
// order (each drawn with a chance proportional to its weight: keys
// u^(1/w), highest first), at most MaxCandidates.
func (p *Placer) candidates(elig *Eligibility, event string, v Viewer, now time.Time) []*Entry {
	type cand struct {
		e   *Entry
		key float64
	}
	var cs []cand
	for i := range elig.Campaigns {
		e := &elig.Campaigns[i]
		if e.Weight <= 0 || !now.Before(e.End) || !Targets(e.Targeting, event, v) {
			continue
		}
		cs = append(cs, cand{e, math.Pow(rand.Float64(), 1/float64(e.Weight))})
	}
	slices.SortFunc(cs, func(a, b cand) int {
		switch {
		case a.key > b.key:
			return -1
		case a.key < b.key:
			return 1
		}
		return 0
	})
	out := make([]*Entry, 0, min(len(cs), MaxCandidates))
	for _, c := range cs[:min(len(cs), MaxCandidates)] {
		out = append(out, c.e)
	}
	return out
}

// Targets reports whether targeting t lets viewer v see a campaign in the
// feed of event (empty for feeds of no event). An empty list does not
// narrow; events match when v is registered to one, reads its feed, or is
// an organizer.
func Targets(t sponsored.Targeting, event string, v Viewer) bool {
	if len(t.Events) > 0 && !v.Organizer && !slices.Contains(t.Events, event) &&
		!slices.ContainsFunc(t.Events, func(e string) bool { _, ok := slices.BinarySearch(v.Registered, e); return ok }) {
		return false
	}
	if len(t.MemberRoles) > 0 && !slices.Contains(t.MemberRoles, v.MemberRole) {
		return false
	}
	if len(t.TicketTypes) > 0 && !slices.ContainsFunc(t.TicketTypes, func(tt string) bool { return strings.EqualFold(tt, v.TicketType) }) {
		return false
	}
	return true
}

func (p *Placer) card(app string, e *Entry, impression, member string, now time.Time) sponsored.Card {
	photos := e.Photos
	if photos == nil {
		photos = []string{}
	}
	c := sponsored.Card{
		Label: sponsored.Label, CampaignID: e.ID, ImpressionID: impression, Sponsor: e.Sponsor,
		Text: e.Text, Photos: photos, ServedAt: now.UTC().Truncate(time.Millisecond),
		CTA: sponsored.CardCTA{Kind: e.CTA.Kind, Label: e.CTA.Label},
	}
	switch e.CTA.Kind {
	case sponsored.CTALink:
		c.CTA.ClickURL = p.base + sponsored.ClickPath + p.signer.ClickToken(ClickRef{App: app, Campaign: e.ID, Impression: impression, Member: member})
	case sponsored.CTALead:
		c.CTA.Fields, c.CTA.Consent = e.CTA.Fields, e.CTA.Consent
	}
	return c
}

// day is the calendar day of now in the time zone name, the window of
// daily caps (UTC when the zone is unknown). Each zone keeps its current
// day and the instants it spans, so that a page formats no date.
func (p *Placer) day(name string, now time.Time) string {
	z, ok := p.zones.Load(name)
	if !ok {
		l, err := time.LoadLocation(name)
		if err != nil {
			l = time.UTC
		}
		z, _ = p.zones.LoadOrStore(name, &zoneDay{loc: l})
	}
	return z.(*zoneDay).day(now)
}

// zoneDay is a time zone with its day last asked.
type zoneDay struct {
	loc *time.Location
	cur atomic.Pointer[dayspan]
}

type dayspan struct {
	day         string
	from, until time.Time // the day's first instant, the next day's
}

func (z *zoneDay) day(now time.Time) string {
	if d := z.cur.Load(); d != nil && !now.Before(d.from) && now.Before(d.until) {
		return d.day
	}
	t := now.In(z.loc)
	y, m, dd := t.Date()
	d := &dayspan{day: t.Format(time.DateOnly), from: hub.DayStart(y, m, dd, z.loc), until: hub.DayStart(y, m, dd+1, z.loc)}
	z.cur.Store(d)
	return d.day
}

// eligibility returns the app's eligibility, from the process cache while
// it is younger than CacheTTL; nil when nothing may serve.
func (p *Placer) eligibility(ctx context.Context, app string) (*Eligibility, error) {
	now := time.Now()
	if c, ok := p.cache.Load(app); ok && now.Sub(c.(*cached).at) < p.cfg.CacheTTL {
		return c.(*cached).elig, nil
	}
	b, err := p.rdb.Get(ctx, p.keys.Eligibility(app)).Bytes()
	var elig *Eligibility
	switch {
	case errors.Is(err, redis.Nil):
	case err != nil:
		return nil, err
	default:
		elig = new(Eligibility)
		if err := json.Unmarshal(b, elig); err != nil {
			return nil, err
		}
	}
	if _, loaded := p.cache.Swap(app, &cached{elig: elig, at: now}); !loaded && p.cached.Add(1) > 10_000 {
		p.cache.Clear() // a bound, far above the apps one replica serves
		p.cached.Store(0)
	}
	return elig, nil
}

// Insert returns organic with the slots' cards inserted, each made into T
// by card, after the organic item its slot names.
func Insert[T any](organic []T, slots []Slot, card func(sponsored.Card) T) []T {
	if len(slots) == 0 {
		return organic
	}
	out := make([]T, 0, len(organic)+len(slots))
	next := 0
	for i, it := range organic {
		out = append(out, it)
		for next < len(slots) && slots[next].After == i {
			out = append(out, card(slots[next].Card))
			next++
		}
	}
	return out
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
