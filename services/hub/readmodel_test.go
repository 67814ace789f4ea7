package hub_test

import (
	"crypto/ed25519"
	"errors"
	"testing"

	"github.com/attendify/hub"
	"github.com/attendify/hub/readmodeltest"
	"github.com/attendify/platform/auth"
	"github.com/attendify/platform/errs"
	"github.com/attendify/platform/testkit"
)

// TestAuthorizeReader checks the per-request access check other services
// run against the read model, case by case.
func TestAuthorizeReader(t *testing.T) {
	ctx := testkit.Context(t)
	rdb, ns := testkit.Redis(t)
	keys := hub.NewReadModelKeys(ns)
	rm := hub.NewReadModel(rdb, ns)
	user := func(id, app string) auth.Caller {
		return auth.Caller{Kind: auth.CallerUser, User: id, App: app, Role: auth.RoleAttendee}
	}

	// Before the read model is built, an unknown user is "retry", not "no".
	if _, err := rm.Authorize(ctx, user("m1", "a1"), "a1"); !errors.Is(err, errs.Unavailable) {
		t.Fatalf("while rebuilding: %v, want unavailable", err)
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(rdb.Set(ctx, keys.Ready(), "1", 0).Err())
	set := func(key string, fields []string) {
		t.Helper()
		args := make([]any, len(fields))
		for i, f := range fields {
			args[i] = f
		}
		must(rdb.HSet(ctx, key, args...).Err())
	}
	set(keys.Config("a1"), hub.EncodeAppConfig(hub.AppConfig{ID: "a1", Status: hub.StatusPublished}))
	set(keys.Config("a2"), hub.EncodeAppConfig(hub.AppConfig{ID: "a2", Status: hub.StatusUnpublished}))
	set(keys.Membership("a1", "m1"), hub.EncodeMembership(hub.Membership{App: "a1", User: "m1", Role: auth.RoleAttendee}))
	set(keys.Membership("a1", "bad"), hub.EncodeMembership(hub.Membership{App: "a1", User: "bad", Role: auth.RoleAttendee, Blocked: true}))
	set(keys.Membership("a2", "m2"), hub.EncodeMembership(hub.Membership{App: "a2", User: "m2", Role: auth.RoleAttendee}))
	set(keys.Membership("a2", "o2"), hub.EncodeMembership(hub.Membership{App: "a2", User: "o2", Role: auth.RoleModerator}))

	tests := []struct {
		name   string
		caller auth.Caller
		app    string
		want   error // nil, or the kind
	}{
		{"member of a published app", user("m1", "a1"), "a1", nil},
		{"not a member", user("x", "a1"), "a1", errs.Forbidden},
		{"blocked member", user("bad", "a1"), "a1", errs.Forbidden},
		{"token of another app", user("m1", "a1"), "a2", errs.Forbidden},
		{"member of an unpublished app", user("m2", "a2"), "a2", errs.Forbidden},
		{"organizer of an unpublished app", auth.Caller{Kind: auth.CallerUser, User: "o2", App: "a2", Role: auth.RoleModerator}, "a2", nil},
		{"anonymous", auth.Caller{}, "a1", errs.Unauthenticated},
		{"service without a user", auth.Caller{Kind: auth.CallerService, Service: "social"}, "a1", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := rm.Authorize(ctx, tt.caller, tt.app)
			if tt.want == nil && err != nil || tt.want != nil && !errors.Is(err, tt.want) {
				t.Errorf("Authorize = %v, want %v", err, tt.want)
			}
		})
	}
}

