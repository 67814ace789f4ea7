package hub_test

import (
	"errors"
	"testing"

	"github.com/attendify/hub"
	"github.com/attendify/hub/internal/hubtest"
	"github.com/attendify/platform/auth"
	"github.com/attendify/platform/errs"
	"github.com/attendify/platform/testkit"
)

// TestReadModelRebuildsAfterFlush deletes every key of the test's Redis
// namespace (what FLUSHALL does to a real deployment) and checks that hub
// rebuilds the read model from Postgres, and that readers meanwhile see
// "unavailable", never "not a member".
func TestReadModelRebuildsAfterFlush(t *testing.T) {
	env := hubtest.Start(t)
	ctx := testkit.Context(t)
	app, tok := newApp(t, env, "flush")
	octx := hubtest.As(ctx, tok)
	m := must(hub.CreateMember.Call(octx, env.Client, hub.CreateMemberParams{App: app.ID, MemberInput: hub.MemberInput{
		Email: "m@x.io", Name: "Mo", Role: hub.MemberSponsor}}))(t)
	must(hub.BlockMember.Call(octx, env.Client, hub.MemberParams{App: app.ID, Member: m.ID}))(t)
	must(hub.CreateEvent.Call(octx, env.Client, hub.CreateEventParams{App: app.ID, Name: "E", TimeZone: "UTC",
		Start: "2026-01-01T10:00", End: "2026-01-01T11:00"}))(t)
	rm := hub.NewReadModel(env.Redis, env.Namespace)
	waitFor(t, func() error { _, err := rm.Membership(ctx, app.ID, m.ID); return err })

	if err := testkit.DeleteKeys(ctx, env.Redis, env.Namespace+":hub:"); err != nil {
		t.Fatal(err)
	}
	// Until the rebuild, a miss is "unavailable"; after it, the data is back.
	waitFor(t, func() error {
		got, err := rm.Membership(ctx, app.ID, m.ID)
		if errors.Is(err, errs.NotFound) {
			t.Fatalf("a reader saw 'not a member' during the rebuild")
		}
		if err == nil && (got.Role != auth.RoleAttendee || got.MemberRole != hub.MemberSponsor || !got.Blocked) {
			t.Fatalf("rebuilt membership %+v", got)
		}
		return err
	})
	cfg := must(rm.App(ctx, app.ID))(t)
	evs := must(rm.Events(ctx, app.ID))(t)
	if cfg.Status != hub.StatusPublished || len(evs) != 1 || evs[0].Name != "E" {
		t.Errorf("rebuilt app %+v, events %+v", cfg, evs)
	}
	if _, err := rm.Membership(ctx, app.ID, "nobody"); !errors.Is(err, errs.NotFound) {
		t.Errorf("non-member after the rebuild: %v", err)
	}
}

// TestReadModelRepair: a membership that Redis kept after its deletion
// (the tombstone write was lost) goes away when the app is repaired, and
// a member whose write was lost comes back.
func TestReadModelRepair(t *testing.T) {
	env := hubtest.Start(t)
	ctx := testkit.Context(t)
	app, tok := newApp(t, env, "repair")
	octx := hubtest.As(ctx, tok)
	m := must(hub.CreateMember.Call(octx, env.Client, hub.CreateMemberParams{App: app.ID, MemberInput: hub.MemberInput{
		Email: "m@x.io", Name: "Mo"}}))(t)
	keys := hub.NewReadModelKeys(env.Namespace)
	rm := hub.NewReadModel(env.Redis, env.Namespace)
	waitFor(t, func() error { _, err := rm.Membership(ctx, app.ID, m.ID); return err })

	// A stale membership, and a lost one.
	ghost := append(hub.EncodeMembership(hub.Membership{Role: auth.RoleAttendee}), hub.FieldVersion, "1")
	if err := env.Redis.HSet(ctx, keys.Membership(app.ID, "ghost"), ghost).Err(); err != nil {
		t.Fatal(err)
	}
	if err := env.Redis.Del(ctx, keys.Membership(app.ID, m.ID)).Err(); err != nil {
		t.Fatal(err)
	}
	if _, err := env.Pool.Exec(ctx, `INSERT INTO rm_repair (app_id) VALUES ($1)`, app.ID); err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() error {
		if _, err := rm.Membership(ctx, app.ID, "ghost"); !errors.Is(err, errs.NotFound) {
			return errors.New("ghost still a member")
		}
		_, err := rm.Membership(ctx, app.ID, m.ID)
		return err
	})
}
