package redisstore_test

import (
	"encoding/json"
	"testing"

	"github.com/attendify/eventwall/internal/service"
	"github.com/attendify/eventwall/internal/store/redisstore"
	"github.com/attendify/eventwall/internal/store/storetest"
	"github.com/attendify/platform/testkit"
)

func newStore(t *testing.T) *redisstore.Store {
	rdb, ns := testkit.Redis(t)
	return redisstore.New(rdb, ns)
}

// TestBoardContract runs the contract of service.Board and screen.Source.
func TestBoardContract(t *testing.T) {
	storetest.RunBoard(t, func(t *testing.T) storetest.Board { return newStore(t) })
}

// TestLeasesContract runs the contract of service.Leases: two stores on
// one Redis are two replicas.
func TestLeasesContract(t *testing.T) {
	storetest.RunLeases(t, func(t *testing.T) (a, b service.Leases) {
		rdb, ns := testkit.Redis(t)
		return redisstore.New(rdb, ns), redisstore.New(rdb, ns)
	})
}

// TestApproveEntryWithoutEvent: an entry kept from before entries named
// their post's event gives no event to check, so a public wall's approval
// refuses it as rules_changed (the refill after the upgrade judges it
// again) rather than show it; a private wall's approves it.
func TestApproveEntryWithoutEvent(t *testing.T) {
	ctx := testkit.Context(t)
	rdb, ns := testkit.Redis(t)
	s := redisstore.New(rdb, ns)
	item, _ := json.Marshal(map[string]string{"id": "p1", "text": "old"})
	for _, w := range []string{"public", "private"} {
		if err := s.Restore(ctx, w, service.Moderations{}, 1, nil); err != nil {
			t.Fatal(err)
		}
		d := service.Decision{Post: "p1", Rev: 1, Outcome: service.Hold, Entry: service.Entry{
			Post: "p1", Author: "m1", Rev: 1, Hash: service.TextHash("old"), Created: 1, RulesID: "R", Item: item,
		}}
		if _, err := s.Apply(ctx, w, d); err != nil {
			t.Fatal(err)
		}
		// The entry as the version before wrote it: no "event".
		old, _ := json.Marshal(struct {
			Post    string          `json:"post"`
			Author  string          `json:"author"`
			Rev     int64           `json:"rev"`
			Hash    string          `json:"hash"`
			Created int64           `json:"created"`
			RulesID string          `json:"rules_id"`
			Item    json.RawMessage `json:"item"`
		}{"p1", "m1", 1, service.TextHash("old"), 1, "R", item})
		if err := rdb.HSet(ctx, s.Keys().Wall(w, "entries"), "p1", old).Err(); err != nil {
			t.Fatal(err)
		}
	}
	a := service.Approval{Post: "p1", Rev: 1, Rules: 1, RulesID: "R", Audience: &service.Audience{App: true, Events: []string{}}}
	if got, err := s.Approve(ctx, "public", a); err != nil || got.Refused != "rules_changed" {
		t.Errorf("public wall: %+v %v, want refused: rules_changed", got, err)
	}
	a.Audience = nil
	if got, err := s.Approve(ctx, "private", a); err != nil || got.Refused != "" {
		t.Errorf("private wall: %+v %v, want approved", got, err)
	}
}
