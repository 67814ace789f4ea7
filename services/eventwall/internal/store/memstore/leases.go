package memstore

import (
	"context"
	"sync"
	"time"

	"github.com/attendify/eventwall/internal/service"
)

// Leases implements service.Leases in memory for one holder; Holder gives
// another holder of the same leases (another replica).
type Leases struct {
	table  *leaseTable
	holder int
}

var _ service.Leases = (*Leases)(nil)

type leaseTable struct {
	mu      sync.Mutex
	holders int
	leases  map[string]lease
}

type lease struct {
	holder int
	until  time.Time
}

// NewLeases returns a holder of leases nobody else holds.
func NewLeases() *Leases {
	return (&leaseTable{leases: map[string]lease{}}).newHolder()
}

// Holder returns another holder of the same leases.
func (l *Leases) Holder() *Leases { return l.table.newHolder() }

func (t *leaseTable) newHolder() *Leases {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.holders++
	return &Leases{table: t, holder: t.holders}
}

// Acquire implements service.Leases.
func (l *Leases) Acquire(_ context.Context, name string, ttl time.Duration) (bool, error) {
	t := l.table
	t.mu.Lock()
	defer t.mu.Unlock()
	now := time.Now()
	if cur, ok := t.leases[name]; ok && cur.holder != l.holder && now.Before(cur.until) {
		return false, nil
	}
	t.leases[name] = lease{holder: l.holder, until: now.Add(ttl)}
	return true, nil
}

// Release implements service.Leases.
func (l *Leases) Release(_ context.Context, name string) error {
	t := l.table
	t.mu.Lock()
	defer t.mu.Unlock()
	if cur, ok := t.leases[name]; ok && cur.holder == l.holder {
		delete(t.leases, name)
	}
	return nil
}
