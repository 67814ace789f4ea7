package service

import (
	"cmp"
	"context"
	"fmt"
	"hash/fnv"
	"slices"
	"time"

	"github.com/attendify/analytics"
	"github.com/attendify/platform/errs"
)

// Range is a query's time range of an app, or of one of its events.
type Range struct {
	App   string
	Scope string // AllScope or a conference event id
	From  time.Time
	To    time.Time
	Level Level // empty picks one by the range's length
}

// MaxBuckets bounds a series.
const MaxBuckets = 3000

// Bucket is one step of a series.
type Bucket struct {
	Start time.Time
	Figures
}

// normalize checks a range and fills its defaults.
func (r Range) normalize() (Range, error) {
	if r.Scope == "" {
		r.Scope = AllScope
	}
	if r.From.IsZero() || r.To.IsZero() || !r.To.After(r.From) {
		return r, errs.InvalidFields("the range is empty", errs.FieldError{Field: "/to", Message: "must be after from"})
	}
	r.Level = r.Resolution()
	r.From, r.To = r.From.UTC(), r.To.UTC()
	if n := r.To.Sub(r.Level.Trunc(r.From)) / step(r.Level); n > MaxBuckets {
		return r, errs.InvalidFields(fmt.Sprintf("at most %d buckets: pick a coarser step", MaxBuckets),
			errs.FieldError{Field: "/step", Message: "too fine for the range"})
	}
	return r, nil
}

// Resolution is the level of r's buckets: r.Level, or when it is empty
// the one the range's length picks (minute up to 3 hours, hour up to 7
// days, day beyond).
func (r Range) Resolution() Level {
	if r.Level != "" {
		return r.Level
	}
	switch d := r.To.Sub(r.From); {
	case d <= 3*time.Hour:
		return LevelMinute
	case d <= 7*24*time.Hour:
		return LevelHour
	}
	return LevelDay
}

func step(l Level) time.Duration {
	switch l {
	case LevelMinute:
		return time.Minute
	case LevelHour:
		return time.Hour
	}
	return 24 * time.Hour
}

// Series answers a range as buckets of its level. Each bucket comes from
// the live state while any of its minutes waits to be folded, and from
// the rollups otherwise: a folded bucket is a copy of the live one, and a
// change to it marks it waiting again, so the figures agree whichever
// source serves them, at every boundary (buckets are whole: From is
// truncated to the level and To rounded up). The buckets' Counts are
// read-only: they may be shared with the cache of rollup rows.
func (s *Service) Series(ctx context.Context, r Range) ([]Bucket, error) {
	if err := s.authorizeOrganizer(ctx, r.App); err != nil {
		return nil, err
	}
	return s.series(ctx, r)
}

func (s *Service) series(ctx context.Context, r Range) ([]Bucket, error) {
	r, err := r.normalize()
	if err != nil {
		return nil, err
	}
	first := r.Level.Trunc(r.From)
	n, end := 0, first
	for ; end.Before(r.To); end = r.Level.Next(end) {
		n++
	}
	waiting, gen, err := s.live.Waiting(ctx, r.App)
	if err != nil {
		return nil, err
	}
	// The buckets of the range with a minute waiting, in order, once each.
	var refs []BucketRef
	for _, w := range waiting {
		if t := r.Level.Trunc(w.Minute); w.Scope == r.Scope && !t.Before(first) && t.Before(end) {
			refs = append(refs, BucketRef{Scope: r.Scope, Level: r.Level, Start: t})
		}
	}
	slices.SortFunc(refs, func(a, b BucketRef) int { return a.Start.Compare(b.Start) })
	refs = slices.CompactFunc(refs, func(a, b BucketRef) bool { return a.Start.Equal(b.Start) })
	rows, err := s.rows.get(ctx, rowsKey{app: r.App, scope: r.Scope, level: r.Level, from: first, to: end}, gen, s.rollups.Get)
	if err != nil {
		return nil, err
	}
	var live []Figures
	if len(refs) > 0 {
		if live, err = s.live.Figures(ctx, r.App, refs); err != nil {
			return nil, err
		}
	}
	// Walk the buckets, the waiting ones and the rows (both in order of
	// start) together. The rows may be the cache's: their counters are
	// shared, not copied, and nothing downstream changes a bucket's
	// counters.
	out := make([]Bucket, 0, n)
	for t := first; t.Before(end); t = r.Level.Next(t) {
		var f Figures
		for len(rows) > 0 && rows[0].Start.Before(t) {
			rows = rows[1:]
		}
		if len(rows) > 0 && rows[0].Start.Equal(t) {
			f = rows[0].Figures
		}
		if len(refs) > 0 && refs[0].Start.Equal(t) {
			f, refs, live = live[0], refs[1:], live[1:]
		}
		if f.Counts == nil {
			f.Counts = map[string]int64{}
		}
		out = append(out, Bucket{Start: t, Figures: f})
	}
	return out, nil
}

