// Package migrations holds analytics' Postgres schema, embedded in the
// binary.
package migrations

import (
	"embed"
	"io/fs"

	"github.com/attendify/platform/pg"
)

// Schema is analytics' Postgres schema.
const Schema = "analytics"

//go:embed *.sql
var files embed.FS

// Analytics is analytics' own migrations.
var Analytics = pg.Source{Name: "analytics", FS: must(fs.Sub(files, "."))}

// All is every migration set analytics applies to its schema, in order.
var All = []pg.Source{Analytics}

func must(f fs.FS, err error) fs.FS {
	if err != nil {
		panic(err) // "." always exists
	}
	return f
}
