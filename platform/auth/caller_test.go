package auth

import (
	"context"
	"log/slog"
	"strings"
	"testing"

	"github.com/attendify/platform/errs"
)

func TestLevelText(t *testing.T) {
	for _, l := range []Level{Public, User, Member, Admin, Service} {
		b, err := l.MarshalText()
		if err != nil {
			t.Fatal(err)
		}
		var got Level
		if err := got.UnmarshalText(b); err != nil || got != l {
			t.Errorf("round trip of %s: got %s, %v", l, got, err)
		}
	}
	if _, err := ParseLevel("root"); err == nil {
		t.Error(`ParseLevel("root") succeeded`)
	}
	if l, err := ParseLevel("ADMIN"); err != nil || l != Admin {
		t.Errorf(`ParseLevel("ADMIN") = %s, %v`, l, err)
	}
}

func TestCallerAllows(t *testing.T) {
	var (
		anon      = Caller{}
		attendee  = Caller{Kind: CallerUser, User: "u1", App: "a1", Role: RoleAttendee}
		moderator = Caller{Kind: CallerUser, User: "u2", App: "a1", Role: RoleModerator}
		account   = Caller{Kind: CallerUser, User: "u3", Role: RoleOrganizer}
		service   = Caller{Kind: CallerService, Service: "social"}
		onBehalf  = Caller{Kind: CallerService, Service: "social", User: "u1", App: "a1", Role: RoleAttendee}
	)
	const ok = errs.Code(0)
	tests := []struct {
		name   string
		caller Caller
		level  Level
		app    string
		want   errs.Code
	}{
		{"public anonymous", anon, Public, "", ok},
		{"public attendee", attendee, Public, "a1", ok},

		{"user anonymous", anon, User, "", errs.CodeUnauthenticated},
		{"user attendee", attendee, User, "", ok},
		{"user organizer account", account, User, "", ok},
		{"user bare service", service, User, "", errs.CodeForbidden},
		{"user service on behalf of a user", onBehalf, User, "", ok},

		{"member anonymous", anon, Member, "a1", errs.CodeUnauthenticated},
		{"member attendee of the app", attendee, Member, "a1", ok},
		{"member organizer of the app", moderator, Member, "a1", ok},
		{"member attendee of another app", attendee, Member, "a2", errs.CodeTokenWrongApp},
		{"member organizer account token", account, Member, "a1", errs.CodeTokenWrongApp},
		{"member service", service, Member, "a1", ok},
		{"member without app", attendee, Member, "", errs.CodeInvalid},

		{"admin anonymous", anon, Admin, "a1", errs.CodeUnauthenticated},
		{"admin attendee of the app", attendee, Admin, "a1", errs.CodeForbidden},
		{"admin moderator of the app", moderator, Admin, "a1", ok},
		{"admin moderator of another app", moderator, Admin, "a2", errs.CodeTokenWrongApp},
		{"admin organizer account token", account, Admin, "a1", errs.CodeTokenWrongApp},
		{"admin service", service, Admin, "a1", ok},

		{"service anonymous", anon, Service, "", errs.CodeUnauthenticated},
		{"service attendee", attendee, Service, "", errs.CodeForbidden},
		{"service moderator", moderator, Service, "a1", errs.CodeForbidden},
		{"service service", service, Service, "", ok},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.caller.Allows(tt.level, tt.app)
			if tt.want == ok {
				if err != nil {
					t.Fatalf("Allows = %v, want nil", err)
				}
				return
			}
			wantCode(t, err, tt.want)
		})
	}
}

func TestIsOrganizerRole(t *testing.T) {
	for role, want := range map[string]bool{
		RoleAttendee: false, RoleCollaborator: true, RoleModerator: true,
		RoleAdmin: true, RoleOwner: true, RoleOrganizer: true, "": false, "root": false,
	} {
		if got := IsOrganizerRole(role); got != want {
			t.Errorf("IsOrganizerRole(%q) = %v, want %v", role, got, want)
		}
	}
}

func TestCallerContext(t *testing.T) {
	if c := CallerFrom(context.Background()); !c.Anonymous() {
		t.Errorf("CallerFrom(empty) = %+v, want anonymous", c)
	}
	want := Caller{Kind: CallerUser, User: "u1", App: "a1", Role: RoleAttendee}
	if got := CallerFrom(WithCaller(context.Background(), want)); got != want {
		t.Errorf("CallerFrom = %+v, want %+v", got, want)
	}
}

func TestCallerLogValueHidesToken(t *testing.T) {
	var b strings.Builder
	log := slog.New(slog.NewJSONHandler(&b, nil))
	log.Info("call", "caller", Caller{Kind: CallerUser, User: "u1", App: "a1", Role: RoleAttendee, Token: "secret-token"})
	if strings.Contains(b.String(), "secret-token") || !strings.Contains(b.String(), `"user":"u1"`) {
		t.Errorf("log line %s: want the user and no token", b.String())
	}
}

// The refusals say what the call needs and how to get it: the header for a
// missing token, auth.appToken for an organizer's account token or another
// app's app token, signing in for another app's member token.
func TestRefusalMessages(t *testing.T) {
	tests := []struct {
		name   string
		caller Caller
		level  Level
		code   errs.Code
		want   []string
	}{
		{"no token", Caller{}, Member, errs.CodeUnauthenticated,
			[]string{"Authorization: Bearer <token>"}},
		{"organizer account token", Caller{Kind: CallerUser, User: "o1", Role: RoleOrganizer}, Member, errs.CodeTokenWrongApp,
			[]string{"organizer's account token", "app token of app a1", `auth.appToken {"app_id": "a1"}`}},
		{"another app's app token", Caller{Kind: CallerUser, User: "o1", App: "a2", Role: RoleOwner}, Admin, errs.CodeTokenWrongApp,
			[]string{"app token of app a2, not of app a1", `auth.appToken {"app_id": "a1"}`}},
		{"another app's member token", Caller{Kind: CallerUser, User: "u1", App: "a2", Role: RoleAttendee}, Member, errs.CodeTokenWrongApp,
			[]string{"member token of app a2, not of app a1", "auth.requestCode"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.caller.Allows(tt.level, "a1")
			wantCode(t, err, tt.code)
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("message %q does not say %q", err.Error(), w)
				}
			}
			if strings.Contains(err.Error(), "belongs to another app") {
				t.Errorf("message %q: the old wording", err.Error())
			}
		})
	}
}
