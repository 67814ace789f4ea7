package hub_test

import (
	"fmt"
	"slices"
	"testing"

	"github.com/attendify/hub"
	"github.com/attendify/hub/internal/hubtest"
	"github.com/attendify/platform/rpc"
	"github.com/attendify/platform/testkit"
)

// TestProjectionListings: what another service's projection rebuilds from
// when hub's events are gone. AllAppIDs lists every app; EachMember gives a
// service every member of an app, blocked ones included (a rebuild that
// missed them would take them for deleted), over several pages.
func TestProjectionListings(t *testing.T) {
	env := hubtest.Start(t)
	ctx := testkit.Context(t)
	a, tok := newApp(t, env, "proj-a")
	b, _ := newApp(t, env, "proj-b")

	ids, err := hub.AllAppIDs(ctx, env.Service)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(ids, a.ID) || !slices.Contains(ids, b.ID) {
		t.Errorf("app ids %v lack %s or %s", ids, a.ID, b.ID)
	}

	const n = 205 // more than one page of member.search
	rows := make([]hub.MemberInput, n)
	for i := range rows {
		rows[i] = hub.MemberInput{Email: fmt.Sprintf("m%03d@example.com", i), Name: fmt.Sprintf("Member %03d", i)}
	}
	r := must(hub.BulkMembers.Call(ctx, env.Service, hub.BulkMembersParams{AppRef: rpc.AppRef{App: a.ID}, Members: rows}))(t)
	blocked := r.IDs[7]
	must(hub.BlockMember.Call(hubtest.As(ctx, tok), env.Client, hub.MemberParams{AppRef: rpc.AppRef{App: a.ID}, Member: blocked}))(t)

	seen := map[string]hub.Member{}
	if err := hub.EachMember(ctx, env.Service, a.ID, func(m hub.Member) error {
		if _, dup := seen[m.ID]; dup {
			t.Errorf("member %s listed twice", m.ID)
		}
		seen[m.ID] = m
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if len(seen) != n {
		t.Errorf("listed %d members, want %d", len(seen), n)
	}
	if m, ok := seen[blocked]; !ok || !m.Blocked {
		t.Errorf("the blocked member: %+v (listed %v), want listed as blocked", m, ok)
	}
	for i, id := range r.IDs {
		if seen[id].Name != rows[i].Name {
			t.Errorf("member %s named %q, want %q", id, seen[id].Name, rows[i].Name)
		}
	}
}
