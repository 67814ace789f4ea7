package readmodel_test

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/redis/go-redis/v9"

	"github.com/attendify/hub"
	"github.com/attendify/hub/internal/readmodel"
	"github.com/attendify/hub/internal/service"
	"github.com/attendify/platform/auth"
	"github.com/attendify/platform/errs"
	"github.com/attendify/platform/testkit"
)

// newReady returns a writer and a reader of a read model marked complete,
// under the test's own namespace.
func newReady(t *testing.T) (*readmodel.Writer, *hub.ReadModel, redis.UniversalClient, string) {
	t.Helper()
	rdb, ns := testkit.Redis(t)
	w := readmodel.NewWriter(rdb, ns)
	if err := w.MarkReady(testkit.Context(t)); err != nil {
		t.Fatal(err)
	}
	return w, hub.NewReadModel(rdb, ns), rdb, ns
}

func TestVersionedWrites(t *testing.T) {
	ctx := testkit.Context(t)
	w, r, rdb, ns := newReady(t)
	put := func(v int64, blocked bool) {
		t.Helper()
		if err := w.PutMembers(ctx, "a1", []service.MemberState{{ID: "u1", Role: hub.MemberSpeaker, Blocked: blocked, Version: v}}); err != nil {
			t.Fatal(err)
		}
	}
	get := func() (hub.Membership, error) { return r.Membership(ctx, "a1", "u1") }

	put(5, true)
	put(3, false) // late: ignored
	m, err := get()
	want := hub.Membership{App: "a1", User: "u1", Role: auth.RoleAttendee, MemberRole: hub.MemberSpeaker, Blocked: true}
	if diff := cmp.Diff(want, m); err != nil || diff != "" {
		t.Fatalf("after v5 then v3 (-want +got):\n%s %v", diff, err)
	}
	put(7, false)
	if m, _ := get(); m.Blocked {
		t.Error("v7 not applied")
	}
	if err := w.DeleteMembership(ctx, "a1", "u1", 8); err != nil {
		t.Fatal(err)
	}
	put(7, false) // a replay of the older write cannot resurrect it
	if _, err := get(); !errors.Is(err, errs.NotFound) {
		t.Errorf("after the tombstone: %v", err)
	}
	if ttl := rdb.TTL(ctx, hub.NewReadModelKeys(ns).Membership("a1", "u1")).Val(); ttl <= 0 {
		t.Errorf("tombstone without a TTL: %v", ttl)
	}
}

