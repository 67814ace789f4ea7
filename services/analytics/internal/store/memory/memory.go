// Package memory is an in-memory adapter of every port of analytics'
// domain, for unit tests of the domain rules. It passes the same contract
// suite as the real adapters (internal/store/storetest); its uniques are
// exact where Redis' HyperLogLogs estimate (they agree at the small counts
// the suite uses).
package memory

import (
	"cmp"
	"context"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/attendify/analytics/internal/service"
	"github.com/attendify/platform/errs"
)

// Store is every port in memory. The zero value is not usable: use New.
type Store struct {
	mu sync.Mutex
	// raw events by app and key
	raw     map[string]map[string]service.Event
	members map[[2]string]*member
	rollups map[rowKey]service.Row
	items   map[service.DayRef][]service.ItemCount
	jobs    map[string]*job
}

// Live is the live state (service.Live) in memory.
type Live struct {
	mu     sync.Mutex
	live   map[string]*appLive
	ready  bool
	locked bool
	dirty  map[string]bool
	// Now is the clock of rate limits.
	Now func() time.Time
}

// NewLive returns an empty live state.
func NewLive() *Live {
	return &Live{live: map[string]*appLive{}, dirty: map[string]bool{}, Now: time.Now}
}

type member struct {
	name           string
	joined, opened time.Time
}

type rowKey struct {
	app, scope string
	level      service.Level
	start      time.Time
}

type job struct {
	state service.JobState
	held  bool
}

type bucket struct {
	counts            map[string]int64
	members, installs map[string]bool
}

type appLive struct {
	seen        map[string]bool
	buckets     map[service.BucketRef]*bucket
	items       map[time.Time]map[string]int64
	top         map[string]map[time.Time]map[string]float64
	leaderboard map[string]float64
	marks       map[string]bool
	presentM    map[string]int64
	presentI    map[string]int64
	dirty       map[string]float64
	seq         float64
	folds       int
	rate        map[string]int
}

// New returns an empty store.
func New() *Store {
	return &Store{
		raw: map[string]map[string]service.Event{}, members: map[[2]string]*member{},
		rollups: map[rowKey]service.Row{}, items: map[service.DayRef][]service.ItemCount{},
		jobs: map[string]*job{},
	}
}

var (
	_ service.RawEvents = (*Store)(nil)
	_ service.Members   = (*Store)(nil)
	_ service.Rollups   = (*Store)(nil)
	_ service.Jobs      = (*Store)(nil)
	_ service.Live      = (*Live)(nil)
)

// Insert implements service.RawEvents.
func (s *Store) Insert(_ context.Context, evs []service.Event) ([]bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]bool, len(evs))
	for i, e := range evs {
		if s.raw[e.App] == nil {
			s.raw[e.App] = map[string]service.Event{}
		}
		day := service.Day(e.At)
		seen := false
		for _, d := range []time.Time{day.AddDate(0, 0, -1), day, day.AddDate(0, 0, 1)} {
			_, ok := s.raw[e.App][d.Format(time.DateOnly)+"|"+e.Key]
			seen = seen || ok
		}
		if seen {
			continue // as the Postgres store: the day, or the one before or after
		}
		s.raw[e.App][day.Format(time.DateOnly)+"|"+e.Key] = e
		out[i] = true
	}
	return out, nil
}

// Scan implements service.RawEvents.
func (s *Store) Scan(_ context.Context, app string, from, to time.Time, fn func([]service.Event) error) error {
	s.mu.Lock()
	var evs []service.Event
	for a, m := range s.raw {
		if app != "" && a != app {
			continue
		}
		for _, e := range m {
			if !e.At.Before(from) && e.At.Before(to) {
				evs = append(evs, e)
			}
		}
	}
	s.mu.Unlock()
	slices.SortFunc(evs, func(a, b service.Event) int {
		return cmp.Or(service.Day(a.At).Compare(service.Day(b.At)), cmp.Compare(a.App, b.App), cmp.Compare(a.Key, b.Key))
	})
	for chunk := range slices.Chunk(evs, 100) {
		if err := fn(chunk); err != nil {
			return err
		}
	}
	return nil
}

// Pseudonymize implements service.RawEvents.
func (s *Store) Pseudonymize(_ context.Context, app string, er service.Erasure) (int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var n int64
	for k, e := range s.raw[app] {
		if e.Member == er.Member {
			e.Member = er.Pseudonym
			s.raw[app][k] = e
			n++
		}
	}
	return n, nil
}

