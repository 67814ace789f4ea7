package runner

import (
	"context"

	kivik "github.com/go-kivik/kivik/v4"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/attendify/platform/couch"
	"github.com/attendify/platform/pg"
)

// OpenPostgres opens the service's pool on its schema: /readyz checks it
// and shutdown closes it, after the server has drained.
func (s *Service) OpenPostgres(ctx context.Context, cfg pg.Config, schema string) (*pgxpool.Pool, error) {
	pool, err := pg.Open(ctx, cfg, schema)
	if err != nil {
		return nil, err
	}
	s.OnStop("postgres", func(context.Context) error { pool.Close(); return nil })
	s.AddCheck("postgres", pg.Ready(pool))
	return pool, nil
}

// OpenCouchDB opens the service's CouchDB client: /readyz checks it and
// shutdown closes it.
func (s *Service) OpenCouchDB(ctx context.Context, cfg couch.Config) (*kivik.Client, error) {
	cc, err := couch.Open(ctx, cfg)
	if err != nil {
		return nil, err
	}
	s.OnStop("couchdb", func(context.Context) error { return cc.Close() })
	s.AddCheck("couchdb", couch.Ready(cc))
	return cc, nil
}
