// Package storetest is the contract of eventwall's store ports: what the
// domain (internal/service) relies on of service.WallStore,
// service.ModerationStore, service.Profiles, service.Board (with the screens' screen.Source) and
// service.Leases. The adapters' own tests run it against every adapter:
// the Postgres one (internal/store/pgstore), the Redis one
// (internal/store/redisstore) and the in-memory ones
// (internal/store/memstore), so that a fake passes what the real store
// passes.
package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/attendify/eventwall/internal/service"
	"github.com/attendify/platform/testkit"
)

// wall is a wall of app for event (Postgres keeps microseconds).
func wall(id, app, event string) service.Wall {
	now := time.Now().UTC().Truncate(time.Microsecond)
	return service.Wall{
		ID: id, App: app, Event: event, Title: "Wall " + id, Layout: "grid",
		Theme:          service.Theme{Background: "#000000", Text: "#ffffff", Accent: "#ff0000"},
		Rules:          service.Rules{Event: event, Scope: "event", Hashtags: []string{"go"}, Mode: "auto", Blocklist: []string{"x"}, AllowList: []string{}, BlockedAuthors: []string{}},
		DisplaySeconds: 8, Public: true, Token: "token-" + id, Version: 1, CreatedAt: now, UpdatedAt: now,
	}
}

// run runs each case as a subtest with a new store and a context that
// ends with it.
func run[S any](t *testing.T, newStore func(t *testing.T) S, cases []struct {
	name string
	run  func(t *testing.T, ctx context.Context, s S)
}) {
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { c.run(t, testkit.Context(t), newStore(t)) })
	}
}