// DropBefore implements service.RawEvents.
func (s *Store) DropBefore(_ context.Context, day time.Time) ([]time.Time, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	days := map[time.Time]bool{}
	for _, m := range s.raw {
		for k, e := range m {
			if d := service.Day(e.At); d.Before(day) {
				days[d] = true
				delete(m, k)
			}
		}
	}
	return slices.SortedFunc(maps.Keys(days), time.Time.Compare), nil
}

// Joined implements service.Members.
func (s *Store) Joined(_ context.Context, app string, j service.Joining) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.member(app, j.Member)
	if r.joined.IsZero() || j.At.Before(r.joined) {
		r.joined = j.At
	}
	if j.Name != "" {
		r.name = j.Name
	}
	return nil
}

// Names implements service.Members.
func (s *Store) Names(_ context.Context, app string, members []string) (map[string]string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string]string{}
	for _, m := range members {
		if r := s.members[[2]string{app, m}]; r != nil && r.name != "" {
			out[m] = r.name
		}
	}
	return out, nil
}

// IDs implements service.Members.
func (s *Store) IDs(_ context.Context, app string) ([]string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for k := range s.members {
		if k[0] == app {
			out = append(out, k[1])
		}
	}
	slices.Sort(out)
	return out, nil
}

func (s *Store) member(app, m string) *member {
	k := [2]string{app, m}
	if s.members[k] == nil {
		s.members[k] = &member{}
	}
	return s.members[k]
}

// Opened implements service.Members.
func (s *Store) Opened(_ context.Context, app string, opened map[string]time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for m, t := range opened {
		r := s.member(app, m)
		if r.opened.IsZero() || t.Before(r.opened) {
			r.opened = t
		}
	}
	return nil
}

// Adoption implements service.Members.
func (s *Store) Adoption(_ context.Context, app string, days []time.Time) ([]int64, []int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	reg, opened := make([]int64, len(days)), make([]int64, len(days))
	for k, m := range s.members {
		if k[0] != app {
			continue
		}
		first := m.joined
		if first.IsZero() {
			first = m.opened
		}
		for i, d := range days {
			end := d.AddDate(0, 0, 1)
			if first.Before(end) {
				reg[i]++
			}
			if !m.opened.IsZero() && m.opened.Before(end) {
				opened[i]++
			}
		}
	}
	return reg, opened, nil
}

// Forget implements service.Members.
func (s *Store) Forget(_ context.Context, app, m string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.members, [2]string{app, m})
	return nil
}

// Forget implements service.Live.
func (s *Live) Forget(_ context.Context, app, m string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if l := s.live[app]; l != nil {
		delete(l.presentM, m)
		delete(l.leaderboard, m)
	}
	return nil
}

// Put implements service.Rollups.
func (s *Store) Put(_ context.Context, rows []service.Row, items map[service.DayRef][]service.ItemCount) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, r := range rows {
		r.Counts = maps.Clone(r.Counts)
		maps.DeleteFunc(r.Counts, func(_ string, v int64) bool { return v == 0 })
		s.rollups[rowKey{r.App, r.Scope, r.Level, r.Start}] = r
	}
	for ref, its := range items {
		s.items[ref] = slices.Clone(its)
	}
	return nil
}

// Get implements service.Rollups.
func (s *Store) Get(_ context.Context, app, scope string, level service.Level, from, to time.Time) ([]service.Row, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []service.Row
	for k, r := range s.rollups {
		if k.app == app && k.scope == scope && k.level == level && !k.start.Before(from) && k.start.Before(to) {
			r.Counts = maps.Clone(r.Counts)
			out = append(out, r)
		}
	}
	slices.SortFunc(out, func(a, b service.Row) int { return a.Start.Compare(b.Start) })
	return out, nil
}

// Items implements service.Rollups.
func (s *Store) Items(_ context.Context, app string, kinds []string, days []time.Time) ([]service.ItemCount, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sums := map[[2]string]int64{}
	for _, d := range days {
		for _, it := range s.items[service.DayRef{App: app, Day: d}] {
			if slices.Contains(kinds, it.Kind) {
				sums[[2]string{it.Kind, it.ID}] += it.N
			}
		}
	}
	var out []service.ItemCount
	for k, n := range sums {
		out = append(out, service.ItemCount{Kind: k[0], ID: k[1], N: n})
	}
	return out, nil
}

