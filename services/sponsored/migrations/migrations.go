// Package migrations holds sponsored's Postgres schema, embedded in the
// binary: campaigns, the counted impressions, clicks, views, leads and
// hides, and the events outbox.
package migrations

import (
	"embed"
	"io/fs"

	"github.com/attendify/platform/events"
	"github.com/attendify/platform/pg"
)

// Schema is sponsored's Postgres schema.
const Schema = "sponsored"

//go:embed *.sql
var files embed.FS

// Sponsored is sponsored's own migrations.
var Sponsored = pg.Source{Name: "sponsored", FS: must(fs.Sub(files, "."))}

// All is every migration set sponsored applies to its schema, in order.
var All = []pg.Source{Sponsored, events.OutboxMigrations}

func must(f fs.FS, err error) fs.FS {
	if err != nil {
		panic(err) // "." always exists
	}
	return f
}
