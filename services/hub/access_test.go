package hub_test

import (
	"errors"
	"testing"

	"github.com/attendify/hub"
	"github.com/attendify/platform/auth"
	"github.com/attendify/platform/errs"
	"github.com/attendify/platform/testkit"
)

// TestDecideEvent is hub's event rule as a table: one row per (event
// settings, caller standing).
func TestDecideEvent(t *testing.T) {
	pub, hid := hub.VisibilityPublic, hub.VisibilityHidden
	open, code, listed := hub.EventAccessOpen, hub.EventAccessCode, hub.EventAccessListed
	tests := []struct {
		visibility, access  string
		seesAll, registered bool
		want                hub.EventGate
	}{
		{pub, open, false, false, hub.GateOpen},
		{pub, code, false, false, hub.GateCode},
		{pub, listed, false, false, hub.GateListed},
		{hid, open, false, false, hub.GateHidden},
		{hid, code, false, false, hub.GateHidden},
		{hid, listed, false, false, hub.GateHidden},
		{pub, code, false, true, hub.GateOpen},
		{pub, listed, false, true, hub.GateOpen},
		{hid, listed, false, true, hub.GateOpen},
		{hid, code, true, false, hub.GateOpen},
		{pub, listed, true, false, hub.GateOpen},
	}
	for _, tt := range tests {
		if got := hub.DecideEvent(tt.visibility, tt.access, tt.seesAll, tt.registered); got != tt.want {
			t.Errorf("DecideEvent(%s, %s, all=%v, registered=%v) = %v, want %v",
				tt.visibility, tt.access, tt.seesAll, tt.registered, got, tt.want)
		}
	}
}

// TestAccessOf: a member known by id gets what their token would get.
func TestAccessOf(t *testing.T) {
	ctx := testkit.Context(t)
	rdb, ns := testkit.Redis(t)
	keys := hub.NewReadModelKeys(ns)
	rm := hub.NewReadModel(rdb, ns)
	set := func(key string, fields []string) {
		t.Helper()
		args := make([]any, len(fields))
		for i, f := range fields {
			args[i] = f
		}
		if err := rdb.HSet(ctx, key, args...).Err(); err != nil {
			t.Fatal(err)
		}
	}
	if err := rdb.Set(ctx, keys.Ready(), "1", 0).Err(); err != nil {
		t.Fatal(err)
	}
	list, err := hub.EncodeEvents([]hub.EventInfo{
		{ID: "open", Access: hub.EventAccessOpen, Visibility: hub.VisibilityPublic},
		{ID: "code", Access: hub.EventAccessCode, Visibility: hub.VisibilityPublic},
		{ID: "hidden", Access: hub.EventAccessOpen, Visibility: hub.VisibilityHidden},
	})
	if err != nil {
		t.Fatal(err)
	}
	set(keys.Config("a1"), hub.EncodeAppConfig(hub.AppConfig{ID: "a1", Status: hub.StatusPublished}))
	set(keys.Events("a1"), list)
	set(keys.Membership("a1", "m1"), hub.EncodeMembership(hub.Membership{Role: auth.RoleAttendee, Registered: []string{"hidden"}}))
	set(keys.Membership("a1", "bad"), hub.EncodeMembership(hub.Membership{Role: auth.RoleAttendee, Blocked: true}))

	a, err := rm.AccessOf(ctx, "a1", "m1")
	if err != nil {
		t.Fatal(err)
	}
	byToken, err := rm.AuthorizeEvents(ctx, auth.Caller{Kind: auth.CallerUser, User: "m1", App: "a1", Role: auth.RoleAttendee}, "a1")
	if err != nil {
		t.Fatal(err)
	}
	for _, ev := range []string{"open", "code", "hidden", "nope"} {
		if a.Gate(ev) != byToken.Gate(ev) {
			t.Errorf("gate of %s: %v by id, %v by token", ev, a.Gate(ev), byToken.Gate(ev))
		}
	}
	if a.Gate("code") != hub.GateCode || a.Gate("hidden") != hub.GateOpen || a.Gate("nope") != hub.GateHidden {
		t.Errorf("gates: code %v, hidden %v, nope %v", a.Gate("code"), a.Gate("hidden"), a.Gate("nope"))
	}
	if got := len(a.Events()); got != 3 {
		t.Errorf("%d events, want 3", got)
	}
	if _, err := rm.AccessOf(ctx, "a1", "bad"); !errors.Is(err, errs.Forbidden) {
		t.Errorf("blocked member: %v, want forbidden", err)
	}
	if _, err := rm.AccessOf(ctx, "a1", "stranger"); !errors.Is(err, errs.Forbidden) {
		t.Errorf("not a member: %v, want forbidden", err)
	}

	// Decoded lists are kept by their JSON: a changed list is read at the
	// next call, never the one kept.
	list, err = hub.EncodeEvents([]hub.EventInfo{
		{ID: "open", Access: hub.EventAccessOpen, Visibility: hub.VisibilityHidden},
		{ID: "code", Access: hub.EventAccessOpen, Visibility: hub.VisibilityPublic},
	})
	if err != nil {
		t.Fatal(err)
	}
	set(keys.Events("a1"), list)
	a, err = rm.AccessOf(ctx, "a1", "m1")
	if err != nil {
		t.Fatal(err)
	}
	if a.Gate("open") != hub.GateHidden || a.Gate("code") != hub.GateOpen || len(a.Events()) != 2 {
		t.Errorf("after the list changed: open %v, code %v, %d events", a.Gate("open"), a.Gate("code"), len(a.Events()))
	}
}
