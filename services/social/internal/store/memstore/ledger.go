package memstore

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/attendify/platform/events"
	"github.com/attendify/platform/flake"
	"github.com/attendify/social"
	"github.com/attendify/social/internal/service"
)

// Ledger is the in-memory stand-in of social's Postgres ledger and
// key-value port: it implements service.ReactionStore, ChangeLog,
// NotificationStore, ReportStore, BlockStore and ProfileStore. One mutex
// plays the part of the ledger's transactions.
type Ledger struct {
	mu        sync.Mutex
	ids       *flake.Generator
	now       func() time.Time
	reactions map[string]string           // app/post/member -> kind
	counts    map[string]map[string]int64 // app/post -> counter -> n ("comments" and "version" too)
	mine      map[string]map[string]string
	pending   map[string]pendingRow // by event id
	outbox    []events.Event
	notes     []service.Notification
	reports   []reportRow
	blocks    map[string]service.BlockRecord // app/member/source
	uncounted map[string]map[string]string   // app/member -> post -> kind a block took out
	profiles  map[string]profileRow          // app/member
}

type pendingRow struct {
	p  service.PendingEvent
	at time.Time
}

type reportRow struct {
	r          service.Report
	resolvedBy string
	resolved   bool
}

type profileRow struct {
	p  service.Profile
	at time.Time
}

var (
	_ service.ReactionStore     = (*Ledger)(nil)
	_ service.ChangeLog         = (*Ledger)(nil)
	_ service.NotificationStore = (*Ledger)(nil)
	_ service.ReportStore       = (*Ledger)(nil)
	_ service.BlockStore        = (*Ledger)(nil)
	_ service.ProfileStore      = (*Ledger)(nil)
)

// NewLedger returns an empty ledger.
func NewLedger() *Ledger {
	return &Ledger{
		ids: flake.New(0), now: time.Now,
		reactions: map[string]string{}, counts: map[string]map[string]int64{}, mine: map[string]map[string]string{},
		pending: map[string]pendingRow{}, blocks: map[string]service.BlockRecord{}, profiles: map[string]profileRow{},
		uncounted: map[string]map[string]string{},
	}
}

const (
	commentsCounter = "comments"
	versionCounter  = "version" // Counts.Version: one more at every change of the counters
)

// Outbox returns the events recorded so far, in order.
func (l *Ledger) Outbox() []events.Event {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.outbox)
}

// React implements service.ReactionStore.
func (l *Ledger) React(_ context.Context, r service.Reaction, then func(prev string) service.Effects) (service.Reacted, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	key := r.App + "/" + r.Post + "/" + r.Member
	prev := l.reactions[key]
	if prev == r.Kind {
		return service.Reacted{Prev: prev}, nil
	}
	if r.Kind == "" {
		delete(l.reactions, key)
	} else {
		l.reactions[key] = r.Kind
	}
	l.record(then(prev))
	mk := r.App + "/" + r.Member
	rec, uncounted := l.uncounted[mk]
	switch {
	case uncounted && r.Kind == "":
		delete(rec, r.Post)
	case uncounted:
		rec[r.Post] = r.Kind
	default:
		c := l.counter(r.App, r.Post)
		if prev != "" {
			c[prev]--
		}
		if r.Kind != "" {
			c[r.Kind]++
		}
	}
	if l.mine[mk] == nil {
		l.mine[mk] = map[string]string{}
	}
	if r.Kind == "" {
		delete(l.mine[mk], r.Post)
	} else {
		l.mine[mk][r.Post] = r.Kind
	}
	return service.Reacted{Prev: prev, Changed: true, Uncounted: uncounted}, nil
}

// SettleBlocked implements service.ReactionStore.
func (l *Ledger) SettleBlocked(_ context.Context, app, member string) ([]string, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	mk := app + "/" + member
	rec, uncounted := l.uncounted[mk]
	var sign int64
	switch blocked := l.blocked(app, member); {
	case blocked && !uncounted:
		rec, sign = maps.Clone(l.mine[mk]), -1
		if rec == nil {
			rec = map[string]string{}
		}
		l.uncounted[mk] = rec
	case !blocked && uncounted:
		sign = 1
		delete(l.uncounted, mk)
	default:
		return nil, nil
	}
	var moved []string
	for _, post := range slices.Sorted(maps.Keys(rec)) {
		l.counter(app, post)[rec[post]] += sign
		moved = append(moved, post)
	}
	return moved, nil
}

// Unsettled implements service.ReactionStore.
func (l *Ledger) Unsettled(_ context.Context, limit int) ([]service.MemberRef, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	seen := map[service.MemberRef]bool{}
	for _, b := range l.blocks {
		if _, ok := l.uncounted[b.App+"/"+b.Member]; !ok {
			seen[service.MemberRef{App: b.App, Member: b.Member}] = true
		}
	}
	for mk := range l.uncounted {
		app, member, _ := strings.Cut(mk, "/")
		if !l.blocked(app, member) {
			seen[service.MemberRef{App: app, Member: member}] = true
		}
	}
	refs := slices.SortedFunc(maps.Keys(seen), func(a, b service.MemberRef) int {
		return cmp.Or(strings.Compare(a.App, b.App), strings.Compare(a.Member, b.Member))
	})
	return refs[:min(len(refs), limit)], nil
}

