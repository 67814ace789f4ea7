// Package storetest is the contract of hub's store ports
// (service.Queries, port by port): what the domain relies on, run against
// every adapter — the Postgres store (internal/store/postgres) and the
// in-memory one (internal/store/memstore) — by their own tests.
package storetest

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/attendify/hub/internal/service"
	"github.com/attendify/platform/errs"
	"github.com/attendify/platform/events"
	"github.com/attendify/platform/testkit"
)

// Run runs the contract of every port; newStore returns an empty store.
func Run(t *testing.T, newStore func(t *testing.T) service.Store) {
	ports := []struct {
		name string
		run  func(t *testing.T, ctx context.Context, s service.Store)
	}{
		{"Outbox", outbox},
		{"OrganizerStore", organizers},
		{"SignUpStore", signUps},
		{"AppStore", apps},
		{"CollaboratorStore", collaborators},
		{"InvitationStore", invitations},
		{"EventStore", eventStore},
		{"RegistrationStore", registrations},
		{"MemberStore", members},
		{"MemberBulkStore", memberBulk},
		{"SignInCodeStore", signInCodes},
		{"PlaceStore", places},
		{"SpeakerStore", speakers},
		{"SpeakerStore/bulk", speakerBulk},
		{"SessionStore", sessions},
		{"SessionStore/bulk", sessionBulk},
		{"TokenStore", tokens},
		{"ReadModelSource", readModelSource},
		{"EmailCollisionStore", emailCollisions},
		{"Upkeep", upkeep},
		{"InTx", transactions},
	}
	for _, p := range ports {
		t.Run(p.name, func(t *testing.T) { p.run(t, testkit.Context(t), newStore(t)) })
	}
}

// inTx runs fn in a transaction of s and fails the test on an error.
func inTx(t *testing.T, ctx context.Context, s service.Store, fn func(q service.Queries) error) {
	t.Helper()
	if err := s.InTx(ctx, fn); err != nil {
		t.Fatal(err)
	}
}

// must fails the test on an error and returns v.
func must[T any](t *testing.T) func(v T, err error) T {
	return func(v T, err error) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

// isKind fails the test unless err is of kind.
func isKind(t *testing.T, what string, err error, kind errs.Kind) {
	t.Helper()
	if !errors.Is(err, kind) {
		t.Errorf("%s: got %v, want %v", what, err, kind)
	}
}

// base is a time in the past (Postgres keeps microseconds).
var base = time.Now().Add(-24 * time.Hour).UTC().Truncate(time.Second)

// newApp creates app id (published, open) with an owner "<id>-owner".
func newApp(t *testing.T, ctx context.Context, s service.Store, id string) service.App {
	t.Helper()
	var a service.App
	inTx(t, ctx, s, func(q service.Queries) error {
		var err error
		if a, err = q.CreateApp(ctx, service.App{ID: id, Slug: id, Name: "App " + id, Status: "published", Access: "open"}); err != nil {
			return err
		}
		if _, err := q.CreateOrganizer(ctx, service.Organizer{ID: id + "-owner", Email: id + "-owner@x.io", Name: "Owner"}); err != nil {
			return err
		}
		_, err = q.AddCollaborator(ctx, service.Collaborator{AppID: id, OrganizerID: id + "-owner", Role: "owner"})
		return err
	})
	return a
}

// newEvent creates an event of app starting at base+h hours.
func newEvent(t *testing.T, ctx context.Context, s service.Store, app, id string, h int) service.Event {
	t.Helper()
	start := base.Add(time.Duration(h) * time.Hour)
	e := service.Event{ID: id, AppID: app, Name: "Event " + id, TimeZone: "UTC", Start: start, End: start.Add(time.Hour),
		Visibility: "public", Access: "open"}
	inTx(t, ctx, s, func(q service.Queries) error { return q.CreateEvent(ctx, e) })
	return e
}

// newMember creates member id of app with email id@x.io.
func newMember(t *testing.T, ctx context.Context, s service.Store, app, id, name string) service.Member {
	t.Helper()
	var m service.Member
	inTx(t, ctx, s, func(q service.Queries) error {
		var err error
		m, err = q.CreateMember(ctx, service.Member{ID: id, AppID: app, Email: id + "@x.io", Name: name, Role: "attendee"})
		return err
	})
	return m
}

var ignoreTimes = cmpopts.IgnoreFields(service.Member{}, "CreatedAt", "Version")

func sorted(xs []string) []string {
	xs = slices.Clone(xs)
	slices.Sort(xs)
	return xs
}

func diff(t *testing.T, what string, want, got any, opts ...cmp.Option) {
	t.Helper()
	if d := cmp.Diff(want, got, append(opts, cmpopts.EquateEmpty())...); d != "" {
		t.Errorf("%s (-want +got):\n%s", what, d)
	}
}

func announce(ctx context.Context, q service.Queries, typ, app string) error {
	return q.Announce(ctx, events.Event{Type: typ, App: app, Subject: app, Data: []byte(`{}`)})
}

// racers is how many calls race runs at once.
const racers = 8

// race runs call racers times at once (each with its index) and returns
// their errors; the calls must not fail the test with t.Fatal.
func race(t *testing.T, call func(i int) error) []error {
	t.Helper()
	out := make([]error, racers)
	var start, done sync.WaitGroup
	start.Add(1)
	for i := range racers {
		done.Go(func() {
			start.Wait()
			out[i] = call(i)
		})
	}
	start.Done()
	done.Wait()
	for _, err := range out {
		if err != nil && !errors.Is(err, errs.Forbidden) {
			t.Errorf("a racing call: %v", err)
		}
	}
	return out
}

// count is how many of errList are target.
func count(errList []error, target error) int {
	n := 0
	for _, err := range errList {
		if err == target {
			n++
		}
	}
	return n
}

// cmpSortFunc sorts slices before comparing them.
func cmpSortFunc[T any](less func(a, b T) bool) cmp.Option { return cmpopts.SortSlices(less) }
