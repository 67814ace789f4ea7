// Package migrations holds the importer's SQL migrations (schema
// "importer"); River's own tables are migrated next to them by rivermigrate.
package migrations

import (
	"embed"
	"io/fs"

	"github.com/attendify/platform/pg"
)

//go:embed *.sql
var files embed.FS

// Source is the importer's migration set.
var Source = pg.Source{Name: "importer", FS: sub()}

func sub() fs.FS { return files }