// Totals sums each counter over buckets.
func Totals(bs []Bucket) map[string]int64 {
	t := map[string]int64{}
	for _, b := range bs {
		for k, v := range b.Counts {
			t[k] += v
		}
	}
	return t
}

// LiveState is an app's state right now.
type LiveState struct {
	At                        time.Time
	LiveMembers, LiveInstalls int64
	Today                     Bucket
	Minutes                   []Bucket
	Top                       map[string][]Scored
	Leaderboard               []Scored
	Version                   string
}

// PresentWindow is how recently a member must have been seen to be live.
const PresentWindow = 5 * time.Minute

// Live is what the dashboard shows: members present, today so far, the
// last minutes, the top lists right now and the leaderboard.
func (s *Service) Live(ctx context.Context, app, scope string, minutes int) (LiveState, error) {
	if err := s.authorizeOrganizer(ctx, app); err != nil {
		return LiveState{}, err
	}
	return s.liveState(ctx, app, scope, minutes)
}

// liveState is Live once the caller is authorized.
func (s *Service) liveState(ctx context.Context, app, scope string, minutes int) (LiveState, error) {
	if minutes <= 0 {
		minutes = 60
	}
	if scope == "" {
		scope = AllScope
	}
	now := s.now().UTC()
	st := LiveState{At: now, Top: map[string][]Scored{}}
	var err error
	if st.LiveMembers, st.LiveInstalls, err = s.live.Present(ctx, app, now.Add(-PresentWindow)); err != nil {
		return st, err
	}
	today, err := s.series(ctx, Range{App: app, Scope: scope, From: Day(now), To: Day(now).Add(time.Hour), Level: LevelDay})
	if err != nil {
		return st, err
	}
	st.Today = today[0]
	cur := Minute(now)
	if st.Minutes, err = s.series(ctx, Range{App: app, Scope: scope, From: cur.Add(-time.Duration(minutes-1) * time.Minute), To: cur.Add(time.Minute), Level: LevelMinute}); err != nil {
		return st, err
	}
	heat := Heat(now)
	for _, list := range []string{analytics.TopPosts, analytics.TopSessions, analytics.TopSpeakers, analytics.TopSponsors} {
		top, err := s.live.Top(ctx, app, list, Day(now), 10)
		if err != nil {
			return st, err
		}
		for i := range top {
			top[i].Score /= heat
		}
		st.Top[list] = top
	}
	if st.Leaderboard, err = s.leaderboard(ctx, app, 10); err != nil {
		return st, err
	}
	st.Version = version(st)
	return st, nil
}

// version hashes what the dashboard shows (not the time), for its ETag.
func version(st LiveState) string {
	h := fnv.New64a()
	fmt.Fprint(h, st.LiveMembers, st.LiveInstalls, st.Today.Members, st.Today.Installs, sortedCounts(st.Today.Counts))
	for _, b := range st.Minutes {
		fmt.Fprint(h, b.Start.Unix(), b.Members, b.Installs, sortedCounts(b.Counts))
	}
	for _, list := range []string{analytics.TopPosts, analytics.TopSessions, analytics.TopSpeakers, analytics.TopSponsors} {
		for _, it := range st.Top[list] {
			fmt.Fprintf(h, "%s%s%.1f", list, it.ID, it.Score)
		}
	}
	for _, it := range st.Leaderboard {
		fmt.Fprint(h, it.ID, it.Score, it.Label)
	}
	return fmt.Sprintf("%016x", h.Sum64())
}

func sortedCounts(m map[string]int64) []string {
	out := make([]string, 0, len(m))
	for k, v := range m {
		out = append(out, fmt.Sprint(k, v))
	}
	slices.Sort(out)
	return out
}

// AdoptionDay is one day of adoption.
type AdoptionDay struct {
	Day                        time.Time
	Registered, Opened, Active int64
}

// Adoption counts, for each day of the range, the app's members by then,
// those who had opened the app by then, and those active that day.
func (s *Service) Adoption(ctx context.Context, r Range) ([]AdoptionDay, error) {
	if err := s.authorizeOrganizer(ctx, r.App); err != nil {
		return nil, err
	}
	r.Level = LevelDay
	days, err := s.series(ctx, r)
	if err != nil {
		return nil, err
	}
	starts := make([]time.Time, len(days))
	for i, d := range days {
		starts[i] = d.Start
	}
	reg, opened, err := s.members.Adoption(ctx, r.App, starts)
	if err != nil {
		return nil, err
	}
	out := make([]AdoptionDay, len(days))
	for i, d := range days {
		out[i] = AdoptionDay{Day: d.Start, Registered: reg[i], Opened: opened[i], Active: d.Members}
	}
	return out, nil
}