// Update implements service.Jobs.
func (s *Store) Update(_ context.Context, name string, fn func(*service.JobState) error) error {
	s.mu.Lock()
	j := s.jobs[name]
	if j == nil {
		j = &job{}
		s.jobs[name] = j
	}
	if j.held {
		s.mu.Unlock()
		return errs.New(errs.Conflict, "job %s is running in another replica", name)
	}
	j.held = true
	st := j.state
	s.mu.Unlock()
	err := fn(&st)
	s.mu.Lock()
	defer s.mu.Unlock()
	j.held = false
	if err == nil {
		j.state = st
	}
	return err
}

func (s *Live) app(app string) *appLive {
	l := s.live[app]
	if l == nil {
		l = &appLive{
			seen: map[string]bool{}, buckets: map[service.BucketRef]*bucket{}, items: map[time.Time]map[string]int64{},
			top: map[string]map[time.Time]map[string]float64{}, leaderboard: map[string]float64{}, marks: map[string]bool{},
			presentM: map[string]int64{}, presentI: map[string]int64{}, dirty: map[string]float64{}, rate: map[string]int{},
		}
		s.live[app] = l
	}
	return l
}

// Apply implements service.Live.
func (s *Live) Apply(_ context.Context, app string, changes []service.Change) ([]bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	l := s.app(app)
	l.seq++
	out := make([]bool, len(changes))
	for i, c := range changes {
		if l.seen[c.Key] {
			continue
		}
		l.seen[c.Key] = true
		out[i] = true
		fx := c.Effects
		for _, scope := range c.Scopes {
			for _, lv := range service.Levels {
				ref := service.BucketRef{Scope: scope, Level: lv, Start: lv.Trunc(c.At)}
				b := l.buckets[ref]
				if b == nil {
					b = &bucket{counts: map[string]int64{}, members: map[string]bool{}, installs: map[string]bool{}}
					l.buckets[ref] = b
				}
				for k, v := range fx.Counts {
					b.counts[k] += v
				}
				if fx.Member != "" {
					b.members[fx.Member] = true
				}
				if fx.Install != "" {
					b.installs[fx.Install] = true
				}
			}
			l.dirty[scope+"|"+strconv.FormatInt(service.Minute(c.At).Unix(), 10)] = l.seq
		}
		ms := c.At.UnixMilli()
		if fx.Member != "" {
			l.presentM[fx.Member] = max(l.presentM[fx.Member], ms)
		}
		if fx.Install != "" {
			l.presentI[fx.Install] = max(l.presentI[fx.Install], ms)
		}
		day := service.Day(c.At)
		for _, t := range fx.Top {
			if l.top[t.List] == nil {
				l.top[t.List] = map[time.Time]map[string]float64{}
			}
			if l.top[t.List][day] == nil {
				l.top[t.List][day] = map[string]float64{}
			}
			l.top[t.List][day][t.ID] += fx.Heat
		}
		for _, it := range fx.Items {
			if l.items[day] == nil {
				l.items[day] = map[string]int64{}
			}
			l.items[day][service.ItemField(it.Kind, it.ID)] += it.N
		}
		if fx.Points > 0 {
			mk := fx.PointsKey + "|" + strconv.FormatInt(fx.PointsWindow, 10)
			if !l.marks[mk] {
				l.marks[mk] = true
				l.leaderboard[fx.Member] += float64(fx.Points)
			}
		}
	}
	if len(l.dirty) > 0 {
		s.dirty[app] = true
	}
	return out, nil
}

// Allow implements service.Live.
func (s *Live) Allow(_ context.Context, app string, n int, budgets ...service.Budget) (int, time.Duration, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.Now()
	l := s.app(app)
	over := -1
	for i, b := range budgets {
		k := b.Subject + "|" + strconv.FormatInt(service.Minute(now).Unix(), 10)
		l.rate[k] += n
		if l.rate[k] > b.Limit && over < 0 {
			over = i
		}
	}
	if over >= 0 {
		return over, service.Minute(now).Add(time.Minute).Sub(now), nil
	}
	return -1, 0, nil
}