// counter returns the counters of post for a change, whose version it
// moves.
func (l *Ledger) counter(app, post string) map[string]int64 {
	c := l.counts[app+"/"+post]
	if c == nil {
		c = map[string]int64{}
		l.counts[app+"/"+post] = c
	}
	c[versionCounter]++
	return c
}

// Counts implements service.ReactionStore.
func (l *Ledger) Counts(_ context.Context, app, post string) (service.Counts, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	c := service.Counts{Reactions: map[string]int64{}}
	for f, n := range l.counts[app+"/"+post] {
		switch {
		case f == commentsCounter:
			c.Comments = n
		case f == versionCounter:
			c.Version = n
		case n != 0:
			c.Reactions[f] = n
		}
	}
	return c, nil
}

// MemberReactions implements service.ReactionStore.
func (l *Ledger) MemberReactions(_ context.Context, app, member string) (map[string]string, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return maps.Clone(l.mine[app+"/"+member]), nil
}

// record adds eff's events to the outbox, settles their pending changes,
// keeps the notifications and applies the comment count deltas. l.mu is
// held.
func (l *Ledger) record(eff service.Effects) {
	l.outbox = append(l.outbox, eff.Events...)
	for _, ev := range eff.Events {
		if row, ok := l.pending[ev.ID]; ok && ev.ID != "" {
			delete(l.pending, ev.ID)
			l.addComments(row.p.App, row.p.Comments)
		}
	}
	for _, n := range eff.Notifications {
		if n.ID == "" {
			n.ID = l.ids.Next().String()
		}
		if slices.ContainsFunc(l.notes, func(o service.Notification) bool { return sameNotification(o, n) }) {
			continue
		}
		l.notes = append(l.notes, n)
	}
	l.addComments(eff.App, eff.Comments)
}

// sameNotification reports whether n repeats o: the same id, or a second
// "liked" of one liker and post (the ledger keeps one).
func sameNotification(o, n service.Notification) bool {
	return o.ID == n.ID || (n.Kind == social.NotifyLiked && o.Kind == n.Kind &&
		o.App == n.App && o.Member == n.Member && o.Actor == n.Actor && o.Post == n.Post)
}

func (l *Ledger) addComments(app string, deltas map[string]int64) {
	for post, d := range deltas {
		if d != 0 {
			l.counter(app, post)[commentsCounter] += d
		}
	}
}

// Record implements service.ChangeLog.
func (l *Ledger) Record(_ context.Context, eff service.Effects) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.record(eff)
	return nil
}

// Intend implements service.ChangeLog.
func (l *Ledger) Intend(_ context.Context, p service.PendingEvent, prev string) (bool, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if _, dup := l.pending[p.Event.ID]; dup {
		return false, fmt.Errorf("pending change %s exists", p.Event.ID)
	}
	recorded := false
	if row, ok := l.pending[prev]; ok && prev != "" {
		delete(l.pending, prev)
		l.outbox = append(l.outbox, row.p.Event)
		l.addComments(row.p.App, row.p.Comments)
		recorded = true
	}
	if p.Comments == nil {
		p.Comments = map[string]int64{}
	}
	l.pending[p.Event.ID] = pendingRow{p: p, at: l.now()}
	return recorded, nil
}

// Pending implements service.ChangeLog.
func (l *Ledger) Pending(_ context.Context, age time.Duration, limit int) ([]service.PendingEvent, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	rows := slices.Collect(maps.Values(l.pending))
	slices.SortFunc(rows, func(a, b pendingRow) int { return a.at.Compare(b.at) })
	var out []service.PendingEvent
	cutoff := l.now().Add(-age)
	for _, r := range rows {
		if len(out) < limit && r.at.Before(cutoff) {
			out = append(out, r.p)
		}
	}
	return out, nil
}

// Settle implements service.ChangeLog.
func (l *Ledger) Settle(_ context.Context, p service.PendingEvent, publish bool) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	row, ok := l.pending[p.Event.ID]
	if !ok {
		return nil
	}
	delete(l.pending, p.Event.ID)
	if publish {
		l.outbox = append(l.outbox, row.p.Event)
		l.addComments(row.p.App, row.p.Comments)
	}
	return nil
}

// Notifications implements service.NotificationStore.
func (l *Ledger) Notifications(_ context.Context, q service.NotificationQuery) ([]service.Notification, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []service.Notification
	for _, n := range l.notes {
		if n.App == q.App && n.Member == q.Member && (q.Before == "" || n.ID < q.Before) && (!q.UnreadOnly || n.ReadAt == nil) {
			out = append(out, n)
		}
	}
	slices.SortFunc(out, func(a, b service.Notification) int { return -cmp.Compare(a.ID, b.ID) })
	if len(out) > q.Limit {
		out = out[:q.Limit]
	}
	return out, nil
}

