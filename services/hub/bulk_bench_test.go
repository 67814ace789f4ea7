package hub_test

import (
	"fmt"
	"testing"

	"github.com/attendify/hub"
	"github.com/attendify/hub/internal/hubtest"
	"github.com/attendify/platform/testkit"
)

// BenchmarkBulkMembersToEvent measures bulk.members with an event (the
// importer's path), batches of 10 000 rows: new members; members known
// already, registered now and otherwise unchanged; members changed and
// registered. ns/op is one batch.
func BenchmarkBulkMembersToEvent(b *testing.B) {
	const batch = 10000
	env := hubtest.Start(b)
	ctx := testkit.Context(b)
	acct := must(hub.SignUp.Call(ctx, env.Client, hub.SignUpParams{Email: "bench@example.com", Password: password, Name: "Owner"}))(b)
	a := must(hub.CreateApp.Call(hubtest.As(ctx, acct.Token), env.Client, hub.CreateAppParams{Name: "Bench", Slug: "bench"}))(b)
	at := must(hub.AppTokenFor.Call(hubtest.As(ctx, acct.Token), env.Client, hub.AppParams{App: a.ID}))(b)
	octx := hubtest.As(ctx, at.Token)
	n := 0
	rows := func(name string) []hub.MemberInput {
		out := make([]hub.MemberInput, batch)
		for i := range out {
			out[i] = hub.MemberInput{Email: fmt.Sprintf("m%d-%d@x.io", n, i), ExternalID: fmt.Sprintf("X%d-%d", n, i), Name: name}
		}
		n++
		return out
	}
	event := func() string {
		return must(hub.CreateEvent.Call(octx, env.Client, hub.CreateEventParams{App: a.ID, Name: "E", TimeZone: "UTC",
			Start: "2030-06-01T09:00", End: "2030-06-02T18:00", Access: hub.EventAccessListed}))(b).ID
	}
	upsert := func(ev string, rs []hub.MemberInput) hub.BulkResult {
		r := must(hub.BulkMembers.Call(ctx, env.Service, hub.BulkMembersParams{App: a.ID, Event: ev, Members: rs}))(b)
		if !r.Applied {
			b.Fatalf("not applied: %+v", r.Errors[:min(3, len(r.Errors))])
		}
		return r
	}
	b.Run("new", func(b *testing.B) {
		ev := event()
		for b.Loop() {
			upsert(ev, rows("New"))
		}
	})
	b.Run("known,registered", func(b *testing.B) {
		ev := event()
		for b.Loop() {
			b.StopTimer()
			rs := rows("Known")
			upsert("", rs)
			b.StartTimer()
			if r := upsert(ev, rs); r.Registered != batch {
				b.Fatalf("registered %d", r.Registered)
			}
		}
	})
	b.Run("changed,registered", func(b *testing.B) {
		ev := event()
		for b.Loop() {
			b.StopTimer()
			rs := rows("Before")
			upsert("", rs)
			for i := range rs {
				rs[i].Name = "After"
			}
			b.StartTimer()
			if r := upsert(ev, rs); r.Registered != batch || r.Updated != batch {
				b.Fatalf("%+v", r)
			}
		}
	})
}
