package hub_test

import (
	"errors"
	"testing"

	"github.com/attendify/hub"
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
