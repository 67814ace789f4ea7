// Package migrations holds multievent's numbered SQL migrations (goose
// format), embedded in the binary and applied, with the key-value port's
// tables, by `multievent migrate` and at start-up.
package migrations

import (
	"embed"

	"github.com/attendify/platform/kv/pgkv"
	"github.com/attendify/platform/pg"
)

//go:embed *.sql
var files embed.FS

// Schema is the Postgres schema multievent's tables live in.
const Schema = "multievent"

// Source is multievent's own migrations.
var Source = pg.Source{Name: "multievent", FS: files}

// All are every migration source of multievent's schema, in order: its
// own tables and those of the key-value port (pgkv, the personal agendas
// where no Riak is configured).
var All = []pg.Source{Source, pgkv.Migrations}