// MarkRead implements service.NotificationStore.
func (l *Ledger) MarkRead(_ context.Context, app, member string, ids []string, all bool) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	for i, x := range l.notes {
		if x.App == app && x.Member == member && x.ReadAt == nil && (all || slices.Contains(ids, x.ID)) {
			l.notes[i].ReadAt = &now
		}
	}
	return nil
}

// AddReport implements service.ReportStore.
func (l *Ledger) AddReport(_ context.Context, r service.Report) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	for i, x := range l.reports {
		if x.r.App == r.App && x.r.Post == r.Post && x.r.Reporter == r.Reporter {
			if x.resolved { // reported again after a moderator resolved it: open again
				l.reports[i] = reportRow{r: r}
			}
			return nil
		}
	}
	l.reports = append(l.reports, reportRow{r: r})
	return nil
}

// OpenReports implements service.ReportStore.
func (l *Ledger) OpenReports(_ context.Context, app, after string, limit int) ([]service.Report, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []service.Report
	for _, x := range l.reports {
		if x.r.App == app && !x.resolved && x.r.ID > after {
			out = append(out, x.r)
		}
	}
	slices.SortFunc(out, func(a, b service.Report) int { return cmp.Compare(a.ID, b.ID) })
	if len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}

// ResolveReports implements service.ReportStore.
func (l *Ledger) ResolveReports(_ context.Context, app string, posts []string, by string) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	for i, x := range l.reports {
		if x.r.App == app && !x.resolved && slices.Contains(posts, x.r.Post) {
			l.reports[i].resolved, l.reports[i].resolvedBy = true, by
		}
	}
	return nil
}

// SetBlock implements service.BlockStore.
func (l *Ledger) SetBlock(_ context.Context, b service.BlockRecord, on bool) (bool, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	key := b.App + "/" + b.Member + "/" + b.Source
	if on {
		if _, ok := l.blocks[key]; !ok {
			l.blocks[key] = b
		}
	} else {
		delete(l.blocks, key)
	}
	return l.blocked(b.App, b.Member), nil
}

func (l *Ledger) blocked(app, member string) bool {
	for _, b := range l.blocks {
		if b.App == app && b.Member == member {
			return true
		}
	}
	return false
}

// Blocked implements service.BlockStore.
func (l *Ledger) Blocked(_ context.Context, app, member string) (bool, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.blocked(app, member), nil
}

// BlockedAmong implements service.BlockStore.
func (l *Ledger) BlockedAmong(_ context.Context, app string, members []string) (map[string]bool, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := map[string]bool{}
	for _, m := range members {
		if l.blocked(app, m) {
			out[m] = true
		}
	}
	return out, nil
}

// Profiles implements service.ProfileStore.
func (l *Ledger) Profiles(_ context.Context, app string, members []string) (map[string]service.Profile, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := map[string]service.Profile{}
	for _, m := range members {
		if row, ok := l.profiles[app+"/"+m]; ok {
			p := row.p
			p.Version = row.at
			out[m] = p
		}
	}
	return out, nil
}

// SaveProfile implements service.ProfileStore.
func (l *Ledger) SaveProfile(_ context.Context, p service.Profile, at time.Time) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	key := p.App + "/" + p.Member
	if old, ok := l.profiles[key]; ok && (old.at.After(at) || old.p.Deleted) {
		return nil
	}
	l.profiles[key] = profileRow{p: p, at: at}
	return nil
}

// ResyncProfile implements service.ProfileStore.
func (l *Ledger) ResyncProfile(_ context.Context, p service.Profile, at, before time.Time) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	key := p.App + "/" + p.Member
	if old, ok := l.profiles[key]; ok && (!old.at.Before(before) || old.p.Deleted) {
		return nil
	}
	p.Deleted = false
	l.profiles[key] = profileRow{p: p, at: at}
	return nil
}

// ProfileMembers implements service.ProfileStore.
func (l *Ledger) ProfileMembers(_ context.Context, app string, before time.Time) ([]string, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []string
	for _, row := range l.profiles {
		if row.p.App == app && !row.p.Deleted && row.at.Before(before) {
			out = append(out, row.p.Member)
		}
	}
	return out, nil
}

// ForgetMember implements service.ProfileStore.
func (l *Ledger) ForgetMember(_ context.Context, app, member string) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.notes = slices.DeleteFunc(l.notes, func(n service.Notification) bool {
		return n.App == app && (n.Member == member || n.Actor == member)
	})
	l.reports = slices.DeleteFunc(l.reports, func(r reportRow) bool { return r.r.App == app && r.r.Reporter == member })
	return nil
}