// items sums the item counts of kinds over the whole days of r: days with
// minutes waiting to be folded from the live state, the others from the
// rollups.
func (s *Service) items(ctx context.Context, r Range, kinds []string) (map[string][]Scored, error) {
	r.Level = LevelDay
	r, err := r.normalize()
	if err != nil {
		return nil, err
	}
	waiting, _, err := s.live.Waiting(ctx, r.App)
	if err != nil {
		return nil, err
	}
	dirty := map[time.Time]bool{}
	for _, w := range waiting {
		dirty[Day(w.Minute)] = true
	}
	var liveDays, foldedDays []time.Time
	for d := Day(r.From); d.Before(r.To); d = d.AddDate(0, 0, 1) {
		if dirty[d] {
			liveDays = append(liveDays, d)
		} else {
			foldedDays = append(foldedDays, d)
		}
	}
	sums := map[string]map[string]int64{}
	add := func(it ItemCount) {
		if !slices.Contains(kinds, it.Kind) {
			return
		}
		if sums[it.Kind] == nil {
			sums[it.Kind] = map[string]int64{}
		}
		sums[it.Kind][it.ID] += it.N
	}
	folded, err := s.rollups.Items(ctx, r.App, kinds, foldedDays)
	if err != nil {
		return nil, err
	}
	for _, it := range folded {
		add(it)
	}
	if len(liveDays) > 0 {
		live, err := s.live.Items(ctx, r.App, liveDays)
		if err != nil {
			return nil, err
		}
		for _, day := range live {
			for _, it := range day {
				add(it)
			}
		}
	}
	out := map[string][]Scored{}
	for kind, m := range sums {
		list := make([]Scored, 0, len(m))
		for id, n := range m {
			list = append(list, Scored{ID: id, Score: float64(n)})
		}
		slices.SortFunc(list, func(a, b Scored) int {
			if c := cmp.Compare(b.Score, a.Score); c != 0 {
				return c
			}
			return cmp.Compare(a.ID, b.ID)
		})
		out[kind] = list
	}
	return out, nil
}

// topKinds maps a top list to its item kind.
var topKinds = map[string]string{
	analytics.TopPosts: ItemPost, analytics.TopSessions: ItemSession,
	analytics.TopSpeakers: ItemSpeaker, analytics.TopSponsors: ItemSponsor,
}

// Top is the items of a list with the most interactions over r's days.
func (s *Service) Top(ctx context.Context, r Range, list string, limit int) ([]Scored, error) {
	if err := s.authorizeOrganizer(ctx, r.App); err != nil {
		return nil, err
	}
	kind, ok := topKinds[list]
	if !ok {
		return nil, errs.InvalidFields("unknown list", errs.FieldError{Field: "/kind", Message: "posts, sessions, speakers or sponsors"})
	}
	if limit <= 0 {
		limit = 10
	}
	sums, err := s.items(ctx, r, []string{kind})
	if err != nil {
		return nil, err
	}
	l := sums[kind]
	return l[:min(limit, len(l))], nil
}

// SponsoredItem is a campaign's figures.
type SponsoredItem struct {
	ID                  string
	Impressions, Clicks int64
}

// Sponsored is the campaigns' impressions and clicks, and the taps on each
// sponsor, over r's days.
func (s *Service) Sponsored(ctx context.Context, r Range) ([]SponsoredItem, []Scored, error) {
	if err := s.authorizeOrganizer(ctx, r.App); err != nil {
		return nil, nil, err
	}
	sums, err := s.items(ctx, r, []string{ItemImpressions, ItemClicks, ItemSponsor})
	if err != nil {
		return nil, nil, err
	}
	byID := map[string]*SponsoredItem{}
	var ids []string
	get := func(id string) *SponsoredItem {
		if byID[id] == nil {
			byID[id] = &SponsoredItem{ID: id}
			ids = append(ids, id)
		}
		return byID[id]
	}
	for _, it := range sums[ItemImpressions] {
		get(it.ID).Impressions = int64(it.Score)
	}
	for _, it := range sums[ItemClicks] {
		get(it.ID).Clicks = int64(it.Score)
	}
	slices.Sort(ids)
	campaigns := make([]SponsoredItem, len(ids))
	for i, id := range ids {
		campaigns[i] = *byID[id]
	}
	return campaigns, sums[ItemSponsor], nil
}

// Leaderboard ranks the members by points.
func (s *Service) Leaderboard(ctx context.Context, app string, limit int) ([]Scored, error) {
	if err := s.authorizeOrganizer(ctx, app); err != nil {
		return nil, err
	}
	if limit <= 0 {
		limit = 10
	}
	return s.leaderboard(ctx, app, limit)
}

// leaderboard is the top of the leaderboard with the members' names.
func (s *Service) leaderboard(ctx context.Context, app string, limit int) ([]Scored, error) {
	lb, err := s.live.Leaderboard(ctx, app, limit)
	if err != nil || len(lb) == 0 {
		return lb, err
	}
	ids := make([]string, len(lb))
	for i, it := range lb {
		ids[i] = it.ID
	}
	names, err := s.members.Names(ctx, app, ids)
	if err != nil {
		return nil, err
	}
	for i := range lb {
		lb[i].Label = names[lb[i].ID]
	}
	return lb, nil
}

// Authorized reports whether the caller may read app's analytics.
func (s *Service) Authorized(ctx context.Context, app string) error {
	return s.authorizeOrganizer(ctx, app)
}
