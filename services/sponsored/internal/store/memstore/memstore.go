// Package memstore is an in-memory Campaigns port for the domain's unit
// tests; it passes the same contract suite as pgstore (storetest).
package memstore

import (
	"context"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/attendify/platform/errs"
	"github.com/attendify/sponsored"
	"github.com/attendify/sponsored/internal/service"
)

// Campaigns keeps campaigns in memory.
type Campaigns struct {
	mu     sync.Mutex
	byID   map[string]service.Campaign
	hides  map[string]service.Hidden
	States []string // "<id>:<from>-><to>", the state changes announced
	every  map[string]int
}

// NewCampaigns returns an empty store.
func NewCampaigns() *Campaigns {
	return &Campaigns{byID: map[string]service.Campaign{}, hides: map[string]service.Hidden{}, every: map[string]int{}}
}

var _ service.Campaigns = (*Campaigns)(nil)

// Create stores a new campaign; an id in use is a conflict.
func (m *Campaigns) Create(_ context.Context, c service.Campaign) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.byID[c.ID]; ok {
		return errs.New(errs.Conflict, "campaign exists")
	}
	m.byID[c.ID] = clone(c)
	return nil
}

// Get reads a campaign of app.
func (m *Campaigns) Get(_ context.Context, app, id string) (service.Campaign, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	c, ok := m.byID[id]
	if !ok || c.App != app {
		return service.Campaign{}, errs.New(errs.NotFound, "campaign not found")
	}
	return clone(c), nil
}

// List returns a page of app's campaigns newest first, after the campaign
// the cursor ends at.
func (m *Campaigns) List(_ context.Context, q service.CampaignQuery) (service.CampaignPage, error) {
	after, err := service.CampaignAfter(q)
	if err != nil {
		return service.CampaignPage{}, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	var from service.Campaign
	if after != "" {
		c, ok := m.byID[after]
		if !ok || c.App != q.App {
			return service.CampaignPage{}, service.BadCampaignCursor()
		}
		from = c
	}
	var out []service.Campaign
	for _, c := range m.byID {
		if c.App == q.App && (c.State == q.State || (q.State == "" && c.State != sponsored.StateArchived)) &&
			(after == "" || newestFirst(from, c) < 0) {
			out = append(out, c)
		}
	}
	slices.SortFunc(out, newestFirst)
	page := service.CampaignPage{}
	if len(out) > q.Limit {
		out = out[:q.Limit]
		page.Next = service.CampaignCursor(q, out[q.Limit-1].ID)
	}
	for _, c := range out {
		page.Campaigns = append(page.Campaigns, clone(c))
	}
	return page, nil
}

func newestFirst(a, b service.Campaign) int {
	if c := b.CreatedAt.Compare(a.CreatedAt); c != 0 {
		return c
	}
	return strings.Compare(b.ID, a.ID)
}

// Update changes a campaign under the store's lock.
func (m *Campaigns) Update(_ context.Context, app, id string, now time.Time, change func(*service.Campaign) error) (service.Campaign, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	c, ok := m.byID[id]
	if !ok || c.App != app {
		return service.Campaign{}, errs.New(errs.NotFound, "campaign not found")
	}
	before := c
	c = clone(c)
	if err := change(&c); err != nil {
		return service.Campaign{}, err
	}
	c.ID, c.App, c.Counted, c.CreatedAt = before.ID, before.App, before.Counted, before.CreatedAt
	c.Version, c.UpdatedAt = before.Version+1, now
	if c.State != before.State {
		m.States = append(m.States, c.ID+":"+before.State+"->"+c.State)
	}
	m.byID[id] = c
	return clone(c), nil
}

// Active lists the scheduled, live and paused campaigns and those changed
// since since, by app and id.
func (m *Campaigns) Active(_ context.Context, since time.Time) ([]service.Campaign, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []service.Campaign
	for _, c := range m.byID {
		switch c.State {
		case sponsored.StateScheduled, sponsored.StateLive, sponsored.StatePaused:
		default:
			if c.State == sponsored.StateDraft || c.UpdatedAt.Before(since) {
				continue
			}
		}
		out = append(out, clone(c))
	}
	slices.SortFunc(out, func(a, b service.Campaign) int {
		return strings.Compare(a.App+"\x00"+a.ID, b.App+"\x00"+b.ID)
	})
	return out, nil
}

// ActiveOf lists app's campaigns that Active lists, by id.
func (m *Campaigns) ActiveOf(ctx context.Context, app string, since time.Time) ([]service.Campaign, error) {
	all, err := m.Active(ctx, since)
	return slices.DeleteFunc(all, func(c service.Campaign) bool { return c.App != app }), err
}

// Hide records a hide; the first reason stays.
func (m *Campaigns) Hide(_ context.Context, h service.Hidden) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	k := h.Campaign + "/" + h.Member
	if _, ok := m.hides[k]; !ok {
		m.hides[k] = h
	}
	return nil
}

// Hides returns the hides recorded, for tests.
func (m *Campaigns) Hides() []service.Hidden {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]service.Hidden, 0, len(m.hides))
	for _, h := range m.hides {
		out = append(out, h)
	}
	return out
}

// SetCounted sets a campaign's counted impressions (the ledger's part).
func (m *Campaigns) SetCounted(id string, n int64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	c := m.byID[id]
	c.Counted = n
	m.byID[id] = c
}

func clone(c service.Campaign) service.Campaign {
	c.Creative.Photos = slices.Clone(c.Creative.Photos)
	c.Creative.CTA.Fields = slices.Clone(c.Creative.CTA.Fields)
	c.Targeting.Events = slices.Clone(c.Targeting.Events)
	c.Targeting.MemberRoles = slices.Clone(c.Targeting.MemberRoles)
	c.Targeting.TicketTypes = slices.Clone(c.Targeting.TicketTypes)
	return c
}

// Every is app's organic posts per sponsored slot, 0 when unset.
func (m *Campaigns) Every(_ context.Context, app string) (int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.every[app], nil
}

// SetEvery sets it.
func (m *Campaigns) SetEvery(_ context.Context, app string, every int, _ time.Time) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.every[app] = every
	return nil
}