// TestEventAccessReader checks the event rule the read model applies
// (hub's rule for an event's agenda), case by case.
func TestEventAccessReader(t *testing.T) {
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
	ev := func(id, access, visibility string) hub.EventInfo {
		return hub.EventInfo{ID: id, Name: id, TimeZone: "UTC", Access: access, Visibility: visibility}
	}
	list, err := hub.EncodeEvents([]hub.EventInfo{
		ev("open", hub.EventAccessOpen, hub.VisibilityPublic),
		ev("code", hub.EventAccessCode, hub.VisibilityPublic),
		ev("listed", hub.EventAccessListed, hub.VisibilityPublic),
		ev("hidden", hub.EventAccessOpen, hub.VisibilityHidden),
	})
	if err != nil {
		t.Fatal(err)
	}
	set(keys.Config("a1"), hub.EncodeAppConfig(hub.AppConfig{ID: "a1", Status: hub.StatusPublished}))
	set(keys.Events("a1"), list)
	member := func(id, memberRole string, registered ...string) auth.Caller {
		set(keys.Membership("a1", id), hub.EncodeMembership(hub.Membership{Role: auth.RoleAttendee, MemberRole: memberRole, Registered: registered}))
		return auth.Caller{Kind: auth.CallerUser, User: id, App: "a1", Role: auth.RoleAttendee}
	}
	plain := member("m1", hub.MemberAttendee)
	staff := member("m2", hub.MemberStaff)
	reg := member("m3", hub.MemberAttendee, "code", "hidden", "listed")
	set(keys.Membership("a1", "o1"), hub.EncodeMembership(hub.Membership{Role: auth.RoleCollaborator}))
	org := auth.Caller{Kind: auth.CallerUser, User: "o1", App: "a1", Role: auth.RoleCollaborator}
	svc := auth.Caller{Kind: auth.CallerService, Service: "social"}

	tests := []struct {
		name   string
		caller auth.Caller
		event  string
		want   error
	}{
		{"member, open event", plain, "open", nil},
		{"member, code event", plain, "code", errs.Forbidden},
		{"member, listed event", plain, "listed", errs.Forbidden},
		{"member, hidden event", plain, "hidden", errs.NotFound},
		{"staff, listed event", staff, "listed", errs.Forbidden},
		{"registered, code event", reg, "code", nil},
		{"registered, listed event", reg, "listed", nil},
		{"registered, hidden event", reg, "hidden", nil},
		{"organizer, listed event", org, "listed", nil},
		{"organizer, hidden event", org, "hidden", nil},
		{"service, listed event", svc, "listed", nil},
		{"unknown event", org, "nope", errs.NotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := rm.AuthorizeEvent(ctx, tt.caller, "a1", tt.event)
			if tt.want == nil && err != nil || tt.want != nil && !errors.Is(err, tt.want) {
				t.Errorf("AuthorizeEvent = %v, want %v", err, tt.want)
			}
		})
	}
	a, err := rm.AuthorizeEvents(ctx, reg, "a1")
	if err != nil || !a.RegisteredTo("listed") || a.RegisteredTo("open") || !a.MaySee("code") {
		t.Errorf("AuthorizeEvents for a registered member: %+v %v", a, err)
	}

	// A reader who is not signed in sees what a member registered to
	// nothing sees, of a published app only.
	anon, err := rm.AnonymousAccess(ctx, "a1")
	if err != nil {
		t.Fatalf("AnonymousAccess: %v", err)
	}
	for ev, want := range map[string]error{"open": nil, "code": errs.Forbidden, "listed": errs.Forbidden, "hidden": errs.NotFound, "nope": errs.NotFound} {
		if err := anon.Event(ev); want == nil && err != nil || want != nil && !errors.Is(err, want) {
			t.Errorf("anonymous, event %s: %v, want %v", ev, err, want)
		}
	}
	set(keys.Config("a2"), hub.EncodeAppConfig(hub.AppConfig{ID: "a2", Status: hub.StatusUnpublished}))
	if _, err := rm.AnonymousAccess(ctx, "a2"); !errors.Is(err, errs.Forbidden) {
		t.Errorf("anonymous, unpublished app: %v, want forbidden", err)
	}
	if _, err := rm.AnonymousAccess(ctx, "a3"); !errors.Is(err, errs.NotFound) {
		t.Errorf("anonymous, unknown app: %v, want not found", err)
	}
}

// TestReadModelTestRevoke checks readmodeltest's Revoke, which other
// services' tests use to play hub's auth.signOut: the member's token is
// refused by the read model afterwards.
func TestReadModelTestRevoke(t *testing.T) {
	ctx := testkit.Context(t)
	rdb, ns := testkit.Redis(t)
	_, key, err := ed25519.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	h := readmodeltest.New(t, rdb, ns, auth.NewIssuer("test", key))
	app := h.CreateApp()
	m := h.AddMember(app, "Ada", auth.RoleAttendee)
	claims, err := auth.NewVerifier(map[string]ed25519.PublicKey{"test": key.Public().(ed25519.PublicKey)}).Verify(m.Token)
	if err != nil {
		t.Fatal(err)
	}
	rm := hub.NewReadModel(rdb, ns)
	if _, err := rm.Authorize(ctx, claims.Caller(m.Token), app); err != nil {
		t.Fatalf("before Revoke: %v", err)
	}
	h.Revoke(m)
	if _, err := rm.Authorize(ctx, claims.Caller(m.Token), app); errs.CodeOf(err) != errs.CodeTokenInvalid {
		t.Errorf("after Revoke: %v, want token_invalid", err)
	}
}