func TestReaderUnavailableWithoutReadyKey(t *testing.T) {
	rdb, ns := testkit.Redis(t)
	ctx := testkit.Context(t)
	w := readmodel.NewWriter(rdb, ns)
	r := hub.NewReadModel(rdb, ns)
	if _, err := r.Membership(ctx, "a1", "u1"); !errors.Is(err, errs.Unavailable) {
		t.Errorf("miss before the ready key: %v", err)
	}
	if err := w.PutCollaborator(ctx, service.Collaborator{AppID: "a1", OrganizerID: "o1", Role: hub.RoleMember, Version: 1}); err != nil {
		t.Fatal(err)
	}
	if m, err := r.Membership(ctx, "a1", "o1"); err != nil || m.Role != auth.RoleCollaborator || !m.Organizer() {
		t.Errorf("a hit is served before the ready key: %+v %v", m, err)
	}
	if err := w.MarkReady(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Membership(ctx, "a1", "u1"); !errors.Is(err, errs.NotFound) {
		t.Errorf("miss after the ready key: %v", err)
	}
}

// TestRegistrationsNotRolledBack checks that a member's registrations go
// with the membership's version: a late write of an older set is ignored.
func TestRegistrationsNotRolledBack(t *testing.T) {
	ctx := testkit.Context(t)
	w, r, _, _ := newReady(t)
	put := func(v int64, events ...string) {
		t.Helper()
		if err := w.PutMembers(ctx, "a1", []service.MemberState{{ID: "u1", Role: hub.MemberAttendee, Version: v, Registered: events}}); err != nil {
			t.Fatal(err)
		}
	}
	registered := func() []string {
		t.Helper()
		m, err := r.Membership(ctx, "a1", "u1")
		if err != nil {
			t.Fatal(err)
		}
		return m.Registered
	}
	put(5, "e1", "e2")
	put(4, "e1") // the unregistration from e2 arrives late: ignored
	if diff := cmp.Diff([]string{"e1", "e2"}, registered()); diff != "" {
		t.Errorf("after v5 then v4 (-want +got):\n%s", diff)
	}
	put(6, "e2")
	if diff := cmp.Diff([]string{"e2"}, registered()); diff != "" {
		t.Errorf("after v6 (-want +got):\n%s", diff)
	}
	put(7)
	if got := registered(); got != nil {
		t.Errorf("after v7 (no registrations): %v", got)
	}
}

// TestRevocationMarks checks the marks Authorize applies: a token at or
// below its user's mark is refused, a later one passes, a mark never goes
// down (a late write of an older one is ignored) and expires after every
// token it refuses.
func TestRevocationMarks(t *testing.T) {
	ctx := testkit.Context(t)
	w, r, rdb, ns := newReady(t)
	if err := w.PutApp(ctx, service.App{ID: "a1", Status: hub.StatusPublished, Version: 1}); err != nil {
		t.Fatal(err)
	}
	if err := w.PutMembers(ctx, "a1", []service.MemberState{{ID: "u1", Role: hub.MemberAttendee, Version: 1}}); err != nil {
		t.Fatal(err)
	}
	caller := func(seq int64) auth.Caller {
		return auth.Caller{Kind: auth.CallerUser, User: "u1", App: "a1", Role: auth.RoleAttendee, TokenSeq: seq}
	}
	check := func(step string, seq int64, want errs.Code) {
		t.Helper()
		_, err := r.Authorize(ctx, caller(seq), "a1")
		if got := errs.CodeOf(err); err != nil && got != want || err == nil && want != 0 {
			t.Errorf("%s: token %d: %v, want %s", step, seq, err, want.Name())
		}
		// A service acting for the user is held to the same mark.
		c := caller(seq)
		c.Kind, c.Service = auth.CallerService, "social"
		_, err = r.AuthorizeEvents(ctx, c, "a1")
		if got := errs.CodeOf(err); err != nil && got != want || err == nil && want != 0 {
			t.Errorf("%s: token %d through a service: %v, want %s", step, seq, err, want.Name())
		}
	}
	check("no mark", 0, 0)
	put := func(seq int64) {
		t.Helper()
		if err := w.PutRevocations(ctx, []service.Revocation{{App: "a1", User: "u1", Seq: seq}}); err != nil {
			t.Fatal(err)
		}
	}
	put(10)
	check("mark 10", 0, errs.CodeTokenInvalid)
	check("mark 10", 10, errs.CodeTokenInvalid)
	check("mark 10", 11, 0)
	put(5) // late
	check("mark 10, then 5", 10, errs.CodeTokenInvalid)
	put(20)
	check("mark 20", 11, errs.CodeTokenInvalid)
	ttl := rdb.PTTL(ctx, hub.NewReadModelKeys(ns).Revoked("a1", "u1")).Val()
	if ttl < hub.MemberTokenTTL || ttl > service.KeepRevocations {
		t.Errorf("mark TTL %v, want between %v and %v", ttl, hub.MemberTokenTTL, service.KeepRevocations)
	}
}

// TestOriginAllowed: an app's web origins are allowed while its config
// lists them: not after it drops one, nor after it is deleted, nor another
// app's origin.
func TestOriginAllowed(t *testing.T) {
	ctx := testkit.Context(t)
	w, r, _, _ := newReady(t)
	allowed := func(origin string) bool {
		t.Helper()
		ok, err := r.OriginAllowed(ctx, origin)
		if err != nil {
			t.Fatal(err)
		}
		return ok
	}
	put := func(a service.App) {
		t.Helper()
		if err := w.PutApp(ctx, a); err != nil {
			t.Fatal(err)
		}
	}
	put(service.App{ID: "a1", Version: 1, WebOrigins: []string{"https://one.example.org", "http://localhost:5173"}})
	put(service.App{ID: "a2", Version: 2, WebOrigins: []string{"https://two.example.org"}})
	for origin, want := range map[string]bool{
		"https://one.example.org": true, "http://localhost:5173": true, "https://two.example.org": true,
		"https://evil.example.net": false, "https://one.example.org.evil.net": false, "": false,
	} {
		if got := allowed(origin); got != want {
			t.Errorf("%q allowed = %v, want %v", origin, got, want)
		}
	}
	put(service.App{ID: "a1", Version: 3, WebOrigins: []string{"https://one.example.org"}})
	if allowed("http://localhost:5173") {
		t.Error("an origin the app dropped is still allowed")
	}
	if err := w.DeleteApp(ctx, "a2", 4, nil); err != nil {
		t.Fatal(err)
	}
	if allowed("https://two.example.org") {
		t.Error("a deleted app's origin is still allowed")
	}
	if !allowed("https://one.example.org") {
		t.Error("a1's remaining origin is refused")
	}
	if cfg, err := r.App(ctx, "a1"); err != nil || !cmp.Equal(cfg.WebOrigins, []string{"https://one.example.org"}) {
		t.Errorf("a1's config: %+v %v", cfg, err)
	}
}
