// Package migrations holds social's Postgres schema, embedded in the binary.
package migrations

import (
	"embed"
	"io/fs"

	"github.com/attendify/platform/events"
	"github.com/attendify/platform/kv/pgkv"
	"github.com/attendify/platform/pg"
)

// Schema is social's Postgres schema.
const Schema = "social"

//go:embed *.sql
var files embed.FS

// Social is social's own migrations.
var Social = pg.Source{Name: "social", FS: must(fs.Sub(files, "."))}

// All is every migration set social applies to its schema, in order: its
// own tables, the events outbox and processed-events tables, and the
// key-value port's tables (used unless RIAK_HOSTS is set).
var All = []pg.Source{Social, events.OutboxMigrations, events.ProcessedMigrations, pgkv.Migrations}

func must(f fs.FS, err error) fs.FS {
	if err != nil {
		panic(err) // "." always exists
	}
	return f
}