// Figures implements service.Live.
func (s *Live) Figures(_ context.Context, app string, refs []service.BucketRef) ([]service.Figures, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	l := s.app(app)
	out := make([]service.Figures, len(refs))
	for i, r := range refs {
		f := service.Figures{Counts: map[string]int64{}}
		if b := l.buckets[r]; b != nil {
			f.Counts = maps.Clone(b.counts)
			f.Members, f.Installs = int64(len(b.members)), int64(len(b.installs))
		}
		out[i] = f
	}
	return out, nil
}

// Items implements service.Live.
func (s *Live) Items(_ context.Context, app string, days []time.Time) ([][]service.ItemCount, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	l := s.app(app)
	out := make([][]service.ItemCount, len(days))
	for i, d := range days {
		for f, n := range l.items[d] {
			kind, id, _ := service.ParseItemField(f)
			out[i] = append(out[i], service.ItemCount{Kind: kind, ID: id, N: n})
		}
	}
	return out, nil
}

// Waiting implements service.Live.
func (s *Live) Waiting(_ context.Context, app string) ([]service.Waiting, string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []service.Waiting
	for m, mark := range s.app(app).dirty {
		scope, sec, _ := strings.Cut(m, "|")
		u, _ := strconv.ParseInt(sec, 10, 64)
		out = append(out, service.Waiting{Scope: scope, Minute: time.Unix(u, 0).UTC(), Mark: mark})
	}
	slices.SortFunc(out, func(a, b service.Waiting) int {
		return cmp.Or(a.Minute.Compare(b.Minute), cmp.Compare(a.Scope, b.Scope))
	})
	gen := ""
	if l := s.app(app); l.folds > 0 {
		gen = strconv.Itoa(l.folds)
	}
	return out, gen, nil
}

// WaitingApps implements service.Live.
func (s *Live) WaitingApps(context.Context) ([]string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Sorted(maps.Keys(s.dirty)), nil
}

// Folded implements service.Live.
func (s *Live) Folded(_ context.Context, app string, ws []service.Waiting) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	l := s.app(app)
	l.folds++
	for _, w := range ws {
		m := w.Scope + "|" + strconv.FormatInt(w.Minute.Unix(), 10)
		if l.dirty[m] == w.Mark {
			delete(l.dirty, m)
		}
	}
	if len(l.dirty) == 0 {
		delete(s.dirty, app)
	}
	return nil
}

// Present implements service.Live.
func (s *Live) Present(_ context.Context, app string, since time.Time) (int64, int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	l := s.app(app)
	count := func(m map[string]int64) int64 {
		var n int64
		for _, t := range m {
			if t >= since.UnixMilli() {
				n++
			}
		}
		return n
	}
	return count(l.presentM), count(l.presentI), nil
}

// Top implements service.Live.
func (s *Live) Top(_ context.Context, app, list string, day time.Time, limit int) ([]service.Scored, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return ranked(s.app(app).top[list][day], limit), nil
}

// Leaderboard implements service.Live.
func (s *Live) Leaderboard(_ context.Context, app string, limit int) ([]service.Scored, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return ranked(s.app(app).leaderboard, limit), nil
}

func ranked(m map[string]float64, limit int) []service.Scored {
	out := make([]service.Scored, 0, len(m))
	for id, v := range m {
		out = append(out, service.Scored{ID: id, Score: v})
	}
	// Redis orders equal scores by member, descending, in ZREVRANGE.
	slices.SortFunc(out, func(a, b service.Scored) int {
		return cmp.Or(cmp.Compare(b.Score, a.Score), cmp.Compare(b.ID, a.ID))
	})
	return out[:min(limit, len(out))]
}

// Ready implements service.Live.
func (s *Live) Ready(context.Context) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.ready, nil
}

// SetReady implements service.Live.
func (s *Live) SetReady(context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ready = true
	return nil
}

// Lock implements service.Live.
func (s *Live) Lock(context.Context, time.Duration) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.locked {
		return false, nil
	}
	s.locked = true
	return true, nil
}

// Unlock implements service.Live.
func (s *Live) Unlock(context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.locked = false
	return nil
}

// Reset implements service.Live.
func (s *Live) Reset(_ context.Context, app string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.live, app)
	delete(s.dirty, app)
	return nil
}

// LoseLive forgets the whole live state, as Redis coming back empty does.
func (s *Live) LoseLive() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.live = map[string]*appLive{}
	s.dirty = map[string]bool{}
	s.ready, s.locked = false, false
}
