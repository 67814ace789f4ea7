// Package migrations holds hub's numbered SQL migrations (goose format),
// embedded in the binary and applied with the events outbox by
// `hub migrate` and at start-up.
package migrations

import (
	"embed"

	"github.com/attendify/platform/events"
	"github.com/attendify/platform/pg"
)

//go:embed *.sql
var files embed.FS

// Schema is the Postgres schema hub's tables live in.
const Schema = "hub"

// Source is hub's own migrations.
var Source = pg.Source{Name: "hub", FS: files}

// All are every migration source of hub's schema, in order.
var All = []pg.Source{Source, events.OutboxMigrations}
