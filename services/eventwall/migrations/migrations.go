// Package migrations holds eventwall's Postgres schema, embedded in the
// binary.
package migrations

import (
	"embed"
	"io/fs"

	"github.com/attendify/platform/pg"
)

// Schema is eventwall's Postgres schema.
const Schema = "eventwall"

//go:embed *.sql
var files embed.FS

// Eventwall is eventwall's own migrations.
var Eventwall = pg.Source{Name: "eventwall", FS: must(fs.Sub(files, "."))}

// All is every migration set eventwall applies to its schema, in order.
var All = []pg.Source{Eventwall}

func must(f fs.FS, err error) fs.FS {
	if err != nil {
		panic(err) // "." always exists
	}
	return f
}
