package memstore

import (
	"context"
	"strconv"
	"sync"
	"time"

	"github.com/attendify/sponsored/internal/service"
	"github.com/attendify/sponsored/placement"
)

// Board is an in-memory Board and Inbox: eligibility, live counters, caps
// and one record stream per app, with the consumer-group rules of
// redisstore (a record read and not acknowledged comes back after the
// claim time). It passes storetest.RunBoard, as redisstore does.
type Board struct {
	mu    sync.Mutex
	claim time.Duration
	now   func() time.Time
	elig  map[string]placement.Eligibility
	live  map[string]map[string]int64  // app -> field -> value
	caps  map[string]map[string]string // app/member -> field -> value
	recs  map[string][]*pendingRecord  // app -> records not acknowledged
	seq   int
	gen   int64            // the last generation given
	pub   map[string]int64 // app -> the generation of its publication
}

type pendingRecord struct {
	rec    service.Record
	readAt time.Time // zero: never read
	acked  bool
}

// NewBoard returns an empty Board whose records come back claim after
// they were read without an ack.
func NewBoard(claim time.Duration) *Board {
	return &Board{claim: claim, now: time.Now, elig: map[string]placement.Eligibility{}, live: map[string]map[string]int64{},
		caps: map[string]map[string]string{}, recs: map[string][]*pendingRecord{}, pub: map[string]int64{}}
}

var (
	_ service.Board = (*Board)(nil)
	_ service.Inbox = (*Board)(nil)
)

// Published reports whether app's eligibility is there.
func (b *Board) Published(_ context.Context, app string) (bool, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	_, ok := b.elig[app]
	return ok, nil
}

// Generation returns the next generation.
func (b *Board) Generation(context.Context) (int64, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.gen++
	return b.gen, nil
}

// Publish writes app's eligibility and live counters, unless its last
// publication has a generation of gen or above.
func (b *Board) Publish(_ context.Context, app string, gen int64, elig placement.Eligibility, live []service.Live, stopped []string) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if gen <= b.pub[app] {
		return nil
	}
	b.pub[app] = gen
	l := b.live[app]
	if l == nil {
		l = map[string]int64{}
		b.live[app] = l
	}
	for _, c := range live {
		if _, ok := l[placement.ServedField(c.Campaign)]; !ok {
			l[placement.ServedField(c.Campaign)] = c.Counted
		}
		l[placement.BudgetField(c.Campaign)], l[placement.PaceField(c.Campaign)] = c.Budget, c.Pace
	}
	for _, c := range stopped {
		delete(l, placement.BudgetField(c))
		delete(l, placement.PaceField(c))
	}
	if len(elig.Campaigns) == 0 {
		delete(b.elig, app)
	} else {
		b.elig[app] = elig
	}
	return nil
}

// RestoreCaps writes the windows the board lacks, never lowering one.
func (b *Board) RestoreCaps(_ context.Context, app string, ws []service.CapWindow) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, w := range ws {
		m := b.member(app, w.Member)
		if _, ok := m[placement.FlightCountField(w.Campaign)]; !ok && w.FlightCount > 0 {
			m[placement.HourField(w.Campaign)], m[placement.HourCountField(w.Campaign)] = w.Hour, strconv.Itoa(w.HourCount)
			m[placement.DayField(w.Campaign)], m[placement.DayCountField(w.Campaign)] = w.Day, strconv.Itoa(w.DayCount)
			m[placement.FlightCountField(w.Campaign)] = strconv.Itoa(w.FlightCount)
		}
		if w.Hidden {
			m[placement.HiddenField(w.Campaign)] = "1"
		}
	}
	return nil
}

func (b *Board) member(app, member string) map[string]string {
	m := b.caps[app+"/"+member]
	if m == nil {
		m = map[string]string{}
		b.caps[app+"/"+member] = m
	}
	return m
}

// Served reports whether member's caps hold a flight count of campaign.
func (b *Board) Served(_ context.Context, app, campaign, member string) (bool, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	_, ok := b.caps[app+"/"+member][placement.FlightCountField(campaign)]
	return ok, nil
}

// Hide marks h.Campaign hidden for h.Member.
func (b *Board) Hide(_ context.Context, h service.Hidden) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.member(h.App, h.Member)[placement.HiddenField(h.Campaign)] = "1"
	return nil
}

// Append appends a record to app's stream.
func (b *Board) Append(_ context.Context, app string, r service.Record) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.seq++
	r.ID = strconv.Itoa(b.seq)
	b.recs[app] = append(b.recs[app], &pendingRecord{rec: r})
	return nil
}

// Read returns up to n records: those read more than the claim time ago
// and not acknowledged, then new ones.
func (b *Board) Read(_ context.Context, app string, n int) ([]service.Record, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	now := b.now()
	var out []service.Record
	for _, pass := range []bool{true, false} { // reclaimed first, then new
		for _, p := range b.recs[app] {
			if len(out) == n {
				return out, nil
			}
			stale := !p.readAt.IsZero() && now.Sub(p.readAt) >= b.claim
			if p.acked || (pass && !stale) || (!pass && !p.readAt.IsZero()) {
				continue
			}
			p.readAt = now
			out = append(out, p.rec)
		}
	}
	return out, nil
}

// Ack acknowledges and deletes records.
func (b *Board) Ack(_ context.Context, app string, ids []string) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	keep := b.recs[app][:0]
	for _, p := range b.recs[app] {
		acked := false
		for _, id := range ids {
			if p.rec.ID == id {
				acked = true
			}
		}
		if !acked {
			keep = append(keep, p)
		}
	}
	b.recs[app] = keep
	return nil
}

// Eligibility returns app's published eligibility, for tests.
func (b *Board) Eligibility(app string) (placement.Eligibility, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	e, ok := b.elig[app]
	return e, ok
}

// Live returns a live counter of app (placement.BudgetField...), for tests.
func (b *Board) Live(app, field string) (int64, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	v, ok := b.live[app][field]
	return v, ok
}
